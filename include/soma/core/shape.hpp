#pragma once
// Shape with inline storage: building and comparing shapes never touches the heap, which keeps the
// training step allocation-free.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace soma {

class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims) : Shape(std::span<const int64_t>(dims)) {}

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i < 0 ? i + rank_ : i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i < 0 ? i + rank_ : i)]; }
  int64_t numel() const;
  // Product of all dimensions but the first: the size of one sample.
  int64_t sample_size() const;
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }
  std::vector<int64_t> to_vector() const { return {dims_.begin(), dims_.begin() + rank_}; }

  Shape with_dim(int i, int64_t value) const;
  // Appends a dimension in place (ShapeError past kMaxRank): building a shape axis by axis, heap-free.
  void push_back(int64_t d);
  // Prepends a batch dimension: the Keras "(None, ...)" shape of a layer's output.
  Shape with_batch(int64_t batch) const;
  Shape without_batch() const;

  // "(128, 784)"; a batch of -1 prints as None, as in Keras summaries.
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace soma
