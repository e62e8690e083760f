// One model, many threads: predict() and evaluate() from 4 threads at once give bitwise the outputs of
// single-threaded calls (execution state lives in pooled contexts, not in layers). The test command
// also runs this file under ThreadSanitizer (the tsan preset).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "soma/soma.hpp"

namespace soma {
namespace {

namespace L = layers;

Tensor randn(const Shape& s) {
  Tensor t = Tensor::empty(s);
  for (auto& v : t.span<float>()) v = random::normal(0.0f, 1.0f);
  return t;
}

Model conv_graph() {
  auto x = Input({6, 6, 2});
  auto h = L::Conv2D({.filters = 3, .kernel_size = {3, 3}, .padding = "same", .activation = "relu"})(x);
  auto b = L::BatchNormalization()(h);
  auto s = L::Add()({h, b});
  auto p = L::MaxPooling2D()(s);
  auto f = L::Flatten()(p);
  auto d = L::Dropout(0.5f)(f);
  return Model({x}, {L::Dense({.units = 4, .activation = "softmax"})(d)}, "conv_graph");
}

Sequential mlp() {
  Sequential m("mlp");
  m.add(L::Dense({.units = 16, .activation = "relu", .input_shape = {6, 6, 2}}));
  m.add(L::Flatten());
  m.add(L::Dense({.units = 4, .activation = "softmax"}));
  return m;
}

Sequential rnn() {
  Sequential m("rnn");
  m.add(L::LSTM({.units = 5, .return_sequences = true, .input_shape = {6, 12}}));
  m.add(L::GRU({.units = 4}));
  m.add(L::Dense({.units = 4, .activation = "softmax"}));
  return m;
}

// 4 threads x `calls` predict calls of batch sizes 1..17 on one model, each compared bitwise with the
// single-threaded output of the same rows.
void expect_thread_safe(Model& m, const Tensor& x, int calls) {
  const int64_t n = x.dim(0);
  const Tensor expected = m.predict(x, {.batch_size = 7});
  const int64_t per = expected.shape().sample_size();
  std::atomic<int> mismatches{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < calls; ++c) {
        const int64_t size = 1 + (t * 7 + c * 5) % 17;
        const int64_t begin = (t * 13 + c * 3) % (n - size);
        // predict splits into batches of its own batch_size; vary that too.
        const Tensor got = m.predict(x.rows(begin, begin + size), {.batch_size = 1 + (c % 9)});
        if (std::memcmp(got.f32(), expected.f32() + begin * per, static_cast<size_t>(size * per) * sizeof(float)) != 0)
          ++mismatches;
        ++done;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), 4 * calls);
  EXPECT_EQ(mismatches.load(), 0) << m.name() << ": concurrent predict calls disagreed with single-threaded ones";
}

TEST(Concurrency, PredictFromFourThreadsIsBitwiseEqual) {
  set_seed(21);
  const Tensor x = randn({64, 6, 6, 2});
  const int calls = 200;
  Model g = conv_graph();
  expect_thread_safe(g, x, calls);
  Sequential s = mlp();
  expect_thread_safe(s, x, calls);
  Sequential r = rnn();
  expect_thread_safe(r, x.reshape({64, 6, 12}), calls / 4 + 1);
}

TEST(Concurrency, EvaluateFromFourThreadsIsBitwiseEqual) {
  set_seed(22);
  const Tensor x = randn({48, 6, 6, 2});
  Tensor y = Tensor::zeros({48, 4});
  for (int i = 0; i < 48; ++i) y.f32()[i * 4 + i % 4] = 1.0f;
  Model g = conv_graph();
  g.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  g.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
  const auto expected = g.evaluate(x, y, {.batch_size = 5, .verbose = 0});
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int c = 0; c < 10; ++c)
        if (g.evaluate(x, y, {.batch_size = 5, .verbose = 0}) != expected) ++mismatches;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace soma
