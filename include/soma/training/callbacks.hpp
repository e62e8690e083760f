#pragma once
// keras.callbacks: hooks into fit().
//   model.fit(x, y, {.epochs = 50, .validation_split = 0.1f,
//                    .callbacks = {soma::callbacks::EarlyStopping({.patience = 3, .restore_best_weights =
//                    true}),
//                                  soma::callbacks::CSVLogger("training.csv")}});
// A callback passed by value is copied into fit; pass a std::shared_ptr to read its state afterwards.
#include <concepts>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma {
class Model;
}

namespace soma::callbacks {

// Epoch logs by name: "loss", "accuracy", "val_loss", ... as in History.
using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Model&) {}
  virtual void on_epoch_begin(Model&, int /*epoch*/) {}
  virtual void on_epoch_end(Model&, int /*epoch*/, const Logs& /*logs*/) {}
  virtual void on_train_end(Model&) {}
  // Whether fit should stop instead of throwing when the loss becomes NaN or infinite (TerminateOnNaN).
  virtual bool terminates_on_nan() const { return false; }
};

// One argument of FitOptions::callbacks: any Callback by value or by shared_ptr.
struct CallbackArg {
  template <class T>
  requires std::derived_from<T, Callback> CallbackArg(T value)
      : callback(std::make_shared<T>(std::move(value))) {}
  template <class T>
  requires std::derived_from<T, Callback> CallbackArg(std::shared_ptr<T> shared)
      : callback(std::move(shared)) {}
  std::shared_ptr<Callback> callback;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  std::string mode = "auto";  // "min", "max", or "auto": max for accuracies, else min
  bool restore_best_weights = false;
  int start_from_epoch = 0;
  int verbose = 0;
};

// Stops training when `monitor` has not improved by more than min_delta for `patience` epochs.
class EarlyStopping final : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(Model& model) override;
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;
  // The epoch (0-based) training stopped after, or -1.
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }

 private:
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  double best_ = 0.0;
  int wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
  std::vector<Tensor> best_weights_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
  int verbose = 0;
};

// Multiplies the learning rate by `factor` when `monitor` stops improving for `patience` epochs.
class ReduceLROnPlateau final : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(Model& model) override;
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;

 private:
  ReduceLROnPlateauOptions options_;
  bool maximize_ = false;
  double best_ = 0.0;
  int wait_ = 0, cooldown_left_ = 0;
};

// Sets the learning rate at the start of each epoch to schedule(epoch, current learning rate).
class LearningRateScheduler final : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int, double)> schedule, int verbose = 0);
  void on_epoch_begin(Model& model, int epoch) override;

 private:
  std::function<double(int, double)> schedule_;
  int verbose_;
};

// Writes one CSV row per epoch (epoch and every log), flushed as it goes.
class CSVLogger final : public Callback {
 public:
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false);
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;

 private:
  std::string filename_;
  char separator_;
  bool append_;
  bool header_written_ = false;
};

// Stops training (instead of fit throwing) when the loss becomes NaN or infinite.
class TerminateOnNaN final : public Callback {
 public:
  bool terminates_on_nan() const override { return true; }
};

// A callback from functions, as keras.callbacks.LambdaCallback.
struct LambdaCallbackOptions {
  std::function<void(Model&)> on_train_begin = nullptr;
  std::function<void(Model&, int)> on_epoch_begin = nullptr;
  std::function<void(Model&, int, const Logs&)> on_epoch_end = nullptr;
  std::function<void(Model&)> on_train_end = nullptr;
};

class LambdaCallback final : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions options) : f_(std::move(options)) {}
  void on_train_begin(Model& m) override {
    if (f_.on_train_begin) f_.on_train_begin(m);
  }
  void on_epoch_begin(Model& m, int e) override {
    if (f_.on_epoch_begin) f_.on_epoch_begin(m, e);
  }
  void on_epoch_end(Model& m, int e, const Logs& l) override {
    if (f_.on_epoch_end) f_.on_epoch_end(m, e, l);
  }
  void on_train_end(Model& m) override {
    if (f_.on_train_end) f_.on_train_end(m);
  }

 private:
  LambdaCallbackOptions f_;
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  // Write only when `monitor` improves on the best value so far (otherwise after every epoch).
  bool save_best_only = false;
  // save_weights() instead of save() (no architecture, no optimizer state).
  bool save_weights_only = false;
  std::string mode = "auto";  // "min", "max", or "auto": max for accuracies, else min
  // Save only if the monitored value is better than this (Keras' initial_value_threshold); NaN: none.
  double initial_value_threshold = std::numeric_limits<double>::quiet_NaN();
};

// Saves the model at the end of epochs, as keras.callbacks.ModelCheckpoint. The path may name the epoch
// (1-based) and any log: "ckpt-{epoch:02d}-{val_loss:.3f}.soma" (fmt syntax, as Keras' format strings).
class ModelCheckpoint final : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_train_begin(Model& model) override;
  void on_epoch_end(Model& model, int epoch, const Logs& logs) override;
  double best() const { return best_; }
  // The file the latest save wrote, or "".
  const std::string& last_saved() const { return last_saved_; }

 private:
  std::string filepath_;
  ModelCheckpointOptions options_;
  bool maximize_ = false;
  double best_ = 0.0;
  std::string last_saved_;
};

}  // namespace soma::callbacks
