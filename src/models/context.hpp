#pragma once
// The execution state of a model (docs/functional.md): a context holds everything one execution writes
// (the tape, the frames of every layer call with their buffers, the batch inputs, the loss ops), so a
// model and its layers hold only configuration and weights. fit() owns one context; predict() and
// evaluate() take one from the pool.
#include <memory>
#include <mutex>
#include <vector>

#include "soma/autograd/ops/merge_ops.hpp"
#include "soma/autograd/tape.hpp"
#include "soma/layers/call_frame.hpp"
#include "soma/losses/loss.hpp"
#include "soma/models/model.hpp"
#include "soma/training/progbar.hpp"

namespace soma {

struct Model::Context {
  uint64_t generation = 0;  // the model's graph and compile() this context was made for
  autograd::Tape tape;
  layers::CallFrame frame;
  std::vector<autograd::Variable> inputs;     // the current batch of each input
  std::vector<autograd::Variable*> input_ptrs;
  std::vector<autograd::Variable*> outputs;   // the model's outputs for that batch
  std::vector<std::unique_ptr<losses::Loss>> losses;  // per output
  std::vector<autograd::Variable*> loss_values;
  autograd::WeightedSumOp total;  // the weighted sum of several outputs' losses
  // fit(): the current batch's targets and loss weights, the sample order, the parameters, the logs.
  std::vector<Tensor> targets;
  Tensor weights;
  std::vector<int64_t> order;
  std::vector<autograd::Variable*> params;
  std::vector<NamedValue> logs;
};

// Inference contexts, reused: a thread takes one (or makes one) and gives it back.
struct Model::Pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<Context>> free;
};

// A model's per-call state in a frame: the tensor of every slot and each step's inputs and outputs.
struct Model::Run {
  std::vector<autograd::Variable*> slots;
  std::vector<std::vector<autograd::Variable*>> step_inputs, step_outputs;
};

}  // namespace soma
