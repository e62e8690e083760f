// Keras configs (2.x, 3, tfjs-layers) into soma's. soma's configs already use Keras 3's layout and argument
// names, so what is left is dialect: Keras 2 spellings, serialised initializers/regularizers/constraints,
// dtype policies, and arguments soma does not model, which are accepted only at the value that makes them
// inert (Keras' own default); any other value is refused, naming the layer.
#include "io/keras/keras_config.hpp"

#include "io/keras/names.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "soma/core/error.hpp"

namespace soma::io::keras {

int keras_major(const std::string& version) {
  if (version.rfind("tfjs", 0) == 0) return 2;  // tfjs-layers writes Keras 2 topologies
  if (!version.empty() && version[0] >= '0' && version[0] <= '2') return 2;
  return 3;
}

namespace {

std::string who(const std::string& cls, const std::string& name) {
  return fmt::format("{} \"{}\"", cls, name);
}

struct Context {
  int major;
  bool tfjs;
  std::vector<std::string>& notes;
};

// {"class_name": "GlorotUniform", "config": {"seed": null}} (Keras 2 and 3; Keras 3 adds "module" and
// "registered_name") or a bare name, into soma's initializer JSON.
Config initializer(const Config& v, const std::string& where, Context& ctx) {
  if (v.is_string()) return snake_case(v.get<std::string>());
  if (!v.is_object() || !v.contains("class_name") || !v["class_name"].is_string())
    throw ValueError(where + " must be an initializer name or {\"class_name\", \"config\"}, received " + v.dump() + ".");
  std::string cls = snake_case(v["class_name"].get<std::string>());
  const Config c = v.value("config", Config::object());
  if (c.contains("seed") && !c["seed"].is_null())
    ctx.notes.push_back(where + ": seed " + c["seed"].dump() + " ignored (soma draws from its own generator)");
  Config out_config = Config::object();
  for (const auto& [key, value] : c.items()) {
    if (key == "seed" || key == "dtype") continue;  // tfjs writes dtype on Constant, soma's weights are float32
    out_config[key] = value;
  }
  if (cls == "variance_scaling" && out_config.value("distribution", std::string()) == "normal")
    out_config["distribution"] = "truncated_normal";  // Keras 2's "normal" was already truncated
  if (cls == "glorot_uniform" || cls == "glorot_normal" || cls == "he_uniform" || cls == "he_normal" ||
      cls == "lecun_uniform" || cls == "lecun_normal" || cls == "zeros" || cls == "ones") {
    if (!out_config.empty())
      throw ValueError(where + ": " + v["class_name"].get<std::string>() + " takes no arguments, received " +
                       out_config.dump() + ".");
    return cls;
  }
  static const std::set<std::string> with_arguments = {"constant",       "random_normal", "random_uniform",
                                                       "truncated_normal", "orthogonal",  "variance_scaling"};
  if (!with_arguments.count(cls)) {
    throw NotImplementedError(where + ": the initializer " + v["class_name"].get<std::string>() +
                              " has no soma counterpart.");
  }
  return Config{{"class_name", cls}, {"config", out_config}};
}

// {"class_name": "L1L2", "config": {"l1": 0, "l2": 0.0005}} into soma's {"l1", "l2"}.
Config regularizer(const Config& v, const std::string& where) {
  if (v.is_null()) return v;
  if (!v.is_object() || !v.contains("class_name") || !v["class_name"].is_string())
    throw ValueError(where + " must be null or {\"class_name\", \"config\"}, received " + v.dump() + ".");
  const std::string cls = v["class_name"].get<std::string>();
  const Config c = v.value("config", Config::object());
  if (cls == "L1L2" || cls == "l1_l2")
    return Config{{"l1", c.value("l1", 0.0)}, {"l2", c.value("l2", 0.0)}};
  if (cls == "L1" || cls == "l1") return Config{{"l1", c.value("l1", 0.01)}, {"l2", 0.0}};
  if (cls == "L2" || cls == "l2") return Config{{"l1", 0.0}, {"l2", c.value("l2", 0.01)}};
  throw NotImplementedError(where + ": the regularizer " + cls + " has no soma counterpart.");
}

// {"class_name": "MaxNorm", "config": {...}}: soma's constraints take Keras' class names and arguments.
Config constraint(const Config& v) {
  if (!v.is_object()) return v;
  Config out = v;
  out.erase("module");
  out.erase("registered_name");
  return out;
}

// Arguments soma's layers do not have, with the value at which Keras does nothing with them. Any other
// value is refused. "*" applies to every class.
const std::map<std::string, std::map<std::string, Config>>& inert_arguments() {
  static const std::map<std::string, Config> kRecurrentInert = {
      {"unroll", false},           {"time_major", false},         {"kernel_regularizer", nullptr},
      {"recurrent_regularizer", nullptr}, {"bias_regularizer", nullptr}, {"kernel_constraint", nullptr},
      {"recurrent_constraint", nullptr},  {"bias_constraint", nullptr},  {"zero_output_for_mask", false}};
  static const auto* table = new std::map<std::string, std::map<std::string, Config>>{
      {"*", {{"activity_regularizer", nullptr}, {"lora_rank", nullptr}, {"lora_alpha", nullptr}}},
      {"BatchNormalization",
       {{"beta_regularizer", nullptr}, {"gamma_regularizer", nullptr}, {"beta_constraint", nullptr},
        {"gamma_constraint", nullptr}, {"synchronized", false}, {"renorm", false}, {"renorm_clipping", nullptr},
        {"virtual_batch_size", nullptr}, {"adjustment", nullptr}, {"fused", nullptr}}},
      {"Dropout", {{"noise_shape", nullptr}}},
      {"SpatialDropout1D", {{"noise_shape", nullptr}}},
      {"SpatialDropout2D", {{"noise_shape", nullptr}}},
      {"SpatialDropout3D", {{"noise_shape", nullptr}}},
      {"DepthwiseConv2D", {{"groups", 1}}},
      {"DepthwiseConv1D", {{"groups", 1}}},
      {"Flatten", {{"data_format", "channels_last"}}},
      {"Embedding",
       {{"embeddings_regularizer", nullptr}, {"sparse", false}}},
      {"InputLayer", {{"sparse", false}, {"ragged", false}, {"optional", false}}},
      {"SimpleRNN", kRecurrentInert},
      {"LSTM", kRecurrentInert},
      {"GRU", kRecurrentInert},
  };
  return *table;
}

// Arguments that change nothing in soma's computation whatever their value.
bool ignorable(const std::string& cls, const std::string& key) {
  static const std::set<std::string> rnn = {"SimpleRNN", "LSTM", "GRU"};
  return rnn.count(cls) && (key == "implementation" || key == "use_cudnn");  // choose kernels, not maths
}

// Dropout-like layers' seeds only change which units are dropped in training.
bool seed_only(const std::string& cls) {
  return cls == "Dropout" || cls == "SpatialDropout1D" || cls == "SpatialDropout2D" || cls == "SpatialDropout3D" ||
         cls == "GaussianNoise" || cls == "GaussianDropout" || cls == "AlphaDropout" || cls == "SimpleRNN" ||
         cls == "LSTM" || cls == "GRU";
}

Config translate_layer(const Config& spec, Context& ctx);

Config layer_config(const std::string& cls, const Config& in, const std::string& name, Context& ctx) {
  if (!in.is_object()) throw ValueError(who(cls, name) + ": \"config\" must be an object.");
  Config c = Config::object();
  const auto& table = inert_arguments();
  auto inert = [&](const std::string& key, const Config& value) {
    for (const char* scope : {"*", cls.c_str()}) {
      auto t = table.find(scope);
      if (t == table.end()) continue;
      if (auto k = t->second.find(key); k != t->second.end()) {
        if (value == k->second) return true;
        throw NotImplementedError(fmt::format("{}: argument \"{}\" = {} is not supported by soma (only {}).",
                                              who(cls, name), key, value.dump(), k->second.dump()));
      }
    }
    return false;
  };
  for (const auto& [key, value] : in.items()) {
    const std::string where = fmt::format("{} argument \"{}\"", who(cls, name), key);
    if (inert(key, value) || ignorable(cls, key)) continue;
    // tfjs and Keras write None for "the default"; soma's defaults are Keras'.
    if (value.is_null() && key != "max_value") continue;
    if (key == "dtype") {
      // Keras 3: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}.
      std::string policy = value.is_string() ? value.get<std::string>()
                           : value.is_object() && value.contains("config") && value["config"].contains("name")
                               ? value["config"]["name"].get<std::string>()
                               : "";
      if (policy != "float32" && policy != "mixed_bfloat16")
        throw NotImplementedError(where + ": dtype policy " + value.dump() + " (soma runs float32 or mixed_bfloat16).");
      if (policy == "mixed_bfloat16" || cls == "InputLayer") c["dtype"] = policy;
      continue;  // float32 is every soma layer's default
    }
    if (key == "seed" && seed_only(cls)) {
      if (!value.is_null()) ctx.notes.push_back(where + ": " + value.dump() + " ignored (soma's generator draws the masks)");
      continue;
    }
    if (key == "batch_input_shape" || key == "batch_shape") {
      if (cls == "InputLayer") c[key] = value;
      continue;  // a Sequential's first layer: translate_model took it as the model's input shape
    }
    if (key == "input_dtype") continue;
    if (key.ends_with("_initializer")) {
      c[key] = initializer(value, where, ctx);
    } else if (key.ends_with("_regularizer")) {
      if (!value.is_null()) c[key] = regularizer(value, where);  // none is soma's default
    } else if (key.ends_with("_constraint")) {
      c[key] = constraint(value);
    } else if (key == "layer" || key == "backward_layer") {
      if (key == "backward_layer") continue;  // soma's Bidirectional mirrors "layer", as Keras does by default
      c[key] = translate_layer(value, ctx);
    } else if (key == "alpha" && cls == "LeakyReLU") {
      c["negative_slope"] = value;  // Keras 2's name
    } else if (key == "activation" && value.is_string() && value == "hard_sigmoid" && ctx.major == 2) {
      c[key] = "hard_sigmoid_keras2";
    } else if (key == "recurrent_activation" && value.is_string() && value == "hard_sigmoid" && ctx.major == 2) {
      c[key] = "hard_sigmoid_keras2";
    } else {
      c[key] = value;
    }
  }
  // Keras 2's GRU defaulted to reset_after=False; a config without the key is such a GRU.
  if (cls == "GRU" && ctx.major == 2 && !c.contains("reset_after")) c["reset_after"] = false;
  if (!c.contains("name")) c["name"] = name;
  return c;
}

Config translate_model_spec(const std::string& cls, const Config& config, Context& ctx);

// One entry of a model's "layers": {"class_name", "config", "name", "inbound_nodes", ...}.
Config translate_layer(const Config& spec, Context& ctx) {
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string())
    throw ValueError("a layer entry needs a \"class_name\", received " + spec.dump().substr(0, 200) + ".");
  std::string cls = spec["class_name"].get<std::string>();
  const Config config = spec.value("config", Config::object());
  const std::string name = spec.contains("name") && spec["name"].is_string() ? spec["name"].get<std::string>()
                           : config.is_object() && config.contains("name") && config["name"].is_string()
                               ? config["name"].get<std::string>()
                               : "";
  Config out = Config::object();
  if (cls == "Sequential" || cls == "Functional" || cls == "Model") {
    Config inner = translate_model_spec(cls, config, ctx);
    out = std::move(inner);
  } else {
    // Keras 3 writes `x + y` on symbolic tensors as an operation node; soma's merge layers compute the same.
    const std::string module = spec.value("module", std::string());
    if (module.rfind("keras.src.ops", 0) == 0) {
      static const std::set<std::string> merges = {"Add", "Subtract", "Multiply", "Maximum", "Minimum"};
      if (!merges.count(cls))
        throw NotImplementedError(fmt::format("operation {} \"{}\" ({}) has no soma layer.", cls, name, module));
    }
    out["class_name"] = cls;
    out["config"] = layer_config(cls, config, name, ctx);
  }
  if (!name.empty()) out["name"] = name;
  if (spec.contains("inbound_nodes")) out["inbound_nodes"] = spec["inbound_nodes"];
  return out;
}

// The per-sample shape of batch_input_shape / batch_shape, if `config` has one.
std::optional<Config> sample_shape(const Config& config) {
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (config.is_object() && config.contains(key) && config[key].is_array() && !config[key].empty()) {
      Config dims = Config::array();
      for (size_t i = 1; i < config[key].size(); ++i) dims.push_back(config[key][i]);
      return dims;
    }
  }
  return std::nullopt;
}

// tfjs counts a nested model's own construction as its node 0, so the outer model's first call of it is
// node 1; Keras (and soma) number only the calls inside the outer model, from 0.
void renumber_nested_model_nodes(Config& c) {
  std::set<std::string> nested;
  for (const auto& layer : c["layers"]) {
    const std::string cls = layer.value("class_name", std::string());
    if (cls == "Sequential" || cls == "Functional") nested.insert(layer.value("name", std::string()));
  }
  if (nested.empty()) return;
  auto fix = [&](Config& ref) {  // [name, node, tensor(, kwargs)]
    if (ref.is_array() && ref.size() >= 3 && ref[0].is_string() && nested.count(ref[0].get<std::string>()) &&
        ref[1].is_number_integer() && ref[1].get<int64_t>() > 0)
      ref[1] = ref[1].get<int64_t>() - 1;
  };
  for (auto& layer : c["layers"]) {
    if (!layer.contains("inbound_nodes") || !layer["inbound_nodes"].is_array()) continue;
    for (auto& node : layer["inbound_nodes"]) {
      if (!node.is_array()) continue;
      for (auto& ref : node) fix(ref);
    }
  }
  if (c["output_layers"].is_array()) {
    for (auto& ref : c["output_layers"]) fix(ref);
  }
}

Config translate_model_spec(const std::string& cls, const Config& config, Context& ctx) {
  if (cls == "Sequential") {
    // Keras 2.0-2.1 wrote a Sequential's config as the bare list of layers.
    const Config& list = config.is_array() ? config : config.value("layers", Config::array());
    if (!list.is_array()) throw ValueError("a Sequential's \"layers\" must be a list.");
    Config c{{"name", config.is_object() ? config.value("name", std::string("sequential")) : "sequential"},
             {"layers", Config::array()}};
    std::optional<Config> shape;
    for (const auto& layer : list) {
      const bool input = layer.is_object() && layer.value("class_name", std::string()) == "InputLayer";
      if (!shape && layer.is_object() && layer.contains("config")) shape = sample_shape(layer["config"]);
      if (input) continue;  // soma's chain makes its own input
      c["layers"].push_back(translate_layer(layer, ctx));
    }
    if (!shape && config.is_object() && config.contains("build_input_shape") &&
        config["build_input_shape"].is_array() && !config["build_input_shape"].empty()) {
      Config dims = Config::array();
      for (size_t i = 1; i < config["build_input_shape"].size(); ++i) dims.push_back(config["build_input_shape"][i]);
      shape = dims;
    }
    if (shape) c["build_input_shape"] = *shape;
    if (config.is_object() && config.value("trainable", true) == false) c["trainable"] = false;
    return Config{{"class_name", "Sequential"}, {"config", std::move(c)}};
  }
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array())
    throw ValueError("a functional model's config needs a \"layers\" list.");
  Config c{{"name", config.value("name", std::string("functional"))}, {"layers", Config::array()}};
  for (const auto& layer : config["layers"]) c["layers"].push_back(translate_layer(layer, ctx));
  for (const char* key : {"input_layers", "output_layers"}) {
    if (!config.contains(key)) throw ValueError(fmt::format("a functional model's config needs \"{}\".", key));
    c[key] = config[key];
  }
  if (ctx.tfjs) renumber_nested_model_nodes(c);
  if (config.value("trainable", true) == false) c["trainable"] = false;
  return Config{{"class_name", "Functional"}, {"config", std::move(c)}};
}

}  // namespace

Translated translate_model(const Config& keras_model, int major, bool tfjs) {
  Translated t;
  Context ctx{major, tfjs, t.notes};
  if (!keras_model.is_object() || !keras_model.contains("class_name") || !keras_model["class_name"].is_string())
    throw ValueError("the model config needs a \"class_name\" (Sequential, Functional or Model).");
  const std::string cls = keras_model["class_name"].get<std::string>();
  if (cls != "Sequential" && cls != "Functional" && cls != "Model")
    throw ValueError("the model's class is \"" + cls + "\"; expected Sequential, Functional or Model.");
  t.model = translate_model_spec(cls, keras_model.value("config", Config::object()), ctx);
  return t;
}

}  // namespace soma::io::keras
