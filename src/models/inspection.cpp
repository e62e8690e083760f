// Sequential::layer_outputs and input_gradient: looking inside a model (feature maps, saliency).
#include "kernels/denormals.hpp"
#include "soma/models/sequential.hpp"

namespace soma {

std::vector<Tensor> Sequential::layer_outputs(const Tensor& x_in) {
  ensure_built(x_in, "layer_outputs");
  const kernels::DenormalsOff denormals;
  autograd::Variable input(x_in.dtype() == DType::float32 ? x_in : x_in.astype(DType::float32));
  std::vector<Tensor> outputs;
  autograd::Variable* v = &input;
  for (auto& layer : layers_) {
    v = &(*layer)(nullptr, *v, false);
    outputs.push_back(v->value.clone());  // op buffers are rewritten by the next call
  }
  return outputs;
}

Tensor Sequential::input_gradient(const Tensor& x_in, const Tensor& output_grad) {
  ensure_built(x_in, "input_gradient");
  if (layers_.front()->type() == "Embedding") {
    throw ValueError(who() +
                     ": input_gradient needs real-valued inputs; an Embedding takes indices, which "
                     "have no gradient. Take layer_outputs() of the embeddings instead.");
  }
  const Shape out_shape = output_shape().with_batch(x_in.dim(0));
  if (output_grad.shape() != out_shape || output_grad.dtype() != DType::float32) {
    throw ShapeError(who() + ": input_gradient expected a float32 output_grad of shape " + out_shape.str() +
                     " (the output for this batch), received " + output_grad.shape().str() + ".");
  }
  const kernels::DenormalsOff denormals;
  autograd::Variable input(x_in.dtype() == DType::float32 ? x_in.clone() : x_in.astype(DType::float32), true);
  autograd::Tape tape;
  autograd::Variable& out = forward(&tape, input, false);
  tape.backward(out, output_grad);
  if (!tape.has_grad(input)) return Tensor::zeros(input.value.shape());  // nothing depends on the input
  return input.grad.clone();
}

}  // namespace soma
