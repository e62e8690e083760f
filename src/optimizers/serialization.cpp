// Optimizers to and from configs, and the named state slots save/load uses. The JSON form of each options
// struct is listed once here; tests/optimizers/serialization_test.cpp round-trips every field.
#include <fmt/format.h>

#include <algorithm>

#include "core/options_config.hpp"
#include "soma/core/error.hpp"
#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/optimizer.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"

namespace soma::optimizers::schedules {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExponentialDecayOptions, initial_learning_rate, decay_steps,
                                                decay_rate, staircase)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InverseTimeDecayOptions, initial_learning_rate, decay_steps,
                                                decay_rate, staircase)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PiecewiseConstantDecayOptions, boundaries, values)

// By hand for the optional warmup_target (null when absent, as Keras writes None).
void to_json(Config& j, const CosineDecayOptions& o) {
  j = Config{{"initial_learning_rate", o.initial_learning_rate},
             {"decay_steps", o.decay_steps},
             {"alpha", o.alpha},
             {"warmup_target", o.warmup_target ? Config(*o.warmup_target) : Config(nullptr)},
             {"warmup_steps", o.warmup_steps}};
}
void from_json(const Config& j, CosineDecayOptions& o) {
  o = {};
  o.initial_learning_rate = j.value("initial_learning_rate", o.initial_learning_rate);
  o.decay_steps = j.value("decay_steps", o.decay_steps);
  o.alpha = j.value("alpha", o.alpha);
  if (j.contains("warmup_target") && !j["warmup_target"].is_null())
    o.warmup_target = j["warmup_target"].get<float>();
  o.warmup_steps = j.value("warmup_steps", o.warmup_steps);
}
}  // namespace soma::optimizers::schedules

namespace soma::optimizers {
Config serialize(const schedules::LearningRateSchedule& schedule) {
  using namespace schedules;
  Config config;
  if (auto* e = dynamic_cast<const ExponentialDecay*>(&schedule)) {
    config = e->options();
  } else if (auto* i = dynamic_cast<const InverseTimeDecay*>(&schedule)) {
    config = i->options();
  } else if (auto* c = dynamic_cast<const CosineDecay*>(&schedule)) {
    config = c->options();
  } else if (auto* p = dynamic_cast<const PiecewiseConstantDecay*>(&schedule)) {
    config = p->options();
  } else {
    throw NotImplementedError("optimizers::serialize: the learning-rate schedule \"" + schedule.name() +
                              "\" is not one of soma's, so it cannot be saved.");
  }
  return Config{{"class_name", schedule.name()}, {"config", std::move(config)}};
}

std::shared_ptr<const schedules::LearningRateSchedule> deserialize_schedule(const Config& spec) {
  using namespace schedules;
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    throw ValueError(
        "learning_rate: expected a number or {\"class_name\": ..., \"config\": {...}}, received " +
        spec.dump().substr(0, 200) + ".");
  }
  const auto name = spec["class_name"].get<std::string>();
  const Config config = spec.contains("config") ? spec["config"] : Config::object();
  if (name == "ExponentialDecay")
    return std::make_shared<ExponentialDecay>(
        soma::detail::options_from_config<ExponentialDecayOptions>(config, name));
  if (name == "InverseTimeDecay")
    return std::make_shared<InverseTimeDecay>(
        soma::detail::options_from_config<InverseTimeDecayOptions>(config, name));
  if (name == "CosineDecay")
    return std::make_shared<CosineDecay>(soma::detail::options_from_config<CosineDecayOptions>(config, name));
  if (name == "PiecewiseConstantDecay")
    return std::make_shared<PiecewiseConstantDecay>(
        soma::detail::options_from_config<PiecewiseConstantDecayOptions>(config, name));
  throw ValueError("learning_rate: unknown schedule class \"" + name +
                   "\". Known: CosineDecay, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay.");
}

}  // namespace soma::optimizers

// A learning rate is a number or a schedule's config; it has no default state, hence a serializer.
template <>
struct nlohmann::adl_serializer<soma::optimizers::LearningRate> {
  static void to_json(soma::Config& j, const soma::optimizers::LearningRate& lr) {
    if (lr.is_schedule()) {
      j = soma::optimizers::serialize(*lr.schedule());
    } else {
      j = lr.value();
    }
  }
  static soma::optimizers::LearningRate from_json(const soma::Config& j) {
    if (j.is_number()) return j.get<float>();
    return soma::optimizers::LearningRate(
        std::const_pointer_cast<soma::optimizers::schedules::LearningRateSchedule>(
            soma::optimizers::deserialize_schedule(j)));
  }
};

namespace soma::optimizers {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SGDOptions, learning_rate, momentum, nesterov, decay,
                                                clipnorm, clipvalue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AdamOptions, learning_rate, beta_1, beta_2, epsilon, amsgrad,
                                                decay, clipnorm, clipvalue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RMSpropOptions, learning_rate, rho, momentum, epsilon,
                                                centered, decay, clipnorm, clipvalue)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AdamWOptions, learning_rate, weight_decay, beta_1, beta_2,
                                                epsilon, amsgrad, clipnorm, clipvalue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AdagradOptions, learning_rate, initial_accumulator_value,
                                                epsilon, clipnorm, clipvalue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NadamOptions, learning_rate, beta_1, beta_2, epsilon,
                                                clipnorm, clipvalue)

Config SGD::get_config() const {
  return options();
}
Config AdamW::get_config() const {
  return options();
}
Config Adagrad::get_config() const {
  return options();
}
Config Nadam::get_config() const {
  return options();
}
std::vector<Optimizer::Slot> AdamW::slots() {
  return {{"m", &m_}, {"v", &v_}, {"vhat", &vhat_}};
}
std::vector<Optimizer::Slot> Adagrad::slots() {
  return {{"accumulator", &accumulators_}};
}
std::vector<Optimizer::Slot> Nadam::slots() {
  return {{"m", &m_}, {"v", &v_}};
}
Config Adam::get_config() const {
  return options();
}
Config RMSprop::get_config() const {
  return options();
}

std::vector<Optimizer::Slot> SGD::slots() {
  return {{"velocity", &velocity_}};
}
std::vector<Optimizer::Slot> Adam::slots() {
  return {{"m", &m_}, {"v", &v_}, {"vhat", &vhat_}};
}
std::vector<Optimizer::Slot> RMSprop::slots() {
  return {{"rms", &rms_}, {"mg", &mg_}, {"momentum", &momentum_}};
}

Config serialize(const Optimizer& optimizer) {
  return Config{{"class_name", optimizer.name()}, {"config", optimizer.get_config()}};
}

std::unique_ptr<Optimizer> deserialize(const Config& spec) {
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    throw ValueError("optimizers::deserialize: expected {\"class_name\": ..., \"config\": {...}}, received " +
                     spec.dump().substr(0, 200) + ".");
  }
  const auto class_name = spec["class_name"].get<std::string>();
  const Config config = spec.contains("config") ? spec["config"] : Config::object();
  if (class_name == "SGD")
    return std::make_unique<SGD>(soma::detail::options_from_config<SGDOptions>(config, class_name));
  if (class_name == "Adam")
    return std::make_unique<Adam>(soma::detail::options_from_config<AdamOptions>(config, class_name));
  if (class_name == "RMSprop")
    return std::make_unique<RMSprop>(soma::detail::options_from_config<RMSpropOptions>(config, class_name));
  if (class_name == "AdamW")
    return std::make_unique<AdamW>(soma::detail::options_from_config<AdamWOptions>(config, class_name));
  if (class_name == "Adagrad")
    return std::make_unique<Adagrad>(soma::detail::options_from_config<AdagradOptions>(config, class_name));
  if (class_name == "Nadam")
    return std::make_unique<Nadam>(soma::detail::options_from_config<NadamOptions>(config, class_name));
  throw ValueError("optimizers::deserialize: unknown optimizer class \"" + class_name +
                   "\". Known: Adagrad, Adam, AdamW, Nadam, RMSprop, SGD.");
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!built_) return out;
  for (size_t i = 0; i < slot_owner_.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      if (slot_owner_[k]->name == slot_owner_[i]->name) {
        throw StateError(name() + ": two parameters with optimizer state are both named \"" +
                         slot_owner_[i]->name + "\", so the state cannot be saved by name.");
      }
    }
  }
  for (const Slot& slot : slots()) {
    for (size_t i = 0; i < slot.tensors->size(); ++i) {
      out.emplace_back(slot.name + "/" + slot_owner_[i]->name, (*slot.tensors)[i]);
    }
  }
  return out;
}

void Optimizer::set_state(std::span<autograd::Variable* const> params, int64_t iterations,
                          const std::vector<std::pair<std::string, Tensor>>& saved) {
  auto fail = [&](const std::string& what) {
    forget_slots();
    iterations_ = 0;
    throw ValueError(name() + ": cannot restore the optimizer state: " + what + ".");
  };
  if (iterations < 0) fail("iterations is negative (" + std::to_string(iterations) + ")");
  forget_slots();
  auto find = [&](const std::string& key) {
    return std::find_if(saved.begin(), saved.end(), [&](const auto& kv) { return kv.first == key; });
  };
  // The parameters that had state when saved: those named in some slot of the file.
  std::vector<autograd::Variable*> with_state;
  std::vector<std::string> slot_names;
  for (const Slot& slot : slots()) slot_names.push_back(slot.name);
  for (autograd::Variable* p : params) {
    const bool any = std::any_of(slot_names.begin(), slot_names.end(),
                                 [&](const std::string& s) { return find(s + "/" + p->name) != saved.end(); });
    if (!any || slot_index_.contains(p)) continue;
    slot_index_.emplace(p, slot_owner_.size());
    slot_owner_.push_back(p);
    with_state.push_back(p);
  }
  if (!with_state.empty()) add_slots(with_state);
  built_ = true;
  size_t used = 0;
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  for (const Slot& slot : slots()) {
    for (size_t i = 0; i < slot.tensors->size(); ++i) {
      const std::string key = slot.name + "/" + slot_owner_[i]->name;
      const auto it = find(key);
      if (it == saved.end()) fail("\"" + key + "\" is missing (was the model saved with other options?)");
      Tensor& dst = (*slot.tensors)[i];
      if (it->second.shape() != dst.shape() || it->second.dtype() != dst.dtype()) {
        fail("\"" + key + "\" has shape " + it->second.shape().str() + ", the parameter needs " +
             dst.shape().str());
      }
      copies.emplace_back(&dst, &it->second);
      ++used;
    }
  }
  if (used != saved.size()) {
    for (const auto& [key, value] : saved) {
      bool found = false;
      for (const auto& c : copies) found = found || c.second == &value;
      if (!found) {
        fail("\"" + key +
             "\" is not state this optimizer has for any of the given parameters (was it saved with other "
             "options or another model?)");
      }
    }
  }
  for (auto& [dst, src] : copies) dst->copy_from(*src);
  iterations_ = iterations;
}

}  // namespace soma::optimizers
