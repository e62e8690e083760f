#include "soma/training/callbacks.hpp"

#include <fmt/args.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "soma/models/sequential.hpp"

namespace soma::callbacks {

namespace {
// Keras' "auto": accuracies (and anything named like them) are maximised, everything else minimised.
bool maximizes(const std::string& mode, const std::string& monitor, const char* who) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  if (mode != "auto")
    throw ValueError(std::string(who) + ": mode must be auto, min or max, received \"" + mode + "\".");
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos;
}

// The monitored value, or nullptr with a warning (as Keras warns) when the logs lack it.
const double* monitored(const Logs& logs, const std::string& monitor, const char* who) {
  const auto it = logs.find(monitor);
  if (it != logs.end()) return &it->second;
  std::string known;
  for (const auto& [k, v] : logs) known += (known.empty() ? "" : ", ") + k;
  std::fprintf(stderr, "warning: %s is conditioned on \"%s\", which is not available; available: %s.\n", who,
               monitor.c_str(), known.c_str());
  return nullptr;
}

// Keras refuses to set a learning rate that a schedule owns; say so before training rather than after
// `patience` epochs.
void require_settable_learning_rate(Model& model, const char* who) {
  const auto& schedule = model.optimizer().learning_rate_schedule();
  if (!schedule) return;
  throw StateError(std::string(who) + ": the optimizer's learning rate is a " + schedule->name() +
                   " schedule, which cannot be changed by a callback. Hint: use a float learning_rate with " +
                   who + ", or the schedule alone.");
}

bool better(double current, double best, double min_delta, bool maximize) {
  return maximize ? current - min_delta > best : current + min_delta < best;
}
}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions o) : options_(std::move(o)) {
  maximize_ = maximizes(options_.mode, options_.monitor, "EarlyStopping");
  if (options_.patience < 0) throw ValueError("EarlyStopping: patience must be >= 0.");
  options_.min_delta = std::fabs(options_.min_delta);
}

void EarlyStopping::on_train_begin(Model&) {
  wait_ = 0;
  stopped_epoch_ = -1;
  best_epoch_ = -1;
  best_ = maximize_ ? -INFINITY : INFINITY;
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(Model& model, int epoch, const Logs& logs) {
  const double* current = monitored(logs, options_.monitor, "EarlyStopping");
  if (current == nullptr || epoch < options_.start_from_epoch) return;
  if (better(*current, best_, options_.min_delta, maximize_)) {
    best_ = *current;
    best_epoch_ = epoch;
    wait_ = 0;
    if (options_.restore_best_weights) best_weights_ = model.get_weights();
    return;
  }
  // As Keras: stop once `patience` epochs in a row brought no improvement (never on the first epoch).
  if (++wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model.stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) {
      if (options_.verbose)
        std::printf("Restoring model weights from the end of the best epoch: %d.\n", best_epoch_ + 1);
      model.set_weights(best_weights_);
    }
    if (options_.verbose) std::printf("Epoch %d: early stopping\n", epoch + 1);
  }
}

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions o) : options_(std::move(o)) {
  maximize_ = maximizes(options_.mode, options_.monitor, "ReduceLROnPlateau");
  if (!(options_.factor > 0.0 && options_.factor < 1.0)) {
    throw ValueError("ReduceLROnPlateau: factor must be in (0, 1), received " +
                     std::to_string(options_.factor) + ".");
  }
}

void ReduceLROnPlateau::on_train_begin(Model& model) {
  require_settable_learning_rate(model, "ReduceLROnPlateau");
  best_ = maximize_ ? -INFINITY : INFINITY;
  wait_ = 0;
  cooldown_left_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(Model& model, int epoch, const Logs& logs) {
  const double* current = monitored(logs, options_.monitor, "ReduceLROnPlateau");
  if (current == nullptr) return;
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    wait_ = 0;
  }
  if (better(*current, best_, options_.min_delta, maximize_)) {
    best_ = *current;
    wait_ = 0;
    return;
  }
  if (cooldown_left_ > 0 || ++wait_ < options_.patience) return;
  auto& opt = model.optimizer();
  const double old_lr = opt.learning_rate();
  if (old_lr > options_.min_lr) {
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    opt.set_learning_rate(static_cast<float>(new_lr));
    if (options_.verbose)
      std::printf("Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n", epoch + 1, new_lr);
    cooldown_left_ = options_.cooldown;
    wait_ = 0;
  }
}

LearningRateScheduler::LearningRateScheduler(std::function<double(int, double)> schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw ValueError("LearningRateScheduler: the schedule function is empty.");
}

void LearningRateScheduler::on_epoch_begin(Model& model, int epoch) {
  require_settable_learning_rate(model, "LearningRateScheduler");
  auto& opt = model.optimizer();
  const double lr = schedule_(epoch, opt.learning_rate());
  if (!(lr >= 0.0) || !std::isfinite(lr)) {
    throw ValueError("LearningRateScheduler: the schedule returned " + std::to_string(lr) + " for epoch " +
                     std::to_string(epoch) + "; a learning rate must be a finite number >= 0.");
  }
  opt.set_learning_rate(static_cast<float>(lr));
  if (verbose_) std::printf("Epoch %d: LearningRateScheduler setting learning rate to %g.\n", epoch + 1, lr);
}

CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), separator_(separator), append_(append) {}

void CSVLogger::on_epoch_end(Model&, int epoch, const Logs& logs) {
  std::ofstream out(filename_, header_written_ || append_ ? std::ios::app : std::ios::trunc);
  if (!out) throw IOError("CSVLogger: cannot write " + filename_ + ".");
  if (!header_written_ && !append_) {
    out << "epoch";
    for (const auto& [k, v] : logs) out << separator_ << k;
    out << '\n';
  }
  header_written_ = true;
  out << epoch;
  char buf[32];
  for (const auto& [k, v] : logs) {
    std::snprintf(buf, sizeof buf, "%.10g", v);
    out << separator_ << buf;
  }
  out << '\n';
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), options_(std::move(options)) {
  if (filepath_.empty()) throw ValueError("ModelCheckpoint: filepath must not be empty.");
  maximize_ = maximizes(options_.mode, options_.monitor, "ModelCheckpoint");
}

void ModelCheckpoint::on_train_begin(Model&) {
  best_ = !std::isnan(options_.initial_value_threshold) ? options_.initial_value_threshold
          : maximize_                                   ? -INFINITY
                                                        : INFINITY;
}

void ModelCheckpoint::on_epoch_end(Model& model, int epoch, const Logs& logs) {
  if (options_.save_best_only) {
    const double* current = monitored(logs, options_.monitor, "ModelCheckpoint");
    if (current == nullptr) return;
    if (!better(*current, best_, 0.0, maximize_)) {
      if (options_.verbose) {
        std::printf("\nEpoch %d: %s did not improve from %.5f\n", epoch + 1, options_.monitor.c_str(), best_);
      }
      return;
    }
    if (options_.verbose) {
      std::printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model\n", epoch + 1,
                  options_.monitor.c_str(), best_, *current);
    }
    best_ = *current;
  }
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("epoch", epoch + 1));
  for (const auto& [name, value] : logs) args.push_back(fmt::arg(name.c_str(), value));
  std::string path;
  try {
    path = fmt::vformat(filepath_, args);
  } catch (const fmt::format_error& e) {
    throw ValueError("ModelCheckpoint: cannot fill in the filepath \"" + filepath_ + "\": " + e.what() +
                     ". Placeholders are {epoch} and the logs' names, e.g. {val_loss:.3f}.");
  }
  if (options_.save_weights_only) {
    model.save_weights(path);
  } else {
    model.save(path);
  }
  last_saved_ = path;
  if (options_.verbose && !options_.save_best_only)
    std::printf("\nEpoch %d: saving model to %s\n", epoch + 1, path.c_str());
}

}  // namespace soma::callbacks
