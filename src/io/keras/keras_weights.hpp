#pragma once
// Weights read from a Keras file (HDF5, .keras, tfjs shards) onto a soma model built from its config.
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/models/model.hpp"

namespace soma::io::keras {

// One variable as the file names it: "<layer>/<variable>" ("dense_1/kernel", "bn/moving_mean", and for
// wrapped layers "bidirectional/forward_lstm/kernel"; a trailing ":0" is dropped). Files that number
// variables instead of naming them (.keras: vars/0, vars/1) give "<layer>/<index>".
struct Variable {
  std::string name;
  Tensor value;
};

// Every weight of `model` gets the file's variable of the same name; the weights of a layer whose names
// do not all match (Keras numbers them, or names a wrapped layer's variables differently) get that
// layer's variables in the file's order, which is Keras' order of creation and soma's. Shapes must agree.
// Throws IOError naming `source`, the layer and the variable for anything missing, extra or misshapen.
void assign_weights(Model& model, std::vector<Variable> variables, const std::string& source);

}  // namespace soma::io::keras
