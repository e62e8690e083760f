#pragma once
// Tensor: contiguous, row-major, 64-byte aligned, shared storage. Copies share data (like numpy views);
// clone() copies. Views (reshape, rows) alias the same storage.
#include <memory>
#include <span>
#include <type_traits>
#include <string>
#include <vector>

#include "soma/core/dtype.hpp"
#include "soma/core/error.hpp"
#include "soma/core/shape.hpp"

namespace soma {

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  explicit Tensor(const Shape& shape, DType dtype = DType::float32);

  // Uninitialised contents: for buffers that are about to be overwritten.
  static Tensor empty(const Shape& shape, DType dtype = DType::float32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::float32) { return Tensor(shape, dtype); }
  static Tensor ones(const Shape& shape) { return full(shape, 1.0f); }
  static Tensor full(const Shape& shape, float value);
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<float>& values) {
    return from_vector(values, Shape{static_cast<int64_t>(values.size())});
  }

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  template <class T>
  T* data() {
    check_dtype(dtype_of<std::remove_cv_t<T>>());
    return reinterpret_cast<T*>(raw());
  }
  template <class T>
  const T* data() const {
    check_dtype(dtype_of<std::remove_cv_t<T>>());
    return reinterpret_cast<const T*>(raw());
  }
  float* f32() { return data<float>(); }
  const float* f32() const { return data<float>(); }
  template <class T>
  std::span<T> span() {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  template <class T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  template <class T>
  std::vector<T> to_vector() const {
    auto s = span<T>();
    return {s.begin(), s.end()};
  }
  // The single value of a one-element tensor, as float.
  float item() const;

  // Same data, new shape; one dimension may be -1 and is inferred.
  Tensor reshape(const Shape& shape) const;
  // Rows [begin, end) of the first dimension, sharing storage.
  Tensor rows(int64_t begin, int64_t end) const;
  Tensor clone() const;
  Tensor astype(DType dtype) const;
  // Gathers the given rows (first dimension) into a new tensor.
  Tensor take_rows(std::span<const int64_t> indices) const;
  void take_rows_into(std::span<const int64_t> indices, Tensor& out) const;

  // Gives this tensor the shape, reusing its storage when it is large enough (copies and views of this
  // tensor then see the new contents, as with any shared storage). The contents are unspecified
  // afterwards. This is how op buffers avoid reallocating every step; values handed to users are clones.
  void resize(const Shape& shape, DType dtype = DType::float32);
  void fill(float value);
  void copy_from(const Tensor& other);

  // Element-wise arithmetic with a scalar, in float32 (integer tensors are converted first):
  // the data-preparation idioms `images / 255.0f` and `x * 2 - 1`.
  friend Tensor operator/(const Tensor& t, float s);
  friend Tensor operator*(const Tensor& t, float s);
  friend Tensor operator+(const Tensor& t, float s);
  friend Tensor operator-(const Tensor& t, float s);

  // A short human-readable rendering: dtype, shape and up to the first few values.
  std::string str() const;

 private:
  struct Storage;
  void check_dtype(DType expected) const;
  std::byte* raw() const;

  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;  // in bytes
  Shape shape_;
  DType dtype_ = DType::float32;
};

}  // namespace soma
