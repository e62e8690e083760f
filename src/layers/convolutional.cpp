#include "soma/layers/convolutional.hpp"

#include "layers/window_args.hpp"
#include "soma/layers/initializers.hpp"

namespace soma::layers {

namespace {
bool uses_bf16(const std::string& dtype) {
  const auto policy = dtype.empty() ? mixed_precision::global_policy() : mixed_precision::parse(dtype);
  return policy == mixed_precision::Policy::mixed_bfloat16;
}

// Keras' "an integer or a tuple of `rank` integers", right-aligned in (depth, height, width) after
// `fill` (1; -1, None, for output_padding, which may also be empty: None on every axis).
std::array<int64_t, 3> spatial_arg(const std::vector<int64_t>& v, int rank, const std::string& who,
                                   const char* arg, int64_t minimum = 1, int64_t fill = 1) {
  std::array<int64_t, 3> out{fill, fill, fill};
  if (v.empty() && fill < 0) return out;
  if (v.size() != 1 && v.size() != static_cast<size_t>(rank)) {
    throw ValueError(who + ": " + arg + " must have 1 or " + std::to_string(rank) + " entries, received " +
                     std::to_string(v.size()) + ".");
  }
  for (int i = 0; i < rank; ++i) {
    const int64_t x = v.size() == 1 ? v[0] : v[i];
    if (x < minimum) {
      throw ValueError(who + ": " + arg + " entries must be " +
                       (minimum == 1 ? std::string("positive integers") : "integers >= " + std::to_string(minimum)) +
                       ", received " + std::to_string(x) + ".");
    }
    out[3 - rank + i] = x;
  }
  return out;
}

bool any_above_one(const std::array<int64_t, 3>& a) { return a[0] > 1 || a[1] > 1 || a[2] > 1; }
}  // namespace

BaseConv::BaseConv(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape,
                   int rank, Kind kind)
    : Layer(prefix, name, input_shape), rank_(rank), kind_(kind) {}

void BaseConv::resolve(const Arguments& a) {
  const std::string who = this->who();
  if (kind_ != Kind::depthwise && a.filters <= 0) {
    throw ValueError(who + ": filters must be a positive integer, received " + std::to_string(a.filters) + ".");
  }
  if ((kind_ == Kind::depthwise || kind_ == Kind::separable) && a.depth_multiplier <= 0) {
    throw ValueError(who + ": depth_multiplier must be a positive integer, received " +
                     std::to_string(a.depth_multiplier) + ".");
  }
  if (a.groups <= 0 || (a.filters > 0 && a.filters % a.groups != 0)) {
    throw ValueError(who + ": filters must be divisible by groups, received filters=" +
                     std::to_string(a.filters) + ", groups=" + std::to_string(a.groups) + ".");
  }
  filters_ = a.filters;
  groups_ = a.groups;
  depth_multiplier_ = a.depth_multiplier;
  ksize_ = spatial_arg(a.kernel_size, rank_, who, "kernel_size");
  strides_ = spatial_arg(a.strides, rank_, who, "strides");
  dilation_ = spatial_arg(a.dilation_rate, rank_, who, "dilation_rate");
  if (kind_ != Kind::transposed && any_above_one(strides_) && any_above_one(dilation_)) {
    throw ValueError(who + ": strides > 1 cannot be combined with dilation_rate > 1.");
  }
  causal_ = a.padding == "causal";
  if (causal_ && (rank_ != 1 || kind_ == Kind::transposed))
    throw ValueError(who + ": padding \"causal\" is for 1-D convolutions (Conv1D, DepthwiseConv1D, SeparableConv1D) "
                     "only.");
  same_ = !causal_ && detail::same_padding(a.padding, who);
  channels_first_ = detail::channels_first(a.data_format, who);
  if (kind_ == Kind::transposed) {
    output_padding_ = spatial_arg(a.output_padding, rank_, who, "output_padding", 0, -1);
    for (int i = 3 - rank_; i < 3; ++i) {
      if (output_padding_[i] >= strides_[i]) {
        throw ValueError(who + ": output_padding must be smaller than strides along each axis, received "
                         "output_padding " + std::to_string(output_padding_[i]) + " for a stride of " +
                         std::to_string(strides_[i]) + ".");
      }
    }
  }
  activation_ = activations::get(a.activation);
  bf16_ = uses_bf16(a.dtype);
  a.kernel_constraint.check(rank_ + 2, who + ": kernel_constraint");
  a.bias_constraint.check(1, who + ": bias_constraint");
}

int64_t BaseConv::input_channels(const Shape& in) const {
  const int64_t c = channels_first_ ? in[0] : in[in.rank() - 1];
  if (kind_ == Kind::conv && c % groups_ != 0) {
    throw ValueError(who() + ": the number of input channels must be divisible by groups, received groups=" +
                     std::to_string(groups_) + " for an input of " + std::to_string(c) + " channels.");
  }
  return c;
}

Shape BaseConv::kernel_shape(int64_t a, int64_t b) const {
  Shape dims;
  for (size_t i = static_cast<size_t>(3 - rank_); i < 3; ++i) dims.push_back(ksize_[i]);
  dims.push_back(a);
  dims.push_back(b);
  return dims;
}

Shape BaseConv::output_shape(const Shape& in) const {
  if (in.rank() != rank_ + 1) {
    static const char* const axes[] = {"", "steps", "height, width", "depth, height, width"};
    throw ShapeError(who() + ": expected input of rank " + std::to_string(rank_ + 2) + " (batch, " +
                     (channels_first_ ? std::string("channels, ") + axes[rank_] : std::string(axes[rank_]) + ", channels") +
                     "), received " + in.with_batch(-1).str() + ".");
  }
  const int64_t c = input_channels(in);
  Shape out;
  for (int i = 0; i < rank_; ++i) {
    const int axis = 3 - rank_ + i;
    const int64_t extent = in[channels_first_ ? i + 1 : i];
    const int64_t o = kind_ == Kind::transposed
                          ? autograd::ConvOp::transposed_extent(extent, ksize_[axis], strides_[axis],
                                                                dilation_[axis], same_, output_padding_[axis])
                          : autograd::ConvOp::output_extent(extent, ksize_[axis], strides_[axis],
                                                            dilation_[axis], same_ || causal_);
    if (o <= 0) {
      std::string size;
      for (int j = 3 - rank_; j < 3; ++j) {
        if (j > 3 - rank_) size.push_back('x');
        size.append(std::to_string(ksize_[static_cast<size_t>(j)]));
      }
      throw ShapeError(who() + ": kernel_size " + size + " is larger than the input " + in.with_batch(-1).str() +
                       " with valid padding; use padding \"same\" or a smaller kernel.");
    }
    out.push_back(o);
  }
  const int64_t channels = kind_ == Kind::depthwise ? c * depth_multiplier_ : filters_;
  if (channels_first_) return out.with_batch(channels);
  out.push_back(channels);
  return out;
}

autograd::Variable& BaseConv::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  // channels_first moves the channels last; a 1-D input (N, T, C) is viewed as (N, 1, T, C).
  autograd::Variable* h = channels_first_ ? &ops.to_last.forward(tape, x, true) : &x;
  if (rank_ == 1) {
    const Shape& s = h->value.shape();
    h = &ops.x_view.forward(tape, *h, Shape{s[0], 1, s[1], s[2]});
  }
  const int64_t c = h->value.shape()[h->value.shape().rank() - 1];
  autograd::ConvGeometry g{.sh = strides_[1],
                           .sw = strides_[2],
                           .dh = dilation_[1],
                           .dw = dilation_[2],
                           .same = same_,
                           .causal = causal_,
                           .sd = strides_[0],
                           .dd = dilation_[0],
                           .groups = kind_ == Kind::conv ? groups_ : kind_ == Kind::transposed ? 1 : c,
                           .transposed = kind_ == Kind::transposed,
                           .output_padding = output_padding_};
  // The op's kernel: the spatial kernel over two axes (at least 2 spatial), (in / groups, out) or, for a
  // transposed convolution, (out, in). Keras' depthwise (k, C, M) is the grouped (k, 1, C * M).
  const auto op_kernel = [&](int64_t a, int64_t b) {
    Shape d;
    for (size_t i = rank_ == 3 ? 0 : 1; i < 3; ++i) d.push_back(ksize_[i]);
    d.push_back(a);
    d.push_back(b);
    return d;
  };
  const Shape& ks = kernel_->value.shape();
  const int64_t kin = ks[ks.rank() - 2], kout = ks[ks.rank() - 1];
  const bool depthwise = kind_ == Kind::depthwise || kind_ == Kind::separable;
  const Shape want = depthwise ? op_kernel(1, kin * kout) : op_kernel(kin, kout);
  autograd::Variable& k = want == ks ? *kernel_ : ops.kernel_view.forward(tape, *kernel_, want);
  const bool fuse = activation_.kind == activations::Kind::relu;
  if (kind_ == Kind::separable) {
    autograd::Variable& d = ops.conv.forward(tape, *h, k, nullptr, g, false, bf16_);
    const Shape& ps = pointwise_->value.shape();
    const Shape pwant{1, 1, ps[ps.rank() - 2], ps[ps.rank() - 1]};  // separable layers are 1-D or 2-D
    autograd::Variable& p = pwant == ps ? *pointwise_ : ops.pointwise_view.forward(tape, *pointwise_, pwant);
    h = &ops.pointwise.forward(tape, d, p, bias_, autograd::ConvGeometry{}, fuse, bf16_);
  } else {
    h = &ops.conv.forward(tape, *h, k, bias_, g, fuse, bf16_);
  }
  if (rank_ == 1) {
    const Shape& s = h->value.shape();
    h = &ops.out_view.forward(tape, *h, Shape{s[0], s[2], s[3]});
  }
  if (channels_first_) h = &ops.to_first.forward(tape, *h, false);
  return fuse ? *h : ops.act.forward(tape, *h, activation_);
}

// ---- the four families ----

Conv::Conv(const std::string& prefix, ConvOptions options, int rank)
    : BaseConv(prefix, options.name, options.input_shape, rank, Kind::conv), options_(std::move(options)) {}

void Conv::resolve_options() {
  const auto& o = options_;
  static const std::vector<int64_t> none;
  resolve({o.kernel_size, o.strides, o.dilation_rate, none, o.padding, o.data_format, o.activation, o.dtype,
           o.filters, o.groups, 1, o.kernel_constraint, o.bias_constraint});
  initializers::check_name(o.kernel_initializer);
  initializers::check_name(o.bias_initializer);
  set_activity_regularizer(o.activity_regularizer);
}

void Conv::build_weights(const Shape& in) {
  output_shape(in);
  const int64_t c = input_channels(in);
  kernel_ = &add_weight("kernel", kernel_shape(c / options_.groups, options_.filters), options_.kernel_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{options_.filters}, options_.bias_initializer);
  regularize(*kernel_, options_.kernel_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.kernel_constraint, "kernel_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

ConvTranspose::ConvTranspose(const std::string& prefix, ConvTransposeOptions options, int rank)
    : BaseConv(prefix, options.name, options.input_shape, rank, Kind::transposed), options_(std::move(options)) {}

void ConvTranspose::resolve_options() {
  const auto& o = options_;
  resolve({o.kernel_size, o.strides, o.dilation_rate, o.output_padding, o.padding, o.data_format, o.activation,
           o.dtype, o.filters, 1, 1, o.kernel_constraint, o.bias_constraint});
  initializers::check_name(o.kernel_initializer);
  initializers::check_name(o.bias_initializer);
  set_activity_regularizer(o.activity_regularizer);
}

void ConvTranspose::build_weights(const Shape& in) {
  output_shape(in);
  kernel_ = &add_weight("kernel", kernel_shape(options_.filters, input_channels(in)), options_.kernel_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{options_.filters}, options_.bias_initializer);
  regularize(*kernel_, options_.kernel_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.kernel_constraint, "kernel_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

DepthwiseConv::DepthwiseConv(const std::string& prefix, DepthwiseConvOptions options, int rank)
    : BaseConv(prefix, options.name, options.input_shape, rank, Kind::depthwise), options_(std::move(options)) {}

void DepthwiseConv::resolve_options() {
  const auto& o = options_;
  static const std::vector<int64_t> none;
  resolve({o.kernel_size, o.strides, o.dilation_rate, none, o.padding, o.data_format, o.activation, o.dtype, 0,
           1, o.depth_multiplier, o.depthwise_constraint, o.bias_constraint});
  initializers::check_name(o.depthwise_initializer);
  initializers::check_name(o.bias_initializer);
  set_activity_regularizer(o.activity_regularizer);
}

void DepthwiseConv::build_weights(const Shape& in) {
  output_shape(in);
  const int64_t c = input_channels(in), m = options_.depth_multiplier;
  kernel_ = &add_weight("kernel", kernel_shape(c, m), options_.depthwise_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{c * m}, options_.bias_initializer);
  regularize(*kernel_, options_.depthwise_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.depthwise_constraint, "depthwise_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

SeparableConv::SeparableConv(const std::string& prefix, SeparableConvOptions options, int rank)
    : BaseConv(prefix, options.name, options.input_shape, rank, Kind::separable), options_(std::move(options)) {}

void SeparableConv::resolve_options() {
  const auto& o = options_;
  static const std::vector<int64_t> none;
  resolve({o.kernel_size, o.strides, o.dilation_rate, none, o.padding, o.data_format, o.activation, o.dtype,
           o.filters, 1, o.depth_multiplier, o.depthwise_constraint, o.bias_constraint});
  o.pointwise_constraint.check(spatial_rank() + 2, who() + ": pointwise_constraint");
  initializers::check_name(o.depthwise_initializer);
  initializers::check_name(o.pointwise_initializer);
  initializers::check_name(o.bias_initializer);
  set_activity_regularizer(o.activity_regularizer);
}

void SeparableConv::build_weights(const Shape& in) {
  output_shape(in);
  const int64_t c = input_channels(in), m = options_.depth_multiplier;
  kernel_ = &add_weight("depthwise_kernel", kernel_shape(c, m), options_.depthwise_initializer);
  Shape ones;
  for (int i = 0; i < spatial_rank(); ++i) ones.push_back(1);
  ones.push_back(c * m);
  ones.push_back(options_.filters);
  pointwise_ = &add_weight("pointwise_kernel", ones, options_.pointwise_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{options_.filters}, options_.bias_initializer);
  regularize(*kernel_, options_.depthwise_regularizer);
  regularize(*pointwise_, options_.pointwise_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.depthwise_constraint, "depthwise_constraint");
  constrain(*pointwise_, options_.pointwise_constraint, "pointwise_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

}  // namespace soma::layers
