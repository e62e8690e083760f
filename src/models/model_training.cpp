// fit / evaluate / predict and the *_on_batch calls: the batch loops of Model.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "kernels/denormals.hpp"
#include "models/batch_loop.hpp"
#include "models/context.hpp"
#include "models/sample_weights.hpp"
#include "soma/core/random.hpp"

namespace soma {

namespace {
std::ostream& stream(std::ostream* out) {
  return out ? *out : std::cout;
}

Tensor as_float(const Tensor& t) {
  return !t.defined() || t.dtype() == DType::float32 ? t : t.astype(DType::float32);
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
void check_finite_batch(const Tensor& batch, SampleOf sample, const std::string& who, const std::string& what,
                        const char* consequence) {
  if (batch.dtype() != DType::float32) return;
  const float* p = batch.f32();
  if (all_finite(p, batch.numel())) return;
  int64_t i = 0;
  while (std::isfinite(p[i])) ++i;
  const int64_t per_sample = std::max<int64_t>(1, batch.shape().sample_size());
  throw ValueError(who + ": " + what + " holds a non-finite value (" + std::to_string(p[i]) + ") in sample " +
                   std::to_string(sample(i / per_sample)) + "; clean or impute the data first." + consequence);
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

std::vector<Tensor> rows_of(const std::vector<Tensor>& ts, int64_t begin, int64_t end) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(t.rows(begin, end));
  return out;
}

// "x", or "x[1]" / "x["flag"]" for one of several.
std::string part(const char* what, const std::vector<std::string>& names, size_t i) {
  return names.size() == 1 ? std::string(what) : std::string(what) + "[\"" + names[i] + "\"]";
}
}  // namespace

// One tensor per name in `names` from a list or a map, or ValueError naming what is wrong.
static std::vector<Tensor> arrange(const TensorList& data, const std::vector<std::string>& names,
                                   const std::string& who, const char* fn, const char* what, const char* kind) {
  if (data.empty()) throw ValueError(who + ": " + fn + "() received no " + what + ".");
  std::string known;
  for (const auto& s : names) known += (known.empty() ? "" : ", ") + s;
  std::vector<Tensor> out;
  if (!data.by_name.empty()) {
    if (!data.list.empty()) throw ValueError(who + ": " + fn + "() " + what + ": give a list or a map, not both.");
    for (const auto& [key, t] : data.by_name) {
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        throw ValueError(who + ": " + fn + "() " + what + " names " + kind + " \"" + key +
                         "\" the model does not have; its " + kind + "s are: " + known + ".");
      }
    }
    for (const auto& n : names) {
      auto it = data.by_name.find(n);
      if (it == data.by_name.end()) {
        throw ValueError(who + ": " + fn + "() " + what + " lacks " + kind + " \"" + n + "\"; the model's " + kind +
                         "s are: " + known + ".");
      }
      out.push_back(as_float(it->second));
    }
    return out;
  }
  if (data.list.size() != names.size()) {
    throw ValueError(who + ": " + fn + "() received " + std::to_string(data.list.size()) + " " + what +
                     " tensors for " + std::to_string(names.size()) + " " + kind + "s (" + known + ").");
  }
  for (const Tensor& t : data.list) {
    if (!t.defined()) throw ValueError(who + ": " + fn + "() received an empty tensor among its " + what + ".");
    out.push_back(as_float(t));
  }
  return out;
}

std::vector<Tensor> Model::inputs_from(const TensorList& x, const char* fn) const {
  if (sequential_ && chain_.empty())
    throw StateError(who() + ": " + fn + "() on a model with no layers; add() some first.");
  if (!built()) {
    // A Sequential builds for its first data (fit/predict before build()).
    if (x.list.size() == 1 && x.list[0].defined() && x.list[0].rank() >= 1) {
      const_cast<Model*>(this)->build_chain(x.list[0].shape().without_batch());
    } else if (x.list.size() == 1 && x.list[0].defined()) {
      throw ShapeError(who() + ": " + fn + "() expects a batch of samples, received a scalar.");
    } else {
      check_built(fn);
    }
  }
  const std::vector<std::string> names = input_names();
  std::vector<Tensor> xs = arrange(x, names, who(), fn, "x", "input");
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& want = inputs_[i].shape();
    if (xs[i].rank() < 1) throw ShapeError(who() + ": " + fn + "() expects a batch of samples, received a scalar.");
    if (xs[i].shape().without_batch() != want) {
      throw ShapeError(who() + ": " + fn + "() expected input of shape " + want.with_batch(-1).str() + ", received " +
                       part("x", names, i) + " of shape " + xs[i].shape().str() + ".");
    }
    if (xs[i].dim(0) != xs[0].dim(0)) {
      throw ValueError(who() + ": " + fn + "() received inputs with different numbers of samples: " +
                       std::to_string(xs[0].dim(0)) + " and " + std::to_string(xs[i].dim(0)) + ".");
    }
  }
  return xs;
}

std::vector<Tensor> Model::targets_from(const TensorList& y, const char* fn) const {
  std::vector<Tensor> ys = arrange(y, output_names(), who(), fn, "y", "output");
  for (Tensor& t : ys)
    if (!t.defined()) throw ValueError(who() + ": " + fn + "() received an empty target.");
  return ys;
}

void Model::check_targets(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const char* fn) const {
  const int64_t n = x.front().dim(0);
  const std::vector<std::string> names = output_names();
  for (size_t j = 0; j < y.size(); ++j) {
    if (y[j].rank() < 1 || y[j].dim(0) != n) {
      throw ValueError(who() + ": " + fn + "() received " + std::to_string(n) + " samples in x but " +
                       (y[j].rank() < 1 ? std::string("a scalar") : std::to_string(y[j].dim(0))) + " in " +
                       part("y", names, j) + "; x and y must have the same number of samples.");
    }
    losses_[j]->check_targets(outputs_[j].shape().with_batch(n), y[j]);
  }
  if (n == 0) throw ValueError(who() + ": " + fn + "() received no samples.");
}

std::vector<std::vector<std::unique_ptr<metrics::Metric>>> Model::make_metrics() const {
  std::vector<std::vector<std::unique_ptr<metrics::Metric>>> out(outputs_.size());
  for (size_t j = 0; j < outputs_.size(); ++j) {
    const Shape& s = outputs_[j].shape();
    const int64_t units = s.rank() > 0 ? s[-1] : 1;
    for (const auto& m : metric_names_[j]) out[j].push_back(metrics::get(m, losses_[j]->name(), units));
  }
  return out;
}

// "loss", then (several outputs) "<output>_loss" each, then the metrics ("<output>_<metric>" with
// several outputs), as Keras 3 names them.
std::vector<std::string> Model::log_names() const {
  std::vector<std::string> names{"loss"};
  const auto outs = output_names();
  const bool many = outs.size() > 1;
  if (many)
    for (const auto& o : outs) names.push_back(o + "_loss");
  for (size_t j = 0; j < outs.size(); ++j)
    for (const auto& m : metric_names_[j]) names.push_back(many ? outs[j] + "_" + m : m);
  return names;
}

autograd::Variable& Model::batch_loss(Context& c, bool taped, std::span<const float> weights) {
  if (c.losses.size() != losses_.size()) {
    c.losses.clear();
    for (const auto& l : losses_) c.losses.push_back(l->clone());
  }
  autograd::Tape* tape = taped ? &c.tape : nullptr;
  c.loss_values.clear();
  for (size_t j = 0; j < losses_.size(); ++j)
    c.loss_values.push_back(&c.losses[j]->forward(tape, *c.outputs[j], c.targets[j], weights));
  if (c.loss_values.size() == 1) return *c.loss_values.front();
  return c.total.forward(tape, c.loss_values, loss_weights_);
}

void Model::run_inference(const std::vector<Tensor>& x, const std::vector<Tensor>* y, const Tensor* sample_weight,
                          int64_t batch_size, Progbar* bar, std::span<NamedValue> logs,
                          std::vector<Tensor>* predictions, const char* caller) {
  std::unique_ptr<Context> cp = acquire();
  Context& c = *cp;
  const kernels::DenormalsOff denormals;
  const int64_t n = x.front().dim(0);
  const std::string model_who = who();
  const std::vector<std::string> names = input_names();
  auto metrics = y ? make_metrics() : decltype(make_metrics())();
  const size_t outs = outputs_.size();
  std::vector<double> output_sums(outs, 0.0);
  double loss_sum = 0.0, penalty = y ? regularization_penalty() : 0.0;  // part of the loss, as in Keras
  c.inputs.resize(x.size());
  c.targets.resize(outs);
  int64_t step = 0;
  models::for_each_batch(n, batch_size, [&](int64_t begin, int64_t end) {
    for (size_t k = 0; k < x.size(); ++k) {
      // A view of the caller's rows: inference needs no copy of the batch.
      c.inputs[k].value = x[k].rows(begin, end);
      check_finite_batch(
          c.inputs[k].value, [&](int64_t r) { return begin + r; }, model_who,
          names.size() == 1 ? std::string(caller) : std::string(caller) + "[\"" + names[k] + "\"]", "");
    }
    run(c, false, false);
    if (predictions) {
      for (size_t j = 0; j < outs; ++j) {
        const Tensor& o = c.outputs[j]->value;
        std::copy_n(o.f32(), o.numel(), (*predictions)[j].f32() + begin * o.shape().sample_size());
      }
    }
    if (y) {
      for (size_t j = 0; j < outs; ++j) c.targets[j] = (*y)[j].rows(begin, end);
      const std::span<const float> weights =
          sample_weight ? std::span(sample_weight->f32() + begin, static_cast<size_t>(end - begin))
                        : std::span<const float>();
      const double activity = activity_penalty(c.frame);  // per batch, already divided by its size
      const double rows = static_cast<double>(end - begin);
      loss_sum += (static_cast<double>(batch_loss(c, false, weights).value.item()) + activity) * rows;
      for (size_t j = 0; j < outs && outs > 1; ++j) output_sums[j] += c.loss_values[j]->value.item() * rows;
      size_t at = 0;
      logs[at++].second = loss_sum / static_cast<double>(end) + penalty;
      if (outs > 1)
        for (size_t j = 0; j < outs; ++j) logs[at++].second = output_sums[j] / static_cast<double>(end);
      for (size_t j = 0; j < outs; ++j) {
        for (auto& m : metrics[j]) {
          m->update(c.outputs[j]->value, c.targets[j]);
          logs[at++].second = m->result();
        }
      }
    }
    if (bar) bar->update(++step, logs.first(y ? logs.size() : 0));
  });
  for (auto& v : c.inputs) v.value = Tensor();  // do not keep the caller's data alive
  for (auto& t : c.targets) t = Tensor();
  release(std::move(cp));
}

History Model::fit(const TensorList& x_in, const TensorList& y_in, FitOptions o) {
  if (!compiled()) {
    throw StateError(who() + ": fit() needs a compiled model; call compile() with an optimizer and a loss first.");
  }
  std::vector<Tensor> x = inputs_from(x_in, "fit");
  std::vector<Tensor> y = targets_from(y_in, "fit");
  check_targets(x, y, "fit");
  models::check_batch_size(o.batch_size, who() + ": fit()");
  if (o.epochs < 0 || o.initial_epoch < 0) throw ValueError(who() + ": fit() needs epochs >= 0 and initial_epoch >= 0.");
  if (o.verbose < 0 || o.verbose > 2)
    throw ValueError(who() + ": fit() verbose must be 0, 1 or 2, received " + std::to_string(o.verbose) + ".");
  if (!(o.validation_split >= 0.0f && o.validation_split < 1.0f)) {
    throw ValueError(who() + ": fit() validation_split must be in [0, 1), received " +
                     std::to_string(o.validation_split) + ".");
  }
  std::vector<Tensor> x_val, y_val;
  // Loss weights per training sample (sample_weight times class_weight), and per validation sample.
  Tensor weights, val_weights;
  if (o.sample_weight.defined())
    weights = models::checked_sample_weight(o.sample_weight, x[0].dim(0), who() + ": fit()", "sample_weight");
  if (o.validation_data) {
    x_val = inputs_from(o.validation_data->x, "fit");
    y_val = targets_from(o.validation_data->y, "fit");
    check_targets(x_val, y_val, "fit");
    if (o.validation_data->sample_weight.defined()) {
      val_weights = models::checked_sample_weight(o.validation_data->sample_weight, x_val[0].dim(0),
                                                  who() + ": fit()", "validation_data sample_weight");
    }
  } else if (o.validation_split > 0.0f) {
    // Keras holds out the last samples, before any shuffling.
    const int64_t total = x[0].dim(0);
    const auto split =
        static_cast<int64_t>(std::floor(static_cast<double>(total) * (1.0 - as_decimal(o.validation_split))));
    if (split <= 0 || split >= total) {
      throw ValueError(who() + ": fit() validation_split " + std::to_string(o.validation_split) + " of " +
                       std::to_string(total) + " samples leaves no training or no validation samples.");
    }
    x_val = rows_of(x, split, total);
    y_val = rows_of(y, split, total);
    if (weights.defined()) {
      val_weights = weights.rows(split, total);
      weights = weights.rows(0, split);
    }
    x = rows_of(x, 0, split);
    y = rows_of(y, 0, split);
  }
  if (!o.class_weight.empty()) {
    if (outputs_.size() != 1) {
      throw ValueError(who() + ": fit() class_weight is only supported for models with one output; weight the "
                       "samples with sample_weight instead.");
    }
    const Shape out_shape = outputs_[0].shape();
    const int64_t classes = out_shape.rank() >= 1 && out_shape[-1] > 1 ? out_shape[-1] : 2;  // 1 unit: 0/1
    // A copy, so that the class weights never write into the validation part or the caller's tensor.
    if (weights.defined()) weights = weights.clone();
    models::apply_class_weight(o.class_weight, y[0], classes, who() + ": fit()", weights);
  }
  const bool weighted = weights.defined();
  const bool validate = !x_val.empty();

  if (!training_ || training_->generation != generation_) {
    training_ = std::make_unique<Context>();
    training_->generation = generation_;
  }
  Context& t = *training_;
  const kernels::DenormalsOff denormals;
  t.params = trainable_weights();
  const std::vector<std::string> names = log_names();
  t.logs.clear();
  for (const auto& s : names) t.logs.emplace_back(s, 0.0);
  const size_t train_logs = t.logs.size();
  if (validate)
    for (size_t i = 0; i < train_logs; ++i) t.logs.emplace_back("val_" + t.logs[i].first, 0.0);
  const std::span<NamedValue> logs(t.logs);
  auto metrics = make_metrics();
  const size_t outs = outputs_.size();
  std::vector<double> output_sums(outs, 0.0);
  t.inputs.resize(x.size());
  t.targets.resize(outs);

  const int64_t n = x[0].dim(0), steps = models::batch_count(n, o.batch_size);
  t.order.resize(static_cast<size_t>(n));
  std::ostream& out = stream(o.out);
  const bool terminal = Progbar::is_terminal(out);
  History history;
  const std::string model_who = who();  // built once: the step itself allocates nothing
  const std::vector<std::string> in_names = input_names(), out_names = output_names();
  std::vector<std::string> x_what, y_what;
  for (size_t k = 0; k < x.size(); ++k) x_what.push_back("fit() " + part("x", in_names, k));
  for (size_t j = 0; j < outs; ++j) y_what.push_back("fit() " + part("y", out_names, j));
  bool stop_on_nan = false, nan_seen = false;
  const bool regularized = regularization_penalty() != 0.0;
  for (const auto& c : o.callbacks) stop_on_nan = stop_on_nan || c.callback->terminates_on_nan();
  stop_training = false;
  for (const auto& c : o.callbacks) c.callback->on_train_begin(*this);

  for (int epoch = o.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    for (const auto& c : o.callbacks) c.callback->on_epoch_begin(*this, epoch);
    if (o.verbose) out << "Epoch " << epoch + 1 << "/" << o.epochs << "\n";
    Progbar bar(steps, o.verbose, out, terminal);
    std::iota(t.order.begin(), t.order.end(), int64_t{0});
    if (o.shuffle) random::shuffle(t.order);
    for (auto& per_output : metrics)
      for (auto& m : per_output) m->reset();
    std::fill(output_sums.begin(), output_sums.end(), 0.0);
    double loss_sum = 0.0;
    int64_t step = 0;
    models::for_each_batch(n, o.batch_size, [&](int64_t begin, int64_t end) {
      if (nan_seen) return;  // TerminateOnNaN: skip the epoch's remaining batches
      const std::span<const int64_t> rows(t.order.data() + begin, static_cast<size_t>(end - begin));
      const auto sample = [&](int64_t r) { return rows[static_cast<size_t>(r)]; };
      for (size_t k = 0; k < x.size(); ++k) {
        x[k].take_rows_into(rows, t.inputs[k].value);
        check_finite_batch(t.inputs[k].value, sample, model_who, x_what[k], " The weights are those of the step before.");
        t.inputs[k].requires_grad = false;
      }
      for (size_t j = 0; j < outs; ++j) {
        y[j].take_rows_into(rows, t.targets[j]);
        check_finite_batch(t.targets[j], sample, model_who, y_what[j], " The weights are those of the step before.");
      }
      if (weighted) weights.take_rows_into(rows, t.weights);
      if (end < n) {
        const std::span<const int64_t> next(t.order.data() + end,
                                            static_cast<size_t>(std::min(n, end + o.batch_size) - end));
        for (const Tensor& xk : x) prefetch_rows(xk, next);
        for (const Tensor& yj : y) prefetch_rows(yj, next);
      }
      t.tape.clear();
      run(t, true, true);
      autograd::Variable& loss =
          batch_loss(t, true, weighted ? std::span<const float>(t.weights.f32(), rows.size()) : std::span<const float>());
      const float value = loss.value.item();
      if (!std::isfinite(value) && stop_on_nan) {
        out << "Batch " << step + 1 << ": invalid loss, terminating training\n";
        nan_seen = stop_training = true;
        return;
      }
      if (!std::isfinite(value)) {
        throw ValueError(model_who + ": the loss became " + std::to_string(value) + " at epoch " +
                         std::to_string(epoch + 1) + ", batch " + std::to_string(step + 1) +
                         "; the weights are those of the step before. Lower the learning rate, check the data for "
                         "extreme values, or compute the loss from logits.");
      }
      t.tape.backward(loss);  // activity penalties' gradients join inside, from their ops
      double reported = value + activity_penalty(t.frame);
      if (regularized) {
        add_regularization_gradients();
        reported += regularization_penalty();  // before the update: the weights this loss was computed with
      }
      optimizer_->apply(t.params);
      apply_constraints();     // as Keras: project right after the update
      apply_updates(t.frame);  // moving statistics: only for an accepted step
      const double count = static_cast<double>(end - begin);
      loss_sum += reported * count;
      size_t at = 0;
      logs[at++].second = loss_sum / static_cast<double>(end);
      if (outs > 1) {
        for (size_t j = 0; j < outs; ++j) {
          output_sums[j] += t.loss_values[j]->value.item() * count;
          logs[at++].second = output_sums[j] / static_cast<double>(end);
        }
      }
      for (size_t j = 0; j < outs; ++j) {
        for (auto& m : metrics[j]) {
          m->update(t.outputs[j]->value, t.targets[j]);
          logs[at++].second = m->result();
        }
      }
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
  for (auto& v : t.inputs) v.value = Tensor();
  return history;
}

std::map<std::string, double> Model::evaluate(const TensorList& x_in, const TensorList& y_in, EvaluateOptions o) {
  if (!compiled()) {
    throw StateError(who() +
                     ": evaluate() needs a compiled model; call compile() with an optimizer and a loss first.");
  }
  const std::vector<Tensor> x = inputs_from(x_in, "evaluate");
  const std::vector<Tensor> y = targets_from(y_in, "evaluate");
  check_targets(x, y, "evaluate");
  models::check_batch_size(o.batch_size, who() + ": evaluate()");
  Tensor weights;
  if (o.sample_weight.defined())
    weights = models::checked_sample_weight(o.sample_weight, x[0].dim(0), who() + ": evaluate()", "sample_weight");
  std::vector<NamedValue> logs;
  for (const auto& s : log_names()) logs.emplace_back(s, 0.0);
  std::ostream& out = stream(o.out);
  const int64_t steps = models::batch_count(x[0].dim(0), o.batch_size);
  Progbar bar(steps, o.verbose, out, Progbar::is_terminal(out));
  run_inference(x, &y, weights.defined() ? &weights : nullptr, o.batch_size, o.verbose ? &bar : nullptr, logs,
                nullptr, "evaluate() x");
  if (o.verbose) bar.update(steps, logs, true);
  return {logs.begin(), logs.end()};
}

std::vector<Tensor> Model::predict(const TensorList& x_in, PredictOptions o) {
  const std::vector<Tensor> x = inputs_from(x_in, "predict");
  models::check_batch_size(o.batch_size, who() + ": predict()");
  std::vector<Tensor> predictions;
  for (const KerasTensor& t : outputs_) predictions.push_back(Tensor::empty(t.shape().with_batch(x[0].dim(0))));
  std::ostream& out = stream(o.out);
  const int64_t steps = models::batch_count(x[0].dim(0), o.batch_size);
  Progbar bar(steps, o.verbose, out, Progbar::is_terminal(out));
  run_inference(x, nullptr, nullptr, o.batch_size, o.verbose ? &bar : nullptr, {}, &predictions, "predict() x");
  if (o.verbose) bar.update(steps, {}, true);
  return predictions;
}

Tensor Model::predict(const Tensor& x, PredictOptions o) {
  if (built() && outputs_.size() != 1) {
    throw ValueError(who() + ": has " + std::to_string(outputs_.size()) +
                     " outputs; predict(std::vector<Tensor>{x}) returns one tensor per output.");
  }
  return predict(TensorList(x), o).front();
}

std::map<std::string, double> Model::train_on_batch(const TensorList& x, const TensorList& y,
                                                    const Tensor& sample_weight) {
  const std::vector<Tensor> xs = inputs_from(x, "train_on_batch");
  // One step over the whole batch, in order: fit() with a single batch and no callbacks.
  const History h = fit(x, y, {.batch_size = std::max<int64_t>(1, xs[0].dim(0)), .epochs = 1, .verbose = 0,
                               .shuffle = false, .sample_weight = sample_weight});
  std::map<std::string, double> out;
  for (const auto& [name, values] : h.history) out[name] = values.back();
  return out;
}

std::map<std::string, double> Model::test_on_batch(const TensorList& x, const TensorList& y,
                                                   const Tensor& sample_weight) {
  const std::vector<Tensor> xs = inputs_from(x, "test_on_batch");
  return evaluate(x, y, {.batch_size = std::max<int64_t>(1, xs[0].dim(0)), .verbose = 0, .sample_weight = sample_weight});
}

std::vector<Tensor> Model::predict_on_batch(const TensorList& x) {
  const std::vector<Tensor> xs = inputs_from(x, "predict_on_batch");
  return predict(x, {.batch_size = std::max<int64_t>(1, xs[0].dim(0))});
}

}  // namespace soma
