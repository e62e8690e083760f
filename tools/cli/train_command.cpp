// soma train CONFIG.json: builds, compiles and fits the model a Keras-like JSON file describes, on a named
// data set or a CSV file, with the progress bar, checkpoints and a CSV log; saves the trained model.
// The file's format: docs/cli.md.
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>

#include "commands.hpp"
#include "model_data.hpp"

namespace soma::cli {

namespace {

struct Args {
  std::string config, output = "model.soma", checkpoint, log, dir, resume;
  int epochs = -1, verbose = 1, initial_epoch = 0;
  int64_t batch_size = 0, limit = 0;
  uint64_t seed = 42;
};

void only_keys(const Config& c, const std::string& where, const std::set<std::string>& keys) {
  if (!c.is_object()) throw ValueError("train config: \"" + where + "\" must be a JSON object.");
  for (const auto& item : c.items()) {
    if (!keys.count(item.key())) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
      throw ValueError("train config: unknown key \"" + item.key() + "\" in \"" + where +
                       "\"; known: " + known + ".");
    }
  }
}

Config read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IOError("train: cannot open " + path + ".");
  try {
    return Config::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError("train: " + path + " is not valid JSON: " + e.what());
  }
}

void compile_from(Sequential& model, const Config& c) {
  only_keys(c, "compile", {"optimizer", "loss", "metrics"});
  if (!c.contains("loss")) throw ValueError("train config: \"compile\" needs a \"loss\".");
  const Config opt = c.value("optimizer", Config("rmsprop"));
  const Config loss = c["loss"];
  model.compile({.optimizer = opt.is_string() ? OptimizerArg(opt.get<std::string>())
                                              : OptimizerArg(std::shared_ptr<optimizers::Optimizer>(
                                                    optimizers::deserialize(opt))),
                 .loss = loss.is_string() ? LossArg(loss.get<std::string>())
                                          : LossArg(std::shared_ptr<losses::Loss>(losses::deserialize(loss))),
                 .metrics = c.value("metrics", std::vector<std::string>{})});
}

// First `limit` rows (0: all).
Tensor head(const Tensor& t, int64_t limit) {
  return limit > 0 && limit < t.dim(0) ? t.rows(0, limit) : t;
}

void run(const Args& a) {
  set_seed(a.seed);
  const Config cfg = read_json(a.config);
  only_keys(cfg, "(top level)", {"model", "compile", "data", "fit"});
  if (!cfg.contains("model") || !cfg.contains("compile") || !cfg.contains("data")) {
    throw ValueError(
        "train config: needs \"model\", \"compile\" and \"data\" (and optionally \"fit\"); see docs/cli.md.");
  }
  // Every section is checked before anything is built, so a typo costs no training time.
  only_keys(cfg["data"], "data",
            {"dataset", "csv", "validation_csv", "label_column", "dir", "directory", "validation_directory"});
  only_keys(cfg.value("fit", Config::object()), "fit",
            {"batch_size", "epochs", "validation_split", "shuffle"});
  Sequential model;
  if (!a.resume.empty()) {
    model = load_model(a.resume);  // weights, optimizer state and generator as they were
  } else {
    const Config& m = cfg["model"];
    model = Sequential::from_config(m.contains("class_name") ? m.at("config") : m);
    compile_from(model, cfg["compile"]);
  }

  const Config& data = cfg["data"];
  const int label_column = data.value("label_column", -1);
  const std::string dir = a.dir.empty() ? data.value("dir", std::string()) : a.dir;
  if (!model.built()) {
    throw ValueError(
        "train config: the first layer needs an \"input_shape\" so the data can be shaped for it.");
  }
  Labelled train, validation;
  if (data.contains("dataset")) {
    const auto name = data["dataset"].get<std::string>();
    train = load_dataset(name, dir, "train", model.input_shape());
    validation = load_dataset(name, dir, "test", model.input_shape());
  } else if (data.contains("csv")) {
    train = load_csv_labelled(data["csv"].get<std::string>(), label_column, model.input_shape());
    if (data.contains("validation_csv")) {
      validation =
          load_csv_labelled(data["validation_csv"].get<std::string>(), label_column, model.input_shape());
    }
  } else if (data.contains("directory")) {
    std::vector<std::string> classes, val_classes;
    train = load_image_directory(data["directory"].get<std::string>(), model.input_shape(), &classes);
    std::printf("%lld images of %zu classes from %s\n", static_cast<long long>(train.x.dim(0)),
                classes.size(), data["directory"].get<std::string>().c_str());
    if (data.contains("validation_directory")) {
      validation = load_image_directory(data["validation_directory"].get<std::string>(), model.input_shape(),
                                        &val_classes);
      if (val_classes != classes) {
        throw ValueError("train config: validation_directory has other class directories than directory.");
      }
    }
  } else {
    throw ValueError(
        "train config: \"data\" needs \"dataset\" (mnist, fashion_mnist), \"csv\" or \"directory\".");
  }

  const Config fit = cfg.value("fit", Config::object());
  FitOptions options{.batch_size = a.batch_size > 0 ? a.batch_size : fit.value("batch_size", int64_t{32}),
                     .epochs = a.epochs >= 0 ? a.epochs : fit.value("epochs", 1),
                     .verbose = a.verbose,
                     .validation_split = fit.value("validation_split", 0.0f),
                     .shuffle = fit.value("shuffle", true),
                     .initial_epoch = a.initial_epoch};
  const bool validates = options.validation_split == 0.0f && validation.x.defined();
  if (validates) {
    options.validation_data = ValidationData{validation.x, targets_for(model, validation.labels)};
  }
  if (!a.checkpoint.empty()) {
    const bool has_val = validates || options.validation_split > 0.0f;
    options.callbacks.push_back(callbacks::ModelCheckpoint(
        a.checkpoint, {.monitor = has_val ? "val_loss" : "loss", .verbose = 1, .save_best_only = true}));
  }
  if (!a.log.empty()) options.callbacks.push_back(callbacks::CSVLogger(a.log));

  model.summary();
  model.fit(head(train.x, a.limit), targets_for(model, head(train.labels, a.limit)), options);
  model.save(a.output);
  std::printf("Saved the trained model to %s\n", a.output.c_str());
  if (validates) {
    for (const auto& [name, value] :
         model.evaluate(validation.x, targets_for(model, validation.labels), {.verbose = 0})) {
      std::printf("test %s: %.4f\n", name.c_str(), value);
    }
  }
}

}  // namespace

void add_train(CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("train", "Train the model a JSON config describes and save it");
  cmd->add_option("config", a->config, "JSON file: model, compile, data, fit (docs/cli.md)")->required();
  cmd->add_option("--output,-o", a->output, "Where to save the trained model (default model.soma)");
  cmd->add_option("--checkpoint", a->checkpoint,
                  "Save the best epoch's model here (ModelCheckpoint, save_best_only)");
  cmd->add_option("--log", a->log, "Write one CSV row per epoch here (CSVLogger)");
  cmd->add_option("--epochs", a->epochs, "Override fit.epochs")->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-size", a->batch_size, "Override fit.batch_size")->check(CLI::PositiveNumber);
  cmd->add_option("--limit", a->limit, "Train on the first N samples only")->check(CLI::NonNegativeNumber);
  cmd->add_option("--data", a->dir, "Directory with the data set's IDX files");
  cmd->add_option("--resume", a->resume, "Continue training this saved model (with --initial-epoch)");
  cmd->add_option("--initial-epoch", a->initial_epoch, "Epoch to resume at")->check(CLI::NonNegativeNumber);
  cmd->add_option("--verbose", a->verbose, "0 silent, 1 progress bar, 2 one line per epoch")
      ->check(CLI::Range(0, 2));
  cmd->add_option("--seed", a->seed, "Random seed");
  cmd->callback([a] { run(*a); });
}

}  // namespace soma::cli
