#include "soma/data/idx.hpp"

#include <fmt/format.h>

#include <array>
#include <climits>
#include <filesystem>
#include <vector>

#include "data/byte_reader.hpp"
#include "soma/io/files.hpp"

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

Tensor parse(detail::ByteReader& in, const std::string& path, uint64_t file_size) {
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
  // The product of the non-zero dimensions must fit int64 too: Shape multiplies all of them in order, so
  // (2^32-1, 2^32-1, 2^32-1, 0) would overflow there before reaching the zero.
  uint64_t nonzero = 1;
  bool overflow = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const unsigned char* p = &raw_dims[4 * i];
    dims[i] = (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | int64_t{p[3]};
    if (dims[i] != 0)
      overflow = overflow || __builtin_mul_overflow(nonzero, static_cast<uint64_t>(dims[i]), &nonzero);
  }
  const Shape shape(dims);
  if (overflow || nonzero > uint64_t{INT64_MAX})
    fail(path, fmt::format("shape {} is impossibly large", shape.str()));
  const uint64_t bytes = shape.numel() == 0 ? 0 : nonzero;  // element size is 1 for the only supported type

  auto truncated = [&](uint64_t found) {
    fail(path, fmt::format("truncated data: expected {} bytes of data, found {}{} (shape {}, type uint8)",
                           bytes, found, in.cut_note(), shape.str()));
  };
  const uint64_t most_possible = in.gzipped()              ? file_size * kMaxDeflateRatio
                                 : file_size > header_size ? file_size - header_size
                                                           : 0;
  if (bytes > most_possible) truncated(in.skip_rest());

  Tensor out = Tensor::empty(shape, DType::uint8);
  if (const uint64_t got = in.read(out.data<uint8_t>(), bytes); got < bytes) truncated(got);
  if (const uint64_t extra = in.skip_rest(); extra > 0) {
    fail(path, fmt::format("trailing garbage: {} bytes after the {} bytes of data that shape {} describes",
                           extra, bytes, shape.str()));
  }
  return out;
}

}  // namespace

Tensor read_idx(const std::string& requested) {
  const std::string path = resolve_path(requested);
  io::InputFile file = io::open_regular_file("read_idx", path);
  detail::ByteReader in(file, fmt::format("read_idx: '{}': ", path), /*allow_gzip=*/true);
  return parse(in, path, file.size());
}

Tensor parse_idx(std::string_view bytes, const std::string& source) {
  detail::ByteReader in(bytes, fmt::format("read_idx: '{}': ", source), /*allow_gzip=*/true);
  return parse(in, source, bytes.size());
}

}  // namespace soma::data
