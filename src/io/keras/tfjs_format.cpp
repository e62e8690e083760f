// TensorFlow.js layers format: model.json ({"modelTopology", "weightsManifest"}) and binary shards.
// Each manifest group's shards, concatenated in order, hold its weights back to back; a quantised weight
// is stored as uint8/uint16 q with value = q * scale + min, or as float16.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "io/keras/keras_import.hpp"
#include "soma/core/error.hpp"
#include "soma/io/files.hpp"

namespace soma::io::keras {

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float v;
  if (exponent == 0) {
    v = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    v = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    v = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  }
  return sign ? -v : v;
}

}  // namespace

KerasFile read_tfjs(const std::string& path) {
  auto fail = [&](const std::string& problem) -> void {
    throw IOError(fmt::format("load_model: {} (tfjs model) {}.", path, problem));
  };
  Config json;
  try {
    json = Config::parse(read_regular_file("load_model", path));
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("is not valid JSON: ") + e.what());
  }
  if (!json.is_object() || !json.contains("modelTopology") || !json["modelTopology"].is_object())
    fail("has no \"modelTopology\" object");
  KerasFile file;
  file.format = "tfjs";
  const Config& topology = json["modelTopology"];
  // tfjs' own save() writes the model config itself as the topology; converted Keras files wrap it.
  const Config& model = topology.contains("model_config") ? topology["model_config"] : topology;
  if (!model.is_object() || !model.contains("class_name")) fail("has no model config in \"modelTopology\"");
  file.model_config = model;
  file.keras_version = topology.value("keras_version", std::string("tfjs-layers"));
  if (!file.keras_version.starts_with("tfjs") && !file.keras_version.empty() && file.keras_version[0] >= '3')
    file.keras_version = "tfjs-layers " + file.keras_version;  // tfjs reads and writes Keras 2 topologies
  const Config* training = topology.contains("training_config") ? &topology["training_config"]
                           : json.contains("trainingConfig")    ? &json["trainingConfig"]
                                                                : nullptr;
  if (training && training->is_object()) file.training = *training;

  if (!json.contains("weightsManifest") || !json["weightsManifest"].is_array()) fail("has no \"weightsManifest\" list");
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  bool skipped_optimizer = false;
  for (const auto& group : json["weightsManifest"]) {
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
        !group["weights"].is_array())
      fail("has a weightsManifest entry without \"paths\" and \"weights\" lists");
    std::string bytes;
    for (const auto& p : group["paths"]) {
      if (!p.is_string()) fail("has a shard path that is not a string");
      const std::string name = p.get<std::string>();
      // Shards lie beside model.json; a path out of that directory is refused.
      if (name.empty() || name.find("..") != std::string::npos || name[0] == '/')
        fail("names the shard \"" + name + "\" outside its directory");
      try {
        bytes += read_regular_file("load_model", (dir / name).string());
      } catch (const IOError& e) {
        fail(std::string("lists a weight shard that cannot be read: ") + e.what());
      }
    }
    size_t offset = 0;
    for (const auto& w : group["weights"]) {
      if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") ||
          !w["shape"].is_array())
        fail("has a weight without \"name\" and \"shape\"");
      const std::string name = w["name"].get<std::string>();
      std::vector<int64_t> dims;
      int64_t numel = 1;
      for (const auto& d : w["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 40))
          fail("gives the weight \"" + name + "\" a bad shape " + w["shape"].dump());
        dims.push_back(d.get<int64_t>());
        if (dims.back() != 0 && numel > std::numeric_limits<int64_t>::max() / dims.back())
          fail("gives the weight \"" + name + "\" a shape too large");
        numel *= dims.back();
      }
      if (dims.size() >= Shape::kMaxRank) fail("gives the weight \"" + name + "\" too many dimensions");
      const std::string dtype = w.value("dtype", std::string("float32"));
      if (w.value("group", std::string()) == "optimizer") {  // tfjs' includeOptimizer state
        const uint64_t width = w.contains("quantization") ? 0 : dtype == "float32" || dtype == "int32" ? 4 : 0;
        if (width == 0 || static_cast<uint64_t>(numel) * width > bytes.size() - offset)
          fail("holds optimizer state \"" + name + "\" that cannot be read");
        offset += static_cast<size_t>(numel) * width;
        if (!skipped_optimizer) file.notes.push_back("the optimizer state in the file is not read (tfjs' layout)");
        skipped_optimizer = true;
        continue;
      }
      if (dtype != "float32") fail("stores the weight \"" + name + "\" as " + dtype + " (soma's weights are float32)");
      std::string stored = "float32";
      double scale = 1, min = 0;
      if (w.contains("quantization")) {
        const Config& q = w["quantization"];
        if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string())
          fail("has a quantization without a dtype for \"" + name + "\"");
        stored = q["dtype"].get<std::string>();
        if (stored == "uint8" || stored == "uint16") {
          if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") || !q["min"].is_number())
            fail("quantizes \"" + name + "\" without a numeric scale and min");
          scale = q["scale"].get<double>();
          min = q["min"].get<double>();
        } else if (stored != "float16") {
          fail("quantizes \"" + name + "\" as " + stored + " (tfjs writes uint8, uint16 or float16)");
        }
      }
      const size_t width = stored == "uint8" ? 1 : stored == "float32" ? 4 : 2;
      const auto need = static_cast<uint64_t>(numel) * width;
      if (need > bytes.size() - offset) {
        fail(fmt::format("has shards of {} bytes in all, too few for the weight \"{}\" ({} bytes at offset {})",
                         bytes.size(), name, need, offset));
      }
      Tensor t = Tensor::empty(Shape(dims));
      float* out = t.f32();
      const char* src = bytes.data() + offset;
      for (int64_t i = 0; i < numel; ++i) {
        if (stored == "float32") {
          std::memcpy(out + i, src + 4 * i, 4);
        } else if (stored == "float16") {
          uint16_t h;
          std::memcpy(&h, src + 2 * i, 2);
          out[i] = half_to_float(h);
        } else {
          uint32_t q = static_cast<uint8_t>(src[i]);
          if (stored == "uint16") {
            uint16_t v;
            std::memcpy(&v, src + 2 * i, 2);
            q = v;
          }
          out[i] = static_cast<float>(q * scale + min);
        }
      }
      offset += need;
      file.variables.push_back({name, std::move(t)});
    }
    if (offset != bytes.size())
      fail(fmt::format("has shards of {} bytes where its weights take {}", bytes.size(), offset));
  }
  return file;
}

}  // namespace soma::io::keras
