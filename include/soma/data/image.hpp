#pragma once
// Image files as tensors, as keras.utils.load_img + img_to_array (PNG, JPEG, BMP, GIF, TGA, PNM, ...):
//   Tensor img = soma::data::load_image("digit.png", {.color_mode = "grayscale", .target_size = {28, 28}});
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::data {

struct LoadImageOptions {
  std::string color_mode = "rgb";         // "grayscale", "rgb" or "rgba"
  std::vector<int64_t> target_size = {};  // {height, width} to resize to; empty: as stored
};

// uint8 (height, width, channels). Throws IOError naming the file for a missing or undecodable image,
// ValueError for a bad option.
Tensor load_image(const std::string& path, const LoadImageOptions& options = {});
// Writes uint8 (height, width, channels) with 1, 3 or 4 channels as a PNG file.
void save_image(const std::string& path, const Tensor& image);

}  // namespace soma::data
