// PNG through libpng. libpng reports errors by longjmp; each setjmp below sits in a small function
// whose frame (and every frame longjmp can skip: libpng's and the callbacks) holds only trivially
// destructible locals, so no C++ destructor is ever jumped over. The structs and buffers are owned
// by the C++ caller and released normally after the guarded call returns.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "data/image_codecs.hpp"

namespace soma::data::detail {

namespace {

struct PngIo {
  const unsigned char* data = nullptr;
  size_t size = 0, pos = 0;
  std::string* out = nullptr;  // writing
  char message[256] = {};
};

void on_error(png_structp png, png_const_charp message) {
  auto* io = static_cast<PngIo*>(png_get_error_ptr(png));
  std::snprintf(io->message, sizeof io->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings concern ancillary chunks (bad CRC, odd ICC profiles) that never change the pixels.
void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, size_t n) {
  auto* io = static_cast<PngIo*>(png_get_io_ptr(png));
  if (n > io->size - io->pos) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, io->data + io->pos, n);
  io->pos += n;
}

void on_write(png_structp png, png_bytep in, size_t n) {
  auto* io = static_cast<PngIo*>(png_get_io_ptr(png));
  try {
    io->out->append(reinterpret_cast<const char*>(in), n);
  } catch (...) {
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

struct Header {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  bool trns = false;
};

bool read_header(png_structp png, png_infop info, Header* h) {
  if (setjmp(png_jmpbuf(png))) return false;
  // Our own limits (kMaxPixels, the size bound) replace libpng's default 1,000,000 x 1,000,000.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);
  png_get_IHDR(png, info, &h->width, &h->height, &h->bit_depth, &h->color_type, &h->interlace, nullptr,
               nullptr);
  h->trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  return true;
}

// Returns 0 on success, 1 on a libpng error (message in PngIo), 2 if the row size is not the expected one.
int read_pixels(png_structp png, png_infop info, png_bytepp rows, size_t row_bytes) {
  if (setjmp(png_jmpbuf(png))) return 1;
  // 16-bit samples keep their high byte, as PIL does for RGB(A) ("RGB;16B").
  png_set_strip_16(png);
  png_set_packing(png);
  png_set_expand(png);  // palette -> RGB, grey 1/2/4 bits -> 8 bits, tRNS -> alpha
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != row_bytes) return 2;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return 0;
}

bool write_png(png_structp png, png_infop info, png_bytepp rows, png_uint_32 width, png_uint_32 height,
               int color_type) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

struct ReadStructs {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~ReadStructs() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

struct WriteStructs {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~WriteStructs() { png_destroy_write_struct(&png, info ? &info : nullptr); }
};

// Bytes of filtered scanlines the IDAT stream inflates to (Adam7 passes each add their own filter bytes).
uint64_t raw_bytes(const Header& h) {
  const uint64_t samples =
      (h.color_type & PNG_COLOR_MASK_PALETTE)
          ? 1
          : ((h.color_type & PNG_COLOR_MASK_COLOR) ? 3 : 1) + ((h.color_type & PNG_COLOR_MASK_ALPHA) ? 1 : 0);
  const uint64_t bits = samples * static_cast<uint64_t>(h.bit_depth);
  const uint64_t rows = h.interlace == PNG_INTERLACE_ADAM7 ? h.height : 0;
  return static_cast<uint64_t>(h.height) * ((bits * h.width + 7) / 8 + 1) + rows;
}

}  // namespace

Pixels decode_png(const std::string& who, const std::string& name, std::string_view bytes) {
  PngIo io{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0, nullptr, {}};
  ReadStructs s;
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
  if (s.png) s.info = png_create_info_struct(s.png);
  if (!s.png || !s.info) fail(who, name, "libpng could not start (out of memory)");
  png_set_read_fn(s.png, &io, on_read);
  Header h;
  if (!read_header(s.png, s.info, &h)) fail(who, name, std::string("invalid PNG: ") + io.message);
  check_dimensions(who, name, "PNG", h.width, h.height);
  // Deflate cannot expand data more than 1032:1, so a file this small cannot hold these pixels.
  const uint64_t most = 1032 * static_cast<uint64_t>(bytes.size()) + 4096;
  if (raw_bytes(h) > most) {
    fail(who, name,
         "PNG header claims " + std::to_string(h.width) + " x " + std::to_string(h.height) + " pixels (" +
             std::to_string(raw_bytes(h)) + " bytes of image data), more than a " +
             std::to_string(bytes.size()) +
             "-byte file can hold at deflate's maximum ratio of 1032:1; the file is truncated or corrupt");
  }
  Pixels p;
  p.height = h.height;
  p.width = h.width;
  const bool palette = h.color_type & PNG_COLOR_MASK_PALETTE;
  p.channels = palette ? 3 : ((h.color_type & PNG_COLOR_MASK_COLOR) ? 3 : 1);
  if ((h.color_type & PNG_COLOR_MASK_ALPHA) || h.trns) ++p.channels;
  const size_t row_bytes = static_cast<size_t>(p.width) * static_cast<size_t>(p.channels);
  p.data.resize(row_bytes * static_cast<size_t>(p.height));
  std::vector<png_bytep> rows(static_cast<size_t>(p.height));
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = p.data.data() + y * row_bytes;
  const int rc = read_pixels(s.png, s.info, rows.data(), row_bytes);
  if (rc == 1) fail(who, name, std::string("invalid PNG: ") + io.message);
  if (rc == 2) fail(who, name, "PNG colour type " + std::to_string(h.color_type) + " is not supported");
  return p;
}

std::string encode_png(const std::string& who, const std::string& name, const uint8_t* pixels, int64_t height,
                       int64_t width, int channels) {
  std::string out;
  PngIo io;
  io.out = &out;
  WriteStructs s;
  s.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
  if (s.png) s.info = png_create_info_struct(s.png);
  if (!s.png || !s.info) fail(who, name, "libpng could not start (out of memory)");
  png_set_write_fn(s.png, &io, on_write, on_flush);
  const int type =
      channels == 1 ? PNG_COLOR_TYPE_GRAY : (channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA);
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  const size_t row_bytes = static_cast<size_t>(width) * static_cast<size_t>(channels);
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = const_cast<png_bytep>(pixels) + y * row_bytes;
  if (!write_png(s.png, s.info, rows.data(), static_cast<png_uint_32>(width),
                 static_cast<png_uint_32>(height), type)) {
    fail(who, name, std::string("libpng could not encode the image: ") + io.message);
  }
  return out;
}

}  // namespace soma::data::detail
