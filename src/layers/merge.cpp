#include "soma/layers/merge.hpp"

#include <nlohmann/json.hpp>

namespace soma::layers {

namespace {
std::string shape_list(std::span<const Shape> shapes) {
  std::string list;
  for (const Shape& s : shapes) list += (list.empty() ? "" : ", ") + s.with_batch(-1).str();
  return list;
}

[[noreturn]] void needs_list(const Layer& layer) {
  throw ValueError(layer.type() + " \"" + layer.name() +
                   "\": a merge layer is called on a list of inputs (layer({a, b})), not on one tensor.");
}
}  // namespace

ElementwiseMerge::ElementwiseMerge(const std::string& prefix, autograd::Elementwise mode, MergeOptions options)
    : Layer(prefix, options.name, {}), options_(std::move(options)), mode_(mode) {}

Config ElementwiseMerge::get_config() const {
  return Config{{"name", name()}};
}

std::pair<int, int> ElementwiseMerge::input_count() const {
  return mode_ == autograd::Elementwise::subtract ? std::pair{2, 2} : std::pair{1, -1};
}

Shape ElementwiseMerge::output_shape(const Shape&) const {
  needs_list(*this);
}

std::vector<Shape> ElementwiseMerge::output_shapes(std::span<const Shape> inputs) const {
  const auto [least, most] = input_count();
  if (static_cast<int>(inputs.size()) < least || (most >= 0 && static_cast<int>(inputs.size()) > most)) {
    throw ValueError(who() + (most == 2 ? ": expects exactly 2 inputs" : ": expects at least 1 input") +
                     ", received " + std::to_string(inputs.size()) + ".");
  }
  std::vector<Shape> batched;
  for (const Shape& s : inputs) batched.push_back(s.with_batch(1));
  try {
    return {autograd::broadcast_shapes(batched, who()).without_batch()};
  } catch (const ShapeError&) {
    throw ShapeError(who() + ": inputs with shapes " + shape_list(inputs) +
                     " cannot be merged; after aligning them on the right, each dimension must match or be 1.");
  }
}

void ElementwiseMerge::build_multi(std::span<const Shape> inputs) {
  output_shapes(inputs);
  if (!built()) mark_built({inputs.begin(), inputs.end()});
}

void ElementwiseMerge::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                                  std::vector<autograd::Variable*>& outputs, bool) {
  if (inputs.empty()) throw ValueError(who() + ": received no inputs.");
  for (auto* v : inputs) {
    if (v->value.rank() < 1 || v->value.dim(0) != inputs[0]->value.dim(0)) {
      throw ShapeError(who() + ": inputs must share the batch size, received " + inputs[0]->value.shape().str() +
                       " and " + v->value.shape().str() + ".");
    }
  }
  if (mode_ == autograd::Elementwise::subtract && inputs.size() != 2)
    throw ValueError(who() + ": expects exactly 2 inputs, received " + std::to_string(inputs.size()) + ".");
  autograd::Variable& y = frame.get<Ops>().op.forward(tape, inputs, mode_);
  outputs.clear();
  outputs.push_back(&y);
}

autograd::Variable& ElementwiseMerge::forward(CallFrame&, autograd::Tape*, autograd::Variable&, bool) {
  needs_list(*this);
}

Concatenate::Concatenate(ConcatenateOptions options)
    : Layer("concatenate", options.name, {}), options_(std::move(options)) {
  if (options_.axis == 0) throw ValueError(who() + ": axis 0 is the batch axis; concatenate along another.");
}

Config Concatenate::get_config() const {
  return Config{{"name", name()}, {"axis", options_.axis}};
}

int Concatenate::sample_axis(int rank) const {
  const int full = rank + 1;
  const int axis = options_.axis < 0 ? options_.axis + full : options_.axis;
  if (axis < 1 || axis >= full) {
    throw ShapeError(who() + ": axis " + std::to_string(options_.axis) + " is out of range for inputs of rank " +
                     std::to_string(full) + " (batch included).");
  }
  return axis - 1;
}

Shape Concatenate::output_shape(const Shape&) const {
  needs_list(*this);
}

std::vector<Shape> Concatenate::output_shapes(std::span<const Shape> inputs) const {
  if (inputs.empty()) throw ValueError(who() + ": expects at least 1 input, received none.");
  const int axis = sample_axis(inputs[0].rank());
  int64_t along = 0;
  for (const Shape& s : inputs) {
    if (s.rank() != inputs[0].rank() || s.with_dim(axis, 1) != inputs[0].with_dim(axis, 1)) {
      throw ShapeError(who() + ": inputs with shapes " + shape_list(inputs) +
                       " differ outside the concatenation axis " + std::to_string(options_.axis) +
                       "; all other dimensions must match.");
    }
    along += s[axis];
  }
  return {inputs[0].with_dim(axis, along)};
}

void Concatenate::build_multi(std::span<const Shape> inputs) {
  output_shapes(inputs);
  if (!built()) mark_built({inputs.begin(), inputs.end()});
}

void Concatenate::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                             std::vector<autograd::Variable*>& outputs, bool) {
  if (inputs.empty()) throw ValueError(who() + ": received no inputs.");
  const int axis = sample_axis(inputs[0]->value.rank() - 1) + 1;
  for (auto* v : inputs) {
    const Shape& s = v->value.shape();
    if (s.rank() != inputs[0]->value.rank() || s.with_dim(axis, 1) != inputs[0]->value.shape().with_dim(axis, 1)) {
      throw ShapeError(who() + ": inputs " + inputs[0]->value.shape().str() + " and " + s.str() +
                       " differ outside the concatenation axis.");
    }
  }
  autograd::Variable& y = frame.get<Ops>().op.forward(tape, inputs, axis);
  outputs.clear();
  outputs.push_back(&y);
}

autograd::Variable& Concatenate::forward(CallFrame&, autograd::Tape*, autograd::Variable&, bool) {
  needs_list(*this);
}

Dot::Dot(DotOptions options) : Layer("dot", options.name, {}), options_(std::move(options)) {
  if (options_.axes.empty() || options_.axes.size() > 2) {
    throw ValueError(who() + ": axes must hold one axis (for both inputs) or two, received " +
                     std::to_string(options_.axes.size()) + ".");
  }
  for (int a : options_.axes)
    if (a == 0) throw ValueError(who() + ": axis 0 is the batch axis; it cannot be contracted.");
}

Config Dot::get_config() const {
  Config axes = options_.axes.size() == 1 ? Config(options_.axes[0]) : Config(options_.axes);
  return Config{{"name", name()}, {"axes", axes}, {"normalize", options_.normalize}};
}

std::array<int, 2> Dot::resolved_axes(const Shape& a, const Shape& b) const {
  const int first = options_.axes[0], second = options_.axes.size() == 2 ? options_.axes[1] : options_.axes[0];
  return {first < 0 ? first + a.rank() : first, second < 0 ? second + b.rank() : second};
}

Shape Dot::output_shape(const Shape&) const {
  needs_list(*this);
}

std::vector<Shape> Dot::output_shapes(std::span<const Shape> inputs) const {
  if (inputs.size() != 2) {
    throw ValueError(who() + ": expects exactly 2 inputs, received " + std::to_string(inputs.size()) + ".");
  }
  const Shape a = inputs[0].with_batch(-1), b = inputs[1].with_batch(-1);  // prints as None
  return {autograd::BatchDotOp::output_shape(a, b, resolved_axes(a, b), who()).without_batch()};
}

void Dot::build_multi(std::span<const Shape> inputs) {
  output_shapes(inputs);
  if (!built()) mark_built({inputs.begin(), inputs.end()});
}

void Dot::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                     std::vector<autograd::Variable*>& outputs, bool) {
  if (inputs.size() != 2) {
    throw ValueError(who() + ": expects exactly 2 inputs, received " + std::to_string(inputs.size()) + ".");
  }
  Ops& ops = frame.get<Ops>();
  const auto axes = resolved_axes(inputs[0]->value.shape(), inputs[1]->value.shape());
  autograd::BatchDotOp::output_shape(inputs[0]->value.shape(), inputs[1]->value.shape(), axes, who());
  autograd::Variable* a = inputs[0];
  autograd::Variable* b = inputs[1];
  if (options_.normalize) {
    a = &ops.norm_a.forward(tape, *a, axes[0]);
    b = &ops.norm_b.forward(tape, *b, axes[1]);
  }
  autograd::Variable& y = ops.dot.forward(tape, *a, *b, axes);
  outputs.clear();
  outputs.push_back(&y);
}

autograd::Variable& Dot::forward(CallFrame&, autograd::Tape*, autograd::Variable&, bool) {
  needs_list(*this);
}

}  // namespace soma::layers
