#pragma once
// keras.Model: a graph of layers from inputs to outputs, trained with compile() / fit() / evaluate() /
// predict(). Sequential is a Model whose graph is a chain.
//   auto image = soma::Input({28, 28, 1}, {.name = "image"});
//   auto h = L::Dense({.units = 64, .activation = "relu"})(L::Flatten()(image));
//   auto digit = L::Dense({.units = 10, .activation = "softmax", .name = "digit"})(h);
//   soma::Model model({image}, {digit}, "classifier");
// A model is a layer: it can be called on symbolic tensors inside another model (sharing its weights).
// Execution state lives in contexts (docs/functional.md): fit() owns one; predict() and evaluate() take
// one from a pool, so any number of threads may call them on one model at once.
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "soma/layers/layer.hpp"
#include "soma/models/keras_tensor.hpp"
#include "soma/models/options.hpp"
#include "soma/training/history.hpp"
#include "soma/training/metrics.hpp"
#include "soma/training/progbar.hpp"

namespace soma {

class Model : public layers::Layer {
 public:
  SOMA_LAYER(Model)
  Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name = "");
  Model(const KerasTensor& input, const KerasTensor& output, std::string name = "");
  // Model(m.inputs(), m.get_layer("conv2").output()): a feature extractor over m's weights.
  Model(std::vector<KerasTensor> inputs, const KerasTensor& output, std::string name = "");
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model() override;

  // "Functional", or "Sequential".
  std::string type() const override;
  bool is_sequential() const { return sequential_; }

  // The graph: its input and output tensors, named by the layers that make them (InputLayer names for
  // inputs, e.g. "image"; the output layers' names, e.g. "digit").
  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;
  // The model's one output (Keras' model.output); ValueError for several.
  KerasTensor output() const;
  // Every layer once, in the order a call runs them (a functional model's InputLayers included, as in
  // Keras; a Sequential's are not).
  std::vector<layers::Layer*> layers() const;
  size_t size() const { return layers().size(); }
  layers::Layer& layer(size_t index);
  layers::Layer& get_layer(const std::string& name);

  bool built() const { return Layer::built(); }
  // Per-sample shapes of the (first) input and the one output; StateError before a Sequential is built.
  const Shape& input_shape() const;
  using Layer::output_shape;
  Shape output_shape() const;

  void compile(CompileOptions options);
  bool compiled() const { return !losses_.empty(); }
  // x and y: one tensor each, or lists in inputs()/outputs() order, or maps by name.
  History fit(const TensorList& x, const TensorList& y, FitOptions options = {});
  // The loss and each metric over the whole data set, by name: {"loss": ..., "accuracy": ...}; with
  // several outputs also "<output>_loss" and "<output>_<metric>".
  std::map<std::string, double> evaluate(const TensorList& x, const TensorList& y, EvaluateOptions options = {});
  // One input, one output.
  Tensor predict(const Tensor& x, PredictOptions options = {});
  // Any number: one tensor per output, in outputs() order.
  std::vector<Tensor> predict(const TensorList& x, PredictOptions options = {});
  // One step of fit() on this batch (no shuffling, no callbacks): the loss and metrics of this batch.
  std::map<std::string, double> train_on_batch(const TensorList& x, const TensorList& y,
                                               const Tensor& sample_weight = {});
  std::map<std::string, double> test_on_batch(const TensorList& x, const TensorList& y,
                                              const Tensor& sample_weight = {});
  std::vector<Tensor> predict_on_batch(const TensorList& x);

  // Explaining a model (docs/visualization.md): every layer's output for x in inference mode (one per
  // layer of a chain), and d(sum(output * output_grad)) / d(input) for the batch x (a saliency map).
  std::vector<Tensor> layer_outputs(const Tensor& x);
  Tensor input_gradient(const Tensor& x, const Tensor& output_grad);

  // Keras' summary table: layers, output shapes, parameter counts, and for graphs "Connected to".
  void summary(std::ostream& out = std::cout);
  std::string summary_string();

  // Copies of every weight's value, in weights() order (keras Model.get_weights), and back.
  std::vector<Tensor> get_weights();
  void set_weights(const std::vector<Tensor>& values);
  void save_weights(const std::string& path);
  void load_weights(const std::string& path);
  // keras Model.save: architecture, weights, compile() arguments, optimizer state and soma's random
  // generator in one file (docs/saving.md); soma::load_model gives back an equal model.
  void save(const std::string& path);
  // Keras 3's functional config: {"name", "layers": [{"class_name", "config", "name", "inbound_nodes"}],
  // "input_layers", "output_layers"}; a Sequential writes Keras' Sequential config.
  Config get_config() const override;
  static Model from_config(const Config& config);
  // The compile() arguments as a config ({"optimizer", "loss", "metrics"}, with several outputs lists
  // and "loss_weights") and back: what a saved model keeps.
  Config compile_config() const;
  void compile_from_config(const Config& config);

  // Set by a callback (EarlyStopping) to end fit() after the current epoch.
  bool stop_training = false;
  optimizers::Optimizer& optimizer();
  // The compiled loss of the one output (StateError before compile()), and the metric names.
  const losses::Loss& loss() const;
  const std::vector<std::string>& metric_names() const;
  // Per output, in outputs() order.
  const losses::Loss& loss(size_t output) const;
  const std::vector<float>& loss_weights() const { return loss_weights_; }

  // As a layer in another graph.
  Shape output_shape(const Shape& input_shape) const override;
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  std::pair<int, int> input_count() const override;
  size_t output_count() const override { return outputs_.size(); }
  void call_multi(layers::CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;
  double activity_penalty(const layers::CallFrame& frame) const override;
  void apply_updates(layers::CallFrame& frame) override;

  struct Context;

 protected:
  // A Sequential: its graph is made when it is built.
  Model(std::string name, bool sequential);
  // Makes the plan for this graph and tracks its layers' weights.
  void set_graph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs);
  autograd::Variable& forward(layers::CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;
  std::string who() const;
  // What a Sequential keeps before it has a graph: its layers in order; build_chain makes the graph.
  std::vector<std::shared_ptr<layers::Layer>> chain_;
  void build_chain(const Shape& input_shape);

 private:
  friend class Sequential;
  // One call of a layer in the plan: where its inputs are and where its outputs go.
  struct Step {
    layers::Layer* layer = nullptr;
    const layers::CallArguments* arguments = nullptr;  // the node's (nodes_ keeps them alive)
    std::vector<int> inputs;
    int first_output = 0;
    int outputs = 0;
  };
  struct Pool;
  struct Run;
  void check_built(const char* fn) const;
  // The data of a call as one tensor per input (or per output), checked against the graph.
  std::vector<Tensor> inputs_from(const TensorList& x, const char* fn) const;
  std::vector<Tensor> targets_from(const TensorList& y, const char* fn) const;
  void check_targets(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const char* fn) const;
  std::unique_ptr<Context> acquire() const;
  void release(std::unique_ptr<Context> context) const;
  // Fills context.outputs from context.inputs (as batches).
  void run(Context& context, bool with_tape, bool training) const;
  // Metric objects for a fit or evaluate, per output.
  std::vector<std::vector<std::unique_ptr<metrics::Metric>>> make_metrics() const;
  std::vector<std::string> log_names() const;
  // Runs x through the model in batches without a tape: with y the loss and metrics into logs, with
  // predictions the outputs.
  void run_inference(const std::vector<Tensor>& x, const std::vector<Tensor>* y, const Tensor* sample_weight,
                     int64_t batch_size, Progbar* bar, std::span<NamedValue> logs,
                     std::vector<Tensor>* predictions, const char* caller);
  // The (total) loss of the batch in context, recorded on its tape when `taped`.
  autograd::Variable& batch_loss(Context& c, bool taped, std::span<const float> weights);
  std::string summary_graph() const;

  bool sequential_ = false;
  std::vector<KerasTensor> inputs_, outputs_;
  std::vector<std::shared_ptr<graph::Node>> nodes_;  // keeps the graph (and its layers) alive
  std::vector<layers::Layer*> layers_;               // unique, topological order
  std::vector<Step> steps_;
  std::vector<int> input_slots_, output_slots_;
  int slot_count_ = 0;

  std::shared_ptr<optimizers::Optimizer> optimizer_;
  std::vector<std::shared_ptr<losses::Loss>> losses_;  // per output
  std::vector<float> loss_weights_;
  std::vector<std::vector<std::string>> metric_names_;  // per output
  uint64_t generation_ = 0;                              // bumped by compile() and graph changes
  std::unique_ptr<Context> training_;
  std::unique_ptr<Pool> pool_;
};

// A layer kept by shared ownership, to be called more than once (shared weights):
//   auto encoder = soma::shared_layer(soma::Model(...));  auto a = encoder(x1), b = encoder(x2);
template <class L>
class SharedLayer {
 public:
  explicit SharedLayer(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}
  KerasTensor operator()(const KerasTensor& x) const { return (*layer_)(x); }
  KerasTensor operator()(const std::vector<KerasTensor>& xs) const { return (*layer_)(xs); }
  L* operator->() const { return layer_.get(); }
  L& operator*() const { return *layer_; }
  const std::shared_ptr<L>& get() const { return layer_; }

 private:
  std::shared_ptr<L> layer_;
};

template <class L>
SharedLayer<std::decay_t<L>> shared_layer(L&& layer) {
  return SharedLayer<std::decay_t<L>>(std::make_shared<std::decay_t<L>>(std::forward<L>(layer)));
}

// keras.models.clone_model: the same architecture with fresh weights (new layers from their configs).
Model clone_model(const Model& model);

}  // namespace soma
