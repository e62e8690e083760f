#include "io/records.hpp"

#include <zlib.h>

#include <bit>

namespace soma::io::detail {

namespace {
// The raw bytes of a tensor of any dtype.
const char* bytes_of(const Tensor& t) {
  switch (t.dtype()) {
    case DType::float32:
      return reinterpret_cast<const char*>(t.f32());
    case DType::int64:
      return reinterpret_cast<const char*>(t.data<int64_t>());
    case DType::uint8:
      return reinterpret_cast<const char*>(t.data<uint8_t>());
    case DType::bfloat16:
      return reinterpret_cast<const char*>(t.data<bfloat16>());
  }
  return nullptr;
}
// Tensor data in little-endian order: a copy on little-endian hosts, each element's bytes reversed on
// big-endian ones (every dtype is 1, 2, 4 or 8 bytes wide).
void append_le(std::string& out, const char* src, size_t bytes, size_t width) {
  if constexpr (std::endian::native == std::endian::little) {
    (void)width;
    out.append(src, bytes);
  } else {
    for (size_t i = 0; i < bytes; i += width)
      for (size_t b = width; b-- > 0;) out.push_back(src[i + b]);
  }
}
void copy_le(char* dst, const char* src, size_t bytes, size_t width) {
  if constexpr (std::endian::native == std::endian::little) {
    (void)width;
    std::memcpy(dst, src, bytes);
  } else {
    for (size_t i = 0; i < bytes; i += width)
      for (size_t b = 0; b < width; ++b) dst[i + b] = src[i + width - 1 - b];
  }
}
}  // namespace

void put_tensors(std::string& out, const std::vector<NamedTensor>& tensors) {
  put(out, static_cast<uint32_t>(tensors.size()));
  for (const auto& [name, t] : tensors) {
    put(out, static_cast<uint32_t>(name.size()));
    out += name;
    put(out, static_cast<uint8_t>(t.dtype()));
    put(out, static_cast<uint8_t>(t.rank()));
    for (int64_t d : t.shape().dims()) put(out, d);
    const Tensor c = t.clone();  // contiguous
    if (c.nbytes()) append_le(out, bytes_of(c), c.nbytes(), dtype_size(c.dtype()));
  }
}

uint32_t crc32_of(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(bytes.size())));
}

void put_checksum(std::string& out) {
  put(out, crc32_of(out));
}

const char* Reader::take(size_t n, const char* what) {
  if (n > data_.size() - pos_) {
    fail(std::string("is truncated: it ends inside ") + what + " (offset " + std::to_string(pos_) + ")");
  }
  const char* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

void Reader::fail(const std::string& problem) const {
  throw IOError(who_ + ": " + source_ + " " + problem + ".");
}

std::vector<NamedTensor> Reader::get_tensors() {
  const auto count = get<uint32_t>("the tensor count");
  // Each record takes at least 6 bytes, so a count the rest cannot hold is corruption, not a reason to
  // reserve memory.
  if (count > (data_.size() - pos_) / 6)
    fail("has an impossible tensor count (" + std::to_string(count) + ")");
  std::vector<NamedTensor> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const auto len = get<uint32_t>("a tensor name");
    std::string name(take(len, "a tensor name"), len);
    const auto dtype = get<uint8_t>("a tensor header");
    const auto rank = get<uint8_t>("a tensor header");
    if (dtype > static_cast<uint8_t>(DType::bfloat16) || rank > Shape::kMaxRank) {
      fail("has an invalid header for tensor \"" + name + "\"");
    }
    std::vector<int64_t> dims(rank);
    // The product of the non-zero dimensions is bounded too: Shape multiplies them all in order, so
    // (2^40, 2^40, 0) would overflow int64 there before reaching the zero (found by weights_fuzzer).
    constexpr uint64_t kMaxElements = uint64_t{1} << 40;
    uint64_t nonzero = 1;
    bool empty = false;
    for (auto& d : dims) {
      d = get<int64_t>("a tensor shape");
      if (d < 0 || static_cast<uint64_t>(d) > kMaxElements)
        fail("has an invalid shape for tensor \"" + name + "\"");
      if (d == 0) {
        empty = true;
      } else {
        nonzero = nonzero > kMaxElements / static_cast<uint64_t>(d) ? kMaxElements + 1 : nonzero * d;
      }
    }
    if (nonzero > kMaxElements) fail("has an invalid shape for tensor \"" + name + "\"");
    const uint64_t numel = empty ? 0 : nonzero;
    const Shape shape(dims);
    const size_t bytes = static_cast<size_t>(numel) * dtype_size(static_cast<DType>(dtype));
    const char* src = take(bytes, "tensor data");  // checked before allocating
    Tensor t = Tensor::empty(shape, static_cast<DType>(dtype));
    if (bytes) copy_le(const_cast<char*>(bytes_of(t)), src, bytes, dtype_size(t.dtype()));
    out.push_back({std::move(name), std::move(t)});
  }
  return out;
}

Reader open_checked(const std::string& who, const std::string& source, std::string_view bytes,
                    const char (&magic)[8], uint32_t version, const char* kind, bool verify_checksum) {
  Reader whole(who, source, bytes);
  if (bytes.size() < sizeof magic || std::memcmp(bytes.data(), magic, sizeof magic) != 0) {
    whole.fail(std::string("is not ") + kind + " (no " + std::string(magic, 7) + " header)");
  }
  if (bytes.size() < sizeof magic + 8) whole.fail("is truncated inside its header");
  const auto found = get_le<uint32_t>(bytes.data() + sizeof magic);
  if (found != version) {
    whole.fail("has format version " + std::to_string(found) + "; this soma reads version " +
               std::to_string(version));
  }
  const size_t body = bytes.size() - 4;
  const auto stored = get_le<uint32_t>(bytes.data() + body);
  if (verify_checksum && stored != crc32_of(bytes.substr(0, body))) {
    whole.fail("is corrupted or truncated: its checksum does not match its contents");
  }
  return Reader(who, source, bytes.substr(sizeof magic + 4, body - sizeof magic - 4));
}

}  // namespace soma::io::detail
