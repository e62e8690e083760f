// SGD, RMSprop and Adam against reference values computed in float64 from the tf.keras 2 formulas, and
// AdamW, Adagrad and Nadam from the Keras 3 ones, by tests/reference/optimizers.py (which also
// cross-checks them against PyTorch where the math agrees).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"

namespace soma::optimizers {
namespace {

struct Case {
  std::string name, optimizer;
  std::map<std::string, float> options;
  std::vector<std::vector<double>> expect;  // parameters after step 1, 2, ...
};

struct Reference {
  std::vector<double> init;
  std::vector<std::vector<double>> grads;  // per step
  std::map<std::string, Case> cases;
};

std::vector<double> read_values(std::istringstream& in, size_t n) {
  std::vector<double> v(n);
  for (double& x : v) in >> x;
  return v;
}

// Parses optimizers.txt (format described in its header).
Reference load_reference() {
  const std::string path = std::string(SOMA_TEST_DATA_DIR) + "/optimizers.txt";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open " + path + "; run tests/reference/optimizers.py");
  Reference ref;
  size_t size = 0, steps = 0;
  Case* current = nullptr;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string tag;
    if (!(in >> tag) || tag[0] == '#') continue;
    if (tag == "size") {
      in >> size;
    } else if (tag == "steps") {
      in >> steps;
    } else if (tag == "init") {
      ref.init = read_values(in, size);
    } else if (tag == "grad") {
      size_t k = 0;
      in >> k;
      ref.grads.push_back(read_values(in, size));
      if (k != ref.grads.size()) throw std::runtime_error("grad records out of order in " + path);
    } else if (tag == "case") {
      Case c;
      in >> c.name >> c.optimizer;
      current = &ref.cases.emplace(c.name, c).first->second;
    } else if (tag == "option") {
      std::string key, value;
      in >> key >> value;
      current->options[key] = std::stof(value);
    } else if (tag == "expect") {
      size_t k = 0;
      in >> k;
      current->expect.push_back(read_values(in, size));
      if (k != current->expect.size()) throw std::runtime_error("expect records out of order in " + path);
    } else if (tag == "end") {
      if (current->expect.size() != steps)
        throw std::runtime_error("case " + current->name + " is incomplete");
      current = nullptr;
    } else {
      throw std::runtime_error("unknown record '" + tag + "' in " + path);
    }
    if (in.fail()) throw std::runtime_error("malformed line in " + path + ": " + line);
  }
  if (ref.init.size() != size || ref.grads.size() != steps) throw std::runtime_error("truncated " + path);
  return ref;
}

const Reference& reference() {
  static const Reference ref = load_reference();
  return ref;
}

// Builds the optimizer a case describes, through the public options structs.
std::unique_ptr<Optimizer> make(const Case& c) {
  auto opt = [&](const char* key, float fallback) {
    auto it = c.options.find(key);
    return it == c.options.end() ? fallback : it->second;
  };
  if (c.optimizer == "sgd") {
    SGDOptions d;
    return std::make_unique<SGD>(SGDOptions{.learning_rate = opt("learning_rate", d.learning_rate.value()),
                                            .momentum = opt("momentum", d.momentum),
                                            .nesterov = opt("nesterov", 0.0f) != 0.0f,
                                            .decay = opt("decay", d.decay)});
  }
  if (c.optimizer == "rmsprop") {
    RMSpropOptions d;
    return std::make_unique<RMSprop>(
        RMSpropOptions{.learning_rate = opt("learning_rate", d.learning_rate.value()),
                       .rho = opt("rho", d.rho),
                       .momentum = opt("momentum", d.momentum),
                       .epsilon = opt("epsilon", d.epsilon),
                       .centered = opt("centered", 0.0f) != 0.0f,
                       .decay = opt("decay", d.decay)});
  }
  if (c.optimizer == "adam") {
    AdamOptions d;
    return std::make_unique<Adam>(AdamOptions{.learning_rate = opt("learning_rate", d.learning_rate.value()),
                                              .beta_1 = opt("beta_1", d.beta_1),
                                              .beta_2 = opt("beta_2", d.beta_2),
                                              .epsilon = opt("epsilon", d.epsilon),
                                              .amsgrad = opt("amsgrad", 0.0f) != 0.0f,
                                              .decay = opt("decay", d.decay)});
  }
  if (c.optimizer == "adamw") {
    AdamWOptions d;
    return std::make_unique<AdamW>(
        AdamWOptions{.learning_rate = opt("learning_rate", d.learning_rate.value()),
                     .weight_decay = opt("weight_decay", d.weight_decay),
                     .beta_1 = opt("beta_1", d.beta_1),
                     .beta_2 = opt("beta_2", d.beta_2),
                     .epsilon = opt("epsilon", d.epsilon),
                     .amsgrad = opt("amsgrad", 0.0f) != 0.0f});
  }
  if (c.optimizer == "adagrad") {
    AdagradOptions d;
    return std::make_unique<Adagrad>(AdagradOptions{
        .learning_rate = opt("learning_rate", d.learning_rate.value()),
        .initial_accumulator_value = opt("initial_accumulator_value", d.initial_accumulator_value),
        .epsilon = opt("epsilon", d.epsilon)});
  }
  if (c.optimizer == "nadam") {
    NadamOptions d;
    return std::make_unique<Nadam>(
        NadamOptions{.learning_rate = opt("learning_rate", d.learning_rate.value()),
                     .beta_1 = opt("beta_1", d.beta_1),
                     .beta_2 = opt("beta_2", d.beta_2),
                     .epsilon = opt("epsilon", d.epsilon)});
  }
  throw std::runtime_error("unknown optimizer " + c.optimizer);
}

// float32 against float64: a relative 1e-6 plus about one float32 ulp at 1.
constexpr double kRtol = 1e-6, kAtol = 1e-7;

// Runs a case on `copies` parameters, each the reference vector tiled `tiles` times (large tiles take the
// multi-threaded path), and compares every element after every step.
void run_case(const Case& c, int copies, int64_t tiles) {
  const Reference& ref = reference();
  const int64_t size = static_cast<int64_t>(ref.init.size());
  auto tiled = [&](const std::vector<double>& v) {
    Tensor t = Tensor::empty({tiles, size});
    float* p = t.f32();
    for (int64_t i = 0; i < tiles * size; ++i) p[i] = static_cast<float>(v[static_cast<size_t>(i % size)]);
    return t;
  };
  std::vector<autograd::Variable> params;
  for (int k = 0; k < copies; ++k)
    params.emplace_back(tiled(ref.init), true, std::string(1, 'p').append(std::to_string(k)));
  std::vector<autograd::Variable*> list;
  for (auto& p : params) list.push_back(&p);

  auto optimizer = make(c);
  double worst = 0.0;
  for (size_t step = 0; step < ref.grads.size(); ++step) {
    for (auto& p : params) p.grad = tiled(ref.grads[step]);
    optimizer->apply(list);
    ASSERT_EQ(optimizer->iterations(), static_cast<int64_t>(step + 1));
    for (auto& p : params) {
      const float* got = p.value.f32();
      for (int64_t i = 0; i < tiles * size; ++i) {
        const double want = c.expect[step][static_cast<size_t>(i % size)];
        const double err = std::abs(got[i] - want) / (kAtol + kRtol * std::abs(want));
        worst = std::max(worst, err);
        ASSERT_LE(err, 1.0) << c.name << ": step " << step + 1 << ", element " << i << ": got " << got[i]
                            << ", want " << want;
      }
    }
  }
  ::testing::Test::RecordProperty("worst_error_over_tolerance", std::to_string(worst));
}

const std::vector<std::string> kCases = {
    "sgd_plain",          "sgd_default",      "sgd_momentum",
    "sgd_nesterov_decay", "rmsprop_default",  "rmsprop_lr",
    "rmsprop_centered",   "rmsprop_momentum", "rmsprop_centered_momentum_decay",
    "adam_default",       "adam_lr",          "adam_amsgrad",
    "adam_decay",         "adamw_default",    "adamw_lr_wd",
    "adamw_amsgrad",      "adagrad_default",  "adagrad_lr",
    "adagrad_zero_init",  "nadam_default",    "nadam_lr"};

TEST(OptimizerReference, FileHasEveryCase) {
  std::set<std::string> in_file;
  for (const auto& [name, c] : reference().cases) in_file.insert(name);
  EXPECT_EQ(in_file, std::set<std::string>(kCases.begin(), kCases.end()));
}

class ReferenceCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceCase, MatchesKerasFormulas) {
  const auto& cases = reference().cases;
  auto it = cases.find(GetParam());
  ASSERT_NE(it, cases.end()) << GetParam() << " missing from optimizers.txt";
  run_case(it->second, 2, 1);
}

// Same values through the vectorised, multi-threaded path (a size that is no multiple of the vector width).
TEST_P(ReferenceCase, MatchesKerasFormulasOnLargeParameters) {
  const auto& cases = reference().cases;
  auto it = cases.find(GetParam());
  ASSERT_NE(it, cases.end());
  run_case(it->second, 1, 20011);
}

INSTANTIATE_TEST_SUITE_P(Keras, ReferenceCase, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace soma::optimizers
