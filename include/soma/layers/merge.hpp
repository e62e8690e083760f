#pragma once
// keras.layers Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot: layers of several
// inputs, for graphs (residual shortcuts, multi-branch models, siamese similarities).
//   auto y = L::Add()({x, shortcut});               // or x + shortcut
//   auto z = L::Concatenate({.axis = -1})({a, b, c});
// The elementwise ones broadcast as Keras does: a lower-rank input is expanded after the batch axis,
// then each dimension must match or be 1.
#include <string>
#include <vector>

#include "soma/autograd/ops/merge_ops.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct MergeOptions {
  std::string name = "";
};

// What the elementwise merge layers share.
class ElementwiseMerge : public Layer {
 public:
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  std::pair<int, int> input_count() const override;
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;
  const MergeOptions& options() const { return options_; }

 protected:
  ElementwiseMerge(const std::string& prefix, autograd::Elementwise mode, MergeOptions options);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) override;

 private:
  MergeOptions options_;
  autograd::Elementwise mode_;
  struct Ops {
    autograd::ElementwiseOp op;
  };
};

#define SOMA_ELEMENTWISE_MERGE(Class, prefix, mode)                                            \
  class Class final : public ElementwiseMerge {                                                \
   public:                                                                                     \
    SOMA_LAYER(Class)                                                                          \
    explicit Class(MergeOptions options = {})                                                  \
        : ElementwiseMerge(prefix, autograd::Elementwise::mode, std::move(options)) {}         \
    std::string type() const override { return #Class; }                                       \
  };
SOMA_ELEMENTWISE_MERGE(Add, "add", add)
SOMA_ELEMENTWISE_MERGE(Subtract, "subtract", subtract)
SOMA_ELEMENTWISE_MERGE(Multiply, "multiply", multiply)
SOMA_ELEMENTWISE_MERGE(Average, "average", average)
SOMA_ELEMENTWISE_MERGE(Maximum, "maximum", maximum)
SOMA_ELEMENTWISE_MERGE(Minimum, "minimum", minimum)
#undef SOMA_ELEMENTWISE_MERGE

struct ConcatenateOptions {
  int axis = -1;  // counted with the batch axis, as Keras; not the batch axis itself
  std::string name = "";
};

class Concatenate final : public Layer {
 public:
  SOMA_LAYER(Concatenate)
  explicit Concatenate(ConcatenateOptions options = {});
  std::string type() const override { return "Concatenate"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  std::pair<int, int> input_count() const override { return {1, -1}; }
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) override;

 private:
  // The axis within a per-sample shape of this rank (0-based), or ShapeError.
  int sample_axis(int rank) const;
  ConcatenateOptions options_;
  struct Ops {
    autograd::ConcatenateOp op;
  };
};

struct DotOptions {
  // The axis of each input to contract (with the batch axis counted: 1 is the first per-sample axis);
  // one value for both. Negative counts from the end.
  std::vector<int> axes = {-1};
  // Cosine proximity: L2-normalise each input along its axis first.
  bool normalize = false;
  std::string name = "";
};

class Dot final : public Layer {
 public:
  SOMA_LAYER(Dot)
  explicit Dot(DotOptions options = {});
  std::string type() const override { return "Dot"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  std::pair<int, int> input_count() const override { return {2, 2}; }
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) override;

 private:
  std::array<int, 2> resolved_axes(const Shape& a, const Shape& b) const;  // batch-included shapes
  DotOptions options_;
  struct Ops {
    autograd::L2NormalizeOp norm_a, norm_b;
    autograd::BatchDotOp dot;
  };
};

}  // namespace soma::layers
