#include "soma/autograd/ops/batch_norm_op.hpp"

#include <cmath>

namespace soma::autograd {

Variable& BatchNormOp::forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta,
                               Variable& moving_mean, Variable& moving_variance, const BatchNormParams& p,
                               bool training) {
  const Shape& s = x.value.shape();
  const int64_t c = s[-1], rows = s.numel() / c;
  mean_.resize(static_cast<size_t>(c));
  inv_std_.resize(static_cast<size_t>(c));
  const float* xv = x.value.f32();
  if (training) {
    if (rows < 2) {
      throw ValueError(
          "BatchNormalization: training needs more than one value per channel to compute a variance, "
          "received shape " +
          s.str() + ".");
    }
    sum_.assign(static_cast<size_t>(c), 0.0);
    sum2_.assign(static_cast<size_t>(c), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = xv + r * c;
      for (int64_t j = 0; j < c; ++j) sum_[j] += row[j];
    }
    for (int64_t j = 0; j < c; ++j) sum_[j] /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = xv + r * c;
      for (int64_t j = 0; j < c; ++j) {
        const double d = row[j] - sum_[j];
        sum2_[j] += d * d;
      }
    }
    float* mm = moving_mean.value.f32();
    float* mv = moving_variance.value.f32();
    for (int64_t j = 0; j < c; ++j) {
      const double var = sum2_[j] / static_cast<double>(rows);
      mean_[j] = static_cast<float>(sum_[j]);
      inv_std_[j] = static_cast<float>(1.0 / std::sqrt(var + p.epsilon));
      mm[j] = mm[j] * p.momentum + mean_[j] * (1.0f - p.momentum);
      mv[j] = mv[j] * p.momentum + static_cast<float>(var) * (1.0f - p.momentum);
    }
  } else {
    for (int64_t j = 0; j < c; ++j) {
      mean_[j] = moving_mean.value.f32()[j];
      inv_std_[j] = 1.0f / std::sqrt(moving_variance.value.f32()[j] + p.epsilon);
    }
  }
  out.value.resize(s);
  float* y = out.value.f32();
  const float* g = gamma ? gamma->value.f32() : nullptr;
  const float* b = beta ? beta->value.f32() : nullptr;
  const float* mean = mean_.data();
  const float* inv = inv_std_.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = xv + r * c;
    float* yrow = y + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) {
      yrow[j] = (row[j] - mean[j]) * inv[j] * (g ? g[j] : 1.0f) + (b ? b[j] : 0.0f);
    }
  }
  x_ = &x;
  gamma_ = gamma;
  beta_ = beta;
  training_ = training;
  finish_forward(tape, out,
                 x.requires_grad || (gamma && gamma->requires_grad) || (beta && beta->requires_grad));
  return out;
}

void BatchNormOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const Shape& s = out.value.shape();
  const int64_t c = s[-1], rows = s.numel() / c;
  const float* dy = out.grad.f32();
  const float* xv = x_->value.f32();
  // sum_ = sum(dy), sum2_ = sum(dy * xhat), per channel.
  sum_.assign(static_cast<size_t>(c), 0.0);
  sum2_.assign(static_cast<size_t>(c), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < c; ++j) {
      const double xhat = (xv[r * c + j] - mean_[j]) * inv_std_[j];
      sum_[j] += dy[r * c + j];
      sum2_[j] += dy[r * c + j] * xhat;
    }
  }
  bool acc = false;
  if (gamma_ && gamma_->requires_grad) {
    float* dg = tape.grad_target(*gamma_, acc).f32();
    for (int64_t j = 0; j < c; ++j) dg[j] = (acc ? dg[j] : 0.0f) + static_cast<float>(sum2_[j]);
  }
  if (beta_ && beta_->requires_grad) {
    float* db = tape.grad_target(*beta_, acc).f32();
    for (int64_t j = 0; j < c; ++j) db[j] = (acc ? db[j] : 0.0f) + static_cast<float>(sum_[j]);
  }
  if (!x_->requires_grad) return;
  const float* g = gamma_ ? gamma_->value.f32() : nullptr;
  tape.write_grad(*x_, scratch_, [&](Tensor& dxt) {
    float* dx = dxt.f32();
    const double m = static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < c; ++j) {
        const double scale = (g ? g[j] : 1.0) * inv_std_[j];
        const int64_t i = r * c + j;
        if (training_) {
          const double xhat = (xv[i] - mean_[j]) * inv_std_[j];
          dx[i] = static_cast<float>(scale / m * (m * dy[i] - sum_[j] - xhat * sum2_[j]));
        } else {
          dx[i] = static_cast<float>(scale * dy[i]);
        }
      }
    }
  });
}

}  // namespace soma::autograd
