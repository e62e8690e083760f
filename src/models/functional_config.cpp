// Model::get_config / from_config in Keras 3's functional layout, and the compile config. The reader also
// takes Keras 2's spellings (batch_input_shape, inbound_nodes as nested lists), so the Keras importer
// shares it.
#include "models/functional_config.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <map>

#include "soma/layers/input_layer.hpp"
#include "soma/layers/recurrent.hpp"
#include "soma/layers/serialization.hpp"
#include "soma/layers/wrappers.hpp"
#include "soma/models/sequential.hpp"

namespace soma {

namespace detail {
std::unique_ptr<layers::Layer> deserialize_layer(const Config& spec) {
  if (spec.is_object() && spec.contains("class_name") && spec["class_name"].is_string()) {
    const std::string cls = spec["class_name"].get<std::string>();
    if (cls == "Functional" || cls == "Model" || cls == "Sequential") {
      if (!spec.contains("config")) throw ValueError("a nested " + cls + " has no \"config\".");
      if (cls == "Sequential") return std::make_unique<Sequential>(Sequential::from_config(spec["config"]));
      return std::make_unique<Model>(Model::from_config(spec["config"]));
    }
  }
  return layers::deserialize(spec);
}
}  // namespace detail

namespace {

Config batch_shape(const Shape& s) {
  Config out = Config::array({nullptr});
  for (int64_t d : s.dims()) out.push_back(d);
  return out;
}

Config tensor_config(const KerasTensor& t, int node_index) {
  return Config{{"class_name", "__keras_tensor__"},
                {"config",
                 {{"shape", batch_shape(t.shape())},
                  {"dtype", "float32"},
                  {"keras_history", Config::array({t.layer().name(), node_index, t.index()})}}}};
}

bool takes_initial_state(const layers::Layer& l) {
  return dynamic_cast<const layers::Recurrent*>(&l) || dynamic_cast<const layers::Bidirectional*>(&l);
}

}  // namespace

Config Model::get_config() const {
  if (sequential_) {
    Config list = Config::array();
    for (const auto& l : chain_) list.push_back(layers::serialize(*l));
    Config c{{"name", name()}, {"layers", std::move(list)}};
    if (built()) c["build_input_shape"] = input_shape().to_vector();
    if (!trainable()) c["trainable"] = false;
    return c;
  }
  // Node indices within this model: a layer's calls numbered in the order they run.
  std::map<const graph::Node*, int> node_index;
  std::map<const layers::Layer*, int> calls;
  for (const KerasTensor& t : inputs_) {
    if (!dynamic_cast<const layers::InputLayer*>(&t.layer())) {
      throw NotImplementedError(who() + ": input \"" + t.name() +
                                "\" is not made by soma::Input; such a model cannot be serialised. Build it from "
                                "Input tensors.");
    }
    node_index[t.node().get()] = 0;
  }
  for (size_t i = 0; i < steps_.size(); ++i) node_index[nodes_[i].get()] = calls[steps_[i].layer]++;
  auto ref = [&](const KerasTensor& t) { return tensor_config(t, node_index.at(t.node().get())); };

  Config list = Config::array();
  for (const layers::Layer* l : layers_) {
    const bool model = dynamic_cast<const Model*>(l) != nullptr;
    Config spec{{"module", model ? "keras.src.models.functional" : "keras.layers"},
                {"class_name", l->type()},
                {"config", layers::serialize(*l)["config"]},  // with "trainable": false when frozen
                {"registered_name", nullptr},
                {"name", l->name()}};
    Config inbound = Config::array();
    for (size_t i = 0; i < steps_.size(); ++i) {
      if (steps_[i].layer != l) continue;
      const graph::Node& n = *nodes_[i];
      Config args = Config::array(), kwargs = Config::object();
      const layers::CallArguments& a = n.arguments;
      if (!a.keywords.empty()) {
        for (size_t k = 0; k < n.inputs.size(); ++k) {
          if (a.keywords[k].empty()) args.push_back(ref(n.inputs[k]));
          else kwargs[a.keywords[k]] = ref(n.inputs[k]);
        }
      } else if (n.inputs.size() == 1) {
        args.push_back(ref(n.inputs[0]));
      } else if (takes_initial_state(*l)) {
        args.push_back(ref(n.inputs[0]));
        Config states = Config::array();
        for (size_t k = 1; k < n.inputs.size(); ++k) states.push_back(ref(n.inputs[k]));
        kwargs["initial_state"] = std::move(states);
      } else {
        Config several = Config::array();
        for (const KerasTensor& t : n.inputs) several.push_back(ref(t));
        args.push_back(std::move(several));
      }
      for (const auto& [key, text] : a.values) kwargs[key] = Config::parse(text);
      inbound.push_back(Config{{"args", std::move(args)}, {"kwargs", std::move(kwargs)}});
      if (l->input_shapes().size() == 1 && !model) spec["build_config"] = {{"input_shape", batch_shape(l->input_shape())}};
    }
    spec["inbound_nodes"] = std::move(inbound);
    list.push_back(std::move(spec));
  }
  auto history = [&](const KerasTensor& t) {
    return Config::array({t.layer().name(), node_index.at(t.node().get()), t.index()});
  };
  Config ins = Config::array(), outs = Config::array();
  for (const KerasTensor& t : inputs_) ins.push_back(history(t));
  for (const KerasTensor& t : outputs_) outs.push_back(history(t));
  return Config{{"name", name()}, {"trainable", trainable()}, {"layers", std::move(list)},
                {"input_layers", std::move(ins)}, {"output_layers", std::move(outs)}};
}

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw ValueError("Model::from_config: " + what);
}

// [name, node, tensor] (or Keras 2's [name, node, tensor, kwargs]).
struct NodeRef {
  std::string layer;
  size_t node = 0, tensor = 0;
};

NodeRef parse_history(const Config& h, const std::string& where) {
  auto index = [](const Config& v) { return v.is_number_integer() && v.get<int64_t>() >= 0; };
  if (!h.is_array() || h.size() < 3 || !h[0].is_string() || !index(h[1]) || !index(h[2]))
    bad(where + " must be [layer name, node index, tensor index], received " + h.dump() + ".");
  return {h[0].get<std::string>(), h[1].get<size_t>(), h[2].get<size_t>()};
}

// The tensors a node's arguments name, in order.
void collect_tensors(const Config& v, std::vector<NodeRef>& out, const std::string& where) {
  if (v.is_object() && v.contains("class_name") && v["class_name"] == "__keras_tensor__") {
    if (!v.contains("config") || !v["config"].contains("keras_history"))
      bad(where + ": a tensor without keras_history.");
    out.push_back(parse_history(v["config"]["keras_history"], where + " keras_history"));
  } else if (v.is_array()) {
    for (const auto& e : v) collect_tensors(e, out, where);
  } else if (!v.is_null() && !v.is_boolean() && !v.is_number()) {
    bad(where + ": unexpected argument " + v.dump().substr(0, 200) + ".");
  }
}

bool is_tensor(const Config& v) {
  return v.is_object() && v.contains("class_name") && v["class_name"] == "__keras_tensor__";
}

// The tensors a node's arguments name, in order, and its keyword arguments (layers/call_arguments.hpp).
std::vector<NodeRef> node_inputs(const Config& node, const std::string& where, layers::CallArguments& call) {
  std::vector<NodeRef> out;
  if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
    if (node.contains("args")) {
      const Config& args = node["args"];
      if (args.is_array() && args.size() > 1) {  // several positional tensors: mha(query, value)
        for (const auto& a : args) {
          if (!is_tensor(a)) bad(where + ": a positional argument that is not a tensor: " + a.dump().substr(0, 200) + ".");
          collect_tensors(a, out, where);
          call.keywords.emplace_back();
        }
      } else {
        collect_tensors(args, out, where);
      }
    }
    if (node.contains("kwargs")) {
      if (!node["kwargs"].is_object()) bad(where + ": kwargs must be an object.");
      for (const auto& item : node["kwargs"].items()) {
        const std::string& key = item.key();
        const Config& v = item.value();
        if (key == "initial_state") {
          if (!call.keywords.empty()) bad(where + ": initial_state with other tensor keywords is not supported.");
          collect_tensors(v, out, where + " initial_state");
        } else if (key == "training" || key == "mask") {
          if (!v.is_null() && !v.is_boolean()) bad(where + ": kwarg \"" + key + "\" with tensors is not supported.");
        } else if (is_tensor(v)) {
          call.keywords.resize(out.size());  // the inputs so far are positional
          collect_tensors(v, out, where + " " + key);
          call.keywords.push_back(key);
        } else if (v.is_boolean() || v.is_number() || v.is_string()) {
          call.set(key, v.dump());  // the layer checks it (Layer::node_output_shapes)
        } else if (!v.is_null()) {
          bad(where + ": unsupported call argument \"" + key + "\": " + v.dump().substr(0, 200) + ".");
        }
      }
    }
    return out;
  }
  if (node.is_array()) {  // Keras 2: [[name, node, tensor, kwargs], ...]
    for (const auto& h : node) out.push_back(parse_history(h, where));
    return out;
  }
  bad(where + " must be an object (Keras 3) or a list (Keras 2), received " + node.dump().substr(0, 200) + ".");
}

std::vector<NodeRef> endpoints(const Config& v, const char* key) {
  if (!v.is_array() || v.empty()) bad(std::string("\"") + key + "\" must be a non-empty list.");
  std::vector<NodeRef> out;
  if (v[0].is_string()) {
    out.push_back(parse_history(v, key));  // one, written flat
  } else {
    for (const auto& h : v) out.push_back(parse_history(h, key));
  }
  return out;
}

KerasTensor input_from(const Config& spec, const std::string& name) {
  const Config& c = spec.at("config");
  if (!c.is_object()) bad("InputLayer \"" + name + "\": \"config\" must be an object.");
  if (c.contains("dtype") && !c["dtype"].is_string()) bad("InputLayer \"" + name + "\": \"dtype\" must be a string.");
  const Config* shape = c.contains("batch_shape")         ? &c["batch_shape"]
                        : c.contains("batch_input_shape") ? &c["batch_input_shape"]
                                                          : nullptr;
  if (!shape || !shape->is_array() || shape->empty())
    bad("InputLayer \"" + name + "\" needs batch_shape (or Keras 2's batch_input_shape).");
  std::vector<int64_t> dims;
  for (size_t i = 1; i < shape->size(); ++i) {
    const Config& d = (*shape)[i];
    if (!d.is_number_integer() || d.get<int64_t>() <= 0) {
      bad("InputLayer \"" + name + "\": batch_shape " + shape->dump() +
          " must give every per-sample dimension as a positive integer (soma's shapes are fixed).");
    }
    dims.push_back(d.get<int64_t>());
  }
  if (dims.size() >= Shape::kMaxRank) bad("InputLayer \"" + name + "\": too many dimensions.");
  const int64_t batch = (*shape)[0].is_number_integer() ? (*shape)[0].get<int64_t>() : 0;
  return Input(dims, {.name = name, .dtype = c.value("dtype", std::string("float32")), .batch_size = batch});
}

}  // namespace

Model Model::from_config(const Config& config) {
  if (!config.is_object()) bad(std::string("expected a JSON object, received ") + config.type_name() + ".");
  if (!config.contains("layers") || !config["layers"].is_array()) bad("\"layers\" must be a list of layer configs.");
  if (!config.contains("input_layers") || !config.contains("output_layers"))
    bad("a functional config needs \"input_layers\" and \"output_layers\".");
  struct Pending {
    std::shared_ptr<layers::Layer> layer;
    std::string name;
    std::deque<Config> nodes;
  };
  std::vector<Pending> pending;
  std::map<std::string, std::vector<std::vector<KerasTensor>>> made;  // layer -> node -> outputs
  for (const auto& spec : config["layers"]) {
    if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string() || !spec.contains("config"))
      bad("every layer needs \"class_name\" and \"config\".");
    const Config& c = spec["config"];
    std::string name = spec.contains("name") && spec["name"].is_string() ? spec["name"].get<std::string>()
                       : c.is_object() && c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>()
                                                                                        : "";
    if (name.empty()) bad("a layer without a name.");
    if (made.count(name)) bad("two layers are named \"" + name + "\".");
    if (spec["class_name"] == "InputLayer") {
      made[name].push_back({input_from(spec, name)});
      continue;
    }
    Pending p;
    p.layer = std::shared_ptr<layers::Layer>(detail::deserialize_layer(spec));
    p.name = name;
    if (p.layer->name() != name) bad("layer \"" + name + "\"'s config names it \"" + p.layer->name() + "\".");
    if (spec.contains("inbound_nodes")) {
      if (!spec["inbound_nodes"].is_array()) bad("layer \"" + name + "\": inbound_nodes must be a list.");
      for (const auto& n : spec["inbound_nodes"]) p.nodes.push_back(n);
    }
    made[name];
    pending.push_back(std::move(p));
  }
  // Make the nodes in dependency order: each layer's calls in its own order, as soon as their inputs exist.
  auto find = [&](const NodeRef& h) -> const KerasTensor* {
    auto it = made.find(h.layer);
    if (it == made.end()) bad("a node refers to a layer \"" + h.layer + "\" that is not in the config.");
    if (h.node >= it->second.size()) return nullptr;
    const auto& outs = it->second[h.node];
    if (h.tensor >= outs.size())
      bad("\"" + h.layer + "\" node " + std::to_string(h.node) + " has no output " + std::to_string(h.tensor) + ".");
    return &outs[h.tensor];
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (Pending& p : pending) {
      while (!p.nodes.empty()) {
        const std::string where = "layer \"" + p.name + "\" node " + std::to_string(made[p.name].size());
        std::vector<KerasTensor> inputs;
        layers::CallArguments call;
        bool ready = true;
        for (const NodeRef& h : node_inputs(p.nodes.front(), where, call)) {
          const KerasTensor* t = find(h);
          if (!t) {
            ready = false;
            break;
          }
          inputs.push_back(*t);
        }
        if (!ready) break;
        if (inputs.empty()) bad(where + " has no input tensors.");
        made[p.name].push_back(graph::connect(p.layer, inputs, std::move(call)));
        p.nodes.pop_front();
        progress = true;
      }
    }
  }
  for (const Pending& p : pending)
    if (!p.nodes.empty()) bad("layer \"" + p.name + "\" has a node whose inputs are never made (a cycle, or a missing layer).");
  std::vector<KerasTensor> inputs, outputs;
  for (const NodeRef& h : endpoints(config["input_layers"], "input_layers")) {
    const KerasTensor* t = find(h);
    if (!t) bad("input_layers names a node that does not exist: \"" + h.layer + "\".");
    inputs.push_back(*t);
  }
  for (const NodeRef& h : endpoints(config["output_layers"], "output_layers")) {
    const KerasTensor* t = find(h);
    if (!t) bad("output_layers names a node that does not exist: \"" + h.layer + "\".");
    outputs.push_back(*t);
  }
  const std::string name = config.contains("name") && config["name"].is_string() ? config["name"].get<std::string>() : "";
  Model model(inputs, outputs, name);
  if (config.contains("trainable") && config["trainable"].is_boolean() && !config["trainable"].get<bool>())
    model.set_trainable(false);
  return model;
}

Config Model::compile_config() const {
  if (!compiled()) throw StateError(who() + ": compile_config() before compile().");
  Config c{{"optimizer", optimizers::serialize(*optimizer_)}};
  if (losses_.size() == 1) {
    c["loss"] = losses::serialize(*losses_[0]);
    c["metrics"] = metric_names_[0];
    if (loss_weights_[0] != 1.0f) c["loss_weights"] = loss_weights_;
    return c;
  }
  Config l = Config::array(), m = Config::array();
  for (size_t j = 0; j < losses_.size(); ++j) {
    l.push_back(losses::serialize(*losses_[j]));
    m.push_back(metric_names_[j]);
  }
  c["loss"] = std::move(l);
  c["loss_weights"] = loss_weights_;
  c["metrics"] = std::move(m);
  return c;
}

void Model::compile_from_config(const Config& cc) {
  if (!cc.is_object() || !cc.contains("optimizer") || !cc.contains("loss"))
    throw ValueError(who() + ": a compile config needs \"optimizer\" and \"loss\".");
  CompileOptions o{.optimizer = std::shared_ptr<optimizers::Optimizer>(optimizers::deserialize(cc["optimizer"]))};
  if (cc["loss"].is_array()) {
    for (const auto& l : cc["loss"]) o.losses.list.emplace_back(std::shared_ptr<losses::Loss>(losses::deserialize(l)));
  } else {
    o.loss = std::shared_ptr<losses::Loss>(losses::deserialize(cc["loss"]));
  }
  if (cc.contains("loss_weights")) o.loss_weights.list = cc["loss_weights"].get<std::vector<float>>();
  if (cc.contains("metrics")) {
    const Config& m = cc["metrics"];
    if (m.is_array() && !m.empty() && m[0].is_array()) {
      const auto lists = m.get<std::vector<std::vector<std::string>>>();
      const auto names = output_names();
      if (lists.size() != names.size())
        throw ValueError(who() + ": the compile config lists metrics for " + std::to_string(lists.size()) + " outputs.");
      for (size_t j = 0; j < names.size(); ++j) o.output_metrics[names[j]] = lists[j];
    } else {
      o.metrics = m.get<std::vector<std::string>>();
    }
  }
  compile(std::move(o));
}

Model clone_model(const Model& model) {
  if (model.is_sequential()) return Sequential::from_config(model.get_config());
  return Model::from_config(model.get_config());
}

}  // namespace soma
