#include "soma/data/image.hpp"

#include <stb_image_resize.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "data/image_codecs.hpp"
#include "soma/io/files.hpp"
#include "soma/core/error.hpp"

namespace soma::data {

namespace detail {

void fail(const std::string& who, const std::string& name, const std::string& problem) {
  throw IOError(who + ": " + name + ": " + problem + ".");
}

void check_dimensions(const std::string& who, const std::string& name, const char* format, int64_t width,
                      int64_t height) {
  if (width < 1 || height < 1) {
    fail(who, name,
         std::string(format) + " header gives " + std::to_string(width) + " x " + std::to_string(height) +
             " pixels; an image needs a width and height of at least 1");
  }
  if (width * height > kMaxPixels) {
    fail(who, name,
         std::string(format) + " header gives " + std::to_string(width) + " x " + std::to_string(height) +
             " = " + std::to_string(width * height) + " pixels, above the limit of " +
             std::to_string(kMaxPixels) + " (PIL's decompression-bomb limit)");
  }
}

}  // namespace detail

namespace {

using detail::Pixels;

// Larger than the biggest uncompressed image kMaxPixels allows (RGBA BMP), with room for headers.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{1} << 30;

int channels_of(const std::string& who, const std::string& mode) {
  if (mode == "grayscale") return 1;
  if (mode == "rgb") return 3;
  if (mode == "rgba") return 4;
  throw ValueError(who + ": color_mode must be \"grayscale\", \"rgb\" or \"rgba\", received \"" + mode +
                   "\".");
}

void check_target_size(const std::string& who, const std::vector<int64_t>& t) {
  if (!t.empty() && (t.size() != 2 || t[0] <= 0 || t[1] <= 0 || t[0] > 65536 || t[1] > 65536 ||
                     t[0] * t[1] > detail::kMaxPixels)) {
    throw ValueError(who +
                     ": target_size must be {height, width} with positive sizes up to 65536 and at most " +
                     std::to_string(detail::kMaxPixels) + " pixels.");
  }
}

std::string read_image_file(const std::string& who, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw IOError(who + ": cannot open " + path + ": no such file.");
  if (!fs::is_regular_file(st)) throw IOError(who + ": " + path + " is not a regular file.");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw IOError(who + ": cannot read the size of " + path + ": " + ec.message() + ".");
  if (size > kMaxFileBytes) {
    throw IOError(who + ": " + path + " is " + std::to_string(size) +
                  " bytes, larger than any image soma reads (" + std::to_string(kMaxFileBytes) + ").");
  }
  std::ifstream f(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!f || !f.read(bytes.data(), static_cast<std::streamsize>(size))) {
    throw IOError(who + ": cannot read " + path + ".");
  }
  return bytes;
}

std::string first_bytes(std::string_view b) {
  std::string out;
  char hex[4];
  for (size_t i = 0; i < b.size() && i < 8; ++i) {
    std::snprintf(hex, sizeof hex, i ? " %02x" : "%02x", static_cast<unsigned char>(b[i]));
    out += hex;
  }
  return out;
}

Pixels decode(const std::string& who, const std::string& name, std::string_view b) {
  if (b.empty()) detail::fail(who, name, "the file is empty");
  // Also keeps the length within stb's int.
  if (b.size() > kMaxFileBytes) {
    detail::fail(who, name,
                 std::to_string(b.size()) + " bytes is more than any image soma reads (" +
                     std::to_string(kMaxFileBytes) + ")");
  }
  if (b.starts_with("\x89PNG\r\n\x1a\n")) return detail::decode_png(who, name, b);
  if (b.starts_with("\xff\xd8\xff")) return detail::decode_jpeg(who, name, b);
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return detail::decode_gif(who, name, b);
  if (b.starts_with("BM")) return detail::decode_bmp(who, name, b);
  if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7' &&
      std::strchr(" \t\r\n#", b[2]) != nullptr) {
    if (b[1] == '5' || b[1] == '6') return detail::decode_pnm(who, name, b);
    detail::fail(who, name, std::string("PNM type P") + b[1] + " is not supported (only binary P5 and P6)");
  }
  if (detail::looks_like_tga(b)) return detail::decode_tga(who, name, b);
  detail::fail(
      who, name,
      "not a PNG, JPEG, BMP, GIF, TGA or binary PGM/PPM image (it starts with " + first_bytes(b) + ")");
}

// The stored channels as `channels`, as PIL's Image.convert does it for keras.utils.load_img: alpha is
// dropped (not composited), grey is replicated, and colour becomes ITU-R 601-2 luma in PIL's fixed point.
Tensor convert(const Pixels& p, int channels) {
  Tensor out = Tensor::empty({p.height, p.width, channels}, DType::uint8);
  uint8_t* o = out.data<uint8_t>();
  const uint8_t* s = p.data.data();
  const int64_t n = p.height * p.width;
  const int c = p.channels;
  if (c == channels) {
    std::memcpy(o, s, static_cast<size_t>(n * c));
    return out;
  }
  for (int64_t i = 0; i < n; ++i, s += c, o += channels) {
    if (channels == 1) {
      o[0] = c <= 2 ? s[0] : static_cast<uint8_t>((s[0] * 19595 + s[1] * 38470 + s[2] * 7471 + 0x8000) >> 16);
      continue;
    }
    const bool grey = c <= 2;
    o[0] = s[0];
    o[1] = grey ? s[0] : s[1];
    o[2] = grey ? s[0] : s[2];
    if (channels == 4) o[3] = c == 2 ? s[1] : (c == 4 ? s[3] : 255);
  }
  return out;
}

Tensor decode_as(const std::string& who, const std::string& name, std::string_view bytes,
                 const LoadImageOptions& options) {
  const int channels = channels_of(who, options.color_mode);
  check_target_size(who, options.target_size);
  const Tensor img = convert(decode(who, name, bytes), channels);
  const auto& t = options.target_size;
  if (t.empty() || (t[0] == img.dim(0) && t[1] == img.dim(1))) return img;
  Tensor out = Tensor::empty({t[0], t[1], channels}, DType::uint8);
  if (!stbir_resize_uint8(img.data<uint8_t>(), static_cast<int>(img.dim(1)), static_cast<int>(img.dim(0)), 0,
                          out.data<uint8_t>(), static_cast<int>(t[1]), static_cast<int>(t[0]), 0, channels)) {
    throw IOError(who + ": resizing " + name + " failed.");
  }
  return out;
}

}  // namespace

Tensor load_image(const std::string& path, const LoadImageOptions& options) {
  channels_of("load_image", options.color_mode);
  check_target_size("load_image", options.target_size);
  return decode_as("load_image", path, read_image_file("load_image", path), options);
}

Tensor decode_image(std::string_view bytes, const std::string& name, const LoadImageOptions& options) {
  return decode_as("decode_image", name, bytes, options);
}

void save_image(const std::string& path, const Tensor& image) {
  if (image.dtype() != DType::uint8 || image.rank() != 3 ||
      (image.dim(2) != 1 && image.dim(2) != 3 && image.dim(2) != 4)) {
    throw ValueError("save_image: expected uint8 (height, width, 1, 3 or 4 channels), received " +
                     image.shape().str() + ".");
  }
  if (image.dim(0) < 1 || image.dim(1) < 1 || image.dim(0) > 0x7fffffff || image.dim(1) > 0x7fffffff) {
    throw ValueError("save_image: a PNG needs a height and width in 1..2^31-1, received " +
                     image.shape().str() + ".");
  }
  const Tensor c = image.clone();
  io::write_file_atomically("save_image", path,
                            detail::encode_png("save_image", path, c.data<uint8_t>(), c.dim(0),
                                               c.dim(1), static_cast<int>(c.dim(2))));
}

}  // namespace soma::data
