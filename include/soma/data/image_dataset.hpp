#pragma once
// keras.utils.image_dataset_from_directory: one subdirectory per class, images inside.
//   auto ds = soma::data::image_dataset_from_directory("flowers", {.image_size = {64, 64}});
//   Tensor x = ds.images / 255.0f;                                  // uint8 (n, 64, 64, 3)
//   Tensor y = soma::utils::to_categorical(ds.labels, ds.class_names.size());
#include <cstdint>
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::data {

struct ImageDatasetOptions {
  std::string color_mode = "rgb";                // "grayscale", "rgb" or "rgba"
  std::vector<int64_t> image_size = {256, 256};  // {height, width} every image is resized to (Keras' default)
  bool shuffle = true;                           // in a seeded order; false: by class, then file name
  uint64_t seed = 0;
  // Keras' validation_split with subset "training" (the first 1 - split of the shuffled files) or
  // "validation" (the rest); 0 with subset "" takes everything.
  float validation_split = 0.0f;
  std::string subset = "";
};

struct ImageDataset {
  Tensor images;                         // uint8 (n, height, width, channels)
  Tensor labels;                         // int64 (n,): index into class_names
  std::vector<std::string> class_names;  // the subdirectories, sorted as Keras sorts them
  std::vector<std::string> file_paths;   // each image's file, in the order of images
};

// Reads every file with an image extension (png, jpg, jpeg, bmp, gif, tga, pgm, ppm, pnm, psd) below each
// class directory. Throws IOError for a missing directory, one without class subdirectories or images,
// or an image that cannot be decoded (naming it); ValueError for bad options.
ImageDataset image_dataset_from_directory(const std::string& directory,
                                          const ImageDatasetOptions& options = {});

}  // namespace soma::data
