#pragma once
// The keyword arguments of compile(), fit(), evaluate() and predict(), as designated-initialiser structs:
//   model.compile({.optimizer = soma::optimizers::RMSprop{}, .loss = "categorical_crossentropy",
//                  .metrics = {"accuracy"}});
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/losses/loss.hpp"
#include "soma/optimizers/optimizer.hpp"
#include "soma/training/callbacks.hpp"

namespace soma {

// An optimizer by Keras name ("rmsprop") or by value (optimizers::Adam({.learning_rate = 1e-4f})).
struct OptimizerArg {
  OptimizerArg(const char* name) : OptimizerArg(std::string(name)) {}
  OptimizerArg(const std::string& name) : optimizer(optimizers::get(name)) {}
  OptimizerArg(std::shared_ptr<optimizers::Optimizer> opt) : optimizer(std::move(opt)) {}
  template <class T>
  requires std::derived_from<T, optimizers::Optimizer> OptimizerArg(T opt)
      : optimizer(std::make_shared<T>(std::move(opt))) {}
  std::shared_ptr<optimizers::Optimizer> optimizer;
};

// A loss by Keras name ("categorical_crossentropy") or by value (losses::BinaryCrossentropy({.from_logits =
// true})).
struct LossArg {
  LossArg() = default;
  LossArg(const char* name) : LossArg(std::string(name)) {}
  LossArg(const std::string& name) : loss(losses::get(name)) {}
  LossArg(std::shared_ptr<losses::Loss> l) : loss(std::move(l)) {}
  template <class T>
  requires std::derived_from<T, losses::Loss> LossArg(T l) : loss(std::make_shared<T>(std::move(l))) {}
  std::shared_ptr<losses::Loss> loss;
};

// Tensors for a model's inputs (or targets, or outputs): one, a list in the model's order, or a map by
// input (output) name.
//   model.fit({images, flags}, {{"digit", digits}, {"parity", parities}}, {...});
struct TensorList {
  TensorList() = default;
  TensorList(Tensor t) : list{std::move(t)} {}
  TensorList(std::vector<Tensor> l) : list(std::move(l)) {}
  TensorList(std::initializer_list<Tensor> l) : list(l) {}
  TensorList(std::map<std::string, Tensor> m) : by_name(std::move(m)) {}
  // {{"image", x}, {"flag", f}}: a braced map needs this (a map parameter would take one element).
  TensorList(std::initializer_list<std::pair<std::string, Tensor>> m) : by_name(m.begin(), m.end()) {}
  bool empty() const { return list.empty() && by_name.empty(); }
  std::vector<Tensor> list;
  std::map<std::string, Tensor> by_name;
};

// A compile() argument given per output: in outputs() order, or by output name.
template <class T>
struct PerOutput {
  PerOutput() = default;
  PerOutput(std::vector<T> l) : list(std::move(l)) {}
  PerOutput(std::initializer_list<T> l) : list(l) {}
  PerOutput(std::map<std::string, T> m) : by_name(std::move(m)) {}
  PerOutput(std::initializer_list<std::pair<std::string, T>> m) : by_name(m.begin(), m.end()) {}
  bool empty() const { return list.empty() && by_name.empty(); }
  std::vector<T> list;
  std::map<std::string, T> by_name;
};

struct CompileOptions {
  OptimizerArg optimizer = "rmsprop";
  // One loss for every output...
  LossArg loss = {};
  // ...or one per output (Keras' loss list or dict).
  PerOutput<LossArg> losses = {};
  // The total loss is the sum over outputs of loss_weight * loss (1 each by default).
  PerOutput<float> loss_weights = {};
  // Metrics of every output...
  std::vector<std::string> metrics = {};
  // ...or per output by name (Keras' metrics dict): {{"digit", {"accuracy"}}}.
  std::map<std::string, std::vector<std::string>> output_metrics = {};
};

struct ValidationData {
  TensorList x, y;
  // Optional per-sample weights of the validation loss, shape (n,) (Keras' third tuple element).
  Tensor sample_weight = {};
};

struct FitOptions {
  int64_t batch_size = 32;
  int epochs = 1;
  // 0 silent, 1 progress bar, 2 one line per epoch.
  int verbose = 1;
  std::optional<ValidationData> validation_data = std::nullopt;
  // Fraction of the training data, taken from the end before shuffling, held out for validation.
  float validation_split = 0.0f;
  bool shuffle = true;
  // Keras' class_weight: class index -> weight of the training loss of that class' samples (the argmax of
  // a one-hot target, an integer label, or a 0/1 target rounded). Unlisted classes weigh 1.
  std::map<int64_t, float> class_weight = {};
  // Keras' sample_weight: one weight per training sample, shape (n,), multiplied into each sample's loss
  // (and into class_weight's). With validation_split, the held-out part weights the validation loss.
  // Both weight the loss only; metrics stay unweighted.
  Tensor sample_weight = {};
  int initial_epoch = 0;
  // Where progress goes; null means std::cout.
  std::ostream* out = nullptr;
  std::vector<callbacks::CallbackArg> callbacks = {};
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 1;
  // One weight per sample, shape (n,), for the loss (metrics stay unweighted).
  Tensor sample_weight = {};
  std::ostream* out = nullptr;
};

struct PredictOptions {
  int64_t batch_size = 32;
  int verbose = 0;
  std::ostream* out = nullptr;
};

}  // namespace soma
