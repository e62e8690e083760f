#include "soma/io/weights_file.hpp"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace soma::io {

namespace {
constexpr char kMagic[8] = {'S', 'O', 'M', 'A', 'W', 'T', 'S', '\0'};
constexpr uint32_t kVersion = 1;

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

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

// Reads from a buffer, throwing IOError on any read past its end.
class Reader {
 public:
  Reader(const std::string& path, const std::string& data, size_t end)
      : path_(path), data_(data), end_(end) {}
  template <class T>
  T get(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }
  const char* take(size_t n, const char* what) {
    if (n > end_ - pos_) {
      throw IOError("load_weights: " + path_ + " is truncated: it ends inside " + what + " (offset " +
                    std::to_string(pos_) + ").");
    }
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  size_t pos() const { return pos_; }

 private:
  const std::string& path_;
  const std::string& data_;
  size_t end_, pos_ = 0;
};
}  // namespace

void write_weights(const std::string& path, const std::vector<NamedTensor>& tensors) {
  std::string out(kMagic, sizeof kMagic);
  put(out, kVersion);
  put(out, static_cast<uint32_t>(tensors.size()));
  for (const auto& [name, t] : tensors) {
    put(out, static_cast<uint32_t>(name.size()));
    out += name;
    put(out, static_cast<uint8_t>(t.dtype()));
    put(out, static_cast<uint8_t>(t.rank()));
    for (int64_t d : t.shape().dims()) put(out, d);
    const Tensor c = t.clone();  // contiguous
    if (c.nbytes()) out.append(bytes_of(c), c.nbytes());
  }
  put(out, static_cast<uint32_t>(
               crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()))));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw IOError("save_weights: cannot write " + tmp + ".");
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) throw IOError("save_weights: writing " + tmp + " failed (disk full?).");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw IOError("save_weights: cannot move " + tmp + " to " + path + ": " + ec.message() + ".");
}

std::vector<NamedTensor> read_weights(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError("load_weights: cannot open " + path + ".");
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    throw IOError("load_weights: " + path + " is not a soma weights file (no SOMAWTS header).");
  }
  if (data.size() < sizeof kMagic + 12)
    throw IOError("load_weights: " + path + " is truncated inside its header.");
  uint32_t version;
  std::memcpy(&version, data.data() + sizeof kMagic, 4);
  if (version != kVersion) {
    throw IOError("load_weights: " + path + " has format version " + std::to_string(version) +
                  "; this soma reads version " + std::to_string(kVersion) + ".");
  }
  const size_t body = data.size() - 4;
  uint32_t stored;
  std::memcpy(&stored, data.data() + body, 4);
  const auto actual =
      static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(body)));
  if (stored != actual) {
    throw IOError("load_weights: " + path +
                  " is corrupted or truncated: its checksum does not match its contents.");
  }
  Reader r(path, data, body);
  r.take(sizeof kMagic + 4, "the header");
  const auto count = r.get<uint32_t>("the header");
  std::vector<NamedTensor> out;
  for (uint32_t i = 0; i < count; ++i) {
    const auto len = r.get<uint32_t>("a tensor name");
    std::string name(r.take(len, "a tensor name"), len);
    const auto dtype = r.get<uint8_t>("a tensor header");
    const auto rank = r.get<uint8_t>("a tensor header");
    if (dtype > static_cast<uint8_t>(DType::bfloat16) || rank > Shape::kMaxRank) {
      throw IOError("load_weights: " + path + " has an invalid header for tensor \"" + name + "\".");
    }
    std::vector<int64_t> dims(rank);
    for (auto& d : dims) {
      d = r.get<int64_t>("a tensor shape");
      if (d < 0 || d > (int64_t{1} << 40)) {
        throw IOError("load_weights: " + path + " has an invalid shape for tensor \"" + name + "\".");
      }
    }
    const Shape shape(dims);
    const size_t bytes = static_cast<size_t>(shape.numel()) * dtype_size(static_cast<DType>(dtype));
    const char* src = r.take(bytes, "tensor data");  // checked before allocating
    Tensor t = Tensor::empty(shape, static_cast<DType>(dtype));
    if (bytes) std::memcpy(const_cast<char*>(bytes_of(t)), src, bytes);
    out.push_back({std::move(name), std::move(t)});
  }
  if (r.pos() != body) throw IOError("load_weights: " + path + " has trailing bytes after its last tensor.");
  return out;
}

}  // namespace soma::io
