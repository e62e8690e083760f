// soma models as Keras 3 .keras files: config.json in Keras 3's dialect (module / registered_name,
// DTypePolicy objects, initializers and regularizers as Keras objects), metadata.json, and
// model.weights.h5 in the tree keras/src/saving/saving_lib.py walks (docs/interop.md). The reverse of
// keras_config.cpp and keras_zip.cpp.
#include "io/keras/keras_export.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <zip.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "io/keras/hdf5_file.hpp"
#include "io/keras/export_tuples.hpp"
#include "io/keras/names.hpp"
#include "soma/core/error.hpp"
#include "soma/io/files.hpp"

namespace soma::io::keras {

namespace {

Config keras_object(const std::string& module, const std::string& cls, Config config) {
  return Config{{"module", module}, {"class_name", cls}, {"config", std::move(config)}, {"registered_name", nullptr}};
}

Config policy(const std::string& name) {
  return keras_object("keras", "DTypePolicy", Config{{"name", name}});
}

Config initializer(const Config& v) {
  const std::string name = v.is_string() ? v.get<std::string>() : v.at("class_name").get<std::string>();
  const Config c = v.is_object() ? v.value("config", Config::object()) : Config::object();
  Config args = Config::object();
  if (name == "constant") args = {{"value", c.value("value", 0.0)}};
  if (name == "random_normal" || name == "truncated_normal")
    args = {{"mean", c.value("mean", 0.0)}, {"stddev", c.value("stddev", 0.05)}, {"seed", nullptr}};
  if (name == "random_uniform")
    args = {{"minval", c.value("minval", -0.05)}, {"maxval", c.value("maxval", 0.05)}, {"seed", nullptr}};
  if (name == "orthogonal") args = {{"gain", c.value("gain", 1.0)}, {"seed", nullptr}};
  if (name == "variance_scaling") {
    args = {{"scale", c.value("scale", 1.0)},
            {"mode", c.value("mode", std::string("fan_in"))},
            {"distribution", c.value("distribution", std::string("truncated_normal"))},
            {"seed", nullptr}};
  }
  static const std::set<std::string> seeded = {"glorot_uniform", "glorot_normal", "he_uniform",
                                               "he_normal",      "lecun_uniform", "lecun_normal"};
  if (seeded.count(name)) args = {{"seed", nullptr}};
  return keras_object("keras.initializers", camel_case(name), args);
}

Config regularizer(const Config& v) {
  if (!v.is_object()) return nullptr;
  const double l1 = v.value("l1", 0.0), l2 = v.value("l2", 0.0);
  if (l1 == 0 && l2 == 0) return nullptr;
  return keras_object("keras.regularizers", "L1L2", Config{{"l1", l1}, {"l2", l2}});
}

Config constraint(const Config& v) {
  if (!v.is_object()) return nullptr;
  const std::string name = v.at("class_name").get<std::string>();
  const Config c = v.value("config", Config::object());
  Config args = Config::object();
  if (name == "max_norm") args = {{"max_value", c["max_value"]}, {"axis", c["axis"]}};
  if (name == "unit_norm") args = {{"axis", c["axis"]}};
  if (name == "min_max_norm")
    args = {{"min_value", c["min_value"]}, {"max_value", c["max_value"]}, {"rate", c["rate"]}, {"axis", c["axis"]}};
  return keras_object("keras.constraints", camel_case(name), args);
}

Config layer_config(const std::string& cls, const Config& in) {
  Config c = Config::object();
  for (const auto& [key, value] : in.items()) {
    // soma's own ways of giving shapes: the model's InputLayer carries them in Keras 3.
    if (key == "input_shape" || key == "input_length" || (key == "input_dim" && cls != "Embedding") ||
        (key == "batch_size" && value == 0))
      continue;
    if ((key == "activation" || key == "recurrent_activation") && value == "hard_sigmoid_keras2") {
      throw NotImplementedError(fmt::format(
          "{} \"{}\": Keras 2's hard_sigmoid has no Keras 3 name; a .keras file cannot hold this layer.", cls,
          in.value("name", std::string())));
    }
    if (key == "dtype" && value.is_string()) {
      c[key] = policy(value.get<std::string>());
    } else if (key.ends_with("_initializer") || key == "initializer") {
      c[key] = initializer(value);
    } else if (key.ends_with("_regularizer")) {
      c[key] = regularizer(value);
    } else if (key.ends_with("_constraint")) {
      c[key] = constraint(value);
    } else if (key == "layer" && value.is_object()) {
      Config inner = value;
      inner["config"] = layer_config(value.at("class_name").get<std::string>(), value.at("config"));
      inner["module"] = "keras.layers";
      inner["registered_name"] = nullptr;
      c[key] = std::move(inner);
    } else {
      c[key] = value;
    }
  }
  // soma's recurrent layers share one options struct; each Keras class takes only its own arguments.
  if (cls == "SimpleRNN") {
    for (const char* key : {"recurrent_activation", "unit_forget_bias", "reset_after"}) c.erase(key);
  }
  if (cls == "LSTM") c.erase("reset_after");
  if (cls == "GRU") c.erase("unit_forget_bias");
  expand_tuples(cls, c);
  if (!c.contains("trainable")) c["trainable"] = true;
  if (!c.contains("dtype")) c["dtype"] = policy("float32");
  return c;
}

Config model_spec(const std::string& cls, const Config& config);

Config layer_spec(const Config& spec) {
  const std::string cls = spec.at("class_name").get<std::string>();
  if (cls == "Sequential" || cls == "Functional") {
    Config out = model_spec(cls, spec.at("config"));
    for (const char* key : {"name", "inbound_nodes"}) {
      if (spec.contains(key)) out[key] = spec[key];
    }
    return out;
  }
  Config out = spec;
  out["module"] = spec.value("module", std::string("keras.layers"));
  out["registered_name"] = nullptr;
  out["config"] = cls == "InputLayer" ? spec.at("config") : layer_config(cls, spec.at("config"));
  return out;
}

Config model_spec(const std::string& cls, const Config& config) {
  Config c = config;
  Config layers = Config::array();
  Config batch_shape;
  if (cls == "Sequential") {
    batch_shape = Config::array({nullptr});
    for (const auto& d : config.value("build_input_shape", Config::array())) batch_shape.push_back(d);
    layers.push_back(Config{{"module", "keras.layers"},
                            {"class_name", "InputLayer"},
                            {"config", {{"batch_shape", batch_shape}, {"dtype", "float32"}, {"sparse", false},
                                        {"name", "input_layer"}}},
                            {"registered_name", nullptr}});
    c.erase("build_input_shape");
  }
  for (const auto& l : config.at("layers")) layers.push_back(layer_spec(l));
  c["layers"] = std::move(layers);
  if (!c.contains("trainable")) c["trainable"] = true;
  c["dtype"] = policy("float32");
  Config out{{"module", cls == "Sequential" ? "keras" : "keras.src.models.functional"},
             {"class_name", cls},
             {"config", std::move(c)},
             {"registered_name", cls == "Sequential" ? Config(nullptr) : Config("Functional")}};
  if (cls == "Sequential") out["build_config"] = Config{{"input_shape", batch_shape}};
  return out;
}

// soma's compile config as Keras 3's compile_config.
Config compile_config(const Config& soma) {
  Config opt = soma.at("optimizer");
  const std::string cls = opt.at("class_name").get<std::string>();
  Config args = Config::object();
  for (const auto& [key, value] : opt.at("config").items()) {
    if ((key == "clipnorm" || key == "clipvalue") && value.is_number() && value.get<double>() == 0.0) {
      args[key] = nullptr;
    } else if (key == "decay") {
      continue;  // handled below
    } else if (key == "learning_rate" && value.is_object()) {
      args[key] = keras_object("keras.optimizers.schedules", value.at("class_name").get<std::string>(),
                               value.value("config", Config::object()));
    } else {
      args[key] = value;
    }
  }
  // Keras 2's decay (lr / (1 + decay * step)) is Keras 3's InverseTimeDecay with decay_steps 1.
  const Config& given = opt.at("config");
  if (given.contains("decay") && given["decay"].is_number() && given["decay"].get<double>() != 0.0 &&
      args["learning_rate"].is_number()) {
    args["learning_rate"] = keras_object(
        "keras.optimizers.schedules", "InverseTimeDecay",
        Config{{"initial_learning_rate", args["learning_rate"]}, {"decay_steps", 1},
               {"decay_rate", given["decay"]}, {"staircase", false}});
  }
  std::string lower = cls;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  args["name"] = lower;
  Config loss = soma.at("loss");
  auto one_loss = [](const Config& l) -> Config {
    const std::string name = l.at("class_name").get<std::string>();
    const bool logits = l.value("config", Config::object()).value("from_logits", false);
    if (!logits) return name;
    return keras_object("keras.losses", camel_case(name), Config{{"from_logits", true}, {"name", name}});
  };
  Config keras_loss;
  if (loss.is_array()) {
    keras_loss = Config::array();
    for (const auto& l : loss) keras_loss.push_back(one_loss(l));
  } else {
    keras_loss = one_loss(loss);
  }
  return Config{{"optimizer", keras_object("keras.optimizers", cls, args)},
                {"loss", keras_loss},
                {"loss_weights", soma.value("loss_weights", Config(nullptr))},
                {"metrics", soma.value("metrics", Config::array())},
                {"weighted_metrics", nullptr},
                {"run_eagerly", false},
                {"steps_per_execution", 1},
                {"jit_compile", false}};
}

// Where a layer's weights go under its group: most layers keep them in vars/; Keras' recurrent layers in
// their cell, wrappers in the layers they wrap, MultiHeadAttention in its four EinsumDense sublayers.
std::vector<std::pair<std::string, size_t>> weight_groups(const std::string& cls, const Config& config, size_t n) {
  if (cls == "SimpleRNN" || cls == "LSTM" || cls == "GRU") return {{"cell/vars", n}};
  if (cls == "Bidirectional") return {{"forward_layer/cell/vars", n / 2}, {"backward_layer/cell/vars", n - n / 2}};
  if (cls == "TimeDistributed") return {{"layer/vars", n}};
  if (cls == "MultiHeadAttention") {
    const size_t each = config.value("use_bias", true) ? 2 : 1;
    return {{"query_dense/vars", each}, {"key_dense/vars", each}, {"value_dense/vars", each}, {"output_dense/vars", each}};
  }
  return {{"vars", n}};
}

void write_weights(Model& model, const Config& config, const std::string& prefix, hdf5::Writer& h5) {
  std::map<std::string, int> used;
  std::map<std::string, layers::Layer*> by_name;
  for (layers::Layer* l : model.layers()) by_name[l->name()] = l;
  for (const auto& spec : config.at("layers")) {
    const std::string cls = spec.at("class_name").get<std::string>();
    if (cls == "InputLayer") continue;
    std::string key = keras_snake_case(cls);
    const int k = used.count(key) ? ++used[key] : (used[key] = 0);
    if (k > 0) key = fmt::format("{}_{}", key, k);
    const std::string path = fmt::format("{}layers/{}", prefix, key);
    const std::string name = spec.contains("name") ? spec["name"].get<std::string>() : spec.at("config").at("name").get<std::string>();
    auto it = by_name.find(name);
    if (it == by_name.end()) throw StateError(fmt::format("save: the model has no layer \"{}\" that its config lists.", name));
    h5.group(fmt::format("{}/vars", path));
    if (auto* inner = dynamic_cast<Model*>(it->second)) {
      write_weights(*inner, spec.at("config"), fmt::format("{}/", path), h5);
      continue;
    }
    const auto weights = it->second->weights();
    size_t next = 0;
    for (const auto& [group, count] : weight_groups(cls, spec.at("config"), weights.size())) {
      h5.group(fmt::format("{}/{}", path, group));
      for (size_t i = 0; i < count && next < weights.size(); ++i)
        h5.dataset(fmt::format("{}/{}/{}", path, group, i), weights[next++]->value);
    }
    if (next != weights.size())
      throw NotImplementedError(fmt::format("save: {} \"{}\" has {} weights where Keras' layout places {}.", cls, name,
                                            weights.size(), next));
  }
}

std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& entries) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto tmp = dir / fmt::format("soma-keras-{}-{}.zip", ::getpid(), reinterpret_cast<uintptr_t>(&entries));
  int error = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!z) throw IOError(fmt::format("save: cannot create a zip in {}.", dir.string()));
  for (const auto& [name, data] : entries) {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    if (!src || zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE) < 0) {
      if (src) zip_source_free(src);
      zip_discard(z);
      throw IOError(fmt::format("save: cannot add {} to the .keras zip.", name));
    }
  }
  if (zip_close(z) < 0) {
    const std::string why = zip_strerror(z);
    zip_discard(z);
    std::filesystem::remove(tmp);
    throw IOError(fmt::format("save: cannot write the .keras zip: {}.", why));
  }
  std::string bytes = read_regular_file("save", tmp.string());
  std::filesystem::remove(tmp);
  return bytes;
}

}  // namespace

std::string keras_file_bytes(Model& model) {
  const std::string cls = model.is_sequential() ? "Sequential" : "Functional";
  const Config soma_config = model.get_config();
  Config config = model_spec(cls, soma_config);
  if (model.compiled()) config["compile_config"] = compile_config(model.compile_config());
  hdf5::Writer h5("save");
  h5.group("vars");
  write_weights(model, config["config"], "", h5);
  const Config metadata{{"keras_version", "3.6.0"}, {"date_saved", "soma"}, {"soma_version", "0.1.0"}};
  return zip_bytes({{"metadata.json", metadata.dump()}, {"config.json", config.dump()}, {"model.weights.h5", h5.bytes()}});
}

}  // namespace soma::io::keras
