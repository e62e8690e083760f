#include "soma/layers/recurrent.hpp"

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
  const auto act = activations::get(options_.activation),
             ract = activations::get(options_.recurrent_activation);
  for (const auto& a : {act, ract}) {
    if (!autograd::supports_activation(a.kind)) {
      throw NotImplementedError(who() + ": activation \"" + a.name +
                                "\" is not supported in recurrent cells; use tanh, sigmoid, relu or linear.");
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
  if (cell_ == autograd::CellKind::gru && !options_.reset_after) {
    throw NotImplementedError(who() + ": only reset_after = true (the Keras 3 default) is implemented.");
  }
  params_ = {.cell = cell_,
             .activation = act.kind,
             .recurrent_activation = ract.kind,
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
  const Shape bias_shape = cell_ == autograd::CellKind::gru ? Shape{2, g * u} : Shape{g * u};
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

autograd::Variable& Recurrent::forward(autograd::Tape* tape, autograd::Variable& x, bool training) {
  return op_.forward(tape, x, *kernel_, *recurrent_, bias_, params_, training);
}

}  // namespace soma::layers
