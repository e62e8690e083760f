#include "soma/layers/layer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "layers/weight_budget.hpp"
#include "soma/layers/initializers.hpp"

namespace soma::layers {

namespace detail {
namespace {
thread_local int64_t* active_budget = nullptr;
}

WeightBudget::WeightBudget(int64_t bytes) : remaining_(bytes) {
  active_budget = &remaining_;
}
WeightBudget::~WeightBudget() {
  active_budget = nullptr;
}

void spend_weight_budget(const std::string& who, const std::string& weight, int64_t numel) {
  if (active_budget) {
    if (numel > *active_budget / 4) {
      throw ValueError(who + ": its config asks for a " + weight + " of " + std::to_string(numel) +
                       " values, far more than the file holds.");
    }
    *active_budget -= numel * 4;
  }
  // A config can ask for any size (Dense units 10^12); one weight larger than the machine's memory can
  // never be allocated, and failing here names the layer instead of a bare std::bad_alloc.
  static const int64_t memory = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGE_SIZE);
  if (memory > 0 && numel > memory / 4) {
    throw ValueError(fmt::format(
        "{}: its {} would hold {} float32 values ({:.1f} GiB), more than this machine's memory ({:.1f} GiB); "
        "check the layer's config (units, filters, kernel_size, input_shape).",
        who, weight, numel, static_cast<double>(numel) * 4 / (1 << 30),
        static_cast<double>(memory) / (1 << 30)));
  }
}
}  // namespace detail

namespace {
// Keras names layers of a type dense, dense_1, dense_2, ... per process. Names given explicitly (a loaded
// model's, say) are skipped, so a layer added to a loaded model does not collide with one of its own.
std::string layer_name(const std::string& prefix, const std::string& requested) {
  static std::mutex m;
  static std::map<std::string, int> counts;
  static std::set<std::string> taken;
  std::lock_guard lock(m);
  if (!requested.empty()) {
    taken.insert(requested);
    return requested;
  }
  std::string candidate;
  do {
    const int n = counts[prefix]++;
    candidate = n == 0 ? prefix : prefix + "_" + std::to_string(n);
  } while (taken.count(candidate));
  taken.insert(candidate);
  return candidate;
}
}  // namespace

Layer::Layer(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape)
    : name_(layer_name(prefix, name)) {
  if (!input_shape.empty()) {
    for (int64_t d : input_shape) {
      if (d <= 0) {
        throw ShapeError(prefix + " \"" + name_ + "\": input_shape dimensions must be positive, received " +
                         Shape(input_shape).str() + ".");
      }
    }
    declared_input_shape_ = Shape(input_shape);
  }
}

std::string Layer::who() const {
  return type() + " \"" + name_ + "\"";
}

void Layer::build(const Shape& input_shape) {
  if (built_) {
    if (input_shape != input_shape_) {
      throw ShapeError(who() + ": was built for input " + input_shape_.with_batch(-1).str() +
                       ", cannot rebuild for " + input_shape.with_batch(-1).str() + ".");
    }
    return;
  }
  output_shape(input_shape);  // every layer validates its input here, weights or not
  build_weights(input_shape);
  input_shape_ = input_shape;
  input_shapes_ = {input_shape};
  built_ = true;
}

void Layer::mark_built(std::vector<Shape> input_shapes) {
  input_shape_ = input_shapes.empty() ? Shape() : input_shapes.front();
  input_shapes_ = std::move(input_shapes);
  built_ = true;
}

std::shared_ptr<Layer> Layer::move_to_shared() && {
  throw ValueError(who() + ": this layer class cannot be called as a temporary on symbolic tensors; add "
                   "SOMA_LAYER(" + type() + ") to its class, or call a std::shared_ptr to it.");
}

void Layer::add_inbound_node(const std::shared_ptr<graph::Node>& node) {
  std::erase_if(inbound_nodes_, [](const auto& w) { return w.expired(); });
  inbound_nodes_.push_back(node);
}

std::vector<std::shared_ptr<graph::Node>> Layer::inbound_nodes() const {
  std::vector<std::shared_ptr<graph::Node>> out;
  for (const auto& w : inbound_nodes_)
    if (auto n = w.lock()) out.push_back(std::move(n));
  return out;
}

void Layer::check_input(const autograd::Variable& x) {
  const Shape& s = x.value.shape();
  if (!built_) build(s.without_batch());
  if (s.rank() != input_shape_.rank() + 1 || s.without_batch() != input_shape_) {
    throw ShapeError(who() + ": expected input of shape " + input_shape_.with_batch(-1).str() +
                     ", received shape " + s.str() + ".");
  }
}

autograd::Variable& Layer::call(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  check_input(x);
  autograd::Variable& y = forward(frame, tape, x, training);
  return activity_regularizer_.active() ? frame.activity().forward(tape, y, activity_regularizer_) : y;
}

namespace {
// Builds the message (and so allocates) only on failure: a graph's step runs this for every call.
void expect_inputs(const Layer& layer, size_t n) {
  const auto [least, most] = layer.input_count();
  if (static_cast<int>(n) < least || (most >= 0 && static_cast<int>(n) > most)) {
    const std::string want = least == most ? std::to_string(least)
                             : most < 0    ? "at least " + std::to_string(least)
                                           : std::to_string(least) + " to " + std::to_string(most);
    throw ValueError(layer.type() + " \"" + layer.name() + "\": expects " + want + (least == 1 && most == 1 ? " input" : " inputs") + ", received " +
                     std::to_string(n) + ".");
  }
}
}  // namespace

void Layer::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                       std::vector<autograd::Variable*>& outputs, bool training) {
  expect_inputs(*this, inputs.size());
  autograd::Variable& y = call(frame, tape, *inputs[0], training);
  outputs.clear();
  outputs.push_back(&y);
}

namespace {
void refuse_arguments(const std::string& who, const CallArguments& arguments) {
  if (!arguments.values.empty()) {
    throw ValueError(who + ": takes no call argument \"" + arguments.values.front().first + "\".");
  }
  for (const std::string& k : arguments.keywords)
    if (!k.empty()) throw ValueError(who + ": takes no tensor argument \"" + k + "\".");
}
}  // namespace

std::vector<Shape> Layer::node_output_shapes(std::span<const Shape> inputs, const CallArguments& arguments) const {
  refuse_arguments(who(), arguments);
  return output_shapes(inputs);
}

void Layer::build_node(std::span<const Shape> inputs, const CallArguments& arguments) {
  refuse_arguments(who(), arguments);
  build_multi(inputs);
}

void Layer::call_node(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                      std::vector<autograd::Variable*>& outputs, bool training, const CallArguments&) {
  call_multi(frame, tape, inputs, outputs, training);
}

std::vector<Shape> Layer::output_shapes(std::span<const Shape> inputs) const {
  expect_inputs(*this, inputs.size());
  return {output_shape(inputs[0])};
}

void Layer::build_multi(std::span<const Shape> inputs) {
  expect_inputs(*this, inputs.size());
  build(inputs[0]);
}

autograd::Variable& Layer::add_weight(const std::string& name, const Shape& shape,
                                      const initializers::Initializer& initializer, bool trainable) {
  detail::spend_weight_budget(who(), name, shape.numel());
  Tensor t = Tensor::empty(shape);
  initializers::initialize(initializer, t);
  weights_.push_back(
      std::make_unique<autograd::Variable>(std::move(t), trainable && trainable_, name_ + "/" + name));
  weight_trainable_.push_back(trainable);
  return *weights_.back();
}

std::vector<autograd::Variable*> Layer::weights() {
  std::vector<autograd::Variable*> out;
  for (auto& w : weights_) out.push_back(w.get());
  for (Layer* sub : sublayers_) {
    for (auto* w : sub->weights()) {
      // A layer reached twice (in a model and in a model nested in it) has its weights listed once.
      if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    }
  }
  return out;
}

std::vector<autograd::Variable*> Layer::trainable_weights() {
  std::vector<autograd::Variable*> out;
  for (auto* w : weights())
    if (w->requires_grad) out.push_back(w);
  return out;
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const auto& w : weights_) n += w->value.numel();
  for (const Layer* sub : sublayers_) n += sub->count_params();
  return n;
}

double Layer::regularization_penalty() const {
  double total = 0.0;
  for (const auto& [w, r] : regularized_) total += r.penalty(w->value);
  for (const Layer* sub : sublayers_) total += sub->regularization_penalty();
  return total;
}

void Layer::add_regularization_gradients() {
  for (auto& [w, r] : regularized_)
    if (w->requires_grad && w->grad.defined()) r.add_gradient(w->value, w->grad);
  for (Layer* sub : sublayers_) sub->add_regularization_gradients();
}

double Layer::activity_penalty(const CallFrame& frame) const {
  double total = activity_regularizer_.active() ? frame.activity().penalty() : 0.0;
  for (size_t i = 0; i < sublayers_.size(); ++i)
    if (const CallFrame* child = frame.find_child(i)) total += sublayers_[i]->activity_penalty(*child);
  return total;
}

void Layer::constrain(autograd::Variable& weight, const constraints::Constraint& c,
                      const std::string& option) {
  if (!c.active()) return;
  c.check(weight.value.rank(), who() + ": " + option);
  constrained_.push_back({&weight, c});
}

void Layer::apply_constraints() {
  // Keras constrains what the optimizer updated: frozen weights stay as they are.
  for (auto& [w, c] : constrained_)
    if (w->requires_grad) c.apply(w->value);
  for (Layer* sub : sublayers_) sub->apply_constraints();
}

void Layer::apply_updates(CallFrame& frame) {
  update_state(frame);
  for (size_t i = 0; i < sublayers_.size(); ++i) sublayers_[i]->apply_updates(frame.child(i));
}

void Layer::set_trainable(bool t) {
  trainable_ = t;
  // Weights that are never trained (BatchNormalization's moving statistics) stay so.
  for (size_t i = 0; i < weights_.size(); ++i) weights_[i]->requires_grad = t && weight_trainable_[i];
  for (Layer* sub : sublayers_) sub->set_trainable(t);
}

}  // namespace soma::layers
