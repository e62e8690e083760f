#include "soma/layers/categorical.hpp"

#include <farmhash.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "soma/core/dtype.hpp"

namespace soma::layers {

namespace {

enum class Mode { integer, one_hot, multi_hot, count };

Mode parse_mode(const std::string& mode, const std::string& who, bool allow_int) {
  if (mode == "int" && allow_int) return Mode::integer;
  if (mode == "one_hot") return Mode::one_hot;
  if (mode == "multi_hot") return Mode::multi_hot;
  if (mode == "count") return Mode::count;
  if (mode == "tf_idf")
    throw NotImplementedError(fmt::format("{}: output_mode \"tf_idf\" is not implemented.", who));
  throw ValueError(fmt::format("{}: output_mode must be {}\"one_hot\", \"multi_hot\" or \"count\", received \"{}\".",
                               who, allow_int ? "\"int\", " : "", mode));
}

void refuse_sparse(bool sparse, const std::string& who) {
  if (sparse) throw NotImplementedError(fmt::format("{}: sparse=true is not supported (soma has no sparse tensors).", who));
}

// The per-sample output shape for a per-sample input shape.
Shape encoded_shape(Mode m, const Shape& in, int64_t depth, const std::string& who) {
  if (m == Mode::integer) return in;
  if (in.rank() > 1) {
    throw ShapeError(fmt::format("{}: output_mode one_hot, multi_hot and count take inputs (batch,) or (batch, k), "
                                 "received {}.",
                                 who, in.with_batch(-1).str()));
  }
  if (m == Mode::one_hot && in.rank() == 1 && in[0] != 1) return Shape{in[0], depth};
  return Shape{depth};
}

// out for `indices` (one per input value, -1: dropped) of a batch shaped `shape`.
void encode(Mode m, const std::vector<int64_t>& indices, const Shape& shape, int64_t depth, const std::string& who,
            Tensor& out) {
  const Shape per = encoded_shape(m, shape.without_batch(), depth, who);
  if (m == Mode::integer) {
    out.resize(shape, DType::int64);
    std::copy(indices.begin(), indices.end(), out.data<int64_t>());
    return;
  }
  out.resize(per.with_batch(shape[0]));
  float* y = out.f32();
  std::fill(y, y + out.numel(), 0.0f);
  const int64_t values = static_cast<int64_t>(indices.size()), batch = shape[0], k = values / std::max<int64_t>(batch, 1);
  for (int64_t i = 0; i < values; ++i) {
    const int64_t idx = indices[static_cast<size_t>(i)];
    if (idx < 0) continue;
    if (m == Mode::one_hot) y[i * depth + idx] = 1.0f;
    else if (m == Mode::multi_hot) y[(i / k) * depth + idx] = 1.0f;
    else y[(i / k) * depth + idx] += 1.0f;
  }
}

// Every value of x as an integer: int64, or float32 holding whole numbers.
void read_integers(const Tensor& x, std::vector<int64_t>& out, const std::string& who) {
  out.resize(static_cast<size_t>(x.numel()));
  if (x.dtype() == DType::int64) {
    std::copy(x.data<int64_t>(), x.data<int64_t>() + x.numel(), out.begin());
    return;
  }
  if (x.dtype() != DType::float32)
    throw ValueError(fmt::format("{}: expected int64 or float32 inputs, received {}.", who, dtype_name(x.dtype())));
  const float* v = x.f32();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (!(std::floor(v[i]) == v[i]) || std::fabs(v[i]) > 9.0e15f)
      throw ValueError(fmt::format("{}: expected integer values, received {} (value {} of {}).", who, v[i], i, x.numel()));
    out[static_cast<size_t>(i)] = static_cast<int64_t>(v[i]);
  }
}

}  // namespace

// ---- CategoryEncoding ----

struct CategoryEncoding::Ops {
  autograd::Variable out;
  std::vector<int64_t> indices;
};

CategoryEncoding::CategoryEncoding(CategoryEncodingOptions o)
    : Layer("category_encoding", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.num_tokens < 1)
    throw ValueError(fmt::format("{}: num_tokens must be a positive integer, received {}.", who(), options_.num_tokens));
  parse_mode(options_.output_mode, who(), false);
  refuse_sparse(options_.sparse, who());
}

Shape CategoryEncoding::output_shape(const Shape& in) const {
  return encoded_shape(parse_mode(options_.output_mode, who(), false), in, options_.num_tokens, who());
}

autograd::Variable& CategoryEncoding::forward(CallFrame& frame, autograd::Tape*, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  read_integers(x.value, ops.indices, who());
  for (const int64_t v : ops.indices)
    if (v < 0 || v >= options_.num_tokens)
      throw ValueError(fmt::format("{}: input values must be in the range 0 <= values < num_tokens with num_tokens={}; "
                                   "received {}.",
                                   who(), options_.num_tokens, v));
  encode(parse_mode(options_.output_mode, who(), false), ops.indices, x.value.shape(), options_.num_tokens, who(),
         ops.out.value);
  return ops.out;
}

// ---- Discretization ----

struct Discretization::Ops {
  autograd::Variable out;
  std::vector<int64_t> indices;
};

Discretization::Discretization(DiscretizationOptions o)
    : Layer("discretization", o.name, o.input_shape), options_(std::move(o)), boundaries_(options_.bin_boundaries) {
  parse_mode(options_.output_mode, who(), true);
  refuse_sparse(options_.sparse, who());
  // Both given: a saved, adapted layer (its config keeps the adapted boundaries and num_bins).
  if (options_.bin_boundaries.empty() && options_.num_bins <= 0)
    throw ValueError(fmt::format("{}: give bin_boundaries, or num_bins > 0 and call adapt; received num_bins {}.", who(),
                                 options_.num_bins));
  if (!(options_.epsilon > 0.0 && options_.epsilon < 1.0))
    throw ValueError(fmt::format("{}: epsilon must be in (0, 1), received {}.", who(), options_.epsilon));
  for (size_t i = 0; i < boundaries_.size(); ++i) {
    if (!std::isfinite(boundaries_[i]) || (i > 0 && boundaries_[i] < boundaries_[i - 1]))
      throw ValueError(fmt::format("{}: bin_boundaries must be finite and ascending, received [{}].", who(),
                                   fmt::join(boundaries_, ", ")));
  }
  adapted_ = !boundaries_.empty();
}

Shape Discretization::output_shape(const Shape& in) const {
  return encoded_shape(parse_mode(options_.output_mode, who(), true), in,
                       static_cast<int64_t>(boundaries_.size()) + 1, who());
}

// Keras 3's discretization.py: summarize(values, epsilon) keeps every step-th sorted value with weight
// step; compress_summary interpolates the cumulative weights at num_bins quantiles (np.interp) and drops
// the last. The float32 and float64 steps are NumPy's, so the boundaries are the same numbers.
void Discretization::adapt(const Tensor& data) {
  if (options_.num_bins <= 0)
    throw ValueError(fmt::format("{}: was given bin_boundaries and no num_bins; adapt needs num_bins.", who()));
  if (data.numel() < 1) throw ValueError(fmt::format("{}: adapt needs data, received {}.", who(), data.shape().str()));
  const Tensor f = data.dtype() == DType::float32 ? data : data.astype(DType::float32);
  std::vector<float> sorted(f.f32(), f.f32() + f.numel());
  for (const float v : sorted)
    if (!std::isfinite(v)) throw ValueError(fmt::format("{}: adapt found a value that is not finite ({}).", who(), v));
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  const double increment = n / (1.0 / options_.epsilon);
  const double step = std::max(increment, 1.0);
  std::vector<float> bins, weights;
  for (size_t i = static_cast<size_t>(increment); i < sorted.size(); i += static_cast<size_t>(step)) {
    bins.push_back(sorted[i]);
    weights.push_back(static_cast<float>(step));
  }
  const double eps = 1.0 / static_cast<double>(options_.num_bins);
  std::vector<float> result;
  if (static_cast<double>(bins.size()) * eps < 1.0) {
    result = bins;
  } else {
    std::vector<float> cum(weights.size());
    float total = 0.0f;
    for (size_t i = 0; i < weights.size(); ++i) cum[i] = total += weights[i];
    std::vector<double> xp(cum.size());
    for (size_t i = 0; i < cum.size(); ++i) xp[i] = static_cast<double>(cum[i] / cum.back());
    const auto count = static_cast<size_t>(std::ceil((1.0 - 0.0) / eps));  // np.arange(0, 1, eps)
    for (size_t q = 0; q < count; ++q) {
      const double x = eps + static_cast<double>(q) * eps;
      double y;
      if (x <= xp.front()) {
        y = bins.front();
      } else if (x >= xp.back()) {
        y = bins.back();
      } else {
        const size_t j = static_cast<size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
        const double slope = (static_cast<double>(bins[j + 1]) - bins[j]) / (xp[j + 1] - xp[j]);
        y = slope * (x - xp[j]) + bins[j];
      }
      result.push_back(static_cast<float>(y));
    }
  }
  if (!result.empty()) result.pop_back();
  boundaries_ = std::move(result);
  adapted_ = true;
}

autograd::Variable& Discretization::forward(CallFrame& frame, autograd::Tape*, autograd::Variable& x, bool) {
  if (!adapted_) throw StateError(fmt::format("{}: has no bin boundaries; call adapt first.", who()));
  Ops& ops = frame.get<Ops>();
  const Tensor& v = x.value;
  ops.indices.resize(static_cast<size_t>(v.numel()));
  for (int64_t i = 0; i < v.numel(); ++i) {
    const float value = v.dtype() == DType::int64 ? static_cast<float>(v.data<int64_t>()[i]) : v.f32()[i];
    ops.indices[static_cast<size_t>(i)] = std::upper_bound(boundaries_.begin(), boundaries_.end(), value) - boundaries_.begin();
  }
  encode(parse_mode(options_.output_mode, who(), true), ops.indices, v.shape(),
         static_cast<int64_t>(boundaries_.size()) + 1, who(), ops.out.value);
  return ops.out;
}

// ---- IntegerLookup ----

struct IntegerLookup::Ops {
  autograd::Variable out;
  std::vector<int64_t> tokens, indices;
};

IntegerLookup::IntegerLookup(IntegerLookupOptions o)
    : Layer("integer_lookup", o.name, o.input_shape), options_(std::move(o)) {
  const Mode m = parse_mode(options_.output_mode, who(), true);
  refuse_sparse(options_.sparse, who());
  if (options_.num_oov_indices < 0)
    throw ValueError(fmt::format("{}: num_oov_indices must be >= 0, received {}.", who(), options_.num_oov_indices));
  if (options_.vocabulary_dtype != "int64" && options_.vocabulary_dtype != "int32")
    throw ValueError(fmt::format("{}: vocabulary_dtype must be \"int64\" (or \"int32\"), received \"{}\".", who(),
                                 options_.vocabulary_dtype));
  if (options_.invert && m != Mode::integer)
    throw ValueError(fmt::format("{}: invert=true needs output_mode \"int\", received \"{}\".", who(),
                                 options_.output_mode));
  if (options_.max_tokens && *options_.max_tokens <= 1)
    throw ValueError(fmt::format("{}: max_tokens must be greater than 1, received {}.", who(), *options_.max_tokens));
  if (options_.pad_to_max_tokens && !options_.max_tokens)
    throw ValueError(fmt::format("{}: pad_to_max_tokens needs max_tokens.", who()));
  set_vocabulary(options_.vocabulary);
}

int64_t IntegerLookup::oov_start() const {
  return options_.mask_token && options_.output_mode == "int" ? 1 : 0;
}

void IntegerLookup::set_vocabulary(std::vector<int64_t> vocabulary) {
  std::vector<std::pair<int64_t, int64_t>> index;
  for (size_t i = 0; i < vocabulary.size(); ++i) {
    const int64_t t = vocabulary[i];
    if (options_.mask_token && t == *options_.mask_token)
      throw ValueError(fmt::format("{}: the vocabulary holds the mask token {}; it is added by the layer.", who(), t));
    if (options_.num_oov_indices > 0 && t == options_.oov_token)
      throw ValueError(fmt::format("{}: the vocabulary holds the OOV token {}; it is added by the layer.", who(), t));
    index.emplace_back(t, token_start() + static_cast<int64_t>(i));
  }
  std::sort(index.begin(), index.end());
  for (size_t i = 1; i < index.size(); ++i)
    if (index[i].first == index[i - 1].first)
      throw ValueError(fmt::format("{}: the vocabulary holds {} twice.", who(), index[i].first));
  if (options_.max_tokens && token_start() + static_cast<int64_t>(vocabulary.size()) > *options_.max_tokens)
    throw ValueError(fmt::format("{}: a vocabulary of {} tokens and {} special indices exceeds max_tokens {}.", who(),
                                 vocabulary.size(), token_start(), *options_.max_tokens));
  options_.vocabulary = std::move(vocabulary);
  index_ = std::move(index);
}

void IntegerLookup::adapt(const Tensor& data) {
  std::vector<int64_t> values;
  read_integers(data, values, who());
  std::map<int64_t, int64_t> counts;
  for (const int64_t v : values) {
    if ((options_.mask_token && v == *options_.mask_token) || (options_.num_oov_indices > 0 && v == options_.oov_token))
      continue;
    ++counts[v];
  }
  std::vector<std::pair<int64_t, int64_t>> ranked(counts.begin(), counts.end());  // (token, count)
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first > b.first;
  });
  size_t keep = ranked.size();
  if (options_.max_tokens) keep = std::min(keep, static_cast<size_t>(std::max<int64_t>(0, *options_.max_tokens - token_start())));
  std::vector<int64_t> vocabulary;
  for (size_t i = 0; i < keep; ++i) vocabulary.push_back(ranked[i].first);
  set_vocabulary(std::move(vocabulary));
}

std::vector<int64_t> IntegerLookup::get_vocabulary(bool include_special_tokens) const {
  std::vector<int64_t> v;
  if (include_special_tokens) {
    if (oov_start() == 1) v.push_back(*options_.mask_token);
    for (int64_t i = 0; i < options_.num_oov_indices; ++i) v.push_back(options_.oov_token);
  }
  v.insert(v.end(), options_.vocabulary.begin(), options_.vocabulary.end());
  return v;
}

int64_t IntegerLookup::vocabulary_size() const {
  return token_start() + static_cast<int64_t>(options_.vocabulary.size());
}

int64_t IntegerLookup::depth() const {
  return options_.pad_to_max_tokens ? *options_.max_tokens : vocabulary_size();
}

Shape IntegerLookup::output_shape(const Shape& in) const {
  return encoded_shape(parse_mode(options_.output_mode, who(), true), in, depth(), who());
}

autograd::Variable& IntegerLookup::forward(CallFrame& frame, autograd::Tape*, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  read_integers(x.value, ops.tokens, who());
  ops.indices.resize(ops.tokens.size());
  const int64_t size = vocabulary_size();
  for (size_t i = 0; i < ops.tokens.size(); ++i) {
    const int64_t t = ops.tokens[i];
    int64_t& out = ops.indices[i];
    if (options_.invert) {  // index -> token
      if (oov_start() == 1 && t == 0) out = *options_.mask_token;
      else if (t >= token_start() && t < size) out = options_.vocabulary[static_cast<size_t>(t - token_start())];
      else out = options_.oov_token;
      continue;
    }
    if (options_.mask_token && t == *options_.mask_token) {
      out = options_.output_mode == "int" ? 0 : -1;  // dropped outside int mode
      continue;
    }
    const auto it = std::lower_bound(index_.begin(), index_.end(), std::pair<int64_t, int64_t>{t, INT64_MIN});
    if (it != index_.end() && it->first == t) {
      out = it->second;
    } else if (options_.num_oov_indices == 0) {
      throw ValueError(fmt::format("{}: when num_oov_indices=0 all inputs should be in the vocabulary; found the "
                                   "out-of-vocabulary value {}. Consider num_oov_indices=1.",
                                   who(), t));
    } else {  // Keras: floormod(token, num_oov_indices) for integer keys
      const int64_t k = options_.num_oov_indices;
      out = oov_start() + ((t % k) + k) % k;
    }
  }
  encode(parse_mode(options_.output_mode, who(), true), ops.indices, x.value.shape(), depth(), who(), ops.out.value);
  return ops.out;
}

// ---- Hashing ----

struct Hashing::Ops {
  autograd::Variable out;
  std::vector<int64_t> values, indices;
};

Hashing::Hashing(HashingOptions o) : Layer("hashing", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.num_bins < 1)
    throw ValueError(fmt::format("{}: num_bins must be a positive integer, received {}.", who(), options_.num_bins));
  if (!options_.salt.empty())
    throw NotImplementedError(fmt::format("{}: salt (TensorFlow's keyed SipHash, to_hash_bucket_strong) is not "
                                          "implemented.",
                                          who()));
  parse_mode(options_.output_mode, who(), true);
  refuse_sparse(options_.sparse, who());
}

Shape Hashing::output_shape(const Shape& in) const {
  return encoded_shape(parse_mode(options_.output_mode, who(), true), in, options_.num_bins, who());
}

autograd::Variable& Hashing::forward(CallFrame& frame, autograd::Tape*, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  read_integers(x.value, ops.values, who());
  ops.indices.resize(ops.values.size());
  const bool masked = options_.mask_value && options_.num_bins > 1;
  const auto bins = static_cast<uint64_t>(masked ? options_.num_bins - 1 : options_.num_bins);
  for (size_t i = 0; i < ops.values.size(); ++i) {
    const int64_t v = ops.values[i];
    if (masked && v == *options_.mask_value) {
      ops.indices[i] = 0;
      continue;
    }
    const std::string text = std::to_string(v);  // tf.as_string of an integer
    const auto bucket = static_cast<int64_t>(util::Fingerprint64(text.data(), text.size()) % bins);
    ops.indices[i] = masked ? bucket + 1 : bucket;
  }
  encode(parse_mode(options_.output_mode, who(), true), ops.indices, x.value.shape(), options_.num_bins, who(),
         ops.out.value);
  return ops.out;
}

}  // namespace soma::layers
