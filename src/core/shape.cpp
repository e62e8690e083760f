#include "soma/core/shape.hpp"

#include "soma/core/error.hpp"

namespace soma {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const int64_t> dims) {
  if (dims.size() > kMaxRank) {
    throw ShapeError("Shape: rank " + std::to_string(dims.size()) + " exceeds the maximum of " +
                     std::to_string(kMaxRank) + ".");
  }
  rank_ = static_cast<int>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) dims_[i] = dims[i];
}

namespace {
// The product of dims[first, rank); a ValueError naming the shape when it does not fit in int64.
int64_t product(const Shape& s, int first) {
  int64_t n = 1;
  for (int i = first; i < s.rank(); ++i) {
    if (__builtin_mul_overflow(n, s[i], &n)) {
      throw ValueError("Shape " + s.str() + ": the number of elements overflows a 64-bit integer.");
    }
  }
  return n;
}
}  // namespace

int64_t Shape::numel() const {
  return product(*this, 0);
}

int64_t Shape::sample_size() const {
  return product(*this, 1);
}

Shape Shape::with_dim(int i, int64_t value) const {
  Shape s = *this;
  s[i] = value;
  return s;
}

void Shape::push_back(int64_t d) {
  if (rank_ == kMaxRank) throw ShapeError("Shape: cannot add a dimension to a rank-8 shape.");
  dims_[static_cast<size_t>(rank_++)] = d;
}

Shape Shape::with_batch(int64_t batch) const {
  if (rank_ == kMaxRank) throw ShapeError("Shape: cannot add a batch dimension to a rank-8 shape.");
  Shape s;
  s.rank_ = rank_ + 1;
  s.dims_[0] = batch;
  for (int i = 0; i < rank_; ++i) s.dims_[static_cast<size_t>(i + 1)] = dims_[static_cast<size_t>(i)];
  return s;
}

Shape Shape::without_batch() const {
  if (rank_ == 0) throw ShapeError("Shape: a scalar shape has no batch dimension.");
  return Shape(dims().subspan(1));
}

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    const int64_t d = dims_[static_cast<size_t>(i)];
    s += d < 0 ? "None" : std::to_string(d);
  }
  if (rank_ == 1) s += ",";
  return s + ")";
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i)
    if (a.dims_[static_cast<size_t>(i)] != b.dims_[static_cast<size_t>(i)]) return false;
  return true;
}

}  // namespace soma
