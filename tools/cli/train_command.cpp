// soma train CONFIG.json: builds, compiles and fits the model a Keras-like JSON file describes, on a named
// data set or a CSV file, with the progress bar, checkpoints and a CSV log; saves the trained model.
// The file's format: docs/cli.md.
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "model_data.hpp"
#include "soma/io/files.hpp"
#include "train_config.hpp"

namespace soma::cli {

namespace {

struct Args {
  std::string config, output = "model.soma", checkpoint, log, dir, resume;
  int epochs = -1, verbose = 1, initial_epoch = 0;
  int64_t batch_size = 0, limit = 0;
  uint64_t seed = 42;
};

// First `limit` rows (0: all).
Tensor head(const Tensor& t, int64_t limit) {
  return limit > 0 && limit < t.dim(0) ? t.rows(0, limit) : t;
}

void run(const Args& a) {
  // Where the results go is checked first: finding out after hours of training loses them.
  io::check_writable("train -o", a.output);
  if (!a.checkpoint.empty()) io::check_writable("train --checkpoint", a.checkpoint);
  if (!a.log.empty()) io::check_writable("train --log", a.log);
  set_seed(a.seed);
  // Every section is checked before anything is built, so a typo costs no training time.
  const TrainConfig cfg = read_train_config(a.config);
  Model model = a.resume.empty() ? build_model(cfg) : load_model(a.resume);  // resume: state as it was

  const std::string dir = a.dir.empty() ? cfg.dir : a.dir;
  if (!model.built()) {
    throw ValueError(
        "train config: the first layer needs an \"input_shape\" so the data can be shaped for it.");
  }
  Labelled train, validation;
  if (!cfg.dataset.empty()) {
    train = load_dataset(cfg.dataset, dir, "train", model.input_shape());
    validation = load_dataset(cfg.dataset, dir, "test", model.input_shape());
  } else if (!cfg.csv.empty()) {
    train = load_csv_labelled(cfg.csv, cfg.label_column, model.input_shape());
    if (!cfg.validation_csv.empty()) {
      validation = load_csv_labelled(cfg.validation_csv, cfg.label_column, model.input_shape());
    }
  } else {
    std::vector<std::string> classes, val_classes;
    train = load_image_directory(cfg.directory, model.input_shape(), &classes);
    std::printf("%lld images of %zu classes from %s\n", static_cast<long long>(train.x.dim(0)),
                classes.size(), cfg.directory.c_str());
    if (!cfg.validation_directory.empty()) {
      validation = load_image_directory(cfg.validation_directory, model.input_shape(), &val_classes);
      if (val_classes != classes) {
        throw ValueError("train config: validation_directory has other class directories than directory.");
      }
    }
  }

  FitOptions options{.batch_size = a.batch_size > 0 ? a.batch_size : cfg.batch_size,
                     .epochs = a.epochs >= 0 ? a.epochs : cfg.epochs,
                     .verbose = a.verbose,
                     .validation_split = cfg.validation_split,
                     .shuffle = cfg.shuffle,
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
