#include "soma/autograd/tape.hpp"

#include <atomic>

namespace soma::autograd {

namespace {
// Pass numbers are unique across tapes so a grad written by one tape is never mistaken as fresh by another.
std::atomic<uint64_t> next_pass{1};
}  // namespace

void Node::finish_forward(Tape* tape, Variable& out, bool requires_grad) {
  out.requires_grad = requires_grad;
  // Set with or without a tape: a loss fuses with the softmax/sigmoid that produced its input the same way
  // in fit() as in evaluate(), so both compute one formula.
  out.producer = this;
  if (tape && requires_grad) tape->record(this);
}

Tape::Tape() { nodes_.reserve(64); }

void Tape::backward(Variable& root) {
  // One seed buffer per tape, reused: the usual root is a scalar loss.
  seed_.resize(root.value.shape());
  seed_.fill(1.0f);
  backward(root, seed_);
}

void Tape::backward(Variable& root, const Tensor& seed) {
  if (seed.shape() != root.value.shape()) {
    throw ShapeError("Tape::backward: seed of shape " + seed.shape().str() + " does not match the root's shape " +
                     root.value.shape().str() + ".");
  }
  pass_ = next_pass.fetch_add(1);
  root.grad.resize(seed.shape());
  root.grad.copy_from(seed);
  root.grad_pass = pass_;
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) (*it)->backward(*this);
}

void Tape::clear() {
  nodes_.clear();
}

void Tape::add_into(Tensor& dst, const Tensor& src) {
  float* d = dst.f32();
  const float* s = src.f32();
  const int64_t n = dst.numel();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) d[i] += s[i];
}

}  // namespace soma::autograd
