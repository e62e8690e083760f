#include "soma/layers/recurrent.hpp"

#include <string>
#include <utility>

#include "soma/layers/initializers.hpp"

namespace soma::layers {

namespace {
const char* type_name(autograd::CellKind cell) {
  switch (cell) {
    case autograd::CellKind::simple_rnn:
      return "SimpleRNN";
    case autograd::CellKind::lstm:
      return "LSTM";
    case autograd::CellKind::gru:
      return "GRU";
  }
  return "?";
}
}  // namespace

std::string Recurrent::type() const {
  return type_name(cell_);
}

Recurrent::Recurrent(const std::string& prefix, autograd::CellKind cell, RNNOptions o)
    : Layer(prefix, o.name, o.input_shape), cell_(cell), options_(std::move(o)) {
  if (options_.units <= 0) {
    throw ValueError(who() + ": units must be a positive integer, received " +
                     std::to_string(options_.units) + ".");
  }
  const auto lookup = [&](const std::string& name, const char* option) {
    try {
      return activations::get(name);
    } catch (const ValueError& e) {
      throw ValueError(who() + ": " + option + ": " + e.what());
    }
  };
  const auto act = lookup(options_.activation, "activation"),
             ract = lookup(options_.recurrent_activation, "recurrent_activation");
  for (const auto& [a, option] : {std::pair{act, "activation"}, std::pair{ract, "recurrent_activation"}}) {
    if (!autograd::supports_activation(a.kind)) {
      throw ValueError(who() + ": " + option +
                       " must be an element-wise activation (tanh, sigmoid, "
                       "hard_sigmoid, relu, ...), received \"" +
                       a.name + "\", which is not.");
    }
  }
  for (const auto* n :
       {&options_.kernel_initializer, &options_.recurrent_initializer, &options_.bias_initializer}) {
    initializers::check_name(*n);
  }
  for (const float rate : {options_.dropout, options_.recurrent_dropout}) {
    if (!(rate >= 0.0f && rate < 1.0f)) {
      throw ValueError(who() + ": dropout and recurrent_dropout must be in [0, 1), received " +
                       std::to_string(rate) + ".");
    }
  }
  if (options_.batch_size < 0 || (options_.stateful && options_.batch_size == 0)) {
    throw ValueError(who() + ": " +
                     (options_.stateful ? "stateful = true needs a fixed batch size: pass batch_size (Keras: "
                                          "batch_input_shape or Input(batch_size=...))"
                                        : "batch_size must be positive") +
                     ", received batch_size " + std::to_string(options_.batch_size) + ".");
  }
  params_ = {.cell = cell_,
             .activation = act,
             .recurrent_activation = ract,
             .reset_after = options_.reset_after,
             .return_sequences = options_.return_sequences,
             .go_backwards = options_.go_backwards,
             .dropout = options_.dropout,
             .recurrent_dropout = options_.recurrent_dropout};
}

Shape Recurrent::output_shape(const Shape& in) const {
  if (in.rank() != 2) {
    throw ShapeError(who() + ": expected input of rank 3 (batch, steps, features), received " +
                     in.with_batch(-1).str() +
                     "; sequences of different lengths must be padded to one length "
                     "first (utils::pad_sequences).");
  }
  return options_.return_sequences ? Shape{in[0], options_.units} : Shape{options_.units};
}

void Recurrent::build_weights(const Shape& in) {
  const int64_t g = autograd::gate_count(cell_), u = options_.units;
  kernel_ = &add_weight("kernel", Shape{in[1], g * u}, options_.kernel_initializer);
  recurrent_ = &add_weight("recurrent_kernel", Shape{u, g * u}, options_.recurrent_initializer);
  if (!options_.use_bias) return;
  const Shape bias_shape =
      cell_ == autograd::CellKind::gru && options_.reset_after ? Shape{2, g * u} : Shape{g * u};
  bias_ = &add_weight("bias", bias_shape, options_.bias_initializer);
  if (cell_ == autograd::CellKind::lstm && options_.unit_forget_bias) {
    for (int64_t j = 0; j < u; ++j) bias_->value.f32()[u + j] = 1.0f;
  }
}

std::unique_ptr<Recurrent> Recurrent::reversed(const std::string& name) const {
  RNNOptions o = options_;
  o.go_backwards = !o.go_backwards;
  o.name = name;
  o.input_shape = {};
  switch (cell_) {
    case autograd::CellKind::simple_rnn:
      return std::make_unique<SimpleRNN>(o);
    case autograd::CellKind::lstm:
      return std::make_unique<LSTM>(o);
    case autograd::CellKind::gru:
      return std::make_unique<GRU>(o);
  }
  return nullptr;
}

int64_t Recurrent::state_count() const {
  return cell_ == autograd::CellKind::lstm ? 2 : 1;
}

void Recurrent::reset_state() {
  carrying_ = false;  // the next call starts from zeros
}

autograd::Variable& Recurrent::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                      bool training) {
  return run(frame, tape, x, {}, training);
}

namespace {
const Tensor& no_state() {
  static const Tensor empty;
  return empty;
}
}  // namespace

const Tensor& Recurrent::state_h() const {
  const CallFrame* f = latest_.frame.load();
  const Ops* ops = f ? f->find<Ops>() : nullptr;
  return ops ? ops->op.state_h.value : no_state();
}

const Tensor& Recurrent::state_c() const {
  const CallFrame* f = latest_.frame.load();
  const Ops* ops = f ? f->find<Ops>() : nullptr;
  return ops ? ops->op.state_c.value : no_state();
}

std::vector<autograd::Variable*> Recurrent::call(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                                 const std::vector<autograd::Variable*>& initial_state,
                                                 bool training) {
  Ops& ops = frame.get<Ops>();
  check_input(x);  // as Layer::call (which has no initial states)
  std::vector<autograd::Variable*> outs{&run(frame, tape, x, initial_state, training)};
  if (options_.return_state) {
    outs.push_back(&ops.op.state_h);
    if (cell_ == autograd::CellKind::lstm) outs.push_back(&ops.op.state_c);
  }
  return outs;
}

void Recurrent::call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                          std::vector<autograd::Variable*>& outputs, bool training) {
  if (inputs.empty() || inputs.size() > 1 + static_cast<size_t>(state_count())) {
    throw ValueError(who() + ": expects the sequence and optionally its " + std::to_string(state_count()) +
                     " initial states, received " + std::to_string(inputs.size()) + " inputs.");
  }
  outputs = call(frame, tape, *inputs[0], std::vector<autograd::Variable*>(inputs.begin() + 1, inputs.end()),
                 training);
}

std::vector<Shape> Recurrent::output_shapes(std::span<const Shape> inputs) const {
  if (inputs.empty() || inputs.size() > 1 + static_cast<size_t>(state_count())) {
    throw ValueError(who() + ": expects the sequence and optionally its " + std::to_string(state_count()) +
                     " initial states, received " + std::to_string(inputs.size()) + " inputs.");
  }
  if (inputs.size() > 1 && inputs.size() != 1 + static_cast<size_t>(state_count())) {
    throw ValueError(who() + ": initial_state must hold " + std::to_string(state_count()) + " tensors, received " +
                     std::to_string(inputs.size() - 1) + ".");
  }
  for (size_t k = 1; k < inputs.size(); ++k) {
    if (inputs[k] != Shape{options_.units}) {
      throw ShapeError(who() + ": initial state " + std::to_string(k - 1) + " must have shape " +
                       Shape{options_.units}.with_batch(-1).str() + ", received " + inputs[k].with_batch(-1).str() +
                       ".");
    }
  }
  std::vector<Shape> out{output_shape(inputs[0])};
  if (options_.return_state)
    for (int64_t k = 0; k < state_count(); ++k) out.push_back(Shape{options_.units});
  return out;
}

void Recurrent::build_multi(std::span<const Shape> inputs) {
  output_shapes(inputs);
  build(inputs[0]);
}

autograd::Variable& Recurrent::run(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                   const std::vector<autograd::Variable*>& initial_state, bool training) {
  Ops& ops = frame.get<Ops>();
  latest_.frame.store(&frame);
  const int64_t n = x.value.dim(0), states = state_count();
  if (options_.batch_size > 0 && n != options_.batch_size) {
    throw ValueError(who() + ": expected batches of batch_size " + std::to_string(options_.batch_size) +
                     (options_.stateful ? " (stateful = true carries the states sample by sample)" : "") +
                     ", received a batch of " + std::to_string(n) + " in shape " + x.value.shape().str() +
                     ".");
  }
  autograd::Variable *h0 = nullptr, *c0 = nullptr;
  if (!initial_state.empty()) {
    if (static_cast<int64_t>(initial_state.size()) != states) {
      throw ValueError(who() + ": initial_state must hold " +
                       (states == 2 ? "2 tensors (h, c)" : std::string("1 tensor (h)")) + ", received " +
                       std::to_string(initial_state.size()) + ".");
    }
    const Shape want{n, options_.units};
    for (size_t k = 0; k < initial_state.size(); ++k) {
      if (!initial_state[k]) throw ValueError(who() + ": initial_state[" + std::to_string(k) + "] is null.");
      if (initial_state[k]->value.shape() != want) {
        throw ShapeError(who() + ": initial_state[" + std::to_string(k) + "] must have shape " + want.str() +
                         " (batch, units), received " + initial_state[k]->value.shape().str() + ".");
      }
    }
    h0 = initial_state[0];
    if (states == 2) c0 = initial_state[1];
  } else if (options_.stateful && carrying_) {
    h0 = &carried_h_;
    if (states == 2) c0 = &carried_c_;
  }
  autograd::Variable& out = ops.op.forward(tape, x, *kernel_, *recurrent_, bias_, params_, training, h0, c0);
  if (options_.stateful) {
    // The op copied the initial states at its start, so they can be overwritten now; the carried states
    // are constants of the next call (Keras does not backpropagate across batches either).
    carried_h_.value.resize(ops.op.state_h.value.shape());
    carried_h_.value.copy_from(ops.op.state_h.value);
    if (states == 2) {
      carried_c_.value.resize(ops.op.state_c.value.shape());
      carried_c_.value.copy_from(ops.op.state_c.value);
    }
    carrying_ = true;
  }
  return out;
}

}  // namespace soma::layers
