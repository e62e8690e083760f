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

autograd::Variable& Bidirectional::forward(autograd::Tape* tape, autograd::Variable& x, bool training) {
  autograd::Variable& ahead = (*forward_)(tape, x, training);
  autograd::Variable& behind = (*backward_)(tape, x, training);
  autograd::Variable& aligned = forward_->return_sequences() ? reverse_.forward(tape, behind) : behind;
  return merge_.forward(tape, ahead, aligned, mode_);
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

autograd::Variable& TimeDistributed::forward(autograd::Tape* tape, autograd::Variable& x, bool training) {
  const Shape& s = x.value.shape();
  autograd::Variable& folded = fold_.forward(tape, x, s.without_batch().with_dim(0, s[0] * s[1]));
  autograd::Variable& y = (*inner_)(tape, folded, training);
  return unfold_.forward(tape, y, prepend(s[0], y.value.shape().with_dim(0, s[1])));
}

}  // namespace soma::layers
