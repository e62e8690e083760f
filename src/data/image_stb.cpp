// BMP, GIF and TGA through stb_image 2.27, which has no size checks of its own worth the name: it
// aborts on some zero-sized headers, allocates whatever a header claims and silently fills missing data
// with zeros. So each header is read here first, and the file must hold every byte (BMP, uncompressed
// TGA), every RLE packet (TGA) or every sub-block of the first frame (GIF) before stb sees it.
// stb_image is compiled here, static, with only the three readers used: PNG, JPEG, PSD, HDR and PIC
// code is not even in the binary, and the fuzz build instruments stb too (Debian's libstb is not).
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include <stb_image.h>

#include <cstring>
#include <memory>

#include "data/image_codecs.hpp"

namespace soma::data::detail {

namespace {

uint32_t u16(std::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8;
}
uint32_t u32(std::string_view b, size_t at) {
  return u16(b, at) | u16(b, at + 2) << 16;
}

std::string n(uint64_t v) {
  return std::to_string(v);
}

Pixels decode_with_stb(const std::string& who, const std::string& name, std::string_view b,
                       const char* format, int64_t width, int64_t height) {
  int w = 0, h = 0, comp = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(b.data()), static_cast<int>(b.size()), &w, &h,
                            &comp, 0),
      stbi_image_free);
  if (!data) fail(who, name, std::string("invalid ") + format + ": " + stbi_failure_reason());
  if (w != width || h != height || comp < 1 || comp > 4) {
    fail(who, name,
         std::string(format) + " decoder disagrees with the header (" + n(w) + " x " + n(h) + ", expected " +
             n(width) + " x " + n(height) + ")");
  }
  Pixels p;
  p.height = h;
  p.width = w;
  p.channels = comp;
  p.data.assign(data.get(), data.get() + static_cast<size_t>(w) * static_cast<size_t>(h) * comp);
  return p;
}

}  // namespace

Pixels decode_bmp(const std::string& who, const std::string& name, std::string_view b) {
  if (b.size() < 26) fail(who, name, "truncated BMP: " + n(b.size()) + " bytes, shorter than any BMP header");
  const uint32_t offset = u32(b, 10), header = u32(b, 14);
  int64_t width = 0, height = 0;
  uint32_t bpp = 0, compression = 0;
  if (header == 12) {
    width = u16(b, 18), height = u16(b, 20), bpp = u16(b, 24);
  } else if (header == 40 || header == 56 || header == 108 || header == 124) {
    if (b.size() < 14 + static_cast<size_t>(header)) {
      fail(who, name,
           "truncated BMP: its " + n(header) + "-byte info header ends after " + n(b.size()) + " bytes");
    }
    width = static_cast<int32_t>(u32(b, 18)), height = static_cast<int32_t>(u32(b, 22));
    bpp = u16(b, 28), compression = u32(b, 30);
    if (height < 0) height = -height;  // top-down rows
  } else {
    fail(who, name,
         "BMP info header of " + n(header) + " bytes is not supported (expected 12, 40, 56, 108 or 124)");
  }
  check_dimensions(who, name, "BMP", width, height);
  if (compression != 0 && compression != 3) {
    fail(who, name, "BMP compression " + n(compression) + " (RLE or embedded JPEG/PNG) is not supported");
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    fail(who, name,
         "BMP with " + n(bpp) + " bits per pixel is not supported (expected 1, 4, 8, 16, 24 or 32)");
  }
  const uint64_t stride = (static_cast<uint64_t>(width) * bpp + 31) / 32 * 4;
  const uint64_t needed = static_cast<uint64_t>(offset) + stride * static_cast<uint64_t>(height);
  if (needed > b.size()) {
    fail(who, name,
         "truncated BMP: " + n(width) + " x " + n(height) + " pixels at " + n(bpp) + " bits need " +
             n(needed) + " bytes, the file has " + n(b.size()));
  }
  Pixels p = decode_with_stb(who, name, b, "BMP", width, height);
  if (compression == 0 && p.channels == 4) {
    // In an uncompressed 32-bit BMP the fourth byte is padding (BGRX); PIL and Windows ignore it, stb
    // reads it as alpha.
    const size_t n = static_cast<size_t>(p.width * p.height);
    for (size_t i = 0; i < n; ++i) std::memmove(&p.data[i * 3], &p.data[i * 4], 3);
    p.data.resize(n * 3);
    p.channels = 3;
  }
  return p;
}

Pixels decode_gif(const std::string& who, const std::string& name, std::string_view b) {
  if (b.size() < 13) fail(who, name, "truncated GIF: " + n(b.size()) + " bytes, shorter than the GIF header");
  const int64_t width = u16(b, 6), height = u16(b, 8);
  check_dimensions(who, name, "GIF", width, height);
  size_t pos = 13, palette = 0, colours = 0;
  int transparent = -1;
  if (b[10] & 0x80) palette = 13, colours = 2u << (b[10] & 7), pos += 3 * colours;
  // Walks the blocks up to the end of the first image's data, which is all stb decodes.
  auto sub_blocks = [&] {
    uint64_t total = 0;
    for (;;) {
      if (pos >= b.size()) fail(who, name, "truncated GIF: the file ends inside a data block");
      const auto len = static_cast<uint8_t>(b[pos++]);
      if (len == 0) return total;
      pos += len;
      total += len;
    }
  };
  for (;;) {
    if (pos >= b.size()) fail(who, name, "truncated GIF: the file ends before the first image");
    const auto kind = static_cast<uint8_t>(b[pos]);
    if (kind == 0x21) {
      if (pos + 7 < b.size() && static_cast<uint8_t>(b[pos + 1]) == 0xf9 && b[pos + 2] == 4 &&
          (b[pos + 3] & 1)) {
        transparent = static_cast<uint8_t>(b[pos + 6]);
      }
      pos += 2;
      sub_blocks();
    } else if (kind == 0x2c) {
      if (pos + 11 > b.size()) fail(who, name, "truncated GIF: the file ends inside an image descriptor");
      const auto flags = static_cast<uint8_t>(b[pos + 9]);
      pos += 10;
      if (flags & 0x80) palette = pos, colours = 2u << (flags & 7), pos += 3 * colours;
      ++pos;  // LZW minimum code size
      const uint64_t data = sub_blocks();
      // An LZW code has at least 3 bits and expands to at most 4096 pixels; stb sizes its buffers by
      // the logical screen, so the screen is held to the same bound.
      const uint64_t most = data * 8 / 3 * 4096 + 4096;
      if (static_cast<uint64_t>(width * height) > most) {
        fail(who, name,
             "GIF screen of " + n(width) + " x " + n(height) + " pixels is more than its " + n(data) +
                 " bytes of image data can fill (at most " + n(most) + " pixels); the file is corrupt");
      }
      break;
    } else if (kind == 0x3b) {
      fail(who, name, "GIF holds no image");
    } else {
      fail(who, name, "invalid GIF: unknown block type " + n(kind) + " at byte " + n(pos));
    }
  }
  Pixels p = decode_with_stb(who, name, b, "GIF", width, height);
  // stb leaves transparent pixels (0, 0, 0, 0); PIL, and so load_img, keeps their palette colour with
  // alpha 0, which is what "rgb" shows. stb's opaque pixels all have alpha 255.
  if (transparent >= 0 && static_cast<size_t>(transparent) < colours && palette + 3 * colours <= b.size() &&
      p.channels == 4) {
    const char* rgb = b.data() + palette + 3 * static_cast<size_t>(transparent);
    for (size_t i = 0; i < p.data.size(); i += 4) {
      if (p.data[i + 3] == 0) std::memcpy(&p.data[i], rgb, 3);
    }
  }
  return p;
}

bool looks_like_tga(std::string_view b) {
  if (b.size() < 18) return false;
  const auto cmap = static_cast<uint8_t>(b[1]), type = static_cast<uint8_t>(b[2]),
             bpp = static_cast<uint8_t>(b[16]);
  const auto cmap_bits = static_cast<uint8_t>(b[7]);
  if (cmap > 1) return false;
  if (type != 1 && type != 2 && type != 3 && type != 9 && type != 10 && type != 11) return false;
  if ((type == 1 || type == 9) != (cmap == 1)) return false;
  if (cmap == 1 && cmap_bits != 15 && cmap_bits != 16 && cmap_bits != 24 && cmap_bits != 32) return false;
  return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

Pixels decode_tga(const std::string& who, const std::string& name, std::string_view b) {
  const int64_t width = u16(b, 12), height = u16(b, 14);
  check_dimensions(who, name, "TGA", width, height);
  const auto type = static_cast<uint8_t>(b[2]);
  const uint64_t pixel_bytes = (static_cast<uint8_t>(b[16]) + 7u) / 8u;
  const uint64_t cmap_bytes = b[1] ? u16(b, 5) * ((static_cast<uint8_t>(b[7]) + 7u) / 8u) : 0;
  uint64_t pos = 18 + static_cast<uint8_t>(b[0]) + cmap_bytes;
  const uint64_t pixels = static_cast<uint64_t>(width * height);
  if (type < 9) {
    const uint64_t needed = pos + pixels * pixel_bytes;
    if (needed > b.size()) {
      fail(who, name,
           "truncated TGA: " + n(width) + " x " + n(height) + " pixels need " + n(needed) +
               " bytes, the file has " + n(b.size()));
    }
  } else {
    // Walk the RLE packets: each covers 1..128 pixels with one value (run) or one value each (raw).
    uint64_t covered = 0;
    while (covered < pixels && pos < b.size()) {
      const auto packet = static_cast<uint8_t>(b[pos++]);
      const uint64_t count = (packet & 0x7fu) + 1;
      pos += (packet & 0x80) ? pixel_bytes : count * pixel_bytes;
      covered += count;
    }
    if (pos > b.size()) fail(who, name, "truncated TGA: the file ends inside an RLE packet");
    if (covered < pixels) {
      fail(who, name,
           "truncated TGA: the RLE data ends after " + n(covered) + " of " + n(pixels) + " pixels");
    }
  }
  return decode_with_stb(who, name, b, "TGA", width, height);
}

}  // namespace soma::data::detail
