#include "soma/layers/attention_layers.hpp"

#include <fmt/format.h>

namespace soma::layers {

BaseAttention::BaseAttention(const std::string& default_name, const std::string& name, float dropout,
                             std::optional<int64_t> seed)
    : Layer(default_name, name, {}), dropout_(dropout) {
  if (seed) generator_.emplace(static_cast<uint64_t>(*seed));
}

void BaseAttention::check_common() const {
  if (!(dropout_ >= 0.0f && dropout_ < 1.0f))
    throw ValueError(fmt::format("{}: dropout must be in [0, 1), received {}.", who(), dropout_));
}

Attention::Attention(AttentionOptions o)
    : BaseAttention("attention", o.name, o.dropout, o.seed), options_(std::move(o)) {
  check_common();
  if (options_.score_mode != "dot" && options_.score_mode != "concat")
    throw ValueError(fmt::format("{}: score_mode must be \"dot\" or \"concat\", received \"{}\".", who(),
                                 options_.score_mode));
}

void Attention::create_weights(int64_t) {
  // Keras' order: scale, then concat_score_weight; both scalars starting at 1.
  if (options_.use_scale) scale_ = &add_weight("scale", Shape{}, "ones");
  if (options_.score_mode == "concat") concat_weight_ = &add_weight("concat_score_weight", Shape{}, "ones");
}

AdditiveAttention::AdditiveAttention(AdditiveAttentionOptions o)
    : BaseAttention("additive_attention", o.name, o.dropout, o.seed), options_(std::move(o)) {
  check_common();
}

void AdditiveAttention::create_weights(int64_t dim) {
  if (options_.use_scale) scale_ = &add_weight("scale", Shape{dim}, "glorot_uniform");
}

BaseAttention::Flags BaseAttention::flags(const CallArguments& a) const {
  for (const auto& k : a.keywords)
    if (!k.empty())
      throw ValueError(fmt::format("{}: takes its tensors as one list [query, value, key]; received the keyword "
                                   "argument \"{}\".",
                                   who(), k));
  for (const auto& [k, v] : a.values) {
    if (k != "use_causal_mask" && k != "return_attention_scores")
      throw ValueError(fmt::format("{}: unknown call argument \"{}\".", who(), k));
    if (v != "true" && v != "false")
      throw ValueError(fmt::format("{}: call argument \"{}\" must be true or false, received {}.", who(), k, v));
  }
  return {.causal = a.flag("use_causal_mask"), .scores = a.flag("return_attention_scores")};
}

void BaseAttention::check_shapes(std::span<const Shape> in) const {
  if (in.size() < 2 || in.size() > 3)
    throw ValueError(fmt::format("{}: expects a list [query, value] or [query, value, key], received {} tensors.",
                                 who(), in.size()));
  const Shape &q = in[0], &v = in[1], &k = in.size() == 3 ? in[2] : in[1];
  if (q.rank() != 2 || v.rank() != 2 || k.rank() != 2) {
    throw ShapeError(fmt::format("{}: query, value and key must be (batch, steps, features), received {}, {}, {}.",
                                 who(), q.with_batch(-1).str(), v.with_batch(-1).str(), k.with_batch(-1).str()));
  }
  if (k[0] != v[0])
    throw ShapeError(fmt::format("{}: key {} and value {} must have the same steps.", who(), k.with_batch(-1).str(),
                                 v.with_batch(-1).str()));
  if (q[1] != k[1]) {
    throw ShapeError(fmt::format("{}: query {} and key {} must have the same features (the value's may differ).",
                                 who(), q.with_batch(-1).str(), k.with_batch(-1).str()));
  }
  if (built() && q[1] != input_shapes().front()[1])
    throw ShapeError(fmt::format("{}: was built for {} query features; received {}.", who(),
                                 input_shapes().front()[1], q[1]));
}

std::vector<Shape> BaseAttention::node_output_shapes(std::span<const Shape> in, const CallArguments& a) const {
  const Flags f = flags(a);
  check_shapes(in);
  std::vector<Shape> shapes{Shape{in[0][0], in[1][1]}};
  if (f.scores) shapes.push_back(Shape{in[0][0], in[1][0]});
  return shapes;
}

std::vector<Shape> BaseAttention::output_shapes(std::span<const Shape> in) const {
  return node_output_shapes(in, CallArguments{});
}

Shape BaseAttention::output_shape(const Shape& x) const {
  const Shape two[] = {x, x};
  return output_shapes(two).at(0);
}

void BaseAttention::build_node(std::span<const Shape> in, const CallArguments& a) {
  flags(a);
  check_shapes(in);
  if (built()) return;
  create_weights(in[0][1]);
  mark_built({in.begin(), in.end()});
}

void BaseAttention::build_multi(std::span<const Shape> in) {
  build_node(in, CallArguments{});
}

void BaseAttention::build_weights(const Shape& x) {
  const Shape two[] = {x, x};
  check_shapes(two);
  create_weights(x[1]);
}

std::vector<autograd::Variable*>& BaseAttention::run(CallFrame& frame, autograd::Tape* tape,
                                                     std::span<autograd::Variable* const> in, bool training,
                                                     Flags f) {
  if (!built()) throw StateError(who() + ": called before it was built.");
  autograd::Variable &q = *in[0], &v = *in[1], &k = in.size() == 3 ? *in[2] : *in[1];
  const Shape &qs = q.value.shape(), &vs = v.value.shape(), &ks = k.value.shape();
  if (qs.rank() != 3 || vs.rank() != 3 || ks.rank() != 3 || vs[0] != qs[0] || ks[0] != qs[0]) {
    throw ShapeError(fmt::format("{}: received query {}, value {}, key {}; expected (batch, steps, features) with "
                                 "one batch size.",
                                 who(), qs.str(), vs.str(), ks.str()));
  }
  {
    const Shape per[] = {qs.without_batch(), vs.without_batch(), ks.without_batch()};
    check_shapes(per);
  }
  Ops& ops = frame.get<Ops>();
  autograd::AttentionMasks m;
  if (v.mask.defined()) m.value = &v.mask;
  if (q.mask.defined()) m.output = &q.mask;
  m.causal = f.causal;
  autograd::AttentionParams p{.heads = 1,
                              .key_dim = qs[2],
                              .value_dim = vs[2],
                              .queries = qs[1],
                              .keys = vs[1],
                              .scale = 1.0f,
                              .learned_scale = dot_scale(),
                              .dropout = dropout_,
                              .training = training,
                              .generator = generator_ ? &*generator_ : nullptr,
                              .scores_shape = Shape{qs[0], qs[1], vs[1]}};
  autograd::Variable* y = nullptr;
  if (additive()) {
    autograd::Variable& logits = ops.scores.forward(tape, q, k, additive_weights());
    y = &ops.attention.forward_logits(tape, logits, v, m, p);
  } else {
    y = &ops.attention.forward(tape, q, k, v, m, p);
  }
  y->mask = q.mask;
  ops.outs.clear();
  ops.outs.push_back(y);
  if (f.scores) ops.outs.push_back(&ops.attention.scores);
  return ops.outs;
}

void BaseAttention::call_node(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> in,
                              std::vector<autograd::Variable*>& outputs, bool training, const CallArguments& a) {
  const auto& outs = run(frame, tape, in, training, flags(a));
  outputs.assign(outs.begin(), outs.end());
}

void BaseAttention::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> in,
                               std::vector<autograd::Variable*>& outputs, bool training) {
  call_node(frame, tape, in, outputs, training, CallArguments{});
}

// One tensor: self-attention, as Attention()([x, x]).
autograd::Variable& BaseAttention::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                           bool training) {
  autograd::Variable* two[] = {&x, &x};
  return *run(frame, tape, two, training, Flags{}).front();
}

std::pair<KerasTensor, KerasTensor> BaseAttention::connect_call(std::shared_ptr<Layer> self,
                                                                const std::vector<KerasTensor>& inputs,
                                                                const AttentionLayerCall& call) {
  CallArguments a;
  if (call.use_causal_mask) a.set("use_causal_mask", "true");
  if (call.return_attention_scores) a.set("return_attention_scores", "true");
  auto outs = graph::connect(std::move(self), inputs, std::move(a));
  return {outs.at(0), outs.size() > 1 ? outs[1] : KerasTensor()};
}

KerasTensor BaseAttention::operator()(const std::vector<KerasTensor>& inputs, AttentionLayerCall call) && {
  call.return_attention_scores = false;
  return connect_call(std::move(*this).move_to_shared(), inputs, call).first;
}

KerasTensor BaseAttention::operator()(const std::vector<KerasTensor>& inputs, AttentionLayerCall call) & {
  call.return_attention_scores = false;
  return connect_call(self_in_graph(), inputs, call).first;
}

std::pair<KerasTensor, KerasTensor> BaseAttention::attention_outputs(const std::vector<KerasTensor>& inputs,
                                                                     AttentionLayerCall call) & {
  call.return_attention_scores = true;
  return connect_call(self_in_graph(), inputs, call);
}

}  // namespace soma::layers
