// Keras' HDF5 model files (model.save("m.h5") in Keras 2, and Keras 3's legacy writer): the root's
// model_config / training_config / keras_version attributes, and model_weights/<layer> groups whose
// weight_names attribute lists the datasets under them in Keras' order ("dense_1/kernel:0" in Keras 2).
#include <fmt/format.h>

#include "io/keras/hdf5_file.hpp"
#include "io/keras/keras_import.hpp"
#include "soma/core/error.hpp"

namespace soma::io::keras {

KerasFile read_h5(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& problem) -> void {
    throw IOError(fmt::format("load_model: {} (Keras HDF5 model) {}.", source, problem));
  };
  hdf5::File h5 = hdf5::File::from_bytes(bytes, source);
  KerasFile file;
  file.format = "Keras HDF5";
  if (!h5.has_attribute("model_config")) {
    fail(h5.has_attribute("layer_names") ? "holds weights only (save_weights); build the model and load_weights into it"
                                         : "has no model_config attribute: it is not a Keras model file");
  }
  try {
    file.model_config = Config::parse(h5.string_attribute("model_config"));
    if (h5.has_attribute("training_config")) file.training = Config::parse(h5.string_attribute("training_config"));
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("holds an attribute that is not valid JSON: ") + e.what());
  }
  file.keras_version = h5.has_attribute("keras_version") ? h5.string_attribute("keras_version") : "2";
  if (!h5.has("model_weights")) fail("has no model_weights group");
  const hdf5::Object weights = h5.group("model_weights");
  for (const std::string& layer : weights.strings_attribute("layer_names")) {
    if (!weights.has(layer)) fail("lists the layer \"" + layer + "\" but has no group for it");
    const hdf5::Object g = weights.group(layer);
    for (const std::string& name : g.strings_attribute("weight_names")) {
      // Keras 2 names a variable after its layer ("dense_1/kernel:0"), a nested model's after the inner
      // layer; a bare name ("kernel") belongs to this layer.
      const std::string full = name.find('/') == std::string::npos ? layer + "/" + name : name;
      file.variables.push_back({full, g.dataset(name)});
    }
  }
  return file;
}

}  // namespace soma::io::keras
