#include "soma/data/image.hpp"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <cstring>
#include <memory>

#include "soma/core/error.hpp"

namespace soma::data {

Tensor load_image(const std::string& path, const LoadImageOptions& options) {
  int channels = 0;
  if (options.color_mode == "grayscale") channels = 1;
  if (options.color_mode == "rgb") channels = 3;
  if (options.color_mode == "rgba") channels = 4;
  if (channels == 0) {
    throw ValueError("load_image: color_mode must be \"grayscale\", \"rgb\" or \"rgba\", received \"" +
                     options.color_mode + "\".");
  }
  if (!options.target_size.empty() &&
      (options.target_size.size() != 2 || options.target_size[0] <= 0 || options.target_size[1] <= 0 ||
       options.target_size[0] > 65536 || options.target_size[1] > 65536)) {
    throw ValueError("load_image: target_size must be {height, width} with positive sizes up to 65536.");
  }
  int width = 0, height = 0, stored = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load(path.c_str(), &width, &height, &stored, channels), stbi_image_free);
  if (!pixels) {
    throw IOError("load_image: cannot read " + path + " as an image: " + stbi_failure_reason() + ".");
  }
  if (options.target_size.empty() || (options.target_size[0] == height && options.target_size[1] == width)) {
    Tensor out = Tensor::empty({height, width, channels}, DType::uint8);
    std::memcpy(out.data<uint8_t>(), pixels.get(), static_cast<size_t>(out.numel()));
    return out;
  }
  const auto th = static_cast<int>(options.target_size[0]), tw = static_cast<int>(options.target_size[1]);
  Tensor out = Tensor::empty({th, tw, channels}, DType::uint8);
  if (!stbir_resize_uint8(pixels.get(), width, height, 0, out.data<uint8_t>(), tw, th, 0, channels)) {
    throw IOError("load_image: resizing " + path + " failed.");
  }
  return out;
}

void save_image(const std::string& path, const Tensor& image) {
  if (image.dtype() != DType::uint8 || image.rank() != 3 ||
      (image.dim(2) != 1 && image.dim(2) != 3 && image.dim(2) != 4)) {
    throw ValueError("save_image: expected uint8 (height, width, 1, 3 or 4 channels), received " +
                     image.shape().str() + ".");
  }
  const Tensor c = image.clone();
  const auto h = static_cast<int>(c.dim(0)), w = static_cast<int>(c.dim(1)), ch = static_cast<int>(c.dim(2));
  if (!stbi_write_png(path.c_str(), w, h, ch, c.data<uint8_t>(), w * ch)) {
    throw IOError("save_image: cannot write " + path + ".");
  }
}

}  // namespace soma::data
