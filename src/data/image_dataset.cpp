#include "soma/data/image_dataset.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "soma/core/error.hpp"
#include "soma/data/image.hpp"

namespace soma::data {

namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kinds[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pgm", ".ppm", ".pnm"};
  return std::any_of(std::begin(kinds), std::end(kinds), [&](const char* k) { return ext == k; });
}

void check(const ImageDatasetOptions& o) {
  if (o.color_mode != "grayscale" && o.color_mode != "rgb" && o.color_mode != "rgba") {
    throw ValueError(
        "image_dataset_from_directory: color_mode must be \"grayscale\", \"rgb\" or \"rgba\", "
        "received \"" +
        o.color_mode + "\".");
  }
  if (o.image_size.size() != 2 || o.image_size[0] <= 0 || o.image_size[1] <= 0) {
    throw ValueError("image_dataset_from_directory: image_size must be {height, width} with positive sizes.");
  }
  if (!(o.validation_split >= 0.0f && o.validation_split < 1.0f)) {
    throw ValueError("image_dataset_from_directory: validation_split must be in [0, 1), received " +
                     std::to_string(o.validation_split) + ".");
  }
  const bool split = o.validation_split > 0.0f;
  if (split != !o.subset.empty() || (split && o.subset != "training" && o.subset != "validation")) {
    throw ValueError(
        "image_dataset_from_directory: give validation_split together with subset \"training\" "
        "or \"validation\" (received split " +
        std::to_string(o.validation_split) + ", subset \"" + o.subset + "\").");
  }
}

}  // namespace

ImageDataset image_dataset_from_directory(const std::string& directory, const ImageDatasetOptions& o) {
  check(o);
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    throw IOError("image_dataset_from_directory: " + directory + " is not a directory.");
  }
  ImageDataset ds;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_directory()) ds.class_names.push_back(entry.path().filename().string());
  }
  std::sort(ds.class_names.begin(), ds.class_names.end());
  if (ds.class_names.empty()) {
    throw IOError("image_dataset_from_directory: " + directory +
                  " has no subdirectories; put each class's images in a directory named after the class.");
  }
  std::vector<std::pair<std::string, int64_t>> files;
  for (size_t c = 0; c < ds.class_names.size(); ++c) {
    std::vector<std::string> in_class;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(directory) / ds.class_names[c])) {
      if (entry.is_regular_file() && is_image_file(entry.path())) in_class.push_back(entry.path().string());
    }
    std::sort(in_class.begin(), in_class.end());
    for (auto& f : in_class) files.emplace_back(std::move(f), static_cast<int64_t>(c));
  }
  if (files.empty()) throw IOError("image_dataset_from_directory: no image files below " + directory + ".");
  if (o.shuffle) std::shuffle(files.begin(), files.end(), std::mt19937_64(o.seed));
  if (o.validation_split > 0.0f) {
    const auto val = static_cast<size_t>(std::floor(static_cast<double>(files.size()) * o.validation_split));
    const size_t cut = files.size() - val;
    if (o.subset == "training") {
      files.resize(cut);
    } else {
      files.erase(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(cut));
    }
    if (files.empty()) {
      throw ValueError("image_dataset_from_directory: validation_split " +
                       std::to_string(o.validation_split) + " leaves no " + o.subset + " images.");
    }
  }
  const int64_t channels = o.color_mode == "grayscale" ? 1 : (o.color_mode == "rgba" ? 4 : 3);
  const int64_t h = o.image_size[0], w = o.image_size[1], per = h * w * channels;
  ds.images = Tensor::empty({static_cast<int64_t>(files.size()), h, w, channels}, DType::uint8);
  ds.labels = Tensor::empty({static_cast<int64_t>(files.size())}, DType::int64);
  for (size_t i = 0; i < files.size(); ++i) {
    const Tensor img = load_image(files[i].first, {.color_mode = o.color_mode, .target_size = {h, w}});
    std::memcpy(ds.images.data<uint8_t>() + static_cast<int64_t>(i) * per, img.data<uint8_t>(),
                static_cast<size_t>(per));
    ds.labels.data<int64_t>()[i] = files[i].second;
    ds.file_paths.push_back(files[i].first);
  }
  return ds;
}

}  // namespace soma::data
