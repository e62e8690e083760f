#include "soma/layers/attention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "soma/layers/initializers.hpp"

namespace soma::layers {

MultiHeadAttention::MultiHeadAttention(MultiHeadAttentionOptions o)
    : Layer("multi_head_attention", o.name, {}),
      options_(std::move(o)),
      policy_(options_.dtype.empty() ? mixed_precision::global_policy() : mixed_precision::parse(options_.dtype)) {
  if (options_.num_heads <= 0)
    throw ValueError(fmt::format("{}: num_heads must be a positive integer, received {}.", who(), options_.num_heads));
  if (options_.key_dim <= 0)
    throw ValueError(fmt::format("{}: key_dim must be a positive integer, received {}.", who(), options_.key_dim));
  if (options_.value_dim < 0)
    throw ValueError(fmt::format("{}: value_dim must be a positive integer (0: key_dim), received {}.", who(),
                                 options_.value_dim));
  if (!(options_.dropout >= 0.0f && options_.dropout < 1.0f))
    throw ValueError(fmt::format("{}: dropout must be in [0, 1), received {}.", who(), options_.dropout));
  if (options_.output_shape.size() > 1) {
    throw NotImplementedError(fmt::format("{}: output_shape of more than one dimension ({}) is not supported.", who(),
                                          fmt::join(options_.output_shape, ", ")));
  }
  if (!options_.output_shape.empty() && options_.output_shape[0] <= 0)
    throw ValueError(fmt::format("{}: output_shape must be positive, received {}.", who(), options_.output_shape[0]));
  initializers::check_name(options_.kernel_initializer);
  initializers::check_name(options_.bias_initializer);
  options_.kernel_constraint.check(3, who() + ": kernel_constraint");
  options_.bias_constraint.check(2, who() + ": bias_constraint");
  value_dim_ = options_.value_dim > 0 ? options_.value_dim : options_.key_dim;
  if (options_.seed) generator_.emplace(static_cast<uint64_t>(*options_.seed));
}

std::pair<int, int> MultiHeadAttention::attended(int rank) const {
  if (options_.attention_axes.empty()) return {0, rank - 2};
  std::vector<int> axes;
  for (const int64_t a : options_.attention_axes) {
    const int64_t r = (a < 0 ? a + rank + 1 : a) - 1;  // per sample, 0-based
    if (r < 0 || r > rank - 2) {
      throw ValueError(fmt::format("{}: attention axis {} is out of range for inputs of rank {} (batch included); "
                                   "it must lie between the batch and the feature axes.",
                                   who(), a, rank + 1));
    }
    axes.push_back(static_cast<int>(r));
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i] != axes[i - 1] + 1)
      throw NotImplementedError(fmt::format("{}: attention_axes [{}] are not consecutive.", who(),
                                            fmt::join(options_.attention_axes, ", ")));
  }
  if (axes.back() != rank - 2) {
    throw NotImplementedError(fmt::format("{}: attention_axes [{}] must end at the axis before the features.",
                                          who(), fmt::join(options_.attention_axes, ", ")));
  }
  return {axes.front(), axes.back()};
}

MultiHeadAttention::Roles MultiHeadAttention::roles(size_t n, const CallArguments& a) const {
  Roles r;
  for (const auto& [k, v] : a.values) {
    if (k != "use_causal_mask" && k != "return_attention_scores")
      throw ValueError(fmt::format("{}: unknown call argument \"{}\".", who(), k));
    if (v != "true" && v != "false")
      throw ValueError(fmt::format("{}: call argument \"{}\" must be true or false, received {}.", who(), k, v));
  }
  r.causal = a.flag("use_causal_mask");
  r.scores = a.flag("return_attention_scores");
  if (a.keywords.empty()) {
    if (n < 1 || n > 3)
      throw ValueError(fmt::format("{}: expects query and value (and key), received {} inputs.", who(), n));
    r.query = 0, r.value = n == 1 ? 0 : 1, r.key = n == 3 ? 2 : r.value;
    return r;
  }
  int positional = 0;
  r.query = r.value = r.key = -1;
  for (size_t i = 0; i < a.keywords.size(); ++i) {
    const std::string& k = a.keywords[i];
    const int idx = static_cast<int>(i);
    if (k.empty()) {
      if (positional == 0) r.query = idx;
      else if (positional == 1) r.value = idx;
      else if (positional == 2) r.key = idx;
      else throw ValueError(fmt::format("{}: takes at most 3 positional tensors (query, value, key).", who()));
      ++positional;
    } else if (k == "query") {
      r.query = idx;
    } else if (k == "value") {
      r.value = idx;
    } else if (k == "key") {
      r.key = idx;
    } else if (k == "attention_mask") {
      r.mask = idx;
    } else {
      throw ValueError(fmt::format("{}: unknown tensor argument \"{}\".", who(), k));
    }
  }
  if (r.query < 0 || r.value < 0) throw ValueError(fmt::format("{}: needs a query and a value.", who()));
  if (r.key < 0) r.key = r.value;
  return r;
}

void MultiHeadAttention::check_shapes(std::span<const Shape> in, const Roles& r) const {
  const Shape &q = in[static_cast<size_t>(r.query)], &v = in[static_cast<size_t>(r.value)],
              &k = in[static_cast<size_t>(r.key)];
  if (q.rank() < 2) {
    throw ShapeError(fmt::format("{}: the query must have rank >= 3 (batch, steps, features), received {}.", who(),
                                 q.with_batch(-1).str()));
  }
  if (v.rank() != q.rank() || k.rank() != q.rank()) {
    throw ShapeError(fmt::format("{}: query {}, value {} and key {} must have the same rank.", who(),
                                 q.with_batch(-1).str(), v.with_batch(-1).str(), k.with_batch(-1).str()));
  }
  const auto [first, last] = attended(q.rank());
  for (int a = 0; a < first; ++a) {
    if (v[a] != q[a] || k[a] != q[a])
      throw ShapeError(fmt::format("{}: query {}, value {} and key {} differ on axis {}, which is not attended over.",
                                   who(), q.with_batch(-1).str(), v.with_batch(-1).str(), k.with_batch(-1).str(),
                                   a + 1));
  }
  for (int a = first; a <= last; ++a) {
    if (k[a] != v[a])
      throw ShapeError(fmt::format("{}: key {} and value {} must have the same steps.", who(), k.with_batch(-1).str(),
                                   v.with_batch(-1).str()));
  }
  if (r.mask >= 0) {
    const Shape& m = in[static_cast<size_t>(r.mask)];
    const Shape want = scores_shape(q, v);
    int64_t pairs = 1;
    for (int a = 0; a < want.rank(); ++a)
      if (a != first) pairs *= want[a];  // the scores without the heads
    if (m.numel() != pairs) {
      throw ShapeError(fmt::format("{}: attention_mask {} does not match query {} and value {} (expected {} values "
                                   "per sample: (T, S)).",
                                   who(), m.with_batch(-1).str(), q.with_batch(-1).str(), v.with_batch(-1).str(),
                                   pairs));
    }
  }
  if (built()) {
    if (q[-1] != query_shape_[-1] || v[-1] != value_shape_[-1] || k[-1] != key_shape_[-1]) {
      throw ShapeError(fmt::format("{}: was built for query, value, key features {}, {}, {}; received {}, {}, {}.",
                                   who(), query_shape_[-1], value_shape_[-1], key_shape_[-1], q[-1], v[-1], k[-1]));
    }
  }
}

Shape MultiHeadAttention::scores_shape(const Shape& q, const Shape& v) const {
  const auto [first, last] = attended(q.rank());
  std::vector<int64_t> dims;
  for (int a = 0; a < first; ++a) dims.push_back(q[a]);
  dims.push_back(options_.num_heads);
  for (int a = first; a <= last; ++a) dims.push_back(q[a]);
  for (int a = first; a <= last; ++a) dims.push_back(v[a]);
  return Shape(dims);
}

void MultiHeadAttention::build_for(const Shape& q, const Shape& v, const Shape& k) {
  const int64_t h = options_.num_heads, dk = options_.key_dim, dv = value_dim_;
  output_dim_ = options_.output_shape.empty() ? q[-1] : options_.output_shape[0];
  auto dense = [&](const char* name, int64_t in, int64_t heads_dim, autograd::Variable*& kernel,
                   autograd::Variable*& bias) {
    kernel = &add_weight(std::string(name) + "/kernel", Shape{in, h, heads_dim}, options_.kernel_initializer);
    regularize(*kernel, options_.kernel_regularizer);
    constrain(*kernel, options_.kernel_constraint, "kernel_constraint");
    if (options_.use_bias) {
      bias = &add_weight(std::string(name) + "/bias", Shape{h, heads_dim}, options_.bias_initializer);
      regularize(*bias, options_.bias_regularizer);
      constrain(*bias, options_.bias_constraint, "bias_constraint");
    }
  };
  // Keras' order: query, key, value, attention_output.
  dense("query", q[-1], dk, query_kernel_, query_bias_);
  dense("key", k[-1], dk, key_kernel_, key_bias_);
  dense("value", v[-1], dv, value_kernel_, value_bias_);
  output_kernel_ = &add_weight("attention_output/kernel", Shape{h, dv, output_dim_}, options_.kernel_initializer);
  regularize(*output_kernel_, options_.kernel_regularizer);
  constrain(*output_kernel_, options_.kernel_constraint, "kernel_constraint");
  if (options_.use_bias) {
    output_bias_ = &add_weight("attention_output/bias", Shape{output_dim_}, options_.bias_initializer);
    regularize(*output_bias_, options_.bias_regularizer);
  }
  query_shape_ = q, value_shape_ = v, key_shape_ = k;
}

Shape MultiHeadAttention::output_shape(const Shape& input_shape) const {
  const Shape one[] = {input_shape};
  return node_output_shapes(one, CallArguments{}).at(0);
}

std::vector<Shape> MultiHeadAttention::node_output_shapes(std::span<const Shape> in, const CallArguments& a) const {
  const Roles r = roles(in.size(), a);
  check_shapes(in, r);
  const Shape& q = in[static_cast<size_t>(r.query)];
  const int64_t out = options_.output_shape.empty() ? q[-1] : options_.output_shape[0];
  std::vector<Shape> shapes{q.with_dim(-1, out)};
  if (r.scores) shapes.push_back(scores_shape(q, in[static_cast<size_t>(r.value)]));
  return shapes;
}

std::vector<Shape> MultiHeadAttention::output_shapes(std::span<const Shape> in) const {
  return node_output_shapes(in, CallArguments{});
}

void MultiHeadAttention::build_node(std::span<const Shape> in, const CallArguments& a) {
  const Roles r = roles(in.size(), a);
  check_shapes(in, r);
  if (built()) return;
  build_for(in[static_cast<size_t>(r.query)], in[static_cast<size_t>(r.value)], in[static_cast<size_t>(r.key)]);
  mark_built({in.begin(), in.end()});
}

void MultiHeadAttention::build_multi(std::span<const Shape> in) {
  build_node(in, CallArguments{});
}

void MultiHeadAttention::build_weights(const Shape& x) {
  const Shape three[] = {x, x, x};
  check_shapes(three, Roles{.query = 0, .value = 1, .key = 2});
  build_for(x, x, x);
}

std::vector<autograd::Variable*>& MultiHeadAttention::run(CallFrame& frame, autograd::Tape* tape,
                                                          std::span<autograd::Variable* const> in, bool training,
                                                          const Roles& r) {
  if (!built()) throw StateError(who() + ": called before it was built.");
  autograd::Variable &q = *in[static_cast<size_t>(r.query)], &v = *in[static_cast<size_t>(r.value)],
                     &k = *in[static_cast<size_t>(r.key)];
  const Shape &qs = q.value.shape(), &vs = v.value.shape(), &ks = k.value.shape();
  if (qs.rank() != query_shape_.rank() + 1 || vs.rank() != qs.rank() || ks.rank() != qs.rank() || vs[0] != qs[0] ||
      ks[0] != qs[0]) {
    throw ShapeError(fmt::format("{}: received query {}, value {}, key {}; expected batches of rank {} with one "
                                 "batch size.",
                                 who(), qs.str(), vs.str(), ks.str(), query_shape_.rank() + 1));
  }
  {
    const Shape per[] = {qs.without_batch(), vs.without_batch(), ks.without_batch()};
    check_shapes(per, Roles{.query = 0, .value = 1, .key = 2});
  }
  Ops& ops = frame.get<Ops>();
  const bool bf16 = policy_ == mixed_precision::Policy::mixed_bfloat16;
  autograd::Variable& qp = ops.query.forward(tape, q, *query_kernel_, query_bias_, false, bf16);
  autograd::Variable& kp = ops.key.forward(tape, k, *key_kernel_, key_bias_, false, bf16);
  autograd::Variable& vp = ops.value.forward(tape, v, *value_kernel_, value_bias_, false, bf16);

  const auto [first, last] = attended(qs.rank() - 1);
  int64_t t = 1, s = 1;
  for (int a = first; a <= last; ++a) t *= qs[a + 1], s *= vs[a + 1];
  autograd::AttentionMasks m;
  // Sequence masks (batch, steps) apply to (batch, steps, features) inputs.
  const bool sequences = qs.rank() == 3;
  if (sequences && q.mask.defined()) m.query = &q.mask;
  if (sequences && v.mask.defined()) m.value = &v.mask;
  if (sequences && k.mask.defined() && &k != &v) m.key = &k.mask;
  if (r.mask >= 0) {
    const autograd::Variable& mask = *in[static_cast<size_t>(r.mask)];
    if (mask.value.shape()[0] != qs[0])
      throw ShapeError(fmt::format("{}: attention_mask {} has another batch size than the query {}.", who(),
                                   mask.value.shape().str(), qs.str()));
    m.attention = &mask.value;
  }
  m.causal = r.causal;
  autograd::AttentionParams p{.heads = options_.num_heads,
                              .key_dim = options_.key_dim,
                              .value_dim = value_dim_,
                              .queries = t,
                              .keys = s,
                              .scale = 1.0f / std::sqrt(static_cast<float>(options_.key_dim)),
                              .dropout = options_.dropout,
                              .training = training,
                              .generator = generator_ ? &*generator_ : nullptr,
                              .scores_shape = scores_shape(qs.without_batch(), vs.without_batch()).with_batch(qs[0])};
  autograd::Variable& att = ops.attention.forward(tape, qp, kp, vp, m, p);
  autograd::Variable& y = ops.output.forward(tape, att, *output_kernel_, output_bias_, false, bf16,
                                             options_.num_heads * value_dim_);
  y.mask = q.mask;
  autograd::Variable* result = &y;
  if (options_.activity_regularizer.active()) result = &frame.activity().forward(tape, y, options_.activity_regularizer);
  ops.outs.clear();
  ops.outs.push_back(result);
  if (r.scores) ops.outs.push_back(&ops.attention.scores);
  return ops.outs;
}

void MultiHeadAttention::call_node(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> in,
                                   std::vector<autograd::Variable*>& outputs, bool training,
                                   const CallArguments& a) {
  const auto& outs = run(frame, tape, in, training, roles(in.size(), a));
  outputs.assign(outs.begin(), outs.end());
}

void MultiHeadAttention::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> in,
                                    std::vector<autograd::Variable*>& outputs, bool training) {
  call_node(frame, tape, in, outputs, training, CallArguments{});
}

autograd::Variable& MultiHeadAttention::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                                bool training) {
  autograd::Variable* one[] = {&x};
  return *run(frame, tape, one, training, Roles{.query = 0, .value = 0, .key = 0}).front();
}

// Calling on symbolic tensors: query and value positional, the rest as Keras' keywords.
std::pair<KerasTensor, KerasTensor> MultiHeadAttention::connect_call(std::shared_ptr<Layer> self,
                                                                     const KerasTensor& query,
                                                                     const KerasTensor& value,
                                                                     const AttentionCall& call) {
  CallArguments a;
  std::vector<KerasTensor> inputs{query, value};
  a.keywords = {"", ""};
  if (call.key.defined()) inputs.push_back(call.key), a.keywords.push_back("key");
  if (call.attention_mask.defined()) inputs.push_back(call.attention_mask), a.keywords.push_back("attention_mask");
  if (call.use_causal_mask) a.set("use_causal_mask", "true");
  if (call.return_attention_scores) a.set("return_attention_scores", "true");
  auto outs = graph::connect(std::move(self), std::move(inputs), std::move(a));
  return {outs.at(0), outs.size() > 1 ? outs[1] : KerasTensor()};
}

KerasTensor MultiHeadAttention::operator()(const KerasTensor& query, const KerasTensor& value, AttentionCall call) && {
  call.return_attention_scores = false;
  return connect_call(std::move(*this).move_to_shared(), query, value, call).first;
}

KerasTensor MultiHeadAttention::operator()(const KerasTensor& query, const KerasTensor& value, AttentionCall call) & {
  call.return_attention_scores = false;
  return connect_call(self_in_graph(), query, value, call).first;
}

std::pair<KerasTensor, KerasTensor> MultiHeadAttention::attention_outputs(const KerasTensor& query,
                                                                          const KerasTensor& value,
                                                                          AttentionCall call) & {
  call.return_attention_scores = true;
  return connect_call(self_in_graph(), query, value, call);
}

}  // namespace soma::layers
