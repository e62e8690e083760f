#pragma once
// The buffers a Sequential reuses from step to step: the tape, the batch inputs and targets, the sample
// order and the parameter list. Kept across fit/evaluate/predict calls so repeated calls allocate nothing
// new once the shapes have been seen.
#include <vector>

#include "soma/autograd/tape.hpp"
#include "soma/models/sequential.hpp"
#include "soma/training/progbar.hpp"

namespace soma {

struct Sequential::Trainer {
  autograd::Tape tape;
  autograd::Variable input;        // the current training batch of x (a copy of shuffled rows)
  autograd::Variable infer_input;  // the current inference batch (a view of the caller's rows)
  Tensor targets;                  // the current batch of y
  Tensor weights;                  // the current batch's loss weights (sample_weight, class_weight)
  std::vector<int64_t> order;
  std::vector<autograd::Variable*> params;
  std::vector<NamedValue> logs;  // "loss", metrics..., then "val_" ones: names set once per fit
};

}  // namespace soma
