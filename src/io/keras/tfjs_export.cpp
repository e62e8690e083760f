// soma models in TensorFlow.js' layers format: model.json (a Keras 2 topology, the dialect tfjs reads)
// and one weight shard, as tfjs' own model.save writes them. The reverse of keras_config.cpp for tfjs.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <functional>
#include <set>

#include "io/keras/keras_export.hpp"
#include "io/keras/export_tuples.hpp"
#include "io/keras/names.hpp"
#include "soma/core/error.hpp"
#include "soma/io/files.hpp"

namespace soma::io::keras {

namespace {

[[noreturn]] void refuse(const std::string& what) {
  throw NotImplementedError("export to tfjs: " + what + ".");
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
    std::string distribution = c.value("distribution", std::string("truncated_normal"));
    if (distribution == "truncated_normal") distribution = "normal";  // tfjs' (and Keras 2's) name for it
    args = {{"scale", c.value("scale", 1.0)}, {"mode", c.value("mode", std::string("fan_in"))},
            {"distribution", distribution}, {"seed", nullptr}};
  }
  return Config{{"class_name", camel_case(name)}, {"config", args}};
}

// Layers tfjs has and whose soma config means the same there; others are refused rather than written as
// something tfjs would read differently.
const std::set<std::string>& supported() {
  static const std::set<std::string> s = {
      "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Conv1D", "Conv2D",
      "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
      "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
      "GlobalMaxPooling2D", "BatchNormalization", "LayerNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU",
      "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "ZeroPadding2D",
      "Cropping2D", "UpSampling2D", "ReLU", "LeakyReLU", "ELU", "Softmax", "SpatialDropout1D", "GaussianNoise",
      "GaussianDropout"};
  return s;
}

Config layer_config(const std::string& cls, const Config& in) {
  if (!supported().count(cls)) refuse(fmt::format("{} \"{}\" has no tfjs counterpart soma writes", cls, in.value("name", std::string())));
  Config c = Config::object();
  for (const auto& [key, value] : in.items()) {
    if (key == "input_shape" || key == "input_length" || (key == "input_dim" && cls != "Embedding") ||
        key == "batch_size")
      continue;
    if (key == "groups" && value != 1) refuse(fmt::format("{} \"{}\" has groups = {}", cls, in.value("name", std::string()), value.dump()));
    if (key == "groups") continue;
    if (key == "dtype" && value != "float32") refuse(fmt::format("{} \"{}\" runs in {}", cls, in.value("name", std::string()), value.dump()));
    if ((key == "activation" || key == "recurrent_activation") && value.is_string()) {
      const std::string a = value.get<std::string>();
      static const std::set<std::string> same = {"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu",
                                                 "softplus", "softsign", "relu6", "swish", "mish", "gelu"};
      if (a == "hard_sigmoid_keras2") {
        c[key] = "hard_sigmoid";  // tfjs' hard_sigmoid is Keras 2's
      } else if (same.count(a)) {
        c[key] = a;
      } else {
        refuse(fmt::format("{} \"{}\": activation {} is not tfjs'", cls, in.value("name", std::string()), a));
      }
      continue;
    }
    if (key.ends_with("_initializer")) {
      c[key] = initializer(value);
    } else if (key.ends_with("_regularizer")) {
      const bool none = !value.is_object() || (value.value("l1", 0.0) == 0 && value.value("l2", 0.0) == 0);
      c[key] = none ? Config(nullptr)
                    : Config{{"class_name", "L1L2"}, {"config", {{"l1", value["l1"]}, {"l2", value["l2"]}}}};
    } else if (key.ends_with("_constraint")) {
      if (!value.is_null()) refuse(fmt::format("{} \"{}\" has a constraint", cls, in.value("name", std::string())));
      c[key] = nullptr;
    } else {
      c[key] = value;
    }
  }
  if (cls == "LeakyReLU" && c.contains("negative_slope")) {  // Keras 2's and tfjs' name
    c["alpha"] = c["negative_slope"];
    c.erase("negative_slope");
  }
  if (cls == "SimpleRNN") {
    for (const char* key : {"recurrent_activation", "unit_forget_bias", "reset_after"}) c.erase(key);
  }
  if (cls == "LSTM") c.erase("reset_after");
  if (cls == "GRU") c.erase("unit_forget_bias");
  if (cls == "LayerNormalization" && c.value("rms_scaling", false)) refuse("LayerNormalization with rms_scaling");
  c.erase("rms_scaling");
  expand_tuples(cls, c);
  c["trainable"] = in.value("trainable", true);
  c["dtype"] = "float32";
  return c;
}

// Keras 3 {"args", "kwargs"} into Keras 2's [[name, node, tensor, {}], ...].
Config keras2_node(const Config& node) {
  Config refs = Config::array();
  std::function<void(const Config&)> collect = [&](const Config& v) {
    if (v.is_object() && v.value("class_name", std::string()) == "__keras_tensor__") {
      const Config& h = v.at("config").at("keras_history");
      refs.push_back(Config::array({h[0], h[1], h[2], Config::object()}));
    } else if (v.is_array()) {
      for (const auto& e : v) collect(e);
    }
  };
  collect(node.value("args", Config::array()));
  if (node.contains("kwargs")) {
    for (const auto& [key, value] : node["kwargs"].items()) {
      if (value.is_object() || value.is_array()) refuse("a call with the tensor keyword " + key);
    }
  }
  return refs;
}

Config topology(const std::string& cls, const Config& config) {
  if (cls == "Sequential") {
    Config layers = Config::array();
    for (const auto& l : config.at("layers")) {
      Config spec{{"class_name", l.at("class_name")}, {"config", layer_config(l.at("class_name"), l.at("config"))}};
      if (layers.empty()) {
        Config shape = Config::array({nullptr});
        for (const auto& d : config.at("build_input_shape")) shape.push_back(d);
        spec["config"]["batch_input_shape"] = shape;
      }
      layers.push_back(std::move(spec));
    }
    return Config{{"class_name", "Sequential"}, {"config", {{"name", config.at("name")}, {"layers", layers}}}};
  }
  Config layers = Config::array();
  for (const auto& l : config.at("layers")) {
    const std::string lcls = l.at("class_name").get<std::string>();
    if (lcls == "Sequential" || lcls == "Functional") refuse("nested models");
    Config spec{{"name", l.at("name")}, {"class_name", lcls}};
    if (lcls == "InputLayer") {
      const Config& c = l.at("config");
      spec["config"] = {{"batch_input_shape", c.at("batch_shape")}, {"dtype", "float32"}, {"sparse", false},
                        {"name", c.at("name")}};
    } else {
      spec["config"] = layer_config(lcls, l.at("config"));
    }
    Config nodes = Config::array();
    for (const auto& n : l.value("inbound_nodes", Config::array())) nodes.push_back(keras2_node(n));
    spec["inbound_nodes"] = nodes;
    layers.push_back(std::move(spec));
  }
  auto refs = [](const Config& v) {
    Config out = Config::array();
    if (v.is_array() && !v.empty() && v[0].is_string()) out.push_back(v);  // one tensor, unwrapped
    else for (const auto& r : v) out.push_back(r);
    return out;
  };
  return Config{{"class_name", "Model"},
                {"config", {{"name", config.at("name")}, {"layers", layers},
                            {"input_layers", refs(config.at("input_layers"))},
                            {"output_layers", refs(config.at("output_layers"))}}}};
}

}  // namespace

void write_tfjs(Model& model, const std::string& path) {
  const std::string cls = model.is_sequential() ? "Sequential" : "Functional";
  Config top = topology(cls, model.get_config());
  top["keras_version"] = "tfjs-layers 4.22.0";
  top["backend"] = "tensor_flow.js";
  Config specs = Config::array();
  std::string shard;
  std::vector<std::pair<std::string, const autograd::Variable*>> named;
  for (layers::Layer* layer : model.layers()) {
    for (auto* w : layer->weights()) {
      std::string name = w->name;
      // Keras 2 and tfjs call a depthwise convolution's kernel depthwise_kernel; soma (as Keras 3) kernel.
      if (layer->type().starts_with("DepthwiseConv") && name.ends_with("/kernel"))
        name = name.substr(0, name.size() - 6) + "depthwise_kernel";
      named.emplace_back(std::move(name), w);
    }
  }
  for (const auto& [name, w] : named) {
    Config shape = Config::array();
    for (int64_t d : w->value.shape().dims()) shape.push_back(d);
    specs.push_back(Config{{"name", name}, {"shape", shape}, {"dtype", "float32"}});
    const Tensor t = w->value.clone();
    shard.append(reinterpret_cast<const char*>(t.f32()), static_cast<size_t>(t.numel()) * sizeof(float));
  }
  const std::filesystem::path p(path);
  const std::string shard_name = p.stem().string() + ".weights.bin";
  Config json{{"format", "layers-model"},
              {"generatedBy", "soma 0.1.0"},
              {"convertedBy", nullptr},
              {"modelTopology", top},
              {"weightsManifest", Config::array({Config{{"paths", Config::array({shard_name})}, {"weights", specs}}})}};
  write_file_atomically("save", (p.parent_path() / shard_name).string(), shard);
  write_file_atomically("save", path, json.dump());
}

}  // namespace soma::io::keras
