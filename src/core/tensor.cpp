#include "soma/core/tensor.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace soma {

struct Tensor::Storage {
  explicit Storage(size_t n) : bytes(n) {
    // Data sets and big activations go on 2 MiB pages: training gathers rows from all over a data set,
    // and with 4 KiB pages nearly every row costs a TLB miss. Page faults drop 512-fold as well.
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t align = n >= 2 * kHuge ? kHuge : 64;
    // aligned_alloc needs a multiple of the alignment; never ask for zero bytes.
    const size_t rounded = std::max(align, (n + align - 1) / align * align);
    ptr = static_cast<std::byte*>(std::aligned_alloc(align, rounded));
    if (!ptr) throw std::bad_alloc();
    if (align == kHuge) madvise(ptr, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
  }
  ~Storage() { std::free(ptr); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  std::byte* ptr = nullptr;
  size_t bytes = 0;
};

namespace {
// The bytes a tensor of this shape and dtype needs; errors for negative dimensions and for sizes that
// overflow (numel checks the elements, this the bytes).
size_t checked_bytes(const Shape& shape, DType dtype, const char* who) {
  for (int64_t d : shape.dims())
    if (d < 0) throw ShapeError(std::string(who) + ": negative dimension in shape " + shape.str() + ".");
  int64_t bytes = 0;
  if (__builtin_mul_overflow(shape.numel(), static_cast<int64_t>(dtype_size(dtype)), &bytes)) {
    throw ValueError(std::string(who) + ": a " + dtype_name(dtype) + " tensor of shape " + shape.str() +
                     " needs more bytes than a 64-bit size can count.");
  }
  return static_cast<size_t>(bytes);
}
}  // namespace

Tensor::Tensor(const Shape& shape, DType dtype) : Tensor(empty(shape, dtype)) {
  std::memset(raw(), 0, nbytes());
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  const size_t bytes = checked_bytes(shape, dtype, "Tensor");
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(bytes);
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  t.fill(value);
  return t;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  if (static_cast<int64_t>(values.size()) != shape.numel()) {
    throw ShapeError("Tensor::from_vector: " + std::to_string(values.size()) + " values cannot fill shape " +
                     shape.str() + " (" + std::to_string(shape.numel()) + " elements).");
  }
  Tensor t = empty(shape, dtype_of<T>());
  if (!values.empty()) std::memcpy(t.raw(), values.data(), t.nbytes());
  return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<uint8_t>&, const Shape&);

void Tensor::check_dtype(DType expected) const {
  if (expected != dtype_) {
    throw ValueError(std::string("Tensor: accessed as ") + dtype_name(expected) + " but holds " +
                     dtype_name(dtype_) + " data; convert with astype().");
  }
}

std::byte* Tensor::raw() const {
  return storage_ ? storage_->ptr + offset_ : nullptr;
}

float Tensor::item() const {
  if (numel() != 1)
    throw ValueError("Tensor::item: tensor of shape " + shape_.str() + " has not one element.");
  switch (dtype_) {
    case DType::float32:
      return *reinterpret_cast<const float*>(raw());
    case DType::int64:
      return static_cast<float>(*reinterpret_cast<const int64_t*>(raw()));
    case DType::uint8:
      return static_cast<float>(*reinterpret_cast<const uint8_t*>(raw()));
    case DType::bfloat16:
      return reinterpret_cast<const bfloat16*>(raw())->to_float();
  }
  return 0.0f;
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < s.rank(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0)
        throw ShapeError("Tensor::reshape: only one dimension may be -1, got " + shape.str() + ".");
      infer = i;
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0 && known > 0 && numel() % known == 0) s[infer] = numel() / known;
  if (s.numel() != numel() || (infer >= 0 && known == 0)) {
    throw ShapeError("Tensor::reshape: cannot reshape " + shape_.str() + " (" + std::to_string(numel()) +
                     " elements) into " + shape.str() + ".");
  }
  Tensor t = *this;
  t.shape_ = s;
  return t;
}

Tensor Tensor::rows(int64_t begin, int64_t end) const {
  if (rank() == 0 || begin < 0 || end < begin || end > dim(0)) {
    throw ShapeError("Tensor::rows: range [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") is outside a tensor of shape " + shape_.str() + ".");
  }
  Tensor t = *this;
  t.shape_[0] = end - begin;
  t.offset_ += static_cast<size_t>(begin * shape_.sample_size()) * dtype_size(dtype_);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, dtype_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

namespace {
template <class T>
float as_float(T v) {
  if constexpr (std::is_same_v<T, bfloat16>) {
    return v.to_float();
  } else {
    return static_cast<float>(v);
  }
}
template <class From, class To>
void convert(const From* src, To* dst, int64_t n) {
  if constexpr (std::is_same_v<To, bfloat16>) {
    for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16::from_float(as_float(src[i]));
  } else if constexpr (std::is_same_v<From, bfloat16>) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<To>(src[i].to_float());
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<To>(src[i]);
  }
}
template <class From>
void convert_from(const From* src, std::byte* dst, DType to, int64_t n) {
  switch (to) {
    case DType::float32:
      convert(src, reinterpret_cast<float*>(dst), n);
      break;
    case DType::int64:
      convert(src, reinterpret_cast<int64_t*>(dst), n);
      break;
    case DType::uint8:
      convert(src, reinterpret_cast<uint8_t*>(dst), n);
      break;
    case DType::bfloat16:
      convert(src, reinterpret_cast<bfloat16*>(dst), n);
      break;
  }
}
}  // namespace

Tensor Tensor::astype(DType to) const {
  if (to == dtype_) return clone();
  Tensor t = empty(shape_, to);
  switch (dtype_) {
    case DType::float32:
      convert_from(reinterpret_cast<const float*>(raw()), t.raw(), to, numel());
      break;
    case DType::int64:
      convert_from(reinterpret_cast<const int64_t*>(raw()), t.raw(), to, numel());
      break;
    case DType::uint8:
      convert_from(reinterpret_cast<const uint8_t*>(raw()), t.raw(), to, numel());
      break;
    case DType::bfloat16:
      convert_from(reinterpret_cast<const bfloat16*>(raw()), t.raw(), to, numel());
      break;
  }
  return t;
}

Tensor Tensor::take_rows(std::span<const int64_t> indices) const {
  Tensor out;
  take_rows_into(indices, out);
  return out;
}

void Tensor::take_rows_into(std::span<const int64_t> indices, Tensor& out) const {
  if (rank() == 0) throw ShapeError("Tensor::take_rows: a scalar has no rows.");
  out.resize(shape_.with_dim(0, static_cast<int64_t>(indices.size())), dtype_);
  const size_t row_bytes = static_cast<size_t>(shape_.sample_size()) * dtype_size(dtype_);
  const std::byte* src = raw();
  std::byte* dst = out.raw();
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t r = indices[i];
    if (r < 0 || r >= dim(0)) {
      throw ShapeError("Tensor::take_rows: row " + std::to_string(r) + " is outside a tensor of shape " +
                       shape_.str() + ".");
    }
    std::memcpy(dst + i * row_bytes, src + static_cast<size_t>(r) * row_bytes, row_bytes);
  }
}

void Tensor::resize(const Shape& shape, DType dtype) {
  const size_t need = checked_bytes(shape, dtype, "Tensor::resize");
  // Buffers are reused even when views of them exist: those views are of the previous step's contents.
  const bool reusable = storage_ && offset_ == 0 && storage_->bytes >= need;
  if (!reusable) {
    storage_ = std::make_shared<Storage>(need);
    offset_ = 0;
  }
  shape_ = shape;
  dtype_ = dtype;
}

void Tensor::fill(float value) {
  float* p = f32();
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) p[i] = value;
}

void Tensor::copy_from(const Tensor& other) {
  if (other.numel() != numel() || other.dtype_ != dtype_) {
    throw ShapeError("Tensor::copy_from: cannot copy " + std::string(dtype_name(other.dtype_)) + " " +
                     other.shape_.str() + " into " + dtype_name(dtype_) + " " + shape_.str() + ".");
  }
  if (nbytes()) std::memmove(raw(), other.raw(), nbytes());
}

namespace {
template <class Fn>
Tensor map_scalar(const Tensor& t, Fn fn) {
  Tensor src = t.dtype() == DType::float32 ? t : t.astype(DType::float32);
  Tensor out = Tensor::empty(t.shape());
  const float* s = src.f32();
  float* d = out.f32();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) d[i] = fn(s[i]);
  return out;
}
}  // namespace

Tensor operator/(const Tensor& t, float s) {
  return map_scalar(t, [s](float v) { return v / s; });
}
Tensor operator*(const Tensor& t, float s) {
  return map_scalar(t, [s](float v) { return v * s; });
}
Tensor operator+(const Tensor& t, float s) {
  return map_scalar(t, [s](float v) { return v + s; });
}
Tensor operator-(const Tensor& t, float s) {
  return map_scalar(t, [s](float v) { return v - s; });
}

std::string Tensor::str() const {
  std::ostringstream os;
  os << "Tensor(" << dtype_name(dtype_) << ", " << shape_.str();
  if (defined()) {
    os << ", [";
    const int64_t n = std::min<int64_t>(numel(), 8);
    Tensor f = dtype_ == DType::float32 ? *this : astype(DType::float32);
    for (int64_t i = 0; i < n; ++i) os << (i ? ", " : "") << f.f32()[i];
    if (numel() > n) os << ", ...";
    os << "]";
  }
  os << ")";
  return os.str();
}

}  // namespace soma
