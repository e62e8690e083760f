// Every hand-written parallel split against its naive reference, over odd and prime sizes and 1-4 threads.
// The column split of linear_backward_pointwise once dropped the last columns when cols / threads rounded
// down to a multiple of 16 (Dense(129) on two threads); these sizes would have caught it.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <vector>

#include "kernels/convert.hpp"
#include "kernels/linear_backward.hpp"
#include "kernels/parallel.hpp"
#include "soma/core/random.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

using soma::testing::random_tensor;

// Sizes around every split boundary: small, odd, prime, and the cache-line/threshold edges.
std::vector<int64_t> split_sizes() {
  std::vector<int64_t> n;
  for (int64_t i = 0; i <= 300; ++i) n.push_back(i);
  for (const int64_t base : {int64_t{16384}, int64_t{32768}, int64_t{65536}})
    for (int64_t d = -1; d <= 1; ++d) n.push_back(base + d);
  return n;
}

class ThreadCount {
 public:
  explicit ThreadCount(int n) : previous_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ThreadCount() { omp_set_num_threads(previous_); }

 private:
  int previous_;
};

TEST(SplitRange, CoversEveryItemOnceWithAlignedStarts) {
  for (const int64_t n : split_sizes()) {
    for (int64_t parts = 1; parts <= 8; ++parts) {
      for (const int64_t align : {int64_t{1}, int64_t{16}, int64_t{32}}) {
        int64_t next = 0;
        for (int64_t p = 0; p < parts; ++p) {
          const Range r = split_range(n, parts, p, align);
          ASSERT_EQ(r.begin, next) << "n " << n << " parts " << parts << " align " << align << " part " << p;
          ASSERT_LE(r.begin, r.end);
          if (r.begin < n) {
            ASSERT_EQ(r.begin % align, 0);
          }
          next = r.end;
        }
        ASSERT_EQ(next, n) << "n " << n << " parts " << parts << " align " << align;
      }
    }
  }
}

// The naive pointwise backward: mask, column sums in row order (the kernel's order, so sums are bit-exact),
// bf16 copy.
void pointwise_reference(std::vector<float>& g, const float* y, int64_t rows, int64_t cols, float* db,
                         bool accumulate, std::vector<bfloat16>* g16) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (y && !(y[r * cols + c] > 0.0f)) g[r * cols + c] = 0.0f;
  if (db) {
    for (int64_t c = 0; c < cols; ++c) {
      float s = accumulate ? db[c] : 0.0f;
      for (int64_t r = 0; r < rows; ++r) s += g[r * cols + c];
      db[c] = s;
    }
  }
  if (g16)
    for (size_t i = 0; i < g.size(); ++i) (*g16)[i] = bfloat16::from_float(g[i]);
}

TEST(LinearBackwardPointwise, MatchesReferenceOverOddWidthsAndThreadCounts) {
  set_seed(3);
  // Widths from 1 to 300 (odd, prime, 16k +- 1 columns of the 2-thread split), and larger ones; rows chosen
  // so the parallel path (rows * cols >= 2^15, cols >= 64) runs for most of them.
  std::vector<int64_t> widths;
  for (int64_t c = 1; c <= 300; c += (c < 140 ? 1 : 7)) widths.push_back(c);
  for (const int64_t c : {257, 509, 1021, 16383, 16385}) widths.push_back(c);
  for (int threads = 1; threads <= 4; ++threads) {
    const ThreadCount tc(threads);
    for (const int64_t cols : widths) {
      const int64_t rows = cols > 4000 ? 3 : std::max<int64_t>(1, 40000 / cols + (cols % 5));
      const Tensor g0 = random_tensor({rows * cols}), y = random_tensor({rows * cols});
      const Tensor db0 = random_tensor({cols});
      for (const bool relu : {false, true}) {
        for (const bool accumulate : {false, true}) {
          std::vector<float> want(g0.span<float>().begin(), g0.span<float>().end());
          std::vector<float> want_db(db0.span<float>().begin(), db0.span<float>().end());
          std::vector<bfloat16> want16(want.size());
          pointwise_reference(want, relu ? y.f32() : nullptr, rows, cols, want_db.data(), accumulate, &want16);

          Tensor got = g0.clone(), got_db = db0.clone();
          std::vector<bfloat16> got16(want.size());
          linear_backward_pointwise(got.f32(), relu ? y.f32() : nullptr, rows, cols, got_db.f32(), accumulate,
                                    got16.data());
          const std::string where = "threads " + std::to_string(threads) + " rows " + std::to_string(rows) +
                                    " cols " + std::to_string(cols) + (relu ? " relu" : "") +
                                    (accumulate ? " accumulate" : "");
          ASSERT_EQ(std::memcmp(got.f32(), want.data(), want.size() * sizeof(float)), 0) << where;
          ASSERT_EQ(std::memcmp(got_db.f32(), want_db.data(), want_db.size() * sizeof(float)), 0) << where;
          ASSERT_EQ(std::memcmp(got16.data(), want16.data(), want16.size() * sizeof(bfloat16)), 0) << where;
        }
      }
    }
  }
}

TEST(ToBfloat16, MatchesScalarConversionOverOddSizesAndThreadCounts) {
  set_seed(5);
  std::vector<int64_t> sizes = split_sizes();
  for (const int64_t n : {int64_t{131071}, int64_t{131073}, int64_t{262145}}) sizes.push_back(n);
  const Tensor src = random_tensor({262145}, -1e4f, 1e4f);
  for (int threads = 1; threads <= 4; ++threads) {
    const ThreadCount tc(threads);
    for (const int64_t n : sizes) {
      // A canary after the end: the split must not write past n either.
      std::vector<bfloat16> got(static_cast<size_t>(n) + 1, bfloat16{0xabcd});
      to_bfloat16(src.f32(), got.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(got[static_cast<size_t>(i)].bits, bfloat16::from_float(src.f32()[i]).bits)
            << "threads " << threads << " n " << n << " element " << i;
      }
      ASSERT_EQ(got[static_cast<size_t>(n)].bits, 0xabcd) << "wrote past the end, n " << n;
    }
  }
}

}  // namespace
}  // namespace soma::kernels
