#include "soma/constraints.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "soma/core/error.hpp"

namespace soma::constraints {

namespace {
// Floats in messages as the user wrote them: 0.1, not 0.100000.
std::string number(float v) {
  return fmt::format("{}", v);
}

constexpr const char* kKnown = "max_norm, non_neg, unit_norm, min_max_norm";

// The snake_case name for a Keras identifier (Keras accepts its class names too); empty when unknown.
std::string canonical(const std::string& id) {
  static const std::pair<const char*, const char*> aliases[] = {{"MaxNorm", "max_norm"},
                                                                {"NonNeg", "non_neg"},
                                                                {"UnitNorm", "unit_norm"},
                                                                {"MinMaxNorm", "min_max_norm"}};
  for (const auto& [cls, snake] : aliases)
    if (id == cls || id == snake) return snake;
  return "";
}

[[noreturn]] void unknown(const std::string& who, const std::string& id) {
  throw ValueError(who + ": unknown constraint \"" + id + "\"; known constraints are " + kKnown + ".");
}

void check_numbers(const Constraint& c, const std::string& who) {
  if (c.name == "max_norm" && !(c.max_value >= 0.0f)) {
    throw ValueError(who + ": MaxNorm max_value must be >= 0, received " + number(c.max_value) + ".");
  }
  if (c.name == "min_max_norm") {
    if (!(c.min_value >= 0.0f && c.min_value <= c.max_value)) {
      throw ValueError(who + ": MinMaxNorm needs 0 <= min_value <= max_value, received min_value " +
                       number(c.min_value) + " and max_value " + number(c.max_value) + ".");
    }
    if (!(c.rate >= 0.0f && c.rate <= 1.0f)) {
      throw ValueError(who + ": MinMaxNorm rate must be in [0, 1], received " + number(c.rate) + ".");
    }
  }
  if (c.name != "non_neg" && c.axis.empty()) {
    throw ValueError(who + ": " + c.name + " needs at least one axis to take norms over, received none.");
  }
}

Constraint make(std::string name, float max_value, float min_value, float rate, std::vector<int> axis) {
  Constraint c;
  c.name = std::move(name);
  c.max_value = max_value;
  c.min_value = min_value;
  c.rate = rate;
  c.axis = std::move(axis);
  check_numbers(c, "constraints");
  return c;
}

// Calls fn(element, slot) for every element of a tensor of shape s, where slot numbers the element's
// position along the axes that are not reduced: the elements sharing a slot share one norm.
using Flags = std::array<bool, Shape::kMaxRank>;
template <class Fn>
void for_each_slot(const Shape& s, const Flags& reduced, Fn fn) {
  const int rank = s.rank();
  std::array<int64_t, Shape::kMaxRank> slot_stride{}, idx{};
  int64_t slots = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (reduced[static_cast<size_t>(d)]) continue;
    slot_stride[static_cast<size_t>(d)] = slots;
    slots *= s[d];
  }
  int64_t slot = 0;
  const int64_t n = s.numel();
  for (int64_t i = 0; i < n; ++i) {
    fn(i, slot);
    for (int d = rank - 1; d >= 0; --d) {  // odometer step, keeping slot in sync
      const auto u = static_cast<size_t>(d);
      slot += slot_stride[u];
      if (++idx[u] < s[d]) break;
      slot -= slot_stride[u] * s[d];
      idx[u] = 0;
    }
  }
}
}  // namespace

Constraint::Constraint(const char* identifier) : Constraint(std::string(identifier)) {}

Constraint::Constraint(const std::string& identifier) : name(canonical(identifier)) {
  if (name.empty()) unknown("constraints", identifier);
  if (name == "max_norm") max_value = 2.0f;
  if (name == "min_max_norm") max_value = 1.0f;
}

void Constraint::check(int rank, const std::string& who) const {
  if (!active()) return;
  if (canonical(name) != name) unknown(who, name);
  check_numbers(*this, who);
  if (name == "non_neg") return;
  Flags seen{};
  for (int a : axis) {
    if (a < -rank || a >= rank) {
      throw ValueError(who + ": " + name + " axis " + std::to_string(a) +
                       " is out of range for a weight of rank " + std::to_string(rank) +
                       "; expected an axis in [" + std::to_string(-rank) + ", " + std::to_string(rank) +
                       ").");
    }
    const auto u = static_cast<size_t>(a < 0 ? a + rank : a);
    if (seen[u]) throw ValueError(who + ": " + name + " lists axis " + std::to_string(a) + " twice.");
    seen[u] = true;
  }
}

void Constraint::apply(Tensor& w) const {
  if (!active()) return;
  float* p = w.f32();
  const int64_t n = w.numel();
  if (name == "non_neg") {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) p[i] = p[i] >= 0.0f ? p[i] : 0.0f;
    return;
  }
  const Shape& s = w.shape();
  Flags reduced{};
  for (int a : axis) {
    if (a < -s.rank() || a >= s.rank()) check(s.rank(), "constraints");  // throws; layers checked already
    reduced[static_cast<size_t>(a < 0 ? a + s.rank() : a)] = true;
  }
  // Kept between calls: fit applies constraints every step and should not allocate.
  thread_local std::vector<double> norms;
  int64_t slots = 1;
  for (int d = 0; d < s.rank(); ++d)
    if (!reduced[static_cast<size_t>(d)]) slots *= s[d];
  norms.assign(static_cast<size_t>(slots), 0.0);
  for_each_slot(s, reduced, [&](int64_t i, int64_t k) {
    norms[static_cast<size_t>(k)] += static_cast<double>(p[i]) * p[i];
  });
  for (int64_t k = 0; k < slots; ++k) {
    auto& v = norms[static_cast<size_t>(k)];
    const double norm = std::sqrt(v);
    double desired = norm;
    if (name == "max_norm") desired = std::clamp(norm, 0.0, static_cast<double>(max_value));
    if (name == "unit_norm") desired = 1.0;
    if (name == "min_max_norm")
      desired = rate * std::clamp(norm, static_cast<double>(min_value), static_cast<double>(max_value)) +
                (1.0 - rate) * norm;
    v = desired / (kEpsilon + norm);  // the scale of this slot
  }
  for_each_slot(s, reduced, [&](int64_t i, int64_t k) {
    p[i] = static_cast<float>(p[i] * norms[static_cast<size_t>(k)]);
  });
}

Constraint MaxNorm(float max_value, std::vector<int> axis) {
  return make("max_norm", max_value, 0.0f, 1.0f, std::move(axis));
}
Constraint NonNeg() {
  return make("non_neg", 0.0f, 0.0f, 1.0f, {0});
}
Constraint UnitNorm(std::vector<int> axis) {
  return make("unit_norm", 0.0f, 0.0f, 1.0f, std::move(axis));
}
Constraint MinMaxNorm(float min_value, float max_value, float rate, std::vector<int> axis) {
  return make("min_max_norm", max_value, min_value, rate, std::move(axis));
}

}  // namespace soma::constraints
