#pragma once
// A cap on the weights layers may create on this thread while it is alive. load_model builds a model
// from a config before it reads the weights into it; the cap (the bytes of weights the file holds) keeps a
// corrupted config from asking for terabytes.
#include <cstdint>
#include <string>

namespace soma::layers::detail {

class WeightBudget {
 public:
  explicit WeightBudget(int64_t bytes);
  ~WeightBudget();
  WeightBudget(const WeightBudget&) = delete;
  WeightBudget& operator=(const WeightBudget&) = delete;

 private:
  int64_t remaining_;
};

// Called by add_weight: throws ValueError when a budget is active and `bytes` would exceed it.
void spend_weight_budget(const std::string& who, const std::string& weight, int64_t numel);

}  // namespace soma::layers::detail
