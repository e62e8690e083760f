// Model::save, Sequential's config and soma::load_model. What the file's config holds: docs/saving.md;
// the functional config: models/functional_config.cpp.
#include "soma/models/saving.hpp"

#include "models/functional_config.hpp"

#include <fmt/format.h>

#include <map>
#include <new>
#include <optional>

#include "io/keras/hdf5_file.hpp"
#include "io/keras/keras_export.hpp"
#include "io/keras/keras_import.hpp"
#include "layers/weight_budget.hpp"
#include "soma/core/random.hpp"
#include "soma/io/files.hpp"
#include "soma/io/model_file.hpp"
#include "soma/layers/serialization.hpp"

namespace soma {

namespace {
constexpr const char* kFormat = "soma.model";
const std::string kWeights = "weights/";
const std::string kOptimizer = "optimizer/";
}  // namespace

Sequential Sequential::from_config(const Config& config) {
  if (!config.is_object()) {
    throw ValueError(std::string("Sequential::from_config: expected a JSON object, received ") +
                     config.type_name() + ".");
  }
  for (const auto& item : config.items()) {
    if (item.key() != "name" && item.key() != "layers" && item.key() != "build_input_shape" &&
        item.key() != "trainable") {
      throw ValueError("Sequential::from_config: unknown key \"" + item.key() +
                       "\"; expected name, layers, build_input_shape and trainable.");
    }
  }
  auto typed = [&](const char* key, bool ok, const std::string& expected) {
    if (config.contains(key) && !ok) {
      throw ValueError(std::string("Sequential::from_config: \"") + key + "\" must be " + expected + ".");
    }
  };
  typed("name", config.contains("name") && config["name"].is_string(), "a string");
  typed("layers", config.contains("layers") && config["layers"].is_array(), "an array of layer configs");
  typed("build_input_shape", config.contains("build_input_shape") && config["build_input_shape"].is_array(),
        "an array of positive integers");
  typed("trainable", config.contains("trainable") && config["trainable"].is_boolean(), "true or false");
  Sequential model(config.contains("name") ? config["name"].get<std::string>() : "sequential");
  if (config.contains("layers")) {
    for (const auto& spec : config["layers"]) {
      // Keras 3 writes the input as a first InputLayer; soma's chain makes its own.
      if (spec.is_object() && spec.contains("class_name") && spec["class_name"] == "InputLayer") continue;
      model.add(std::shared_ptr<layers::Layer>(detail::deserialize_layer(spec)));
    }
  }
  if (config.contains("build_input_shape")) {
    std::vector<int64_t> dims;
    for (const auto& d : config["build_input_shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() <= 0)
        typed("build_input_shape", false, "an array of positive integers");
      dims.push_back(d.get<int64_t>());
    }
    // Per sample: the batch axis takes one of Shape's kMaxRank dimensions.
    if (dims.size() >= Shape::kMaxRank) {
      typed("build_input_shape", false,
            "an array of at most " + std::to_string(Shape::kMaxRank - 1) + " dimensions per sample (" +
                std::to_string(Shape::kMaxRank) + " with the batch)");
    }
    model.build(Shape(dims));
  }
  if (config.contains("trainable") && !config["trainable"].get<bool>()) model.set_trainable(false);
  return model;
}

void Model::save(const std::string& path) {
  if (!built()) {
    throw StateError(who() +
                     ": save() needs a built model; give the first layer an input_shape, call build(), "
                     "or fit() first.");
  }
  if (path.ends_with(".keras")) {  // Keras 3's format (docs/interop.md)
    io::write_file_atomically("save", path, io::keras::keras_file_bytes(*this));
    return;
  }
  if (path.ends_with(".json")) {  // TensorFlow.js layers format (docs/interop.md)
    io::keras::write_tfjs(*this, path);
    return;
  }
  io::ModelFile file;
  Config& c = file.config;
  c["format"] = kFormat;
  c["soma_version"] = "0.1.0";
  c["model"] = Config{{"class_name", type()}, {"config", get_config()}};
  for (auto* w : weights()) file.tensors.push_back({kWeights + w->name, w->value});
  Config training{{"random_state", random::state()}};
  if (compiled()) {
    c["compile"] = compile_config();
    training["optimizer_iterations"] = optimizer_->iterations();
    training["optimizer_built"] = optimizer_->built();
    for (auto& [name, value] : optimizer_->state()) file.tensors.push_back({kOptimizer + name, value});
  }
  c["training"] = std::move(training);
  io::write_model_file(path, file);
}

namespace {

// Everything but the reading: the parsed file becomes a model, or an IOError says why it cannot.
Model restore(io::ModelFile file, const std::string& source, const LoadOptions& options) {
  auto fail = [&](const std::string& problem) -> void {
    throw IOError("load_model: " + source + " " + problem + ".");
  };
  const Config& c = file.config;
  if (!c.contains("format") || c["format"] != kFormat)
    fail("is not a soma model (its config has no format \"soma.model\")");
  if (!c.contains("model") || !c["model"].is_object() || !c["model"].contains("class_name") ||
      (c["model"]["class_name"] != "Sequential" && c["model"]["class_name"] != "Functional") ||
      !c["model"].contains("config")) {
    fail("does not hold a Sequential or Functional model config");
  }
  std::map<std::string, Tensor> weights, state;
  int64_t budget = 0;
  for (auto& [name, value] : file.tensors) {
    if (name.starts_with(kWeights)) {
      budget += value.nbytes();
      weights.emplace(name.substr(kWeights.size()), std::move(value));
    } else if (name.starts_with(kOptimizer)) {
      state.emplace(name.substr(kOptimizer.size()), std::move(value));
    } else {
      fail("holds a tensor \"" + name + "\" that is neither a weight nor optimizer state");
    }
  }
  const std::string generator = random::state();
  // Any failure below leaves the generator as the caller had it.
  struct Restore {
    const std::string& state;
    bool armed = true;
    ~Restore() {
      if (armed) random::set_state(state);
    }
  } restore_generator{generator};
  try {
    std::optional<Model> model;
    {
      // Twice what the file holds: room for a config whose mismatch set_weights reports precisely.
      layers::detail::WeightBudget cap(2 * budget + (int64_t{1} << 16));
      if (c["model"]["class_name"] == "Sequential") {
        model.emplace(Sequential::from_config(c["model"]["config"]));
      } else {
        model.emplace(Model::from_config(c["model"]["config"]));
      }
    }
    if (!model->built()) fail("holds a model without an input shape");
    std::vector<Tensor> values;
    for (auto* w : model->weights()) {
      auto it = weights.find(w->name);
      if (it == weights.end()) fail("lacks the weight \"" + w->name + "\" its config needs");
      values.push_back(std::move(it->second));
      weights.erase(it);
    }
    if (!weights.empty()) fail("holds a weight \"" + weights.begin()->first + "\" its model does not have");
    model->set_weights(values);
    if (options.compile && c.contains("compile")) {
      model->compile_from_config(c["compile"]);
      const Config training = c.value("training", Config::object());
      if (training.value("optimizer_built", false)) {
        std::vector<std::pair<std::string, Tensor>> named(state.begin(), state.end());
        model->optimizer().set_state(model->weights(),
                                     training.at("optimizer_iterations").get<int64_t>(), named);
      }
    }
    // Building drew initial weights from the generator; put it back either where the saved training left
    // it or where the caller had it.
    if (options.restore_random_state && c.contains("training") && c["training"].contains("random_state")) {
      random::set_state(c["training"]["random_state"].get<std::string>());
    } else {
      random::set_state(generator);
    }
    restore_generator.armed = false;
    return std::move(*model);
  } catch (const IOError&) {
    throw;
  } catch (const Error& e) {
    fail(std::string("holds a config that does not describe a usable model: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("holds a malformed config: ") + e.what());
  } catch (const std::bad_alloc&) {
    fail("asks for more memory than this machine has; the config is corrupted");
  } catch (const std::exception& e) {
    // Anything else a malformed file provokes is still a bad file, not a crash of the caller.
    fail(std::string("could not be loaded: ") + e.what());
  }
  throw IOError("load_model: unreachable");
}

}  // namespace

Model load_model_from_bytes(std::string_view bytes, const std::string& source, LoadOptions options,
                                 bool verify_checksum) {
  if (bytes.starts_with("PK\x03\x04"))
    return io::keras::build_model(io::keras::read_keras(std::string(bytes), source), source, options);
  if (io::hdf5::is_hdf5(bytes))
    return io::keras::build_model(io::keras::read_h5(std::string(bytes), source), source, options);
  return restore(io::parse_model_file(bytes, source, verify_checksum), source, options);
}

Model load_model(const std::string& path, LoadOptions options) {
  // The format by the first bytes: soma's magic, a zip (.keras), HDF5 (.h5), or JSON (tfjs model.json).
  std::string head(8, '\0');
  {
    io::InputFile f = io::open_regular_file("load_model", path);
    head.resize(f.read(head.data(), head.size()));
  }
  const size_t text = head.find_first_not_of(" \t\r\n");
  if (text != std::string::npos && head[text] == '{') {
    return io::keras::build_model(io::keras::read_tfjs(path), path, options);
  }
  if (head.starts_with("PK\x03\x04")) {
    return io::keras::build_model(io::keras::read_keras(io::read_regular_file("load_model", path), path), path, options);
  }
  if (io::hdf5::is_hdf5(head)) {
    return io::keras::build_model(io::keras::read_h5(io::read_regular_file("load_model", path), path), path, options);
  }
  return restore(io::read_model_file(path), path, options);
}

}  // namespace soma
