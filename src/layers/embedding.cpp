#include "soma/layers/embedding.hpp"

#include "soma/layers/initializers.hpp"

namespace soma::layers {

namespace {
std::vector<int64_t> declared(const EmbeddingOptions& o) {
  if (o.input_length > 0 && !o.input_shape.empty())
    throw ValueError("Embedding: give input_shape or input_length, not both.");
  return o.input_length > 0 ? std::vector<int64_t>{o.input_length} : o.input_shape;
}
}  // namespace

Embedding::Embedding(EmbeddingOptions o) : Layer("embedding", o.name, declared(o)), options_(std::move(o)) {
  if (options_.input_dim <= 0 || options_.output_dim <= 0) {
    throw ValueError(who() + ": input_dim and output_dim must be positive, received " +
                     std::to_string(options_.input_dim) + " and " + std::to_string(options_.output_dim) +
                     ".");
  }
  initializers::check_name(options_.embeddings_initializer);
  options_.embeddings_constraint.check(2, who() + ": embeddings_constraint");
}

Shape Embedding::output_shape(const Shape& in) const {
  if (in.rank() >= Shape::kMaxRank - 1)
    throw ShapeError(who() + ": input of rank " + std::to_string(in.rank() + 1) + " is too large.");
  std::vector<int64_t> dims = in.to_vector();
  dims.push_back(options_.output_dim);
  return Shape(dims);
}

void Embedding::build_weights(const Shape&) {
  table_ = &add_weight("embeddings", Shape{options_.input_dim, options_.output_dim},
                       options_.embeddings_initializer);
  constrain(*table_, options_.embeddings_constraint, "embeddings_constraint");
}

autograd::Variable& Embedding::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, *table_, options_.mask_zero);
}

PositionEmbedding::PositionEmbedding(PositionEmbeddingOptions o)
    : Layer("position_embedding", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.sequence_length <= 0) {
    throw ValueError(who() + ": sequence_length must be a positive integer, received " +
                     std::to_string(options_.sequence_length) + ".");
  }
  initializers::check_name(options_.initializer);
}

Shape PositionEmbedding::output_shape(const Shape& in) const {
  if (in.rank() < 2) {
    throw ShapeError(who() + ": expected input (batch, steps, features), received " + in.with_batch(-1).str() + ".");
  }
  if (in[0] > options_.sequence_length) {
    throw ShapeError(who() + ": the input has " + std::to_string(in[0]) + " steps, more than sequence_length " +
                     std::to_string(options_.sequence_length) + ".");
  }
  return in;
}

void PositionEmbedding::build_weights(const Shape& in) {
  // The table covers sequence_length steps of the per-step shape (usually one axis of width).
  std::vector<int64_t> dims{options_.sequence_length};
  for (int a = 1; a < in.rank(); ++a) dims.push_back(in[a]);
  if (dims.size() != 2) {
    throw NotImplementedError(who() + ": inputs with more than one feature axis per step (" + in.with_batch(-1).str() +
                              ") are not supported.");
  }
  table_ = &add_weight("embeddings", Shape(dims), options_.initializer);
}

autograd::Variable& PositionEmbedding::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  return frame.get<Ops>().op.forward(tape, x, *table_);
}

}  // namespace soma::layers
