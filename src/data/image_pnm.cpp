// Binary PGM (P5) and PPM (P6), 8 or 16 bits, decoded here rather than by stb_image: stb 2.27 reads
// past its buffer when it converts the channels of a 16-bit file.
#include <cmath>
#include <string>

#include "data/image_codecs.hpp"

namespace soma::data::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The next decimal header field after whitespace and '#' comments; -1 if there is none.
int64_t next_number(std::string_view b, size_t& pos) {
  while (pos < b.size()) {
    if (is_space(b[pos])) {
      ++pos;
    } else if (b[pos] == '#') {
      while (pos < b.size() && b[pos] != '\n' && b[pos] != '\r') ++pos;
    } else {
      break;
    }
  }
  int64_t v = 0;
  size_t digits = 0;
  while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9') {
    v = v * 10 + (b[pos++] - '0');
    if (++digits > 9) return -1;  // more than any real PNM dimension or maxval
  }
  return digits == 0 ? -1 : v;
}

}  // namespace

Pixels decode_pnm(const std::string& who, const std::string& name, std::string_view b) {
  const int channels = b[1] == '5' ? 1 : 3;
  const char* kind = channels == 1 ? "PGM" : "PPM";
  size_t pos = 2;
  const int64_t width = next_number(b, pos), height = next_number(b, pos), maxval = next_number(b, pos);
  if (width < 0 || height < 0 || maxval < 0) {
    fail(who, name,
         std::string("invalid ") + kind + " header: expected width, height and maxval as decimal numbers");
  }
  if (pos >= b.size() || !is_space(b[pos])) {
    fail(who, name,
         std::string("invalid ") + kind + " header: expected one whitespace character after maxval");
  }
  ++pos;
  if (maxval < 1 || maxval > 65535) {
    fail(who, name, std::string(kind) + " maxval must be in 1..65535, received " + std::to_string(maxval));
  }
  check_dimensions(who, name, kind, width, height);
  const int sample_bytes = maxval > 255 ? 2 : 1;
  const uint64_t samples = static_cast<uint64_t>(width) * static_cast<uint64_t>(height) * channels;
  if (samples * sample_bytes > b.size() - pos) {
    fail(who, name,
         std::string("truncated ") + kind + ": " + std::to_string(width) + " x " + std::to_string(height) +
             " pixels need " + std::to_string(samples * sample_bytes) +
             " bytes of data after the header, the file has " + std::to_string(b.size() - pos));
  }
  Pixels p;
  p.height = height;
  p.width = width;
  p.channels = channels;
  p.data.resize(samples);
  const auto* in = reinterpret_cast<const unsigned char*>(b.data() + pos);
  for (uint64_t i = 0; i < samples; ++i) {
    const int64_t v = sample_bytes == 1 ? in[i] : (in[2 * i] << 8 | in[2 * i + 1]);
    if (v > maxval) {
      fail(who, name,
           std::string(kind) + " sample " + std::to_string(i) + " is " + std::to_string(v) +
               ", above maxval " + std::to_string(maxval));
    }
    // PIL's round(v / maxval * 255), in the same double arithmetic and round-half-even.
    p.data[i] =
        static_cast<uint8_t>(std::nearbyint(static_cast<double>(v) / static_cast<double>(maxval) * 255.0));
  }
  return p;
}

}  // namespace soma::data::detail
