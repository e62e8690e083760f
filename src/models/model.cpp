// Model: the graph, its plan, its layers and weights, compile().
#include "soma/models/model.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "models/context.hpp"
#include "soma/io/weights_file.hpp"
#include "soma/layers/input_layer.hpp"

namespace soma {

Model::Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name)
    : Layer("functional", name, {}), pool_(std::make_unique<Pool>()) {
  set_graph(std::move(inputs), std::move(outputs));
}

Model::Model(const KerasTensor& input, const KerasTensor& output, std::string name)
    : Model(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, std::move(name)) {}

Model::Model(std::vector<KerasTensor> inputs, const KerasTensor& output, std::string name)
    : Model(std::move(inputs), std::vector<KerasTensor>{output}, std::move(name)) {}

Model::Model(std::string name, bool sequential)
    : Layer(sequential ? "sequential" : "functional", name, {}),
      sequential_(sequential),
      pool_(std::make_unique<Pool>()) {}

Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

std::string Model::type() const {
  return sequential_ ? "Sequential" : "Functional";
}

std::string Model::who() const {
  return type() + " \"" + name() + "\"";
}

void Model::set_graph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs) {
  const std::string me = who();
  if (inputs.empty()) throw ValueError(me + ": a model needs at least one input.");
  if (outputs.empty()) throw ValueError(me + ": a model needs at least one output.");
  for (const auto* list : {&inputs, &outputs}) {
    for (const KerasTensor& t : *list) {
      if (!t.defined()) throw ValueError(me + ": received an empty symbolic tensor among its inputs or outputs.");
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (inputs[i] == inputs[j]) throw ValueError(me + ": input \"" + inputs[i].name() + "\" is listed twice.");

  // Slots: one per model input, then one per output of every node, in the topological order of a depth
  // first walk from the outputs (a node's inputs come before it).
  std::map<std::pair<const graph::Node*, size_t>, int> slot_of;
  std::vector<std::shared_ptr<graph::Node>> nodes;
  std::vector<Step> steps;
  int slots = 0;
  std::vector<int> input_slots;
  for (const KerasTensor& t : inputs) {
    slot_of[{t.node().get(), t.index()}] = slots;
    input_slots.push_back(slots++);
  }
  std::set<const graph::Node*> visiting, done;
  std::function<int(const KerasTensor&, const std::string&)> slot = [&](const KerasTensor& t,
                                                                         const std::string& needed_by) -> int {
    if (auto it = slot_of.find({t.node().get(), t.index()}); it != slot_of.end()) return it->second;
    const graph::Node* n = t.node().get();
    if (n->inputs.empty()) {
      std::string names;
      for (const KerasTensor& in : inputs) names += (names.empty() ? "" : ", ") + in.name();
      throw ValueError(me + ": graph disconnected: cannot obtain the value of tensor \"" + t.name() + "\" (" +
                       n->layer->type() + ") needed by " + needed_by + "; it is not reachable from the inputs (" +
                       names + "). Pass it among the model's inputs.");
    }
    if (!visiting.insert(n).second) throw ValueError(me + ": the graph has a cycle at " + n->layer->name() + ".");
    Step step;
    step.layer = n->layer.get();
    step.arguments = &n->arguments;
    for (const KerasTensor& in : n->inputs) step.inputs.push_back(slot(in, n->layer->type() + " \"" + n->layer->name() + "\""));
    step.first_output = slots;
    step.outputs = static_cast<int>(n->output_shapes.size());
    for (int k = 0; k < step.outputs; ++k) slot_of[{n, static_cast<size_t>(k)}] = slots++;
    steps.push_back(std::move(step));
    nodes.push_back(t.node());
    visiting.erase(n);
    return slot_of.at({n, t.index()});
  };
  std::vector<int> output_slots;
  for (const KerasTensor& t : outputs) output_slots.push_back(slot(t, "the model's outputs"));

  // The layers, each once, in the order they run; InputLayers first (as Keras lists them).
  std::vector<layers::Layer*> ordered;
  std::set<const layers::Layer*> seen;
  if (!sequential_) {
    for (const KerasTensor& t : inputs)
      if (seen.insert(&t.layer()).second) ordered.push_back(&t.layer());
  }
  for (const Step& s : steps)
    if (seen.insert(s.layer).second) ordered.push_back(s.layer);
  for (const layers::Layer* l : ordered) {
    if (l == this) throw ValueError(me + ": a model cannot contain itself.");
  }
  std::set<std::string> names;
  for (const layers::Layer* l : ordered) {
    if (!names.insert(l->name()).second) {
      throw ValueError(me + ": all layers must have unique names; \"" + l->name() +
                       "\" is used by two layers. Pass another .name.");
    }
  }

  for (const KerasTensor& t : inputs) nodes.push_back(t.node());
  inputs_ = std::move(inputs);
  outputs_ = std::move(outputs);
  nodes_ = std::move(nodes);
  steps_ = std::move(steps);
  input_slots_ = std::move(input_slots);
  output_slots_ = std::move(output_slots);
  slot_count_ = slots;
  layers_ = std::move(ordered);
  untrack_all();
  for (layers::Layer* l : layers_) track(*l);
  std::vector<Shape> shapes;
  for (const KerasTensor& t : inputs_) shapes.push_back(t.shape());
  mark_built(std::move(shapes));
  ++generation_;
  training_.reset();
  std::lock_guard lock(pool_->mutex);
  pool_->free.clear();
}

std::vector<std::string> Model::input_names() const {
  std::vector<std::string> out;
  for (const KerasTensor& t : inputs_) out.push_back(t.name());
  return out;
}

std::vector<std::string> Model::output_names() const {
  std::vector<std::string> out;
  for (const KerasTensor& t : outputs_) out.push_back(t.name());
  return out;
}

KerasTensor Model::output() const {
  check_built("output");
  if (outputs_.size() != 1)
    throw ValueError(who() + ": has " + std::to_string(outputs_.size()) + " outputs; use outputs().");
  return outputs_.front();
}

std::vector<layers::Layer*> Model::layers() const {
  if (sequential_) {
    std::vector<layers::Layer*> out;
    for (const auto& l : chain_) out.push_back(l.get());
    return out;
  }
  return layers_;
}

layers::Layer& Model::layer(size_t index) {
  const auto all = layers();
  if (index >= all.size()) {
    throw ValueError(who() + ": layer index " + std::to_string(index) + " is out of range; the model has " +
                     std::to_string(all.size()) + " layers.");
  }
  return *all[index];
}

layers::Layer& Model::get_layer(const std::string& name) {
  std::string known;
  for (layers::Layer* l : layers()) {
    if (l->name() == name) return *l;
    known += (known.empty() ? "" : ", ") + l->name();
  }
  throw ValueError(who() + ": no layer named \"" + name + "\"; the layers are: " + known + ".");
}

void Model::check_built(const char* fn) const {
  if (!built()) {
    throw StateError(who() + ": " + fn +
                     "() needs a built model; give the first layer an input_shape, call build(), or fit() first.");
  }
}

const Shape& Model::input_shape() const {
  if (!built()) throw StateError(who() + ": the model is not built yet; it has no input shape.");
  return inputs_.front().shape();
}

Shape Model::output_shape() const {
  if (!built()) throw StateError(who() + ": the model is not built yet; it has no output shape.");
  if (outputs_.size() != 1)
    throw ValueError(who() + ": has " + std::to_string(outputs_.size()) + " outputs; use outputs()[i].shape().");
  return outputs_.front().shape();
}

// As a layer.
Shape Model::output_shape(const Shape& input_shape) const {
  return output_shapes(std::vector<Shape>{input_shape}).at(0);
}

std::vector<Shape> Model::output_shapes(std::span<const Shape> shapes) const {
  check_built("output_shapes");
  if (shapes.size() != inputs_.size()) {
    throw ValueError(who() + ": expects " + std::to_string(inputs_.size()) + " inputs, received " +
                     std::to_string(shapes.size()) + ".");
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (shapes[i] != inputs_[i].shape()) {
      throw ShapeError(who() + ": input \"" + inputs_[i].name() + "\" expects shape " +
                       inputs_[i].shape().with_batch(-1).str() + ", received " + shapes[i].with_batch(-1).str() +
                       ".");
    }
  }
  std::vector<Shape> out;
  for (const KerasTensor& t : outputs_) out.push_back(t.shape());
  return out;
}

void Model::build_multi(std::span<const Shape> shapes) {
  output_shapes(shapes);
}

std::pair<int, int> Model::input_count() const {
  return {static_cast<int>(inputs_.size()), static_cast<int>(inputs_.size())};
}

std::vector<Tensor> Model::get_weights() {
  std::vector<Tensor> out;
  for (auto* w : weights()) out.push_back(w->value.clone());
  return out;
}

void Model::set_weights(const std::vector<Tensor>& values) {
  const auto ws = weights();
  if (values.size() != ws.size()) {
    throw ValueError(who() + ": set_weights expected " + std::to_string(ws.size()) + " tensors, received " +
                     std::to_string(values.size()) + ".");
  }
  for (size_t i = 0; i < ws.size(); ++i) {
    if (values[i].shape() != ws[i]->value.shape()) {
      throw ShapeError(who() + ": set_weights: weight " + std::to_string(i) + " (" + ws[i]->name + ") has shape " +
                       ws[i]->value.shape().str() + ", received " + values[i].shape().str() + ".");
    }
  }
  for (size_t i = 0; i < ws.size(); ++i) ws[i]->value.copy_from(values[i].astype(DType::float32));
}

void Model::save_weights(const std::string& path) {
  if (!built()) throw StateError(who() + ": save_weights needs a built model (it has no weights yet).");
  std::vector<io::NamedTensor> named;
  for (auto* w : weights()) named.push_back({w->name, w->value});
  io::write_weights(path, named);
}

void Model::load_weights(const std::string& path) {
  if (!built()) {
    throw StateError(who() +
                     ": load_weights needs a built model; give the first layer an input_shape or call build() first.");
  }
  std::vector<Tensor> values;
  for (auto& t : io::read_weights(path)) values.push_back(std::move(t.value));
  set_weights(values);  // checks count and shapes before changing anything
}

void Model::compile(CompileOptions options) {
  if (!options.optimizer.optimizer) throw ValueError(who() + ": compile() needs an optimizer.");
  const bool one = options.loss.loss != nullptr, many = !options.losses.empty();
  if (!one && !many) throw ValueError(who() + ": compile() needs a loss, e.g. .loss = \"categorical_crossentropy\".");
  if (one && many) throw ValueError(who() + ": compile() takes .loss (for every output) or .losses, not both.");
  // Per-output arguments are resolved against the output names once the graph exists; a Sequential
  // compiled before it is built has one output.
  const std::vector<std::string> names = built() ? output_names() : std::vector<std::string>{"output"};
  const size_t n = names.size();
  auto per_output = [&]<class T>(const PerOutput<T>& arg, const T& fallback, const char* what) {
    std::vector<T> out(n, fallback);
    if (!arg.list.empty()) {
      if (arg.list.size() != n) {
        throw ValueError(who() + ": compile() " + what + " lists " + std::to_string(arg.list.size()) +
                         " values for " + std::to_string(n) + " outputs.");
      }
      out = arg.list;
    }
    for (const auto& [key, value] : arg.by_name) {
      const auto it = std::find(names.begin(), names.end(), key);
      if (it == names.end()) {
        std::string known;
        for (const auto& s : names) known += (known.empty() ? "" : ", ") + s;
        throw ValueError(who() + ": compile() " + what + " names an output \"" + key +
                         "\" the model does not have; its outputs are: " + known + ".");
      }
      out[static_cast<size_t>(it - names.begin())] = value;
    }
    return out;
  };
  std::vector<std::shared_ptr<losses::Loss>> losses(n);
  if (one) {
    for (size_t i = 0; i < n; ++i) losses[i] = i == 0 ? options.loss.loss : options.loss.loss->clone();
  } else {
    const auto args = per_output(options.losses, LossArg(), "losses");
    for (size_t i = 0; i < n; ++i) {
      if (!args[i].loss) throw ValueError(who() + ": compile() losses gives no loss for output \"" + names[i] + "\".");
      losses[i] = args[i].loss;
    }
  }
  const std::vector<float> weights = per_output(options.loss_weights, 1.0f, "loss_weights");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0.0f) {
      throw ValueError(who() + ": compile() loss_weights must be finite and >= 0, received " +
                       std::to_string(weights[i]) + " for output \"" + names[i] + "\".");
    }
  }
  std::vector<std::vector<std::string>> metrics =
      per_output(PerOutput<std::vector<std::string>>(options.output_metrics), options.metrics, "output_metrics");
  for (size_t i = 0; i < n; ++i) {
    std::set<std::string> seen;
    for (const auto& m : metrics[i]) {
      if (!seen.insert(m).second) throw ValueError(who() + ": metric \"" + m + "\" is listed twice.");
      metrics::get(m, losses[i]->name(), 2);  // unknown names fail now, not at fit time
    }
  }
  optimizer_ = std::move(options.optimizer.optimizer);
  losses_ = std::move(losses);
  loss_weights_ = weights;
  metric_names_ = std::move(metrics);
  ++generation_;
  training_.reset();
}

const losses::Loss& Model::loss() const {
  if (losses_.empty()) throw StateError(who() + ": the model has no loss until compile() is called.");
  return *losses_.front();
}

const losses::Loss& Model::loss(size_t output) const {
  if (losses_.empty()) throw StateError(who() + ": the model has no loss until compile() is called.");
  return *losses_.at(output);
}

const std::vector<std::string>& Model::metric_names() const {
  static const std::vector<std::string> none;
  return metric_names_.empty() ? none : metric_names_.front();
}

optimizers::Optimizer& Model::optimizer() {
  if (!optimizer_) throw StateError(who() + ": the model has no optimizer until compile() is called.");
  return *optimizer_;
}

}  // namespace soma
