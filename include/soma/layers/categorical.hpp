#pragma once
// keras.layers' categorical preprocessing, which travels with the model: CategoryEncoding, Discretization,
// IntegerLookup and Hashing. Each maps values to category indices and gives them as Keras' output_mode
// says: "int" (the indices, int64), "one_hot" (one row of depth per value), "multi_hot" (one row per
// sample, 1 where a category occurs) or "count" (how often it occurs). Non-int modes take (batch,) or
// (batch, k) inputs, as Keras; a (batch,) input counts as one value per sample. Integer inputs may be
// int64 tensors or float32 ones holding whole numbers. None has weights or gradients; Discretization's
// boundaries and IntegerLookup's vocabulary, adapted or given, are saved in the config.
// StringLookup and TextVectorization need string tensors, which soma does not have.
#include <optional>
#include <string>
#include <vector>

#include "soma/layers/layer.hpp"

namespace soma::layers {

struct CategoryEncodingOptions {
  int64_t num_tokens = 0;
  std::string output_mode = "multi_hot";  // "one_hot", "multi_hot" or "count"
  bool sparse = false;                    // soma has no sparse tensors: true is a NotImplementedError
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.CategoryEncoding: integer inputs in [0, num_tokens), encoded.
class CategoryEncoding final : public Layer {
 public:
  SOMA_LAYER(CategoryEncoding)
  explicit CategoryEncoding(CategoryEncodingOptions options);
  std::string type() const override { return "CategoryEncoding"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const CategoryEncodingOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  CategoryEncodingOptions options_;
  struct Ops;
};

struct DiscretizationOptions {
  std::vector<float> bin_boundaries = {};  // ascending; given: no adapt
  int64_t num_bins = 0;                    // for adapt: the number of bins it aims at
  double epsilon = 0.01;                   // adapt's summary error (Keras' approximate quantiles)
  std::string output_mode = "int";         // or "one_hot", "multi_hot", "count"
  bool sparse = false;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Discretization: the bin of each value, the number of boundaries <= it (np.digitize), so
// len(bin_boundaries) + 1 bins. adapt(data) computes the boundaries as Keras does: a quantile summary of
// the sorted values every epsilon * n of them, compressed to num_bins quantiles.
class Discretization final : public Layer {
 public:
  SOMA_LAYER(Discretization)
  explicit Discretization(DiscretizationOptions options);
  std::string type() const override { return "Discretization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const DiscretizationOptions& options() const { return options_; }
  void adapt(const Tensor& data);
  const std::vector<float>& bin_boundaries() const { return boundaries_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  DiscretizationOptions options_;
  std::vector<float> boundaries_;
  bool adapted_ = false;
  struct Ops;
};

struct IntegerLookupOptions {
  std::optional<int64_t> max_tokens = std::nullopt;  // the vocabulary's size, special indices included
  int64_t num_oov_indices = 1;
  std::optional<int64_t> mask_token = std::nullopt;
  int64_t oov_token = -1;  // what invert gives for out-of-vocabulary indices
  std::vector<int64_t> vocabulary = {};  // given, or learned by adapt
  std::string vocabulary_dtype = "int64";
  bool invert = false;                   // indices -> tokens (output_mode "int" only)
  std::string output_mode = "int";       // or "one_hot", "multi_hot", "count"
  bool sparse = false;
  bool pad_to_max_tokens = false;        // non-int modes: depth max_tokens instead of the vocabulary size
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.IntegerLookup: tokens -> indices. Index layout as Keras': the mask token at 0 (int mode
// only; in other modes mask tokens are dropped), then num_oov_indices out-of-vocabulary indices (a token
// not in the vocabulary goes to floormod(token, num_oov_indices) among them), then the vocabulary.
// adapt(data) learns the vocabulary: tokens by descending count, ties by descending token (Keras' sort),
// at most max_tokens minus the special indices.
class IntegerLookup final : public Layer {
 public:
  SOMA_LAYER(IntegerLookup)
  explicit IntegerLookup(IntegerLookupOptions options = {});
  std::string type() const override { return "IntegerLookup"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const IntegerLookupOptions& options() const { return options_; }
  void adapt(const Tensor& data);
  // Every index's token, special ones included (mask token, then oov_token for each OOV index).
  std::vector<int64_t> get_vocabulary(bool include_special_tokens = true) const;
  int64_t vocabulary_size() const;

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  void set_vocabulary(std::vector<int64_t> vocabulary);
  int64_t oov_start() const;
  int64_t token_start() const { return oov_start() + options_.num_oov_indices; }
  int64_t depth() const;
  IntegerLookupOptions options_;
  std::vector<std::pair<int64_t, int64_t>> index_;  // (token, index), sorted by token
  struct Ops;
};

struct HashingOptions {
  int64_t num_bins = 0;
  std::optional<int64_t> mask_value = std::nullopt;  // hashed to bin 0; the others to 1..num_bins-1
  std::vector<int64_t> salt = {};                    // Keras' keyed SipHash: a NotImplementedError
  std::string output_mode = "int";
  bool sparse = false;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Hashing: each integer hashed into num_bins bins as TensorFlow's to_hash_bucket_fast does
// it: FarmHash Fingerprint64 of the integer's decimal text, modulo the bins (Debian's libfarmhash).
class Hashing final : public Layer {
 public:
  SOMA_LAYER(Hashing)
  explicit Hashing(HashingOptions options);
  std::string type() const override { return "Hashing"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const HashingOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  HashingOptions options_;
  struct Ops;
};

}  // namespace soma::layers
