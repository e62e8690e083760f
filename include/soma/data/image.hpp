#pragma once
// Image files as tensors, as keras.utils.load_img + img_to_array (PNG, JPEG, BMP, GIF, TGA, PGM/PPM):
//   Tensor img = soma::data::load_image("digit.png", {.color_mode = "grayscale", .target_size = {28, 28}});
// PNG goes through libpng, JPEG through libjpeg-turbo, PGM/PPM through soma's own reader, BMP/GIF/TGA
// through stb_image behind header and size checks (docs/data.md lists the limits and Keras differences).
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::data {

struct LoadImageOptions {
  std::string color_mode = "rgb";         // "grayscale", "rgb" or "rgba", converted as PIL's convert()
  std::vector<int64_t> target_size = {};  // {height, width} to resize to; empty: as stored
};

// uint8 (height, width, channels). Throws IOError naming the file for a missing, unreadable, corrupt,
// truncated or implausibly large image, ValueError for a bad option.
Tensor load_image(const std::string& path, const LoadImageOptions& options = {});
// The same from a file's bytes in memory; `name` is what errors call it.
Tensor decode_image(std::string_view bytes, const std::string& name, const LoadImageOptions& options = {});
// Writes uint8 (height, width, channels) with 1, 3 or 4 channels as a PNG file (libpng), atomically.
void save_image(const std::string& path, const Tensor& image);

}  // namespace soma::data
