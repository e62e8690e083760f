#include "soma/layers/augmentation.hpp"

#include "layers/window_args.hpp"
#include "soma/core/random.hpp"

namespace soma::layers {

namespace {
autograd::RandomFlipOp::Mode flip_mode(const RandomFlipOptions& o, const std::string& who) {
  const bool channels_first = detail::channels_first(o.data_format, who);
  if (o.mode == "horizontal") return {.horizontal = true, .vertical = false, .channels_first = channels_first};
  if (o.mode == "vertical") return {.horizontal = false, .vertical = true, .channels_first = channels_first};
  if (o.mode == "horizontal_and_vertical")
    return {.horizontal = true, .vertical = true, .channels_first = channels_first};
  throw ValueError(who + ": mode must be \"horizontal\", \"vertical\" or \"horizontal_and_vertical\", received \"" +
                   o.mode + "\".");
}

std::optional<std::mt19937_64> seeded(const std::optional<int64_t>& seed) {
  if (!seed) return std::nullopt;
  return std::mt19937_64(static_cast<uint64_t>(*seed));
}
}  // namespace

RandomFlip::RandomFlip(RandomFlipOptions o)
    : Layer("random_flip", o.name, o.input_shape),
      options_(std::move(o)),
      mode_(flip_mode(options_, who())),
      generator_(seeded(options_.seed)) {}

Shape RandomFlip::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(who() + ": expected images of rank 4, " +
                     (mode_.channels_first ? "(batch, channels, height, width)" : "(batch, height, width, channels)") +
                     ", received " + in.with_batch(-1).str() + ".");
  }
  return in;
}

autograd::Variable& RandomFlip::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, mode_, training, generator_ ? *generator_ : random::engine());
}

}  // namespace soma::layers
