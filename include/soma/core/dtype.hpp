#pragma once
#include <cstddef>
#include <cstdint>

namespace soma {

// float32 for everything learned; integer types for labels (int64) and raw pixels (uint8).
enum class DType : uint8_t { float32, int64, uint8 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32: return 4;
    case DType::int64: return 8;
    case DType::uint8: return 1;
  }
  return 0;
}

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
  }
  return "?";
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::float32; }
template <>
constexpr DType dtype_of<int64_t>() { return DType::int64; }
template <>
constexpr DType dtype_of<uint8_t>() { return DType::uint8; }

}  // namespace soma
