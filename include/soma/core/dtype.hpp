#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

namespace soma {

// float32 for everything learned; integer types for labels (int64) and raw pixels (uint8); bfloat16 for
// the matmul operands of the mixed_bfloat16 policy.
enum class DType : uint8_t { float32, int64, uint8, bfloat16 };

// The upper half of a float32: same range, 8 bits of mantissa. Conversion rounds to nearest even.
struct bfloat16 {
  uint16_t bits = 0;

  static constexpr bfloat16 from_float(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return {static_cast<uint16_t>((u >> 16) | 0x40u)};  // NaN stays NaN
    return {static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16)};
  }
  constexpr float to_float() const { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }
};

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32:
      return 4;
    case DType::int64:
      return 8;
    case DType::uint8:
      return 1;
    case DType::bfloat16:
      return 2;
  }
  return 0;
}

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32:
      return "float32";
    case DType::int64:
      return "int64";
    case DType::uint8:
      return "uint8";
    case DType::bfloat16:
      return "bfloat16";
  }
  return "?";
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::float32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::int64;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::uint8;
}
template <>
constexpr DType dtype_of<bfloat16>() {
  return DType::bfloat16;
}

}  // namespace soma
