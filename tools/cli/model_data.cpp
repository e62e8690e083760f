#include "model_data.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace soma::cli {

namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool is_idx(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  return name.find("idx") != std::string::npos || name.ends_with(".ubyte") || name.ends_with(".ubyte.gz");
}

bool is_image(const std::string& path) {
  static const char* kinds[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pgm", ".ppm", ".pnm"};
  const std::string ext = lower_extension(path);
  return std::any_of(std::begin(kinds), std::end(kinds), [&](const char* k) { return ext == k; });
}

// The (height, width, channels) images must have to feed a model with this per-sample input.
std::array<int64_t, 3> image_geometry(const Shape& sample) {
  if (sample.rank() == 3) return {sample[0], sample[1], sample[2]};
  if (sample.rank() == 2) return {sample[0], sample[1], 1};
  if (sample.rank() == 1) {
    for (int64_t c : {1, 3}) {
      const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(sample[0] / c))));
      if (side * side * c == sample[0]) return {side, side, c};
    }
  }
  throw ValueError("predict: a model whose input is " + sample.with_batch(-1).str() +
                   " does not take images; give IDX or CSV input instead.");
}

Tensor concat_rows(const std::vector<Tensor>& parts) {
  int64_t rows = 0;
  for (const Tensor& p : parts) rows += p.dim(0);
  Tensor out = Tensor::empty(parts.front().shape().with_dim(0, rows));
  int64_t at = 0;
  for (const Tensor& p : parts) {
    const Tensor c = p.clone();
    std::memcpy(out.f32() + at, c.f32(), static_cast<size_t>(c.numel()) * sizeof(float));
    at += c.numel();
  }
  return out;
}

}  // namespace

Tensor fit_to_input(const Tensor& data, const Shape& sample, bool scale, const std::string& what) {
  if (data.rank() < 1 || data.dim(0) == 0) throw ValueError(what + " holds no samples.");
  Tensor x =
      data.dtype() == DType::uint8 && scale ? utils::normalize_pixels(data) : data.astype(DType::float32);
  const int64_t per_sample = x.numel() / x.dim(0);
  if (per_sample != sample.numel()) {
    throw ShapeError(what + " has " + std::to_string(per_sample) + " values per sample (shape " +
                     data.shape().str() + "), but the model takes " + sample.with_batch(-1).str() + " (" +
                     std::to_string(sample.numel()) + " values).");
  }
  return x.reshape(sample.with_batch(x.dim(0)));
}

Tensor targets_for(const Model& model, const Tensor& labels) {
  const std::string loss = model.loss().name();
  const int64_t units = model.output_shape()[-1];
  if (loss == "sparse_categorical_crossentropy") return labels.astype(DType::int64);
  if (loss == "categorical_crossentropy" || units > 1) return utils::to_categorical(labels, units);
  return labels.astype(DType::float32).reshape({labels.dim(0), 1});
}

Labelled load_dataset(const std::string& name, const std::string& dir, const std::string& split,
                      const Shape& sample) {
  if (name != "mnist" && name != "fashion_mnist") {
    throw ValueError("unknown data set \"" + name + "\"; known: mnist, fashion_mnist (or give --csv FILE).");
  }
  const datasets::Dataset d =
      name == "mnist" ? datasets::mnist::load(dir) : datasets::fashion_mnist::load(dir);
  const datasets::Split& s = split == "train" ? d.train : d.test;
  return {fit_to_input(s.images, sample, true, name + " " + split), s.labels};
}

Labelled load_csv_labelled(const std::string& path, int label_column, const Shape& sample) {
  const data::CsvTable table = data::read_csv(path);
  const int64_t cols = table.values.dim(1), rows = table.values.dim(0);
  const int64_t label = label_column < 0 ? cols + label_column : label_column;
  if (label < 0 || label >= cols) {
    throw ValueError(path + ": label column " + std::to_string(label_column) + " is outside its " +
                     std::to_string(cols) + " columns.");
  }
  Tensor features = Tensor::empty({rows, cols - 1});
  Tensor labels = Tensor::empty({rows});
  const float* v = table.values.f32();
  for (int64_t r = 0; r < rows; ++r) {
    float* f = features.f32() + r * (cols - 1);
    for (int64_t c = 0; c < cols; ++c) {
      if (c == label) {
        labels.f32()[r] = v[r * cols + c];
      } else {
        *f++ = v[r * cols + c];
      }
    }
  }
  return {fit_to_input(features, sample, false, path), labels};
}

Labelled load_image_directory(const std::string& dir, const Shape& sample,
                              std::vector<std::string>* class_names) {
  const auto [h, w, c] = image_geometry(sample);
  const data::ImageDataset ds =
      data::image_dataset_from_directory(dir, {.color_mode = c == 1 ? "grayscale" : (c == 3 ? "rgb" : "rgba"),
                                               .image_size = {h, w},
                                               .shuffle = false});
  if (class_names) *class_names = ds.class_names;
  return {fit_to_input(ds.images, sample, true, dir), ds.labels};
}

Tensor load_inputs(const std::vector<std::string>& paths, const Shape& sample, bool scale, bool invert) {
  std::vector<Tensor> parts;
  for (const std::string& path : paths) {
    if (lower_extension(path) == ".csv") {
      parts.push_back(fit_to_input(data::read_csv(path).values, sample, false, path));
    } else if (is_image(path)) {
      const auto [h, w, c] = image_geometry(sample);
      Tensor img = data::load_image(
          path, {.color_mode = c == 1 ? "grayscale" : (c == 3 ? "rgb" : "rgba"), .target_size = {h, w}});
      if (invert) {
        uint8_t* p = img.data<uint8_t>();
        for (int64_t i = 0; i < img.numel(); ++i) p[i] = static_cast<uint8_t>(255 - p[i]);
      }
      parts.push_back(fit_to_input(img.reshape(img.shape().with_batch(1)), sample, scale, path));
    } else if (is_idx(path)) {
      parts.push_back(fit_to_input(data::read_idx(path), sample, scale, path));
    } else {
      throw ValueError("predict: cannot tell what " + path +
                       " holds; give a .csv file, an IDX file (name with idx or .ubyte) or an image.");
    }
  }
  if (parts.empty()) throw ValueError("predict: no input files given.");
  return concat_rows(parts);
}

}  // namespace soma::cli
