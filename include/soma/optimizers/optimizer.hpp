#pragma once
// Optimizers with Keras semantics and defaults. An optimizer updates a list of parameters (the model's
// trainable Variables) from their gradients; per-parameter state (moments, velocities) lives here, keyed by
// the Variable it belongs to, as Keras keys it: the list may change between calls (a layer frozen or
// added between two fit() calls) and every parameter keeps its own state.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "soma/autograd/variable.hpp"
#include "soma/core/config.hpp"
#include "soma/optimizers/learning_rate.hpp"

namespace soma::optimizers {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::unique_ptr<Optimizer> clone() const = 0;
  virtual std::string name() const = 0;

  // One update of every parameter from its grad, then iterations() += 1. A parameter seen for the first
  // time gets fresh state (as tf.keras 2 creates slots lazily; Keras 3 refuses variables it was not built
  // with); one left out keeps its state untouched for when it comes back.
  void apply(std::span<autograd::Variable* const> params);

  int64_t iterations() const { return iterations_; }
  // The base learning rate (what callbacks such as ReduceLROnPlateau change); with a schedule, the
  // schedule's rate at iterations(), as Keras' optimizer.learning_rate reads.
  float learning_rate() const;
  // Throws StateError when the learning rate is a schedule (Keras refuses too: a schedule owns it), or
  // ValueError for a negative or non-finite rate.
  void set_learning_rate(float lr);
  // The schedule the optimizer was built with; null for a constant rate.
  const std::shared_ptr<const schedules::LearningRateSchedule>& learning_rate_schedule() const {
    return schedule_;
  }
  // The rate the next step uses: learning_rate() with Keras 2's time-based decay on top,
  // lr / (1 + decay * iterations).
  float current_learning_rate() const;

  // Keras get_config(): the constructor arguments, learning_rate as it is now. optimizers::deserialize
  // makes an equal, fresh optimizer from {"class_name": name(), "config": get_config()}.
  virtual Config get_config() const = 0;
  // Whether apply() has run (and so the per-parameter state exists).
  bool built() const { return built_; }
  // The per-parameter state, named "<slot>/<parameter name>" ("m/dense/kernel", "velocity/dense_1/bias"...),
  // sharing storage with the optimizer; empty before the first apply(). With iterations() this is
  // everything a resumed training needs. StateError if two parameters with state share a name.
  std::vector<std::pair<std::string, Tensor>> state();
  // Restores what state() and iterations() returned onto these parameters, matched by name: pass every
  // parameter that may have state (a model's weights(), trainable or not); one without saved state gets
  // none, as if never updated. Throws ValueError naming the first slot that is missing for a parameter
  // that has others, misshapen, or for no parameter given; the optimizer is then left unbuilt, as if new.
  void set_state(std::span<autograd::Variable* const> params, int64_t iterations,
                 const std::vector<std::pair<std::string, Tensor>>& state);

 protected:
  Optimizer(const LearningRate& learning_rate, float decay)
      : learning_rate_(learning_rate.is_schedule() ? 0.0f : learning_rate.value()),
        schedule_(learning_rate.schedule()),
        decay_(decay) {}
  // The learning rate as an options struct holds it: the base rate, or the schedule.
  LearningRate learning_rate_option() const;
  // Throws ValueError for a negative or non-finite value.
  void set_clipping(float clipnorm, float clipvalue);
  // Appends state for these parameters (new to the optimizer) to every slot vector in use: they get the
  // next slot indices, in order.
  virtual void add_slots(std::span<autograd::Variable* const> params) = 0;
  // Updates `param` in place with the state at slot `index`. `lr` is current_learning_rate();
  // iterations() is the number of updates done before this one.
  virtual void update(size_t index, autograd::Variable& param, float lr) = 0;
  // The state add_slots() created, by slot name: one tensor per slot index (an empty vector when unused).
  struct Slot {
    std::string name;
    std::vector<Tensor>* tensors;
  };
  virtual std::vector<Slot> slots() = 0;

 private:
  float learning_rate_;
  std::shared_ptr<const schedules::LearningRateSchedule> schedule_;
  float decay_;
  float clipnorm_ = 0.0f, clipvalue_ = 0.0f;
  int64_t iterations_ = 0;
  bool built_ = false;
  // Slot index of every parameter with state, and the parameter of every slot index (for state()'s names).
  std::unordered_map<const autograd::Variable*, size_t> slot_index_;
  std::vector<const autograd::Variable*> slot_owner_;
  std::vector<autograd::Variable*> new_params_;  // reused by apply(): no allocation once all are known
  void forget_slots();
};

// The optimizer a compile() call names, by Keras string ("sgd", "rmsprop", "adam", "adamw", "adagrad",
// "nadam") or by value.
std::unique_ptr<Optimizer> get(const std::string& name);
// {"class_name": "Adam", "config": {...}} and back. deserialize throws ValueError for an unknown class,
// an unknown or mistyped argument, or a value the optimizer rejects.
Config serialize(const Optimizer& optimizer);
std::unique_ptr<Optimizer> deserialize(const Config& spec);
// A schedule's {"class_name": ..., "config": ...} (NotImplementedError for a user-defined schedule) and
// back (ValueError for an unknown class or argument).
Config serialize(const schedules::LearningRateSchedule& schedule);
std::shared_ptr<const schedules::LearningRateSchedule> deserialize_schedule(const Config& spec);

}  // namespace soma::optimizers
