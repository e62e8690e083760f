#pragma once
// Turning files and data sets into what a given model takes: inputs shaped like its input (pixels scaled
// to 0..1 as the tutorials do) and targets shaped for its loss (one-hot for categorical_crossentropy, ...).
#include <soma/soma.hpp>
#include <string>
#include <vector>

namespace soma::cli {

struct Labelled {
  Tensor x;       // float32 (n, model input...)
  Tensor labels;  // int64 or float32 (n,)
};

// uint8 data becomes float32 / 255 (when `scale`); then each sample is viewed as the model's per-sample
// shape, which must hold as many values. `what` names the data in errors.
Tensor fit_to_input(const Tensor& data, const Shape& sample, bool scale, const std::string& what);

// The targets a compiled model's loss wants for these labels (n,).
Tensor targets_for(const Model& model, const Tensor& labels);

// "mnist" or "fashion_mnist", split "train" or "test", from `dir` (empty: the usual place).
Labelled load_dataset(const std::string& name, const std::string& dir, const std::string& split,
                      const Shape& sample);

// A CSV file of features and one label column (negative counts from the end: -1 is the last column).
Labelled load_csv_labelled(const std::string& path, int label_column, const Shape& sample);

// Images in one subdirectory per class (keras.utils.image_dataset_from_directory), sized for the model;
// the class names, sorted, are the label indices.
Labelled load_image_directory(const std::string& dir, const Shape& sample,
                              std::vector<std::string>* class_names);

// Inputs for predict: IDX files, CSV files (features only) or image files, in that order, concatenated.
// Images are converted to the model's height, width and channels; `invert` turns dark-on-light drawings
// into MNIST's light-on-dark.
Tensor load_inputs(const std::vector<std::string>& paths, const Shape& sample, bool scale, bool invert);

}  // namespace soma::cli
