#pragma once
// The image decoders behind load_image / decode_image (private to src/data). Each one checks the
// header's dimensions against the file's size and the absolute cap before it allocates pixels, and
// throws IOError("<who>: <name>: <problem>.") for anything it cannot decode completely.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soma::data::detail {

// A decoded image as stored, 8 bits per sample, row-major: channels 1 (grey), 2 (grey + alpha),
// 3 (RGB) or 4 (RGBA).
struct Pixels {
  int64_t height = 0, width = 0;
  int channels = 0;
  std::vector<uint8_t> data;
};

// PIL's DecompressionBombError threshold (2 * Image.MAX_IMAGE_PIXELS): anything PIL opens, soma opens.
inline constexpr int64_t kMaxPixels = 178'956'970;

// Throws unless 1 <= width, height and width * height <= kMaxPixels.
void check_dimensions(const std::string& who, const std::string& name, const char* format, int64_t width,
                      int64_t height);
[[noreturn]] void fail(const std::string& who, const std::string& name, const std::string& problem);

Pixels decode_png(const std::string& who, const std::string& name, std::string_view bytes);
Pixels decode_jpeg(const std::string& who, const std::string& name, std::string_view bytes);
Pixels decode_pnm(const std::string& who, const std::string& name, std::string_view bytes);
// BMP, GIF (first frame) and TGA through stb_image, after checks of our own on the header.
Pixels decode_bmp(const std::string& who, const std::string& name, std::string_view bytes);
Pixels decode_gif(const std::string& who, const std::string& name, std::string_view bytes);
Pixels decode_tga(const std::string& who, const std::string& name, std::string_view bytes);
bool looks_like_tga(std::string_view bytes);

// A PNG file's bytes (8 bits per sample, 1, 3 or 4 channels).
std::string encode_png(const std::string& who, const std::string& name, const uint8_t* pixels, int64_t height,
                       int64_t width, int channels);

}  // namespace soma::data::detail
