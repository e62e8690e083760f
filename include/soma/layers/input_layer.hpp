#pragma once
// keras.layers.InputLayer: the node a graph starts from (soma::Input makes one). It computes nothing;
// it holds the input's name, per-sample shape and dtype for summaries and configs.
#include <string>
#include <vector>

#include "soma/layers/layer.hpp"

namespace soma::layers {

struct InputLayerOptions {
  std::vector<int64_t> shape = {};  // per sample
  std::string dtype = "float32";
  int64_t batch_size = 0;  // 0: any
  std::string name = "";
};

class InputLayer final : public Layer {
 public:
  SOMA_LAYER(InputLayer)
  explicit InputLayer(InputLayerOptions options);
  std::string type() const override { return "InputLayer"; }
  // Keras 3's config: {"batch_shape": [null, ...], "dtype": ..., "sparse": false, "name": ...}.
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  const InputLayerOptions& options() const { return options_; }
  std::pair<int, int> input_count() const override { return {0, 1}; }

 protected:
  autograd::Variable& forward(CallFrame&, autograd::Tape*, autograd::Variable& x, bool) override { return x; }

 private:
  InputLayerOptions options_;
};

}  // namespace soma::layers
