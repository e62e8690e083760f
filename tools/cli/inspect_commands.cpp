// soma summary MODEL, soma convert MODEL OUTPUT, soma evaluate MODEL --dataset NAME | --csv FILE, soma predict MODEL INPUT...
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "model_data.hpp"

namespace soma::cli {

void add_summary(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* cmd =
      app.add_subcommand("summary", "Print a saved model's layers, shapes, parameters and compile settings");
  cmd->add_option("model", *path, "Model file written by model.save()")->required();
  cmd->callback([path] {
    Model model = load_model(*path, {.restore_random_state = false});
    model.summary(std::cout);
    if (model.compiled()) {
      std::cout << "Optimizer: " << optimizers::serialize(model.optimizer()).dump() << "\n"
                << "Loss: " << model.loss().name() << "\n"
                << "Metrics: " << Config(model.metric_names()).dump() << "\n"
                << "Optimizer steps taken: " << model.optimizer().iterations() << "\n";
    } else {
      std::cout << "Not compiled.\n";
    }
  });
}

void add_convert(CLI::App& app) {
  auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "convert", "Read a model (.soma, Keras .keras or .h5, TensorFlow.js model.json) and write it as OUTPUT: "
                 "Keras 3 .keras if OUTPUT ends in .keras, else soma's own format");
  cmd->add_option("model", *in, "Model file")->required();
  cmd->add_option("output", *out, "File to write")->required();
  cmd->callback([in, out] {
    Model model = load_model(*in, {.restore_random_state = false});
    model.save(*out);
    std::cout << "Wrote " << *out << " (" << model.count_params() << " parameters)\n";
  });
}

void add_evaluate(CLI::App& app) {
  struct Args {
    std::string model, dataset, dir, csv;
    int label_column = -1;
    int64_t batch_size = 32;
    int verbose = 1;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("evaluate", "Loss and metrics of a saved model on a data set or a CSV file");
  cmd->add_option("model", a->model, "Model file written by model.save()")->required();
  auto* dataset = cmd->add_option("--dataset", a->dataset, "mnist or fashion_mnist (their test split)");
  auto* csv = cmd->add_option("--csv", a->csv, "CSV file of features and a label column");
  dataset->excludes(csv);
  cmd->add_option("--data", a->dir, "Directory with the data set's IDX files (default: the usual place)");
  cmd->add_option("--label-column", a->label_column, "CSV label column, negative from the end (default -1)");
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--verbose", a->verbose, "0 silent, 1 progress bar")->check(CLI::Range(0, 1));
  cmd->callback([a] {
    if (a->dataset.empty() && a->csv.empty())
      throw CLI::ValidationError("evaluate", "give --dataset NAME or --csv FILE");
    Model model = load_model(a->model, {.restore_random_state = false});
    if (!model.compiled())
      throw StateError("evaluate: " + a->model + " was saved without compile(); it has no loss.");
    const Labelled d = a->csv.empty() ? load_dataset(a->dataset, a->dir, "test", model.input_shape())
                                      : load_csv_labelled(a->csv, a->label_column, model.input_shape());
    const auto logs = model.evaluate(d.x, targets_for(model, d.labels),
                                     {.batch_size = a->batch_size, .verbose = a->verbose});
    for (const auto& [name, value] : logs) std::printf("%s: %.6f\n", name.c_str(), value);
  });
}

void add_predict(CLI::App& app) {
  struct Args {
    std::string model, output;
    std::vector<std::string> inputs;
    int top = 3;
    bool no_scale = false, invert = false, quiet = false;
    int64_t batch_size = 32;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("predict",
                                 "Classes and probabilities a saved model gives for IDX, CSV or image files");
  cmd->add_option("model", a->model, "Model file written by model.save()")->required();
  cmd->add_option("inputs", a->inputs, "IDX, CSV (features only) or image files")->required();
  cmd->add_option("--top", a->top, "How many classes to list per sample")->check(CLI::PositiveNumber);
  cmd->add_option("--output", a->output, "Write every output value to this CSV file (exact, %.9g)");
  cmd->add_flag("--no-scale", a->no_scale, "Do not divide 8-bit pixels by 255");
  cmd->add_flag("--invert", a->invert, "Invert images (dark digits on light paper -> MNIST's light on dark)");
  cmd->add_flag("--quiet", a->quiet, "Print nothing per sample (with --output)");
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->check(CLI::PositiveNumber);
  cmd->callback([a] {
    Model model = load_model(a->model, {.compile = false, .restore_random_state = false});
    const Tensor x = load_inputs(a->inputs, model.input_shape(), !a->no_scale, a->invert);
    const Tensor y = model.predict(x, {.batch_size = a->batch_size}).reshape({x.dim(0), -1});
    const int64_t n = y.dim(0), k = y.dim(1);
    const float* p = y.f32();
    std::unique_ptr<std::ofstream> out;
    if (!a->output.empty()) {
      out = std::make_unique<std::ofstream>(a->output);
      if (!*out) throw IOError("predict: cannot write " + a->output + ".");
      *out << "class";
      for (int64_t j = 0; j < k; ++j) *out << ",p" << j;
      *out << "\n";
    }
    for (int64_t i = 0; i < n; ++i) {
      const float* row = p + i * k;
      std::vector<int64_t> order(static_cast<size_t>(k));
      for (int64_t j = 0; j < k; ++j) order[static_cast<size_t>(j)] = j;
      std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return row[l] > row[r]; });
      // One sigmoid output is a binary classifier: class 1 when p > 0.5.
      const int64_t cls = k == 1 ? (row[0] > 0.5f ? 1 : 0) : order[0];
      if (out) {
        *out << cls;
        char buf[32];
        for (int64_t j = 0; j < k; ++j) {
          std::snprintf(buf, sizeof buf, ",%.9g", static_cast<double>(row[j]));
          *out << buf;
        }
        *out << "\n";
      }
      if (a->quiet) continue;
      if (k == 1) {
        std::printf("sample %lld: class %lld  p(class 1)=%.6f\n", static_cast<long long>(i),
                    static_cast<long long>(cls), static_cast<double>(row[0]));
        continue;
      }
      std::printf("sample %lld: class %lld  p=%.6f  top:", static_cast<long long>(i),
                  static_cast<long long>(cls), static_cast<double>(row[cls]));
      for (int64_t j = 0; j < std::min<int64_t>(a->top, k); ++j) {
        std::printf(" %lld:%.6f", static_cast<long long>(order[static_cast<size_t>(j)]),
                    static_cast<double>(row[order[static_cast<size_t>(j)]]));
      }
      std::printf("\n");
    }
    if (out && !out->flush()) throw IOError("predict: writing " + a->output + " failed.");
  });
}

}  // namespace soma::cli
