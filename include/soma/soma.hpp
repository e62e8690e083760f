#pragma once
// The umbrella header: everything a user of soma needs.
#include "soma/activations.hpp"
#include "soma/autograd/tape.hpp"
#include "soma/autograd/variable.hpp"
#include "soma/core/dtype.hpp"
#include "soma/core/error.hpp"
#include "soma/core/random.hpp"
#include "soma/core/shape.hpp"
#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"
