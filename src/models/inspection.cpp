// Model::layer_outputs and input_gradient: looking inside a model (feature maps, saliency).
#include "kernels/denormals.hpp"
#include "models/context.hpp"

namespace soma {

std::vector<Tensor> Model::layer_outputs(const Tensor& x_in) {
  const std::vector<Tensor> x = inputs_from(x_in, "layer_outputs");
  const kernels::DenormalsOff denormals;
  Context c;
  c.inputs.resize(1);
  c.inputs[0].value = x[0];
  run(c, false, false);
  // Every call's first output, in the order they ran (for a chain: one per layer).
  const Run* r = c.frame.find<Run>();
  std::vector<Tensor> outputs;
  for (size_t i = 0; i < steps_.size(); ++i) outputs.push_back(r->slots[static_cast<size_t>(steps_[i].first_output)]->value.clone());
  return outputs;
}

Tensor Model::input_gradient(const Tensor& x_in, const Tensor& output_grad) {
  const std::vector<Tensor> x = inputs_from(x_in, "input_gradient");
  if (!steps_.empty() && steps_.front().layer->type() == "Embedding") {
    throw ValueError(who() +
                     ": input_gradient needs real-valued inputs; an Embedding takes indices, which have no gradient. "
                     "Take layer_outputs() of the embeddings instead.");
  }
  const Shape out_shape = output_shape().with_batch(x[0].dim(0));
  if (output_grad.shape() != out_shape || output_grad.dtype() != DType::float32) {
    throw ShapeError(who() + ": input_gradient expected a float32 output_grad of shape " + out_shape.str() +
                     " (the output for this batch), received " + output_grad.shape().str() + ".");
  }
  const kernels::DenormalsOff denormals;
  Context c;
  c.inputs.resize(1);
  c.inputs[0] = autograd::Variable(x[0].clone(), true);
  run(c, true, false);
  c.tape.backward(*c.outputs[0], output_grad);
  if (!c.tape.has_grad(c.inputs[0])) return Tensor::zeros(c.inputs[0].value.shape());  // no path from the input
  return c.inputs[0].grad.clone();
}

}  // namespace soma
