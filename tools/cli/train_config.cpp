#include "train_config.hpp"

#include <cmath>
#include <limits>
#include <set>

#include "soma/io/files.hpp"

namespace soma::cli {

namespace {

constexpr const char* kWho = "train config";

std::string shown(const Config& value) {
  std::string text = value.dump();
  return text.size() <= 40 ? text : text.substr(0, 40) + "...";
}

[[noreturn]] void bad(const std::string& key, const std::string& expected, const Config& received) {
  throw ValueError(std::string(kWho) + ": \"" + key + "\" must be " + expected + ", received " +
                   shown(received) + ".");
}

void only_keys(const Config& c, const std::string& where, const std::set<std::string>& keys) {
  if (!c.is_object()) bad(where, "a JSON object", c);
  for (const auto& item : c.items()) {
    if (!keys.count(item.key())) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
      throw ValueError(std::string(kWho) + ": unknown key \"" + item.key() + "\" in \"" + where +
                       "\"; known: " + known + ".");
    }
  }
}

// An integer in [lo, hi]: JSON integers only (2.5 and 2.0 are not), checked before narrowing.
int64_t integer(const Config& section, const std::string& where, const char* key, int64_t fallback,
                int64_t lo, int64_t hi) {
  if (!section.contains(key)) return fallback;
  const Config& v = section[key];
  const std::string path = where + "." + key;
  const std::string range = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (!v.is_number_integer()) bad(path, range, v);
  // Non-negative JSON integers are unsigned in nlohmann; 2^64 - 1 must not pass as -1.
  if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(hi) ||
                                   (lo > 0 && v.get<uint64_t>() < static_cast<uint64_t>(lo))
                             : (v.get<int64_t>() < lo || v.get<int64_t>() > hi)) {
    bad(path, range, v);
  }
  return v.get<int64_t>();
}

std::string text(const Config& section, const std::string& where, const char* key) {
  if (!section.contains(key)) return "";
  const Config& v = section[key];
  if (!v.is_string() || v.get<std::string>().empty())
    bad(where + "." + key, "a non-empty string (a path)", v);
  return v.get<std::string>();
}

// What nlohmann says, without its "[json.exception.type_error.302] " tag.
std::string plain(const nlohmann::json::exception& e) {
  std::string what = e.what();
  const size_t tag = what.find("] ");
  return tag == std::string::npos ? what : what.substr(tag + 2);
}

}  // namespace

TrainConfig read_train_config(const std::string& path) {
  const std::string bytes = io::read_regular_file("train", path);
  Config config;
  try {
    config = Config::parse(bytes, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::parse_error& e) {
    throw ValueError("train: " + path + " is not valid JSON: " + plain(e));
  }
  return parse_train_config(config);
}

TrainConfig parse_train_config(const Config& cfg) {
  only_keys(cfg, "(top level)", {"model", "compile", "data", "fit"});
  if (!cfg.contains("model") || !cfg.contains("compile") || !cfg.contains("data")) {
    throw ValueError(
        "train config: needs \"model\", \"compile\" and \"data\" (and optionally \"fit\"); see docs/cli.md.");
  }
  TrainConfig out;
  const Config& m = cfg["model"];
  if (!m.is_object()) bad("model", "a Sequential or Functional config (a JSON object)", m);
  if (m.contains("class_name")) {
    only_keys(m, "model", {"class_name", "config"});
    if (m["class_name"] != "Sequential" && m["class_name"] != "Functional")
      bad("model.class_name", "\"Sequential\" or \"Functional\"", m["class_name"]);
    out.functional = m["class_name"] == "Functional";
    if (!m.contains("config"))
      throw ValueError("train config: \"model\" has a class_name but no \"config\".");
    out.model = m["config"];
  } else {
    out.model = m;
  }

  const Config& c = cfg["compile"];
  only_keys(c, "compile", {"optimizer", "loss", "metrics"});
  if (!c.contains("loss")) throw ValueError("train config: \"compile\" needs a \"loss\".");
  for (const char* key : {"optimizer", "loss"}) {
    if (c.contains(key) && !c[key].is_string() && !c[key].is_object()) {
      bad(std::string("compile.") + key, "a name or {\"class_name\": ..., \"config\": {...}}", c[key]);
    }
  }
  if (c.contains("metrics")) {
    if (!c["metrics"].is_array()) bad("compile.metrics", "a list of metric names", c["metrics"]);
    for (size_t i = 0; i < c["metrics"].size(); ++i) {
      if (!c["metrics"][i].is_string())
        bad("compile.metrics[" + std::to_string(i) + "]", "a metric name", c["metrics"][i]);
    }
  }
  out.compile = c;

  const Config& d = cfg["data"];
  only_keys(d, "data",
            {"dataset", "csv", "validation_csv", "label_column", "dir", "directory", "validation_directory"});
  out.dataset = text(d, "data", "dataset");
  out.dir = text(d, "data", "dir");
  out.csv = text(d, "data", "csv");
  out.validation_csv = text(d, "data", "validation_csv");
  out.directory = text(d, "data", "directory");
  out.validation_directory = text(d, "data", "validation_directory");
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  out.label_column = static_cast<int>(integer(d, "data", "label_column", -1, -kIntMax, kIntMax));
  const int sources = !out.dataset.empty() + !out.csv.empty() + !out.directory.empty();
  if (sources != 1) {
    throw ValueError(
        "train config: \"data\" needs exactly one of \"dataset\" (mnist, fashion_mnist), \"csv\" or "
        "\"directory\".");
  }

  const Config f = cfg.value("fit", Config::object());
  only_keys(f, "fit", {"batch_size", "epochs", "validation_split", "shuffle"});
  out.batch_size = integer(f, "fit", "batch_size", 32, 1, kIntMax);
  out.epochs = static_cast<int>(integer(f, "fit", "epochs", 1, 0, kIntMax));
  if (f.contains("validation_split")) {
    const Config& v = f["validation_split"];
    if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() < 1.0)) {
      bad("fit.validation_split", "a number from 0 up to (not including) 1", v);
    }
    out.validation_split = v.get<float>();
  }
  if (f.contains("shuffle")) {
    if (!f["shuffle"].is_boolean()) bad("fit.shuffle", "true or false", f["shuffle"]);
    out.shuffle = f["shuffle"].get<bool>();
  }
  return out;
}

Model build_model(const TrainConfig& config) {
  // Library errors already name the layer and argument; this names the section they came from.
  auto in_section = [](const char* section, auto&& f) {
    try {
      return f();
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(std::string(kWho) + ": \"" + section + "\": " + plain(e) + ".");
    } catch (const ValueError& e) {
      throw ValueError(std::string(kWho) + ": \"" + section + "\": " + e.what());
    } catch (const ShapeError& e) {
      throw ShapeError(std::string(kWho) + ": \"" + section + "\": " + e.what());
    }
  };
  Model model = in_section("model", [&] {
    if (!config.functional) return Model(Sequential::from_config(config.model));
    Model m = Model::from_config(config.model);
    if (m.inputs().size() != 1 || m.outputs().size() != 1) {
      throw ValueError("soma train takes a model with one input and one output; this one has " +
                       std::to_string(m.inputs().size()) + " and " + std::to_string(m.outputs().size()) + ".");
    }
    return m;
  });
  const Config& c = config.compile;
  const Config opt = c.value("optimizer", Config("rmsprop"));
  const Config& loss = c["loss"];
  OptimizerArg optimizer = in_section("compile.optimizer", [&] {
    return opt.is_string()
               ? OptimizerArg(opt.get<std::string>())
               : OptimizerArg(std::shared_ptr<optimizers::Optimizer>(optimizers::deserialize(opt)));
  });
  LossArg loss_arg = in_section("compile.loss", [&] {
    return loss.is_string() ? LossArg(loss.get<std::string>())
                            : LossArg(std::shared_ptr<losses::Loss>(losses::deserialize(loss)));
  });
  in_section("compile", [&] {
    model.compile({.optimizer = std::move(optimizer),
                   .loss = std::move(loss_arg),
                   .metrics = c.value("metrics", std::vector<std::string>{})});
    return 0;
  });
  return model;
}

}  // namespace soma::cli
