// From a read Keras-family file to a soma model: config, weights, compile settings. The readers of each
// format live beside it (tfjs_format.cpp, keras_h5.cpp, keras_zip.cpp).
#include "io/keras/keras_import.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <new>
#include <optional>
#include <set>

#include "io/keras/keras_config.hpp"
#include "io/keras/names.hpp"
#include "layers/weight_budget.hpp"
#include "soma/core/error.hpp"
#include "soma/core/random.hpp"

namespace soma::io::keras {

namespace {

// Keras' optimizer config into soma's, or nullopt with the reason in `why`.
std::optional<Config> optimizer(const Config& spec, std::string& why) {
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    why = "its optimizer config is not {\"class_name\", \"config\"}";
    return std::nullopt;
  }
  std::string cls = spec["class_name"].get<std::string>();
  const bool tfjs_rmsprop = cls == "RMSProp";  // tfjs' class, whose "decay" is Keras' rho
  // Keras 3 legacy-h5 files may prefix "Custom>" or name the class in lower case; tfjs writes the Keras name.
  static const std::map<std::string, std::string> classes = {
      {"sgd", "SGD"},         {"adam", "Adam"},       {"rmsprop", "RMSprop"}, {"adamw", "AdamW"},
      {"adagrad", "Adagrad"}, {"nadam", "Nadam"}, {"momentum", "SGD"}};
  std::string lower = cls;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto known = classes.find(lower);
  if (known == classes.end()) {
    why = "its optimizer " + cls + " has no soma counterpart";
    return std::nullopt;
  }
  cls = known->second;
  Config out = Config::object();
  const Config c = spec.value("config", Config::object());
  // Arguments with the value at which Keras does nothing; others are not modelled by soma.
  static const std::map<std::string, Config> inert = {
      {"weight_decay", nullptr},   {"global_clipnorm", nullptr},           {"use_ema", false},
      {"loss_scale_factor", nullptr}, {"gradient_accumulation_steps", nullptr}};
  static const std::set<std::string> meaningless = {"name", "is_legacy_optimizer", "jit_compile", "ema_momentum",
                                                    "ema_overwrite_frequency"};
  for (const auto& [key, value] : c.items()) {
    if (meaningless.count(key)) continue;
    if (key == "weight_decay" && cls == "AdamW") {
      out[key] = value;
      continue;
    }
    if (auto it = inert.find(key); it != inert.end()) {
      if (value == it->second) continue;
      why = fmt::format("its optimizer argument {} = {} is not supported by soma", key, value.dump());
      return std::nullopt;
    }
    if ((key == "clipnorm" || key == "clipvalue") && value.is_null()) continue;
    if (key == "decay" && value.is_number() && value.get<double>() == 0.0 && cls != "SGD" && cls != "Adam" &&
        cls != "RMSprop")
      continue;
    // Keras 2 wrote lr; tfjs writes its own camelCase names.
    static const std::map<std::string, std::string> renames = {
        {"lr", "learning_rate"}, {"learningRate", "learning_rate"}, {"beta1", "beta_1"},
        {"beta2", "beta_2"},     {"useNesterov", "nesterov"},      {"initialAccumulatorValue", "initial_accumulator_value"}};
    std::string name = key;
    if (auto r = renames.find(key); r != renames.end()) name = r->second;
    if (tfjs_rmsprop && key == "decay") name = "rho";
    if (name == "learning_rate" && value.is_object()) {  // a schedule, as soma writes one
      Config schedule = value;
      schedule.erase("module");
      schedule.erase("registered_name");
      out[name] = schedule;
    } else {
      out[name] = value;
    }
  }
  return Config{{"class_name", cls}, {"config", out}};
}

// "categorical_crossentropy", or Keras 3's {"class_name": "CategoricalCrossentropy", "config": {...}}.
std::optional<Config> loss(const Config& spec, std::string& why) {
  if (spec.is_string()) return Config{{"class_name", snake_case(spec.get<std::string>())}, {"config", Config::object()}};
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    why = "its loss " + spec.dump().substr(0, 80) + " is neither a name nor {\"class_name\", \"config\"}";
    return std::nullopt;
  }
  Config out_config = Config::object();
  const Config given = spec.contains("config") ? spec["config"] : Config::object();
  for (const auto& [key, value] : given.items()) {
    if (key == "name" || key == "dtype") continue;
    if (key == "reduction" && (value == "sum_over_batch_size" || value == "auto")) continue;
    if (key == "axis" && value == -1) continue;
    if (key == "label_smoothing" && value.is_number() && value.get<double>() == 0.0) continue;
    if (key == "from_logits") {
      out_config[key] = value;
      continue;
    }
    why = fmt::format("its loss argument {} = {} is not supported by soma", key, value.dump());
    return std::nullopt;
  }
  return Config{{"class_name", snake_case(spec["class_name"].get<std::string>())}, {"config", out_config}};
}

// Metric names; Keras 3 nests them per output ([["accuracy"]]) and may write metric objects.
std::optional<Config> metrics(const Config& spec, std::vector<std::string>& notes) {
  Config out = Config::array();
  const Config* list = &spec;
  if (spec.is_array() && spec.size() == 1 && spec[0].is_array()) list = &spec[0];
  if (!list->is_array()) return out;
  for (const auto& m : *list) {
    if (m.is_string()) {
      out.push_back(m == "acc" ? "accuracy" : m);
    } else if (m.is_object() && m.contains("class_name") && m["class_name"].is_string()) {
      const std::string name = snake_case(m["class_name"].get<std::string>());
      out.push_back(name == "mean_metric_wrapper" && m.contains("config") && m["config"].contains("name")
                        ? m["config"]["name"]
                        : Config(name));
    } else if (!m.is_null()) {
      notes.push_back("the metric " + m.dump().substr(0, 80) + " was left out");
    }
  }
  return out;
}

}  // namespace

std::optional<Config> translate_training(const Config& training, int, std::vector<std::string>& notes) {
  if (!training.is_object()) return std::nullopt;
  std::string why;
  const Config* opt = training.contains("optimizer_config") ? &training["optimizer_config"]
                      : training.contains("optimizer")      ? &training["optimizer"]
                                                            : nullptr;
  if (!opt || !training.contains("loss")) {
    notes.push_back("the model is not compiled: its training config names no optimizer or no loss");
    return std::nullopt;
  }
  auto o = optimizer(*opt, why);
  std::optional<Config> l;
  if (o) l = loss(training["loss"], why);
  if (!o || !l) {
    notes.push_back("the model is not compiled: " + why + "; compile() it before fit()");
    return std::nullopt;
  }
  Config c{{"optimizer", *o}, {"loss", *l}};
  if (training.contains("metrics")) c["metrics"] = *metrics(training["metrics"], notes);
  if (training.contains("loss_weights") && training["loss_weights"].is_array())
    c["loss_weights"] = training["loss_weights"];
  return c;
}

Model build_model(KerasFile file, const std::string& source, const LoadOptions& options) {
  auto fail = [&](const std::string& problem) -> void {
    throw IOError(fmt::format("load_model: {} ({} model) {}.", source, file.format, problem));
  };
  const int major = keras_major(file.keras_version);
  std::vector<std::string> notes;
  const std::string generator = random::state();
  struct Restore {  // building draws initial weights from the generator; the caller's is kept
    const std::string& state;
    ~Restore() { random::set_state(state); }
  } restore_generator{generator};
  try {
    Translated t = translate_model(file.model_config, major, file.format == "tfjs");
    notes = std::move(file.notes);
    notes.insert(notes.end(), t.notes.begin(), t.notes.end());
    int64_t budget = 0;
    for (const auto& v : file.variables) budget += v.value.nbytes();
    std::optional<Model> model;
    {
      layers::detail::WeightBudget cap(2 * budget + (int64_t{1} << 16));
      if (t.model["class_name"] == "Sequential") {
        model.emplace(Sequential::from_config(t.model["config"]));
      } else {
        model.emplace(Model::from_config(t.model["config"]));
      }
    }
    if (!model->built()) fail("has no input shape (its first layer gives no batch_input_shape)");
    assign_weights(*model, std::move(file.variables), source);
    if (options.compile) {
      std::optional<Config> compile;
      if (file.compile) compile = translate_training(*file.compile, major, notes);
      else if (file.training) compile = translate_training(*file.training, major, notes);
      if (compile) {
        try {
          model->compile_from_config(*compile);
        } catch (const Error& e) {
          notes.push_back(std::string("the model is not compiled: ") + e.what());
        }
      }
    }
    for (const auto& n : notes) {
      if (options.notes) {
        options.notes->push_back(n);
      } else {
        std::fprintf(stderr, "load_model: %s: note: %s\n", source.c_str(), n.c_str());
      }
    }
    return std::move(*model);
  } catch (const IOError&) {
    throw;
  } catch (const Error& e) {
    fail(std::string("holds a config soma cannot build: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("holds a malformed config: ") + e.what());
  } catch (const std::bad_alloc&) {
    fail("asks for more memory than this machine has");
  } catch (const std::exception& e) {
    fail(std::string("could not be loaded: ") + e.what());
  }
  throw IOError("load_model: unreachable");
}

}  // namespace soma::io::keras
