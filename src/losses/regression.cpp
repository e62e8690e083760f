// Mean squared and mean absolute error: the mean over the last axis, then over the batch.
#include <cmath>
#include <utility>

#include "losses/reduction.hpp"
#include "soma/losses/loss.hpp"

namespace soma::losses {

double MeanSquaredError::evaluate(const Tensor& input, bool, const Tensor& y_true, const float* weights,
                                  float* grad) const {
  const int64_t n = input.numel();
  const double sum =
      detail::sum_elements(input, y_true, weights, grad, 2.0f / static_cast<float>(n), [](float p, float y) {
        const float d = p - y;
        return std::pair{static_cast<double>(d) * d, d};
      });
  return sum / static_cast<double>(n);
}

double MeanAbsoluteError::evaluate(const Tensor& input, bool, const Tensor& y_true, const float* weights,
                                   float* grad) const {
  const int64_t n = input.numel();
  const double sum =
      detail::sum_elements(input, y_true, weights, grad, 1.0f / static_cast<float>(n), [](float p, float y) {
        const float d = p - y;
        return std::pair{static_cast<double>(std::fabs(d)), d > 0 ? 1.0f : (d < 0 ? -1.0f : 0.0f)};
      });
  return sum / static_cast<double>(n);
}

}  // namespace soma::losses
