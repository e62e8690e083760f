#pragma once
// keras.Sequential: a stack of layers trained with compile() / fit() / evaluate() / predict().
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "soma/autograd/tape.hpp"
#include "soma/layers/layer.hpp"
#include "soma/models/options.hpp"
#include "soma/training/history.hpp"
#include "soma/training/metrics.hpp"
#include "soma/training/progbar.hpp"

namespace soma {

class Sequential {
 public:
  explicit Sequential(std::string name = "sequential");
  Sequential(Sequential&&) noexcept;
  Sequential& operator=(Sequential&&) noexcept;
  ~Sequential();

  template <class L>
  requires std::derived_from<std::decay_t<L>, layers::Layer> Sequential& add(L&& layer) {
    return add(std::make_unique<std::decay_t<L>>(std::forward<L>(layer)));
  }
  Sequential& add(std::unique_ptr<layers::Layer> layer);

  // Creates every layer's weights for this per-sample input shape (done by fit/predict on first use, or
  // right away when the first layer declares input_shape).
  void build(const Shape& input_shape);
  bool built() const { return built_; }
  // Per-sample input and output shapes of a built model.
  const Shape& input_shape() const;
  Shape output_shape() const;

  void compile(CompileOptions options);
  bool compiled() const { return loss_ != nullptr; }
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  // The loss and each metric over the whole data set, by name: {"loss": ..., "accuracy": ...}.
  std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});

  // Explaining a model (docs/visualization.md). Every layer's output for x in inference mode, one tensor
  // per layer, as Keras' Model(model.input, [layer.output for layer in model.layers]).predict(x).
  std::vector<Tensor> layer_outputs(const Tensor& x);
  // d(sum(output * output_grad)) / d(input) for the batch x, in inference mode: with output_grad one-hot
  // at a class, how each input value moves that class's score (a saliency map, what tf.GradientTape
  // gives). output_grad has the output's shape; the weights' gradients are left unspecified.
  Tensor input_gradient(const Tensor& x, const Tensor& output_grad);

  // Keras' summary table: layers, output shapes, parameter counts.
  void summary(std::ostream& out = std::cout);
  std::string summary_string();

  const std::string& name() const { return name_; }
  size_t size() const { return layers_.size(); }
  layers::Layer& layer(size_t index);
  layers::Layer& get_layer(const std::string& name);
  std::vector<autograd::Variable*> weights();
  // Copies of every weight's value, in weights() order (keras Model.get_weights)...
  std::vector<Tensor> get_weights();
  // ...and back: the same count and shapes, else ValueError/ShapeError naming the first misfit.
  void set_weights(const std::vector<Tensor>& values);
  // Weights to and from a file (format: soma/io/weights_file.hpp). Loading needs a built model with the
  // same weights (count, names' order, shapes); a mismatch throws ShapeError/ValueError and changes nothing.
  void save_weights(const std::string& path);
  void load_weights(const std::string& path);
  // keras Model.save: the architecture, the weights, the compile() arguments, the optimizer's state and
  // soma's random generator in one file (soma/io/model_file.hpp, docs/saving.md), so that
  // soma::load_model gives back a model that predicts identically and resumes training exactly.
  void save(const std::string& path);
  // Keras get_config(): {"name": ..., "layers": [{"class_name": ..., "config": ...}, ...]} and, once
  // built, "build_input_shape" (per sample). from_config makes an equal model with fresh weights; it
  // throws ValueError for a config that does not describe one.
  Config get_config() const;
  static Sequential from_config(const Config& config);
  // Set by a callback (EarlyStopping) to end fit() after the current epoch.
  bool stop_training = false;
  std::vector<autograd::Variable*> trainable_weights();
  int64_t count_params() const;
  optimizers::Optimizer& optimizer();
  // The compiled loss and metric names; StateError before compile().
  const losses::Loss& loss() const;
  const std::vector<std::string>& metric_names() const { return metric_names_; }

 private:
  struct Trainer;
  void ensure_built(const Tensor& x, const char* who);
  void check_data(const Tensor& x, const Tensor& y, const char* who);
  void make_metrics();
  // Runs x through the model in batches without a tape. With y, writes the mean loss (weighted by
  // sample_weight, an (n,) float32 tensor, when non-null) and each metric into logs[0..] (names untouched);
  // with `predictions`, copies the outputs there. A non-finite value in x is a ValueError that names the
  // sample and `caller` ("predict() x").
  void run_inference(const Tensor& x, const Tensor* y, const Tensor* sample_weight, int64_t batch_size,
                     Progbar* bar, std::span<NamedValue> logs, Tensor* predictions, const char* caller);
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training);
  std::string who() const;

  std::string name_;
  std::vector<std::unique_ptr<layers::Layer>> layers_;
  bool built_ = false;
  std::shared_ptr<optimizers::Optimizer> optimizer_;
  std::shared_ptr<losses::Loss> loss_;
  std::vector<std::unique_ptr<metrics::Metric>> metrics_;
  std::vector<std::string> metric_names_;
  std::unique_ptr<Trainer> trainer_;
};

}  // namespace soma
