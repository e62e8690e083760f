// Running a model's plan: contexts, the pool, and a model as a layer in another graph.
#include "models/context.hpp"

namespace soma {

std::unique_ptr<Model::Context> Model::acquire() const {
  {
    std::lock_guard lock(pool_->mutex);
    while (!pool_->free.empty()) {
      std::unique_ptr<Context> c = std::move(pool_->free.back());
      pool_->free.pop_back();
      if (c->generation == generation_) return c;
    }
  }
  auto c = std::make_unique<Context>();
  c->generation = generation_;
  return c;
}

void Model::release(std::unique_ptr<Context> context) const {
  if (!context || context->generation != generation_) return;
  context->tape.clear();
  std::lock_guard lock(pool_->mutex);
  // Bounded: as many as threads have ever run at once, at most 64.
  if (pool_->free.size() < 64) pool_->free.push_back(std::move(context));
}

void Model::run(Context& c, bool with_tape, bool training) const {
  c.input_ptrs.clear();
  for (auto& v : c.inputs) c.input_ptrs.push_back(&v);
  // The outer call: const_cast because a layer's call is non-const (it may build); a built model's
  // graph is not changed by running it.
  const_cast<Model*>(this)->call_multi(c.frame, with_tape ? &c.tape : nullptr, c.input_ptrs, c.outputs, training);
}

void Model::call_multi(layers::CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                       std::vector<autograd::Variable*>& outputs, bool training) {
  check_built("call");
  if (inputs.size() != inputs_.size()) {
    throw ValueError(who() + ": expects " + std::to_string(inputs_.size()) + " inputs, received " +
                     std::to_string(inputs.size()) + ".");
  }
  Run& r = frame.get<Run>();
  r.slots.resize(static_cast<size_t>(slot_count_));
  r.step_inputs.resize(steps_.size());
  r.step_outputs.resize(steps_.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Shape& s = inputs[k]->value.shape();
    if (s.rank() != inputs_[k].shape().rank() + 1 || s.without_batch() != inputs_[k].shape()) {
      throw ShapeError(who() + ": input \"" + inputs_[k].name() + "\" expects shape " +
                       inputs_[k].shape().with_batch(-1).str() + ", received " + s.str() + ".");
    }
    r.slots[static_cast<size_t>(input_slots_[k])] = inputs[k];
  }
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    std::vector<autograd::Variable*>& ins = r.step_inputs[i];
    ins.clear();
    for (int s : step.inputs) ins.push_back(r.slots[static_cast<size_t>(s)]);
    std::vector<autograd::Variable*>& outs = r.step_outputs[i];
    step.layer->call_node(frame.child(i), tape, ins, outs, training, *step.arguments);
    if (static_cast<int>(outs.size()) != step.outputs) {
      throw StateError(who() + ": " + step.layer->type() + " \"" + step.layer->name() + "\" returned " +
                       std::to_string(outs.size()) + " tensors, its node expects " + std::to_string(step.outputs) +
                       ".");
    }
    for (int k = 0; k < step.outputs; ++k) r.slots[static_cast<size_t>(step.first_output + k)] = outs[static_cast<size_t>(k)];
  }
  outputs.clear();
  for (int s : output_slots_) outputs.push_back(r.slots[static_cast<size_t>(s)]);
}

autograd::Variable& Model::forward(layers::CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                   bool training) {
  // A one-input, one-output model called as a plain layer.
  struct One {
    std::vector<autograd::Variable*> outs;
  };
  One& one = frame.child(steps_.size()).get<One>();
  autograd::Variable* in = &x;
  call_multi(frame, tape, std::span<autograd::Variable* const>(&in, 1), one.outs, training);
  if (one.outs.size() != 1) {
    throw ValueError(who() + ": has " + std::to_string(one.outs.size()) + " outputs; call it with call_multi.");
  }
  return *one.outs.front();
}

double Model::activity_penalty(const layers::CallFrame& frame) const {
  double total = 0.0;
  for (size_t i = 0; i < steps_.size(); ++i)
    if (const layers::CallFrame* f = frame.find_child(i)) total += steps_[i].layer->activity_penalty(*f);
  return total;
}

void Model::apply_updates(layers::CallFrame& frame) {
  for (size_t i = 0; i < steps_.size(); ++i) steps_[i].layer->apply_updates(frame.child(i));
}

}  // namespace soma
