#include "soma/models/sequential.hpp"

#include <set>

#include "models/trainer.hpp"
#include "soma/io/weights_file.hpp"

namespace soma {

Sequential::Sequential(std::string name) : name_(std::move(name)), trainer_(std::make_unique<Trainer>()) {}
Sequential::Sequential(Sequential&&) noexcept = default;
Sequential& Sequential::operator=(Sequential&&) noexcept = default;
Sequential::~Sequential() = default;

std::string Sequential::who() const {
  return "Sequential \"" + name_ + "\"";
}

Sequential& Sequential::add(std::unique_ptr<layers::Layer> layer) {
  if (!layer) throw ValueError(who() + ": add() received a null layer.");
  for (const auto& l : layers_) {
    if (l->name() == layer->name()) {
      throw ValueError(who() + ": all layers must have unique names; a layer named \"" + layer->name() +
                       "\" is already in the model. Pass another .name.");
    }
  }
  if (layer->output_count() != 1) {
    throw ValueError(who() + ": all layers in a Sequential model should have a single output tensor; " +
                     layer->type() + " \"" + layer->name() + "\" returns " +
                     std::to_string(layer->output_count()) +
                     " (return_state = true). Call the layer itself (call() returns its output and states).");
  }
  if (!layers_.empty() && !built_ && layer->declared_input_shape()) {
    throw ValueError(who() + ": only the first layer may declare input_shape; " + layer->type() + " \"" +
                     layer->name() + "\" is layer " + std::to_string(layers_.size() + 1) + ".");
  }
  layers::Layer& added = *layer;
  if (built_) {
    // Layers added to a built model are built at once for what the model outputs so far.
    const Shape in = output_shape();
    if (added.declared_input_shape() && *added.declared_input_shape() != in) {
      throw ShapeError(who() + ": " + added.type() + " \"" + added.name() + "\" declares input_shape " +
                       added.declared_input_shape()->with_batch(-1).str() + " but the model outputs " +
                       in.with_batch(-1).str() + ".");
    }
    added.build(in);
    layers_.push_back(std::move(layer));
    if (compiled()) make_metrics();
    return *this;
  }
  layers_.push_back(std::move(layer));
  // As Keras does: a first layer with input_shape builds the model right away, so summary() works.
  if (layers_.size() == 1 && added.declared_input_shape()) build(*added.declared_input_shape());
  return *this;
}

void Sequential::build(const Shape& input_shape) {
  if (layers_.empty()) throw StateError(who() + ": cannot build a model with no layers; add() some first.");
  if (built_) {
    if (input_shape != this->input_shape()) {
      throw ShapeError(who() + ": expected input of shape " + this->input_shape().with_batch(-1).str() +
                       ", received shape " + input_shape.with_batch(-1).str() + ".");
    }
    return;
  }
  const auto& declared = layers_.front()->declared_input_shape();
  if (declared && *declared != input_shape) {
    throw ShapeError(who() + ": expected input of shape " + declared->with_batch(-1).str() +
                     ", received shape " + input_shape.with_batch(-1).str() + ".");
  }
  Shape s = input_shape;
  for (auto& layer : layers_) {
    layer->build(s);
    s = layer->output_shape(s);
  }
  built_ = true;
  if (compiled()) make_metrics();
}

const Shape& Sequential::input_shape() const {
  if (!built_) throw StateError(who() + ": the model is not built yet; it has no input shape.");
  return layers_.front()->input_shape();
}

Shape Sequential::output_shape() const {
  if (!built_) throw StateError(who() + ": the model is not built yet; it has no output shape.");
  const layers::Layer& last = *layers_.back();
  return last.output_shape(last.input_shape());
}

void Sequential::compile(CompileOptions options) {
  if (!options.optimizer.optimizer) throw ValueError(who() + ": compile() needs an optimizer.");
  if (!options.loss.loss) {
    throw ValueError(who() + ": compile() needs a loss, e.g. .loss = \"categorical_crossentropy\".");
  }
  std::set<std::string> seen;
  for (const auto& m : options.metrics) {
    if (!seen.insert(m).second) throw ValueError(who() + ": metric \"" + m + "\" is listed twice.");
    metrics::get(m, options.loss.loss->name(), 2);  // unknown names fail now, not at fit time
  }
  optimizer_ = std::move(options.optimizer.optimizer);
  loss_ = std::move(options.loss.loss);
  metric_names_ = std::move(options.metrics);
  metrics_.clear();
  if (built_) make_metrics();
}

void Sequential::make_metrics() {
  metrics_.clear();
  const Shape out = output_shape();
  const int64_t units = out.rank() > 0 ? out[-1] : 1;
  for (const auto& m : metric_names_) metrics_.push_back(metrics::get(m, loss_->name(), units));
}

layers::Layer& Sequential::layer(size_t index) {
  if (index >= layers_.size()) {
    throw ValueError(who() + ": layer index " + std::to_string(index) + " is out of range; the model has " +
                     std::to_string(layers_.size()) + " layers.");
  }
  return *layers_[index];
}

layers::Layer& Sequential::get_layer(const std::string& name) {
  std::string known;
  for (auto& l : layers_) {
    if (l->name() == name) return *l;
    known += (known.empty() ? "" : ", ") + l->name();
  }
  throw ValueError(who() + ": no layer named \"" + name + "\"; the layers are: " + known + ".");
}

std::vector<autograd::Variable*> Sequential::weights() {
  std::vector<autograd::Variable*> out;
  for (auto& l : layers_)
    for (auto* w : l->weights()) out.push_back(w);
  return out;
}

std::vector<autograd::Variable*> Sequential::trainable_weights() {
  std::vector<autograd::Variable*> out;
  for (auto& l : layers_)
    for (auto* w : l->trainable_weights()) out.push_back(w);
  return out;
}

std::vector<Tensor> Sequential::get_weights() {
  std::vector<Tensor> out;
  for (auto* w : weights()) out.push_back(w->value.clone());
  return out;
}

void Sequential::set_weights(const std::vector<Tensor>& values) {
  const auto ws = weights();
  if (values.size() != ws.size()) {
    throw ValueError(who() + ": set_weights expected " + std::to_string(ws.size()) + " tensors, received " +
                     std::to_string(values.size()) + ".");
  }
  for (size_t i = 0; i < ws.size(); ++i) {
    if (values[i].shape() != ws[i]->value.shape()) {
      throw ShapeError(who() + ": set_weights: weight " + std::to_string(i) + " (" + ws[i]->name +
                       ") has shape " + ws[i]->value.shape().str() + ", received " + values[i].shape().str() +
                       ".");
    }
  }
  for (size_t i = 0; i < ws.size(); ++i) ws[i]->value.copy_from(values[i].astype(DType::float32));
}

void Sequential::save_weights(const std::string& path) {
  if (!built_) throw StateError(who() + ": save_weights needs a built model (it has no weights yet).");
  std::vector<io::NamedTensor> named;
  for (auto* w : weights()) named.push_back({w->name, w->value});
  io::write_weights(path, named);
}

void Sequential::load_weights(const std::string& path) {
  if (!built_) {
    throw StateError(who() +
                     ": load_weights needs a built model; give the first layer an input_shape or call "
                     "build() first.");
  }
  std::vector<Tensor> values;
  for (auto& t : io::read_weights(path)) values.push_back(std::move(t.value));
  set_weights(values);  // checks count and shapes before changing anything
}

int64_t Sequential::count_params() const {
  int64_t n = 0;
  for (const auto& l : layers_) n += l->count_params();
  return n;
}

const losses::Loss& Sequential::loss() const {
  if (!loss_) throw StateError(who() + ": the model has no loss until compile() is called.");
  return *loss_;
}

optimizers::Optimizer& Sequential::optimizer() {
  if (!optimizer_) throw StateError(who() + ": the model has no optimizer until compile() is called.");
  return *optimizer_;
}

autograd::Variable& Sequential::forward(autograd::Tape* tape, autograd::Variable& x, bool training) {
  autograd::Variable* v = &x;
  for (auto& layer : layers_) v = &(*layer)(tape, *v, training);
  return *v;
}

}  // namespace soma
