// fit / evaluate / predict: the batch loops of Sequential.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <numeric>

#include "kernels/denormals.hpp"
#include "models/batch_loop.hpp"
#include "models/sample_weights.hpp"
#include "models/trainer.hpp"
#include "soma/core/random.hpp"

namespace soma {

namespace {
std::ostream& stream(std::ostream* out) {
  return out ? *out : std::cout;
}

Tensor as_float(const Tensor& t) {
  return t.dtype() == DType::float32 ? t : t.astype(DType::float32);
}

// Whether n floats are all finite: inf * 0 and NaN * 0 are NaN, finite * 0 is 0, so one vectorised sum
// answers without a branch per element.
bool all_finite(const float* p, int64_t n) {
  float probe = 0.0f;
#pragma omp simd reduction(+ : probe)
  for (int64_t i = 0; i < n; ++i) probe += p[i] * 0.0f;
  return probe == 0.0f;
}

// NaN or inf in a batch would poison every weight at the first step (and relu would turn it into
// plausible-looking zeros in predict); say which sample holds it instead. Checked batch by batch, on the
// rows just gathered (hot in cache). `sample(i)` is the data set index of the batch's row i.
template <class SampleOf>
void check_finite_batch(const Tensor& batch, SampleOf sample, const std::string& who, const char* what,
                        const char* consequence) {
  if (batch.dtype() != DType::float32) return;
  const float* p = batch.f32();
  if (all_finite(p, batch.numel())) return;
  int64_t i = 0;
  while (std::isfinite(p[i])) ++i;
  const int64_t per_sample = std::max<int64_t>(1, batch.shape().sample_size());
  throw ValueError(who + ": " + what + " holds a non-finite value (" + std::to_string(p[i]) +
                   ") in sample " + std::to_string(sample(i / per_sample)) + "; clean or impute the data first." +
                   consequence);
}

void check_finite_rows(const Tensor& batch, std::span<const int64_t> rows, const std::string& who,
                       const char* what) {
  check_finite_batch(
      batch, [&](int64_t r) { return rows[static_cast<size_t>(r)]; }, who, what,
      " The weights are those of the step before.");
}

// Asks the CPU to start loading the rows the next step will gather while this step computes: the rows
// are scattered over the whole data set, and gathering them cold took a fifth of a small model's step.
void prefetch_rows(const Tensor& t, std::span<const int64_t> rows) {
  const auto* base = reinterpret_cast<const char*>(t.dtype() == DType::float32
                                                       ? static_cast<const void*>(t.f32())
                                                       : static_cast<const void*>(t.data<int64_t>()));
  const size_t row_bytes = static_cast<size_t>(t.shape().sample_size()) * dtype_size(t.dtype());
  for (const int64_t r : rows) {
    const char* row = base + static_cast<size_t>(r) * row_bytes;
    for (size_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(row + off, 0, 2);
  }
}

// The double the user meant when writing a float literal: 0.2f is 0.20000000298..., and Keras' split
// floor(n * (1 - 0.2)) computed with it would hold out one sample too many (21 of 100).
double as_decimal(float f) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf - 1, f).ptr;
  *end = '\0';
  return std::strtod(buf, nullptr);
}
}  // namespace

void Sequential::ensure_built(const Tensor& x, const char* fn) {
  if (layers_.empty())
    throw StateError(who() + ": " + fn + "() on a model with no layers; add() some first.");
  if (x.rank() < 1) throw ShapeError(who() + ": " + fn + "() expects a batch of samples, received a scalar.");
  if (!built_) {
    build(x.shape().without_batch());
  } else if (x.shape().without_batch() != input_shape()) {
    throw ShapeError(who() + ": " + fn + "() expected input of shape " + input_shape().with_batch(-1).str() +
                     ", received x of shape " + x.shape().str() + ".");
  }
}

void Sequential::check_data(const Tensor& x, const Tensor& y, const char* fn) {
  if (!compiled()) {
    throw StateError(who() + ": " + fn +
                     "() needs a compiled model; call compile() with an optimizer and a loss first.");
  }
  ensure_built(x, fn);
  if (y.rank() < 1 || y.dim(0) != x.dim(0)) {
    throw ValueError(who() + ": " + fn + "() received " + std::to_string(x.dim(0)) + " samples in x but " +
                     (y.rank() < 1 ? std::string("a scalar") : std::to_string(y.dim(0)) + " in y") +
                     "; x and y must have the same number of samples.");
  }
  if (x.dim(0) == 0) throw ValueError(who() + ": " + fn + "() received no samples.");
  loss_->check_targets(output_shape().with_batch(x.dim(0)), y);
}

void Sequential::run_inference(const Tensor& x, const Tensor* y, const Tensor* sample_weight,
                               int64_t batch_size, Progbar* bar, std::span<NamedValue> logs, Tensor* predictions,
                               const char* caller) {
  Trainer& t = *trainer_;
  const kernels::DenormalsOff denormals;
  const int64_t n = x.dim(0);
  const std::string model_who = who();
  double loss_sum = 0.0, penalty = 0.0;  // the weight penalties are part of the loss, as in Keras
  if (y)
    for (const auto& layer : layers_) penalty += layer->regularization_penalty();
  if (y)
    for (auto& m : metrics_) m->reset();
  int64_t step = 0;
  models::for_each_batch(n, batch_size, [&](int64_t begin, int64_t end) {
    // A view of the caller's rows: inference needs no copy of the batch.
    t.infer_input.value = x.rows(begin, end);
    check_finite_batch(
        t.infer_input.value, [&](int64_t r) { return begin + r; }, model_who, caller, "");
    autograd::Variable& out = forward(nullptr, t.infer_input, false);
    if (predictions) {
      std::copy_n(out.value.f32(), out.value.numel(),
                  predictions->f32() + begin * out.value.shape().sample_size());
    }
    if (y) {
      const Tensor targets = y->rows(begin, end);
      const std::span<const float> weights =
          sample_weight ? std::span(sample_weight->f32() + begin, static_cast<size_t>(end - begin))
                        : std::span<const float>();
      double activity = 0.0;  // activity penalties are per batch, already divided by its size
      for (const auto& layer : layers_) activity += layer->activity_penalty();
      loss_sum += (static_cast<double>(loss_->forward(nullptr, out, targets, weights).value.item()) + activity) *
                  static_cast<double>(end - begin);
      for (auto& m : metrics_) m->update(out.value, targets);
      logs[0].second = loss_sum / static_cast<double>(end) + penalty;
      for (size_t i = 0; i < metrics_.size(); ++i) logs[i + 1].second = metrics_[i]->result();
    }
    if (bar) bar->update(++step, logs.first(y ? logs.size() : 0));
  });
  t.infer_input.value = Tensor();  // do not keep the caller's data alive
}

History Sequential::fit(const Tensor& x_in, const Tensor& y, FitOptions o) {
  check_data(x_in, y, "fit");
  models::check_batch_size(o.batch_size, who() + ": fit()");
  if (o.epochs < 0 || o.initial_epoch < 0)
    throw ValueError(who() + ": fit() needs epochs >= 0 and initial_epoch >= 0.");
  if (o.verbose < 0 || o.verbose > 2)
    throw ValueError(who() + ": fit() verbose must be 0, 1 or 2, received " + std::to_string(o.verbose) +
                     ".");
  if (!(o.validation_split >= 0.0f && o.validation_split < 1.0f)) {
    throw ValueError(who() + ": fit() validation_split must be in [0, 1), received " +
                     std::to_string(o.validation_split) + ".");
  }
  Tensor x = as_float(x_in), x_val, y_val;
  // Loss weights per training sample (sample_weight times class_weight), and per validation sample.
  Tensor weights, val_weights;
  if (o.sample_weight.defined())
    weights = models::checked_sample_weight(o.sample_weight, x.dim(0), who() + ": fit()", "sample_weight");
  if (o.validation_data) {
    check_data(o.validation_data->x, o.validation_data->y, "fit");
    x_val = as_float(o.validation_data->x);
    y_val = o.validation_data->y;
    if (o.validation_data->sample_weight.defined()) {
      val_weights = models::checked_sample_weight(o.validation_data->sample_weight, x_val.dim(0),
                                                  who() + ": fit()", "validation_data sample_weight");
    }
  } else if (o.validation_split > 0.0f) {
    // Keras holds out the last samples, before any shuffling.
    const auto split = static_cast<int64_t>(
        std::floor(static_cast<double>(x.dim(0)) * (1.0 - as_decimal(o.validation_split))));
    if (split <= 0 || split >= x.dim(0)) {
      throw ValueError(who() + ": fit() validation_split " + std::to_string(o.validation_split) + " of " +
                       std::to_string(x.dim(0)) + " samples leaves no training or no validation samples.");
    }
    x_val = x.rows(split, x.dim(0));
    y_val = y.rows(split, y.dim(0));
    if (weights.defined()) {
      val_weights = weights.rows(split, x.dim(0));
      weights = weights.rows(0, split);
    }
    x = x.rows(0, split);
  }
  const Tensor targets_all = y.rows(0, x.dim(0));
  if (!o.class_weight.empty()) {
    const Shape out_shape = output_shape();
    const int64_t classes = out_shape.rank() >= 1 && out_shape[-1] > 1 ? out_shape[-1] : 2;  // 1 unit: 0/1
    // A copy, so that the class weights never write into the validation part or the caller's tensor.
    if (weights.defined()) weights = weights.clone();
    models::apply_class_weight(o.class_weight, targets_all, classes, who() + ": fit()", weights);
  }
  const bool weighted = weights.defined();
  const bool validate = x_val.defined();

  Trainer& t = *trainer_;
  const kernels::DenormalsOff denormals;
  t.params = trainable_weights();
  t.logs.clear();
  t.logs.emplace_back("loss", 0.0);
  for (auto& m : metrics_) t.logs.emplace_back(m->name(), 0.0);
  const size_t train_logs = t.logs.size();
  if (validate)
    for (size_t i = 0; i < train_logs; ++i) t.logs.emplace_back("val_" + t.logs[i].first, 0.0);
  const std::span<NamedValue> logs(t.logs);

  const int64_t n = x.dim(0), steps = models::batch_count(n, o.batch_size);
  t.order.resize(static_cast<size_t>(n));
  std::ostream& out = stream(o.out);
  const bool terminal = Progbar::is_terminal(out);
  History history;
  const std::string model_who = who();  // built once: the step itself allocates nothing
  bool stop_on_nan = false, nan_seen = false;
  const auto penalty = [&] {
    double total = 0.0;
    for (const auto& layer : layers_) total += layer->regularization_penalty();
    return total;
  };
  bool regularized = false;
  for (const auto& layer : layers_) regularized = regularized || layer->regularization_penalty() != 0.0;
  for (const auto& c : o.callbacks) stop_on_nan = stop_on_nan || c.callback->terminates_on_nan();
  stop_training = false;
  for (const auto& c : o.callbacks) c.callback->on_train_begin(*this);

  for (int epoch = o.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    for (const auto& c : o.callbacks) c.callback->on_epoch_begin(*this, epoch);
    if (o.verbose) out << "Epoch " << epoch + 1 << "/" << o.epochs << "\n";
    Progbar bar(steps, o.verbose, out, terminal);
    std::iota(t.order.begin(), t.order.end(), int64_t{0});
    if (o.shuffle) random::shuffle(t.order);
    for (auto& m : metrics_) m->reset();
    double loss_sum = 0.0;
    int64_t step = 0;
    models::for_each_batch(n, o.batch_size, [&](int64_t begin, int64_t end) {
      if (nan_seen) return;  // TerminateOnNaN: skip the epoch's remaining batches
      const std::span<const int64_t> rows(t.order.data() + begin, static_cast<size_t>(end - begin));
      x.take_rows_into(rows, t.input.value);
      targets_all.take_rows_into(rows, t.targets);
      if (weighted) weights.take_rows_into(rows, t.weights);
      check_finite_rows(t.input.value, rows, model_who, "fit() x");
      check_finite_rows(t.targets, rows, model_who, "fit() y");
      if (end < n) {
        const std::span<const int64_t> next(t.order.data() + end,
                                            static_cast<size_t>(std::min(n, end + o.batch_size) - end));
        prefetch_rows(x, next);
        prefetch_rows(targets_all, next);
      }
      t.input.requires_grad = false;
      t.tape.clear();
      autograd::Variable& pred = forward(&t.tape, t.input, true);
      autograd::Variable& loss = loss_->forward(
          &t.tape, pred, t.targets,
          weighted ? std::span<const float>(t.weights.f32(), rows.size()) : std::span<const float>());
      const float value = loss.value.item();
      if (!std::isfinite(value) && stop_on_nan) {
        out << "Batch " << step + 1 << ": invalid loss, terminating training\n";
        nan_seen = stop_training = true;
        return;
      }
      if (!std::isfinite(value)) {
        throw ValueError(
            who() + ": the loss became " + std::to_string(value) + " at epoch " + std::to_string(epoch + 1) +
            ", batch " + std::to_string(step + 1) +
            "; the weights are those of the step before. Lower the "
            "learning rate, check the data for extreme values, or compute the loss from logits.");
      }
      t.tape.backward(loss);  // activity penalties' gradients join inside, from their ops
      double reported = value;
      for (const auto& layer : layers_) reported += layer->activity_penalty();
      if (regularized) {
        for (auto& layer : layers_) layer->add_regularization_gradients();
        reported += penalty();  // before the update: the penalty of the weights this loss was computed with
      }
      optimizer_->apply(t.params);
      for (auto& layer : layers_) {
        layer->apply_constraints();  // as Keras: project right after the update
        layer->apply_updates();      // moving statistics: only for an accepted step
      }
      loss_sum += reported * static_cast<double>(end - begin);
      for (auto& m : metrics_) m->update(pred.value, t.targets);
      logs[0].second = loss_sum / static_cast<double>(end);
      for (size_t i = 0; i < metrics_.size(); ++i) logs[i + 1].second = metrics_[i]->result();
      bar.update(++step, logs.first(train_logs));
    });
    t.tape.clear();
    if (nan_seen) break;
    if (validate) {
      run_inference(x_val, &y_val, val_weights.defined() ? &val_weights : nullptr, o.batch_size, nullptr,
                    logs.subspan(train_logs), nullptr, "fit() validation x");
    }
    bar.update(steps, logs, true);
    history.epoch.push_back(epoch);
    for (const auto& [name, value] : t.logs) history.history[name].push_back(value);
    if (!o.callbacks.empty()) {
      const callbacks::Logs epoch_logs(t.logs.begin(), t.logs.end());
      for (const auto& c : o.callbacks) c.callback->on_epoch_end(*this, epoch, epoch_logs);
    }
  }
  for (const auto& c : o.callbacks) c.callback->on_train_end(*this);
  return history;
}

std::map<std::string, double> Sequential::evaluate(const Tensor& x_in, const Tensor& y, EvaluateOptions o) {
  check_data(x_in, y, "evaluate");
  models::check_batch_size(o.batch_size, who() + ": evaluate()");
  const Tensor x = as_float(x_in);
  Tensor weights;
  if (o.sample_weight.defined())
    weights =
        models::checked_sample_weight(o.sample_weight, x.dim(0), who() + ": evaluate()", "sample_weight");
  std::vector<NamedValue> logs{{"loss", 0.0}};
  for (auto& m : metrics_) logs.emplace_back(m->name(), 0.0);
  std::ostream& out = stream(o.out);
  Progbar bar(models::batch_count(x.dim(0), o.batch_size), o.verbose, out, Progbar::is_terminal(out));
  run_inference(x, &y, weights.defined() ? &weights : nullptr, o.batch_size, o.verbose ? &bar : nullptr, logs,
                nullptr, "evaluate() x");
  if (o.verbose) bar.update(models::batch_count(x.dim(0), o.batch_size), logs, true);
  return {logs.begin(), logs.end()};
}

Tensor Sequential::predict(const Tensor& x_in, PredictOptions o) {
  ensure_built(x_in, "predict");
  models::check_batch_size(o.batch_size, who() + ": predict()");
  const Tensor x = as_float(x_in);
  Tensor predictions = Tensor::empty(output_shape().with_batch(x.dim(0)));
  std::ostream& out = stream(o.out);
  const int64_t steps = models::batch_count(x.dim(0), o.batch_size);
  Progbar bar(steps, o.verbose, out, Progbar::is_terminal(out));
  run_inference(x, nullptr, nullptr, o.batch_size, o.verbose ? &bar : nullptr, {}, &predictions, "predict() x");
  if (o.verbose) bar.update(steps, {}, true);
  return predictions;
}

}  // namespace soma
