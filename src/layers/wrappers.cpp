#include "soma/layers/wrappers.hpp"

namespace soma::layers {

namespace {
autograd::MergeMode merge_mode(const std::string& m) {
  if (m == "concat") return autograd::MergeMode::concat;
  if (m == "sum") return autograd::MergeMode::sum;
  if (m == "mul") return autograd::MergeMode::mul;
  if (m == "ave") return autograd::MergeMode::ave;
  throw ValueError("Bidirectional: merge_mode must be concat, sum, mul or ave, received \"" + m + "\".");
}

std::vector<int64_t> declared(const Layer& inner) {
  return inner.declared_input_shape() ? inner.declared_input_shape()->to_vector() : std::vector<int64_t>{};
}

// (steps, rest...) with the steps replaced by the batch: a Shape built from dims.
Shape prepend(int64_t first, const Shape& rest) {
  std::vector<int64_t> dims{first};
  for (int64_t d : rest.dims()) dims.push_back(d);
  return Shape(dims);
}
}  // namespace

Bidirectional::Bidirectional(std::unique_ptr<Recurrent> layer, BidirectionalOptions o)
    : Layer("bidirectional", o.name, declared(*layer)),
      options_(o),
      forward_(std::move(layer)),
      mode_(merge_mode(o.merge_mode)) {
  backward_ = forward_->reversed("backward_" + forward_->name());
  track(*forward_);
  track(*backward_);
}

Shape Bidirectional::output_shape(const Shape& in) const {
  const Shape one = forward_->output_shape(in);
  return mode_ == autograd::MergeMode::concat ? one.with_dim(-1, 2 * one[-1]) : one;
}

void Bidirectional::build_weights(const Shape& in) {
  forward_->build(in);
  backward_->build(in);
}

autograd::Variable& Bidirectional::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                           bool training) {
  return *call(frame, tape, x, {}, training)[0];
}

void Bidirectional::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                              std::vector<autograd::Variable*>& outputs, bool training) {
  if (inputs.empty()) throw ValueError(who() + ": expects the sequence and optionally initial states.");
  outputs = call(frame, tape, *inputs[0], std::vector<autograd::Variable*>(inputs.begin() + 1, inputs.end()),
                 training);
}

std::vector<Shape> Bidirectional::output_shapes(std::span<const Shape> inputs) const {
  const auto k = static_cast<size_t>(forward_->state_count());
  if (inputs.empty() || (inputs.size() != 1 && inputs.size() != 1 + 2 * k)) {
    throw ValueError(who() + ": expects the sequence and optionally " + std::to_string(2 * k) +
                     " initial states (the forward layer's, then the backward layer's), received " +
                     std::to_string(inputs.size()) + " inputs.");
  }
  std::vector<Shape> out{output_shape(inputs[0])};
  const std::vector<Shape> ahead = forward_->output_shapes(inputs.first(inputs.size() == 1 ? 1 : 1 + k));
  for (size_t i = 1; i < ahead.size(); ++i) out.push_back(ahead[i]);
  for (size_t i = 1; i < ahead.size(); ++i) out.push_back(ahead[i]);
  return out;
}

void Bidirectional::build_multi(std::span<const Shape> inputs) {
  output_shapes(inputs);
  build(inputs[0]);
}

std::vector<autograd::Variable*> Bidirectional::call(CallFrame& frame, autograd::Tape* tape,
                                                     autograd::Variable& x,
                                                     const std::vector<autograd::Variable*>& initial_state,
                                                     bool training) {
  Ops& ops = frame.get<Ops>();
  check_input(x);
  const auto k = static_cast<size_t>(forward_->state_count());
  if (!initial_state.empty() && initial_state.size() != 2 * k) {
    throw ValueError(who() + ": initial_state must hold " + std::to_string(2 * k) +
                     " tensors (the forward layer's states, then the backward layer's), received " +
                     std::to_string(initial_state.size()) + ".");
  }
  const bool given = !initial_state.empty();
  const std::vector<autograd::Variable*> ahead_states =
      given ? std::vector(initial_state.begin(), initial_state.begin() + static_cast<std::ptrdiff_t>(k))
            : std::vector<autograd::Variable*>{};
  const std::vector<autograd::Variable*> behind_states =
      given ? std::vector(initial_state.begin() + static_cast<std::ptrdiff_t>(k), initial_state.end())
            : std::vector<autograd::Variable*>{};
  const auto ahead = forward_->call(frame.child(0), tape, x, ahead_states, training);
  const auto behind = backward_->call(frame.child(1), tape, x, behind_states, training);
  autograd::Variable& aligned =
      forward_->return_sequences() ? ops.reverse.forward(tape, *behind[0]) : *behind[0];
  std::vector<autograd::Variable*> outs{&ops.merge.forward(tape, *ahead[0], aligned, mode_)};
  outs.insert(outs.end(), ahead.begin() + 1, ahead.end());
  outs.insert(outs.end(), behind.begin() + 1, behind.end());
  return outs;
}

TimeDistributed::TimeDistributed(std::unique_ptr<Layer> layer, TimeDistributedOptions o)
    : Layer("time_distributed", o.name, {}), options_(o), inner_(std::move(layer)) {
  track(*inner_);
}

Shape TimeDistributed::output_shape(const Shape& in) const {
  if (in.rank() < 2) {
    throw ShapeError(who() + ": expected input of rank >= 3 (batch, steps, ...), received " +
                     in.with_batch(-1).str() + ".");
  }
  return prepend(in[0], inner_->output_shape(in.without_batch()));
}

void TimeDistributed::build_weights(const Shape& in) {
  inner_->build(in.without_batch());
}

autograd::Variable& TimeDistributed::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  autograd::Variable& folded = ops.fold.forward(tape, x, s.without_batch().with_dim(0, s[0] * s[1]));
  autograd::Variable& y = inner_->call(frame.child(0), tape, folded, training);
  return ops.unfold.forward(tape, y, prepend(s[0], y.value.shape().with_dim(0, s[1])));
}

}  // namespace soma::layers
