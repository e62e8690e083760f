#include "soma/data/utils.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace soma::utils {
namespace {

// "17" for vectors, "(3, 1)" otherwise: the position the user would index with.
std::string position(const Shape& shape, int64_t flat) {
  if (shape.rank() <= 1) return std::to_string(flat);
  std::vector<int64_t> index(static_cast<size_t>(shape.rank()));
  for (int d = shape.rank() - 1; d >= 0; --d) {
    index[static_cast<size_t>(d)] = flat % shape[d];
    flat /= shape[d];
  }
  return fmt::format("({})", fmt::join(index, ", "));
}

// Labels as int64, whatever integer-holding dtype they came in.
std::vector<int64_t> integer_labels(const Tensor& labels_in) {
  // bfloat16 labels are read as float32 (every class index up to 256 is exact in bfloat16).
  const Tensor labels = labels_in.dtype() == DType::bfloat16 ? labels_in.astype(DType::float32) : labels_in;
  switch (labels.dtype()) {
    case DType::bfloat16:  // converted above
    case DType::int64:
      return labels.to_vector<int64_t>();
    case DType::uint8: {
      const auto v = labels.span<const uint8_t>();
      return {v.begin(), v.end()};
    }
    case DType::float32: {
      const auto v = labels.span<const float>();
      std::vector<int64_t> out(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        // 2^62 keeps the cast defined; no class count comes anywhere near it.
        if (!(std::trunc(v[i]) == v[i] && std::fabs(v[i]) < 0x1p62f)) {
          throw ValueError(fmt::format("to_categorical: label at index {} is {}, expected a whole number.",
                                       position(labels.shape(), static_cast<int64_t>(i)), v[i]));
        }
        out[i] = static_cast<int64_t>(v[i]);
      }
      return out;
    }
  }
  return {};
}

}  // namespace

Tensor to_categorical(const Tensor& labels, int64_t num_classes) {
  if (!labels.defined()) throw ValueError("to_categorical: labels is an empty (undefined) tensor.");
  if (num_classes == 0 || num_classes < -1) {
    throw ValueError(
        fmt::format("to_categorical: num_classes must be positive or -1 (infer), received {}.", num_classes));
  }
  // Keras treats (n, 1) labels as (n,): the one-hot dimension replaces the trailing 1.
  std::vector<int64_t> dims = labels.shape().to_vector();
  if (dims.size() > 1 && dims.back() == 1) dims.pop_back();
  const Shape label_shape(dims);
  if (label_shape.rank() >= Shape::kMaxRank) {
    throw ShapeError(
        fmt::format("to_categorical: labels of shape {} would need rank {}; at most {} is supported.",
                    labels.shape().str(), label_shape.rank() + 1, Shape::kMaxRank));
  }

  const std::vector<int64_t> values = integer_labels(labels);
  if (num_classes == -1) {
    if (values.empty())
      throw ValueError("to_categorical: cannot infer num_classes from empty labels; pass it.");
    num_classes = *std::max_element(values.begin(), values.end()) + 1;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= num_classes) {
      throw ValueError(
          fmt::format("to_categorical: label at index {} is {}, expected 0 <= label < {} (num_classes).",
                      position(label_shape, static_cast<int64_t>(i)), values[i], num_classes));
    }
  }

  dims.push_back(num_classes);
  Tensor out(Shape(dims), DType::float32);  // zero-filled
  float* p = out.f32();
  for (size_t i = 0; i < values.size(); ++i) p[static_cast<int64_t>(i) * num_classes + values[i]] = 1.0f;
  return out;
}

Tensor normalize_pixels(const Tensor& images) {
  if (!images.defined() || images.dtype() != DType::uint8) {
    throw ValueError(fmt::format(
        "normalize_pixels: expected uint8 images, received {}; float images are probably already normalised.",
        images.defined() ? dtype_name(images.dtype()) : "an undefined tensor"));
  }
  Tensor out = Tensor::empty(images.shape(), DType::float32);
  const uint8_t* src = images.data<uint8_t>();
  float* dst = out.f32();
  const int64_t n = images.numel();
  for (int64_t i = 0; i < n; ++i)
    dst[i] = static_cast<float>(src[i]) / 255.0f;  // same values as `images / 255.0f`
  return out;
}

Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences, const PadOptions& o) {
  const auto check = [](const std::string& v, const char* what) {
    if (v != "pre" && v != "post") {
      throw ValueError(std::string("pad_sequences: ") + what + " must be \"pre\" or \"post\", received \"" +
                       v + "\".");
    }
  };
  check(o.padding, "padding");
  check(o.truncating, "truncating");
  if (o.maxlen < 0)
    throw ValueError("pad_sequences: maxlen must be >= 0, received " + std::to_string(o.maxlen) + ".");
  int64_t len = o.maxlen;
  if (len == 0)
    for (const auto& s : sequences) len = std::max<int64_t>(len, static_cast<int64_t>(s.size()));
  Tensor out = Tensor::empty(Shape{static_cast<int64_t>(sequences.size()), len}, DType::int64);
  int64_t* p = out.data<int64_t>();
  std::fill_n(p, out.numel(), o.value);
  for (size_t i = 0; i < sequences.size(); ++i) {
    const auto& s = sequences[i];
    const auto n = std::min<int64_t>(len, static_cast<int64_t>(s.size()));
    const auto from = o.truncating == "pre" ? s.end() - n : s.begin();
    int64_t* row = p + static_cast<int64_t>(i) * len;
    std::copy_n(from, n, o.padding == "pre" ? row + (len - n) : row);
  }
  return out;
}

}  // namespace soma::utils
