#pragma once
// The JSON file of `soma train` (docs/cli.md), checked as a whole before anything is built or read:
// unknown keys, wrong types and values that do not fit (epochs 4294967297, batch_size 2.5) are
// ValueErrors naming the key path ("fit.epochs"). Separate from the command so a fuzzer can drive it.
#include <soma/soma.hpp>
#include <string>

namespace soma::cli {

struct TrainConfig {
  Config model;            // the model config (unwrapped from {"class_name", "config"})
  bool functional = false;  // class_name "Functional": Keras 3's functional layout
  Config compile;  // the "compile" section
  // "data": exactly one source.
  std::string dataset, dir, csv, validation_csv, directory, validation_directory;
  int label_column = -1;
  // "fit"
  int64_t batch_size = 32;
  int epochs = 1;
  float validation_split = 0.0f;
  bool shuffle = true;
};

// The file's text, parsed and checked: IOError for a file that cannot be read (or is not a regular
// file), ValueError naming the file, line and column for bad JSON, or the key for a bad value.
TrainConfig read_train_config(const std::string& path);
TrainConfig parse_train_config(const Config& config);
// The model and its compile arguments; errors name the section ("model", "compile.optimizer").
Model build_model(const TrainConfig& config);

}  // namespace soma::cli
