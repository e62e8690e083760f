// Keras 3's .keras files (keras/src/saving/saving_lib.py): a zip of config.json (the model's
// serialize_keras_object, with compile_config), metadata.json (keras_version) and model.weights.h5, whose
// groups follow the object tree: a model's layers under layers/<snake_case class>[_k] (numbered per class
// in the order of model.layers), a layer's own variables in vars/0, vars/1, ... (creation order), and the
// layers it owns under their attribute names (an LSTM's cell, Bidirectional's forward_layer).
#include <fmt/format.h>
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "io/keras/hdf5_file.hpp"
#include "io/keras/keras_import.hpp"
#include "io/keras/names.hpp"
#include "soma/core/error.hpp"

namespace soma::io::keras {

namespace {

class Zip {
 public:
  Zip(const std::string& bytes, const std::string& source) : source_(source) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (src) archive_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!archive_) {
      const std::string why = zip_error_strerror(&error);
      if (src) zip_source_free(src);
      zip_error_fini(&error);
      throw IOError(fmt::format("load_model: {} starts as a zip but is not a readable .keras file: {}.", source, why));
    }
    zip_error_fini(&error);
  }
  ~Zip() {
    if (archive_) zip_discard(archive_);
  }
  Zip(const Zip&) = delete;
  Zip& operator=(const Zip&) = delete;

  bool has(const std::string& name) const { return zip_name_locate(archive_, name.c_str(), 0) >= 0; }

  std::string read(const std::string& name, uint64_t limit) const {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(archive_, name.c_str(), 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
      throw IOError(fmt::format("load_model: {} (.keras) has no {}.", source_, name));
    if (st.size > limit)
      throw IOError(fmt::format("load_model: {} (.keras) claims {} bytes for {}, more than {}.", source_, st.size, name, limit));
    zip_file_t* f = zip_fopen(archive_, name.c_str(), 0);
    if (!f) throw IOError(fmt::format("load_model: {} (.keras): {} cannot be opened: {}.", source_, name, zip_strerror(archive_)));
    std::string out(static_cast<size_t>(st.size), '\0');
    const zip_int64_t got = zip_fread(f, out.data(), out.size());
    const bool ok = got == static_cast<zip_int64_t>(out.size());
    const std::string why = ok ? "" : zip_file_strerror(f);
    zip_fclose(f);
    if (!ok) throw IOError(fmt::format("load_model: {} (.keras): {} is damaged: {}.", source_, name, why));
    // libzip does not check a stored (uncompressed) entry's CRC-32, the way Python's zipfile writes .keras.
    if ((st.valid & ZIP_STAT_CRC) &&
        crc32_z(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(out.data()), out.size()) != st.crc)
      throw IOError(fmt::format("load_model: {} (.keras): {} is corrupted (its CRC-32 does not match).", source_, name));
    return out;
  }

 private:
  zip_t* archive_ = nullptr;
  std::string source_;
};

// Keras' _name_key: attributes starting with "_" come last.
bool keras_attribute_order(const std::string& a, const std::string& b) {
  auto key = [](const std::string& s) { return s.starts_with("_") ? "~" + s : s; };
  return key(a) < key(b);
}

// The variables of the object at `group` (its own vars/, then the objects it owns), in Keras' order,
// except where soma's order of a wrapper's weights is Keras' order of its layer's weights
// (Bidirectional: forward then backward; MultiHeadAttention: query, key, value, output).
void collect(const hdf5::Object& group, const std::string& cls, std::vector<Tensor>& out) {
  if (group.has("vars") && group.is_group("vars")) {
    const hdf5::Object vars = group.group("vars");
    std::vector<std::string> names = vars.children();
    for (const auto& n : names) {
      if (n.empty() || !std::all_of(n.begin(), n.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        throw IOError("load_model: " + vars.path() + " holds \"" + n + "\", not a variable index");
    }
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    for (const auto& n : names) out.push_back(vars.dataset(n));
  }
  std::vector<std::string> children;
  for (const auto& n : group.children()) {
    if (n != "vars" && group.is_group(n)) children.push_back(n);
  }
  static const std::map<std::string, std::vector<std::string>> fixed = {
      {"Bidirectional", {"forward_layer", "backward_layer"}},
      {"MultiHeadAttention", {"query_dense", "key_dense", "value_dense", "output_dense"}}};
  if (auto f = fixed.find(cls); f != fixed.end()) {
    std::vector<std::string> ordered;
    for (const auto& n : f->second) {
      if (std::find(children.begin(), children.end(), n) != children.end()) ordered.push_back(n);
    }
    for (const auto& n : children) {
      if (std::find(ordered.begin(), ordered.end(), n) == ordered.end()) ordered.push_back(n);
    }
    children = ordered;
  } else {
    std::sort(children.begin(), children.end(), keras_attribute_order);
  }
  for (const auto& n : children) collect(group.group(n), "", out);
}

// Walks the model config next to the weights tree: each layer's variables are named "<layer>/<index>".
void walk_model(const Config& model_spec, const hdf5::Object& model_group, std::vector<Variable>& out) {
  const Config& config = model_spec.at("config");
  if (!config.contains("layers") || !config["layers"].is_array()) return;
  if (!model_group.has("layers")) return;  // a model without weights
  const hdf5::Object layers = model_group.group("layers");
  std::map<std::string, int> used;
  for (const auto& layer : config["layers"]) {
    const std::string cls = layer.value("class_name", std::string());
    if (cls.empty()) continue;
    std::string key = keras_snake_case(cls);
    const int k = used.count(key) ? ++used[key] : (used[key] = 0);
    if (k > 0) key += "_" + std::to_string(k);
    if (!layers.has(key)) continue;  // a layer without variables (InputLayer, Dropout) may be absent
    const hdf5::Object g = layers.group(key);
    const std::string name = layer.contains("config") && layer["config"].is_object()
                                 ? layer["config"].value("name", key)
                                 : key;
    if (cls == "Sequential" || cls == "Functional" || cls == "Model") {
      walk_model(layer, g, out);
      continue;
    }
    std::vector<Tensor> values;
    collect(g, cls, values);
    for (size_t i = 0; i < values.size(); ++i) out.push_back({name + "/" + std::to_string(i), std::move(values[i])});
  }
}

}  // namespace

KerasFile read_keras(const std::string& bytes, const std::string& source) {
  const Zip zip(bytes, source);
  constexpr uint64_t kJsonLimit = uint64_t{1} << 28;
  KerasFile file;
  file.format = ".keras";
  Config config;
  try {
    config = Config::parse(zip.read("config.json", kJsonLimit));
    if (zip.has("metadata.json")) {
      const Config meta = Config::parse(zip.read("metadata.json", kJsonLimit));
      if (meta.is_object() && meta.contains("keras_version") && meta["keras_version"].is_string())
        file.keras_version = meta["keras_version"].get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("load_model: {} (.keras) holds JSON that does not parse: {}.", source, e.what()));
  }
  if (file.keras_version.empty()) file.keras_version = "3";
  if (!config.is_object() || !config.contains("class_name") || !config.contains("config"))
    throw IOError(fmt::format("load_model: {} (.keras): config.json is not a serialised model.", source));
  file.model_config = Config{{"class_name", config["class_name"]}, {"config", config["config"]}};
  if (config.contains("compile_config") && config["compile_config"].is_object()) file.compile = config["compile_config"];
  if (!zip.has("model.weights.h5")) {
    if (zip.has("model.weights.npz"))
      throw IOError(fmt::format("load_model: {} (.keras) keeps its weights as .npz, which soma does not read.", source));
    throw IOError(fmt::format("load_model: {} (.keras) has no model.weights.h5.", source));
  }
  const hdf5::File h5 = hdf5::File::from_bytes(zip.read("model.weights.h5", uint64_t{1} << 36), source + ":model.weights.h5");
  try {
    walk_model(file.model_config, h5, file.variables);
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("load_model: {} (.keras) holds a malformed config: {}.", source, e.what()));
  }
  if (h5.has("optimizer")) file.notes.push_back("the optimizer state in the file is not read");
  return file;
}

}  // namespace soma::io::keras
