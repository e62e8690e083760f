#pragma once
// What one call of a layer needs while it runs: its ops (their output buffers, saved-for-backward data,
// bfloat16 copies, oneDNN bindings), its activity penalty, and the frames of the layers it wraps. A layer
// holds only its configuration and weights; the frames belong to an execution (a model's training
// context, one of its inference contexts, or a layer's own frame for direct calls), so two executions of
// one layer never share a buffer (docs/functional.md).
#include <memory>
#include <typeinfo>
#include <vector>

#include "soma/autograd/ops/activity_regularization_op.hpp"
#include "soma/core/error.hpp"

namespace soma::layers {

class CallFrame {
 public:
  CallFrame() = default;
  CallFrame(const CallFrame&) = delete;
  CallFrame& operator=(const CallFrame&) = delete;
  CallFrame(CallFrame&&) noexcept = default;
  CallFrame& operator=(CallFrame&&) noexcept = default;

  // The layer's per-call state, made on first use and kept (with its buffers) for the next call. One
  // layer uses one frame with one type; asking for another type is a bug in that layer.
  template <class Ops>
  Ops& get() {
    if (!ops_) {
      ops_ = std::make_unique<Holder<Ops>>();
      type_ = &typeid(Ops);
    } else if (*type_ != typeid(Ops)) {
      throw StateError("CallFrame: a frame used for another layer's state; frames are per call site.");
    }
    return static_cast<Holder<Ops>&>(*ops_).value;
  }
  template <class Ops>
  const Ops* find() const {
    return ops_ && *type_ == typeid(Ops) ? &static_cast<const Holder<Ops>&>(*ops_).value : nullptr;
  }
  // The frame of the i-th layer this one wraps (Layer::track order), or of its i-th inner call.
  CallFrame& child(size_t i) {
    while (children_.size() <= i) children_.push_back(std::make_unique<CallFrame>());
    return *children_[i];
  }
  const CallFrame* find_child(size_t i) const { return i < children_.size() ? children_[i].get() : nullptr; }
  autograd::ActivityRegularizationOp& activity() { return activity_; }
  const autograd::ActivityRegularizationOp& activity() const { return activity_; }

 private:
  struct Base {
    virtual ~Base() = default;
  };
  template <class T>
  struct Holder final : Base {
    T value;
  };
  std::unique_ptr<Base> ops_;
  const std::type_info* type_ = nullptr;
  std::vector<std::unique_ptr<CallFrame>> children_;
  autograd::ActivityRegularizationOp activity_;
};

}  // namespace soma::layers
