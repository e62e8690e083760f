// JPEG through libjpeg-turbo. Its errors, and its warnings (corrupt or truncated data, which libjpeg
// would otherwise patch over with grey), longjmp back to the setjmp of a small guarded function whose
// frame holds only trivially destructible locals; the decompressor and the pixel buffer belong to the
// C++ caller and are released normally.
// clang-format off
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <csetjmp>
#include <cstring>

#include "data/image_codecs.hpp"

namespace soma::data::detail {

namespace {

// Progressive files can carry thousands of tiny scans that each re-walk the whole image (a known CPU
// exhaustion pattern); real encoders write about ten. libjpeg-turbo's own fuzzers stop at 500.
constexpr int kMaxScans = 500;

struct Job {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr err{};
  jpeg_progress_mgr progress{};
  std::jmp_buf jump{};
  char message[JMSG_LENGTH_MAX] = {};
  ~Job() {
    if (cinfo.err) jpeg_destroy_decompress(&cinfo);
  }
};

Job* job_of(j_common_ptr c) {
  return static_cast<Job*>(c->client_data);
}

void on_error_exit(j_common_ptr c) {
  (*c->err->format_message)(c, job_of(c)->message);
  std::longjmp(job_of(c)->jump, 1);
}

void on_message(j_common_ptr c, int level) {
  if (level < 0) on_error_exit(c);  // a warning means the data is corrupt or ends early
}

void on_progress(j_common_ptr c) {
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->input_scan_number > kMaxScans) {
    std::snprintf(job_of(c)->message, JMSG_LENGTH_MAX, "more than %d progressive scans", kMaxScans);
    std::longjmp(job_of(c)->jump, 1);
  }
}

bool read_header(Job* j, const unsigned char* data, unsigned long size) {
  if (setjmp(j->jump)) return false;
  j->cinfo.client_data = j;  // kept by jpeg_create_decompress, so its own errors reach on_error_exit
  jpeg_create_decompress(&j->cinfo);
  j->cinfo.progress = &j->progress;
  jpeg_mem_src(&j->cinfo, data, size);
  jpeg_read_header(&j->cinfo, TRUE);
  return true;
}

// Returns 0 on success, 1 on a libjpeg error (message in Job), 2 if the output geometry is not the
// one the buffer was sized for.
int read_pixels(Job* j, J_COLOR_SPACE space, unsigned char* out, size_t row_bytes, JDIMENSION height) {
  if (setjmp(j->jump)) return 1;
  j->cinfo.out_color_space = space;
  jpeg_start_decompress(&j->cinfo);
  if (static_cast<size_t>(j->cinfo.output_width) * static_cast<size_t>(j->cinfo.output_components) !=
          row_bytes ||
      j->cinfo.output_height != height) {
    return 2;
  }
  while (j->cinfo.output_scanline < j->cinfo.output_height) {
    JSAMPROW row = out + static_cast<size_t>(j->cinfo.output_scanline) * row_bytes;
    jpeg_read_scanlines(&j->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&j->cinfo);
  return 0;
}

// PIL's "CMYK;I" (Adobe's inverted polarity, which PIL always assumes) followed by its cmyk2rgb.
void cmyk_to_rgb(Pixels& p) {
  const int64_t n = p.height * p.width;
  auto muldiv255 = [](int a, int b) {
    const int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  uint8_t* d = p.data.data();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* s = d + i * 4;
    const int nk = s[3];  // 255 - (255 - stored k)
    int rgb[3];
    for (int c = 0; c < 3; ++c) {
      const int v = nk - muldiv255(255 - s[c], nk);
      rgb[c] = v < 0 ? 0 : (v > 255 ? 255 : v);
    }
    for (int c = 0; c < 3; ++c) d[i * 3 + c] = static_cast<uint8_t>(rgb[c]);
  }
  p.channels = 3;
  p.data.resize(static_cast<size_t>(n) * 3);
}

}  // namespace

Pixels decode_jpeg(const std::string& who, const std::string& name, std::string_view bytes) {
  Job j;
  j.cinfo.err = jpeg_std_error(&j.err);
  j.err.error_exit = on_error_exit;
  j.err.emit_message = on_message;
  j.progress.progress_monitor = on_progress;
  if (!read_header(&j, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size())) {
    fail(who, name, std::string("invalid JPEG: ") + j.message);
  }
  const jpeg_decompress_struct& c = j.cinfo;
  check_dimensions(who, name, "JPEG", c.image_width, c.image_height);
  // Huffman coding spends at least one bit per 8x8 block of every component in a scan, and some
  // component is in the first scan; arithmetic coding has no such floor (only kMaxPixels applies).
  if (!c.arith_code) {
    uint64_t fewest = UINT64_MAX;
    for (int i = 0; i < c.num_components; ++i) {
      fewest = std::min<uint64_t>(
          fewest, static_cast<uint64_t>(c.comp_info[i].width_in_blocks) * c.comp_info[i].height_in_blocks);
    }
    if (fewest > 8 * static_cast<uint64_t>(bytes.size()) + 64) {
      fail(who, name,
           "JPEG header claims " + std::to_string(c.image_width) + " x " + std::to_string(c.image_height) +
               " pixels, more than a " + std::to_string(bytes.size()) +
               "-byte file can code (at least one bit per 8x8 block); the file is truncated or corrupt");
    }
  }
  J_COLOR_SPACE space = JCS_UNKNOWN;
  int channels = 0;
  switch (c.jpeg_color_space) {
    case JCS_GRAYSCALE:
      space = JCS_GRAYSCALE, channels = 1;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      space = JCS_RGB, channels = 3;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      space = JCS_CMYK, channels = 4;
      break;
    default:
      fail(who, name,
           "JPEG with " + std::to_string(c.num_components) +
               " components in an unknown colour space is not supported (expected grey, YCbCr, RGB, CMYK "
               "or YCCK)");
  }
  Pixels p;
  p.height = c.image_height;
  p.width = c.image_width;
  p.channels = channels;
  const size_t row_bytes = static_cast<size_t>(p.width) * static_cast<size_t>(channels);
  p.data.resize(row_bytes * static_cast<size_t>(p.height));
  const int rc = read_pixels(&j, space, p.data.data(), row_bytes, c.image_height);
  if (rc == 1) fail(who, name, std::string("invalid JPEG: ") + j.message);
  if (rc == 2) fail(who, name, "libjpeg's output geometry differs from the header's");
  if (channels == 4) cmyk_to_rgb(p);
  return p;
}

}  // namespace soma::data::detail
