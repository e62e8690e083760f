#include "soma/data/idx.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace soma::data {
namespace {

namespace fs = std::filesystem;

// Deflate expands data by at most ~1032x, so a gzip file of k bytes cannot hold more than this many
// times k. Checking a header's claimed size against it keeps a corrupt header from making us allocate
// terabytes before we find out the data is not there.
constexpr uint64_t kMaxDeflateRatio = 1032;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw IOError(fmt::format("read_idx: '{}': {}.", path, problem));
}

std::string resolve_path(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  const std::string alt = path.ends_with(".gz") ? path.substr(0, path.size() - 3) : path + ".gz";
  if (!alt.empty() && fs::exists(alt, ec)) return alt;
  fail(path, fmt::format("file not found (also looked for '{}')", alt));
}

bool has_gzip_magic(const std::string& path) {
  std::array<unsigned char, 2> head{};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  const size_t got = std::fread(head.data(), 1, head.size(), f);
  std::fclose(f);
  return got == 2 && head[0] == 0x1f && head[1] == 0x8b;
}

// gzopen/gzread read raw files transparently, so one code path serves both kinds.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
    gzbuffer(file_, 1 << 18);  // fewer, larger reads; the default 8 KiB is slow for MNIST-sized files
  }
  ~Reader() { gzclose_r(file_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads up to n bytes; fewer only at the end of the data.
  uint64_t read(void* dst, uint64_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    uint64_t total = 0;
    while (total < n) {
      const auto chunk = static_cast<unsigned>(std::min<uint64_t>(n - total, 1u << 30));  // gzread takes int
      const int got = gzread(file_, out + total, chunk);
      int err = Z_OK;
      const char* msg = gzerror(file_, &err);
      if (got < 0 || (err != Z_OK && err != Z_BUF_ERROR)) {
        fail(path_, fmt::format("corrupt gzip stream ({})", err == Z_ERRNO ? std::strerror(errno) : msg));
      }
      if (err == Z_BUF_ERROR) stream_cut_ = true;
      if (got == 0) break;
      total += static_cast<uint64_t>(got);
    }
    return total;
  }

  // Counts the bytes left, without keeping them.
  uint64_t skip_rest() {
    std::vector<unsigned char> scratch(1 << 16);
    uint64_t total = 0;
    while (const uint64_t got = read(scratch.data(), scratch.size())) total += got;
    return total;
  }

  // The gzip stream ended before its end-of-stream marker: the file itself was cut short.
  const char* cut_note() const { return stream_cut_ ? " (the gzip stream is cut short)" : ""; }

 private:
  std::string path_;
  gzFile file_;
  bool stream_cut_ = false;
};

const char* idx_type_name(int code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "short";
    case 0x0C:
      return "int";
    case 0x0D:
      return "float";
    case 0x0E:
      return "double";
    default:
      return nullptr;
  }
}

}  // namespace

Tensor read_idx(const std::string& requested) {
  const std::string path = resolve_path(requested);
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(path, "is a directory, expected an IDX file");
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) fail(path, fmt::format("cannot read its size: {}", ec.message()));
  const bool gzipped = has_gzip_magic(path);
  Reader in(path);

  std::array<unsigned char, 4> magic{};
  if (const uint64_t got = in.read(magic.data(), 4); got < 4) {
    fail(path, fmt::format("truncated header: expected at least 4 bytes, found {}{}", got, in.cut_note()));
  }
  if (magic[0] != 0 || magic[1] != 0) {
    fail(path, fmt::format("bad magic {:02x} {:02x} {:02x} {:02x}: an IDX file starts with two zero bytes, "
                           "then the type code and the rank",
                           magic[0], magic[1], magic[2], magic[3]));
  }
  const int type = magic[2];
  const int rank = magic[3];
  if (idx_type_name(type) == nullptr) {
    fail(path, fmt::format("unsupported type code 0x{:02x}: IDX defines 0x08, 0x09 and 0x0b to 0x0e", type));
  }
  if (type != 0x08) {
    throw NotImplementedError(fmt::format(
        "read_idx: '{}': IDX type code 0x{:02x} ({}) is not supported yet; only 0x08 (unsigned byte) is.",
        path, type, idx_type_name(type)));
  }
  if (rank == 0 || rank > Shape::kMaxRank) {
    fail(path, fmt::format("rank {} is not supported: expected 1 to {} dimensions", rank, Shape::kMaxRank));
  }

  const uint64_t header_size = 4 + 4 * static_cast<uint64_t>(rank);
  std::array<unsigned char, 4 * Shape::kMaxRank> raw_dims{};
  if (const uint64_t got = in.read(raw_dims.data(), 4 * static_cast<uint64_t>(rank)); got < 4u * rank) {
    fail(path, fmt::format("truncated header: expected {} bytes (4 + 4 per dimension, rank {}), found {}{}",
                           header_size, rank, 4 + got, in.cut_note()));
  }
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  uint64_t bytes = 1;  // element size is 1 for the only supported type
  bool overflow = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const unsigned char* p = &raw_dims[4 * i];
    dims[i] = (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | int64_t{p[3]};
    overflow = overflow || __builtin_mul_overflow(bytes, static_cast<uint64_t>(dims[i]), &bytes);
  }
  const Shape shape(dims);
  if (overflow || bytes > uint64_t{INT64_MAX})
    fail(path, fmt::format("shape {} is impossibly large", shape.str()));

  auto truncated = [&](uint64_t found) {
    fail(path, fmt::format("truncated data: expected {} bytes of data, found {}{} (shape {}, type uint8)",
                           bytes, found, in.cut_note(), shape.str()));
  };
  const uint64_t most_possible = gzipped ? file_size * kMaxDeflateRatio : file_size - header_size;
  if (bytes > most_possible) truncated(in.skip_rest());

  Tensor out = Tensor::empty(shape, DType::uint8);
  if (const uint64_t got = in.read(out.data<uint8_t>(), bytes); got < bytes) truncated(got);
  if (const uint64_t extra = in.skip_rest(); extra > 0) {
    fail(path, fmt::format("trailing garbage: {} bytes after the {} bytes of data that shape {} describes",
                           extra, bytes, shape.str()));
  }
  return out;
}

}  // namespace soma::data
