#pragma once
// Moves the channel axis: to_channels_last (N, C, ...) -> (N, ..., C), or back, for any spatial rank. The
// convolutions run channels-last, so data_format="channels_first" layers wrap them in two of these.
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class LayoutReorder;
}

namespace soma::autograd {

class ChannelsOp final : public Node {
 public:
  ChannelsOp();
  ~ChannelsOp() override;
  ChannelsOp(ChannelsOp&&) noexcept;
  ChannelsOp& operator=(ChannelsOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& x, bool to_channels_last);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  bool to_last_ = true;
  std::unique_ptr<kernels::LayoutReorder> reorder_;
  Tensor scratch_;
};

}  // namespace soma::autograd
