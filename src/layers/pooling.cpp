#include "soma/layers/pooling.hpp"

#include "layers/window_args.hpp"

namespace soma::layers {

namespace {
std::string rank_message(const std::string& who, const char* expected, const Shape& in) {
  return who + ": expected input of rank " + expected + ", received " + in.with_batch(-1).str() + ".";
}
}  // namespace

namespace {
const char* const kAxes[] = {"", "steps", "height, width", "depth, height, width"};

std::string layout(int rank, bool channels_first) {
  return std::string("(batch, ") +
         (channels_first ? std::string("channels, ") + kAxes[rank] : std::string(kAxes[rank]) + ", channels") + ")";
}

// pool_size and strides: one entry for every axis, or one per axis; right-aligned in (depth, height, width).
std::array<int64_t, 3> window_arg(const std::vector<int64_t>& v, int rank, const std::string& who, const char* arg) {
  if (v.size() != 1 && v.size() != static_cast<size_t>(rank)) {
    throw ValueError(who + ": " + arg + " must have 1" + (rank > 1 ? " or " + std::to_string(rank) : std::string()) +
                     " entries, received " + std::to_string(v.size()) + ".");
  }
  std::array<int64_t, 3> out{1, 1, 1};
  for (int i = 0; i < rank; ++i) {
    const int64_t x = v.size() == 1 ? v[0] : v[static_cast<size_t>(i)];
    if (x < 1) {
      throw ValueError(who + ": " + arg + (rank == 1 ? " must be a positive integer" : " entries must be positive integers") +
                       ", received " + std::to_string(x) + ".");
    }
    out[static_cast<size_t>(3 - rank + i)] = x;
  }
  return out;
}
}  // namespace

std::string Pooling::type() const {
  return std::string(max_ ? "MaxPooling" : "AveragePooling") + std::to_string(rank_) + "D";
}

Pooling::Pooling(const std::string& prefix, PoolingOptions o, int rank, bool max)
    : Layer(prefix, o.name, o.input_shape), options_(std::move(o)), rank_(rank), max_(max) {
  pool_ = window_arg(options_.pool_size, rank_, who(), "pool_size");
  strides_ = options_.strides.empty() ? pool_ : window_arg(options_.strides, rank_, who(), "strides");
  geometry_ = {.kh = pool_[1],
               .kw = pool_[2],
               .sh = strides_[1],
               .sw = strides_[2],
               .same = detail::same_padding(options_.padding, who()),
               .max = max_,
               .channels_first = detail::channels_first(options_.data_format, who()),
               .kd = pool_[0],
               .sd = strides_[0]};
}

Shape Pooling::output_shape(const Shape& in) const {
  const bool cf = geometry_.channels_first;
  if (in.rank() != rank_ + 1) {
    throw ShapeError(rank_message(who(), (std::to_string(rank_ + 2) + " " + layout(rank_, cf)).c_str(), in));
  }
  Shape out;
  for (int i = 0; i < rank_; ++i) {
    const size_t a = static_cast<size_t>(3 - rank_ + i);
    const int64_t o = autograd::PoolOp::output_extent(in[cf ? i + 1 : i], pool_[a], strides_[a], geometry_.same);
    if (o <= 0) {
      std::string size;
      for (int j = 0; j < rank_; ++j) {
        if (j > 0) size.push_back('x');
        size.append(std::to_string(pool_[static_cast<size_t>(3 - rank_ + j)]));
      }
      throw ShapeError(who() + ": pool_size " + size + " is larger than the input " + in.with_batch(-1).str() +
                       " with valid padding.");
    }
    out.push_back(o);
  }
  const int64_t c = cf ? in[0] : in[rank_];
  if (cf) return out.with_batch(c);
  out.push_back(c);
  return out;
}

// A 1-D input: channels_last (N, T, C) is (N, 1, T, C) in nhwc; channels_first (N, C, T) is (N, C, 1, T).
autograd::Variable& Pooling::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  if (rank_ != 1) return ops.op.forward(tape, x, geometry_);
  const Shape& s = x.value.shape();
  const bool cf = geometry_.channels_first;
  const Shape as2d = cf ? Shape{s[0], s[1], 1, s[2]} : Shape{s[0], 1, s[1], s[2]};
  autograd::Variable& y = ops.op.forward(tape, ops.in_view.forward(tape, x, as2d), geometry_);
  const Shape& ys = y.value.shape();
  return ops.out_view.forward(tape, y, cf ? Shape{ys[0], ys[1], ys[3]} : Shape{ys[0], ys[2], ys[3]});
}

std::string GlobalPooling::type() const {
  return std::string(max_ ? "GlobalMaxPooling" : "GlobalAveragePooling") + std::to_string(rank_) + "D";
}

GlobalPooling::GlobalPooling(const std::string& prefix, GlobalPoolingOptions o, int rank, bool max)
    : Layer(prefix, o.name, o.input_shape),
      options_(std::move(o)),
      rank_(rank),
      max_(max),
      channels_first_(detail::channels_first(options_.data_format, who())) {}

Shape GlobalPooling::output_shape(const Shape& in) const {
  if (in.rank() != rank_ + 1) {
    throw ShapeError(
        rank_message(who(), (std::to_string(rank_ + 2) + " " + layout(rank_, channels_first_)).c_str(), in));
  }
  const int64_t c = channels_first_ ? in[0] : in[rank_];
  if (!options_.keepdims) return Shape{c};
  Shape out;
  for (int i = 0; i < rank_; ++i) out.push_back(1);
  if (channels_first_) return out.with_batch(c);
  out.push_back(c);
  return out;
}

autograd::Variable& GlobalPooling::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  const int first = channels_first_ ? 2 : 1;
  const int hi = first + rank_ - 2;
  const autograd::PoolGeometry whole{.kh = s[hi],
                                     .kw = s[hi + 1],
                                     .sh = 1,
                                     .sw = 1,
                                     .same = false,
                                     .max = max_,
                                     .channels_first = channels_first_,
                                     .kd = rank_ == 3 ? s[first] : 1,
                                     .sd = 1};
  return ops.view.forward(tape, ops.op.forward(tape, x, whole), output_shape(s.without_batch()).with_batch(s[0]));
}

GlobalPooling1D::GlobalPooling1D(const std::string& prefix, GlobalPooling1DOptions o, bool max)
    : Layer(prefix, o.name, o.input_shape),
      options_(o),
      max_(max),
      channels_first_(detail::channels_first(o.data_format, who())) {}

Shape GlobalPooling1D::output_shape(const Shape& in) const {
  if (in.rank() != 2) {
    throw ShapeError(rank_message(
        who(), channels_first_ ? "3 (batch, channels, steps)" : "3 (batch, steps, channels)", in));
  }
  const int64_t c = channels_first_ ? in[0] : in[1];
  if (!options_.keepdims) return Shape{c};
  return channels_first_ ? Shape{c, 1} : Shape{1, c};
}

autograd::Variable& GlobalPooling1D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  const Shape out = output_shape(s.without_batch()).with_batch(s[0]);
  if (!max_) return ops.out_view.forward(tape, ops.mean_op.forward(tape, x, x.mask, channels_first_), out);
  const int64_t steps = channels_first_ ? s[2] : s[1];
  const autograd::PoolGeometry whole{
      .kh = 1, .kw = steps, .sh = 1, .sw = 1, .same = false, .max = true, .channels_first = channels_first_};
  const Shape as2d = channels_first_ ? Shape{s[0], s[1], 1, s[2]} : Shape{s[0], 1, s[1], s[2]};
  return ops.out_view.forward(tape, ops.max_op.forward(tape, ops.in_view.forward(tape, x, as2d), whole), out);
}

}  // namespace soma::layers
