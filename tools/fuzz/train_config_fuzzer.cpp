// libFuzzer target: the JSON config of `soma train` (tools/cli/train_config.cpp). Any text either builds
// a compiled model or is refused with a soma error whose message names the key and carries no raw
// nlohmann text, no NaN and no std::bad_alloc. Structure-aware: the custom mutator below edits parsed
// JSON (numbers at the edges of int, int64 and float, wrong types, keys dropped or copied) so most inputs
// stay valid JSON and reach the checks behind the parser; train_config.dict adds the key names.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "fuzz_checks.hpp"
#include "layers/weight_budget.hpp"
#include "train_config.hpp"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using soma::Config;

void collect(Config& node, std::vector<Config*>& out) {
  out.push_back(&node);
  if (node.is_structured()) {
    for (auto& child : node) collect(child, out);
  }
}

Config edge_value(std::mt19937& rng) {
  static const char* keys[] = {"units",       "activation", "input_shape", "filters",
                               "kernel_size", "rate",       "epochs",      "batch_size",
                               "class_name",  "config",     "layers",      "learning_rate"};
  switch (rng() % 16) {
    case 0:
      return 0;
    case 1:
      return -1;
    case 2:
      return 2147483648u;
    case 3:
      return 4294967297u;
    case 4:
      return UINT64_MAX;
    case 5:
      return INT64_MIN;
    case 6:
      return 2.5;
    case 7:
      return 1e300;
    case 8:
      return -1e-300;
    case 9:
      return "relu";
    case 10:
      return std::string(rng() % 64, 'x');
    case 11:
      return true;
    case 12:
      return nullptr;
    case 13:
      return Config::array({1, 2});
    case 14:
      return Config{{keys[rng() % std::size(keys)], static_cast<int64_t>(rng() % 8)}};
    default:
      return static_cast<int64_t>(rng() % 1000) - 10;
  }
}

void mutate(Config& root, std::mt19937& rng) {
  std::vector<Config*> nodes;
  collect(root, nodes);
  Config& target = *nodes[rng() % nodes.size()];
  switch (rng() % 6) {
    case 0:
    case 1:
      target = edge_value(rng);
      break;
    case 2:  // a copy of another node, possibly of another type
      target = Config(*nodes[rng() % nodes.size()]);
      break;
    case 3:  // drop a member
      if (target.is_object() && !target.empty()) {
        auto it = target.begin();
        std::advance(it, static_cast<long>(rng() % target.size()));
        target.erase(it.key());
      } else if (target.is_array() && !target.empty()) {
        target.erase(rng() % target.size());
      }
      break;
    case 4:  // grow a container
      if (target.is_array()) target.push_back(target.empty() ? edge_value(rng) : Config(target.front()));
      if (target.is_object()) target["units"] = edge_value(rng);
      break;
    default:                             // nudge a number
      if (target.is_number_integer()) {  // in unsigned arithmetic: INT64_MIN - 2 wraps instead of overflowing
        target = static_cast<int64_t>(target.get<uint64_t>() + rng() % 5 - 2);
      }
      if (target.is_number_float()) target = target.get<double>() * 1e10;
      break;
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::mt19937 rng(seed);
  Config doc = Config::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || rng() % 10 == 0) return LLVMFuzzerMutate(data, size, max_size);
  mutate(doc, rng);
  const std::string text = doc.dump();
  if (text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Config doc = Config::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;  // the JSON parser has its own fuzzers
  try {
    const soma::cli::TrainConfig config = soma::cli::parse_train_config(doc);
    // A config may ask for any size; within a fuzz run 1 MB of weights is plenty (a GRU of 892 units, whose
    // orthogonal initialisation is O(units^3), took more than the 10 s timeout under ASan).
    soma::layers::detail::WeightBudget cap(int64_t{1} << 20);
    soma::Model model = soma::cli::build_model(config);
    if (model.built() && model.input_shape().numel() <= 4096) {
      model.predict(soma::Tensor::zeros(model.input_shape().with_batch(1)));
    }
  } catch (const soma::Error& e) {
    soma::fuzz::check_message(e.what(), std::string_view(reinterpret_cast<const char*>(data), size));
  }
  return 0;
}
