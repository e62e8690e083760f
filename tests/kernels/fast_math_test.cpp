#include "kernels/fast_math.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace soma::kernels {
namespace {

TEST(FastMath, MatchesStdAcrossTheRange) {
  double worst_exp = 0, worst_sig = 0, worst_tanh = 0;
  for (float x = -30.0f; x <= 30.0f; x += 0.00137f) {
    worst_exp = std::max(worst_exp, std::fabs(fast_exp(x) - std::exp(static_cast<double>(x))) /
                                        std::exp(static_cast<double>(x)));
    const double sig = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    worst_sig = std::max(worst_sig, std::fabs(fast_sigmoid(x) - sig));
    worst_tanh = std::max(worst_tanh, std::fabs(fast_tanh(x) - std::tanh(static_cast<double>(x))) /
                                          std::max(1e-30, std::fabs(std::tanh(static_cast<double>(x)))));
  }
  EXPECT_LT(worst_exp, 4e-7) << "relative";
  EXPECT_LT(worst_sig, 2e-7) << "absolute";
  EXPECT_LT(worst_tanh, 1e-6) << "relative";
  // Saturation, not overflow.
  EXPECT_EQ(fast_sigmoid(-200.0f), fast_sigmoid(-100.0f));
  EXPECT_NEAR(fast_sigmoid(-200.0f), 0.0f, 1e-37f);
  EXPECT_EQ(fast_sigmoid(200.0f), 1.0f);
  EXPECT_EQ(fast_tanh(50.0f), 1.0f);
  EXPECT_EQ(fast_tanh(-50.0f), -1.0f);
  EXPECT_EQ(fast_tanh(0.0f), 0.0f);
  EXPECT_TRUE(std::isfinite(fast_exp(1000.0f)));
}

}  // namespace
}  // namespace soma::kernels
