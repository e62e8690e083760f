// Keras callbacks in fit(): EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
// TerminateOnNaN and LambdaCallback.
#include "soma/training/callbacks.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "soma/core/random.hpp"
#include "soma/layers/dense.hpp"
#include "soma/models/saving.hpp"
#include "soma/models/sequential.hpp"
#include "soma/optimizers/sgd.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

namespace L = layers;
namespace C = callbacks;

Sequential regression(float lr) {
  Sequential m;
  m.add(L::Dense({.units = 1, .input_dim = 2}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = lr}), .loss = "mse"});
  return m;
}

std::pair<Tensor, Tensor> line(int64_t n) {
  Tensor x = Tensor::empty({n, 2}), y = Tensor::empty({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    x.f32()[2 * i] = random::uniform(-1, 1);
    x.f32()[2 * i + 1] = random::uniform(-1, 1);
    y.f32()[i] = 2 * x.f32()[2 * i] - x.f32()[2 * i + 1];
  }
  return {x, y};
}

// A callback that replays a scripted value of one log (val_loss by default), so the stopping rules can be
// checked exactly.
struct Scripted final : C::Callback {
  std::vector<double> values;
  C::Callback* inner;
  std::string key;
  Scripted(std::vector<double> v, C::Callback* c, std::string k = "val_loss")
      : values(std::move(v)), inner(c), key(std::move(k)) {}
  void on_train_begin(Model& m) override { inner->on_train_begin(m); }
  void on_epoch_end(Model& m, int epoch, const C::Logs&) override {
    inner->on_epoch_end(m, epoch, {{key, values[static_cast<size_t>(epoch)]}});
  }
};

TEST(EarlyStopping, StopsAfterPatienceAndRestoresTheBestWeights) {
  set_seed(70);
  auto [x, y] = line(64);
  Sequential m = regression(0.05f);
  auto es = std::make_shared<C::EarlyStopping>(
      C::EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
  std::vector<std::vector<Tensor>> weights_by_epoch;
  auto record = C::LambdaCallback({.on_epoch_end = [&](Model& s, int, const C::Logs&) {
    weights_by_epoch.push_back(s.get_weights());
  }});
  // val_loss: best at epoch 1, then two epochs without improvement -> stop after epoch 3.
  auto script = std::make_shared<Scripted>(std::vector<double>{1.0, 0.5, 0.6, 0.7, 0.1, 0.1}, es.get());
  const History h = m.fit(x, y, {.batch_size = 8, .epochs = 6, .verbose = 0, .callbacks = {record, script}});
  EXPECT_EQ(h.epoch.size(), 4u);
  EXPECT_EQ(es->stopped_epoch(), 3);
  EXPECT_EQ(es->best_epoch(), 1);
  EXPECT_EQ(es->best(), 0.5);
  const auto now = m.get_weights();
  for (size_t i = 0; i < now.size(); ++i)
    EXPECT_EQ(now[i].to_vector<float>(), weights_by_epoch[1][i].to_vector<float>());
}

TEST(EarlyStopping, MinDeltaModeAndRealMonitoring) {
  auto es = std::make_shared<C::EarlyStopping>(C::EarlyStoppingOptions{.min_delta = 0.1, .patience = 1});
  Sequential m = regression(0.05f);
  set_seed(71);
  auto [x, y] = line(32);
  // Improvements smaller than min_delta do not count.
  auto script = std::make_shared<Scripted>(std::vector<double>{1.0, 0.95, 0.92, 0.5}, es.get());
  m.fit(x, y, {.batch_size = 8, .epochs = 4, .verbose = 0, .callbacks = {script}});
  EXPECT_EQ(es->stopped_epoch(), 1);
  // "auto" maximises accuracies.
  auto acc =
      std::make_shared<C::EarlyStopping>(C::EarlyStoppingOptions{.monitor = "val_accuracy", .patience = 0});
  // Best 0.6 at epoch 1; 0.55 is no improvement when maximising, so patience 0 stops after epoch 2 (a
  // minimising rule would have stopped after epoch 1, where 0.6 > 0.5).
  auto acc_script = std::make_shared<Scripted>(std::vector<double>{0.5, 0.6, 0.55, 0.9}, acc.get(), "val_accuracy");
  const History acc_history =
      m.fit(x, y, {.batch_size = 8, .epochs = 4, .verbose = 0, .callbacks = {acc_script}});
  EXPECT_EQ(acc->stopped_epoch(), 2);
  EXPECT_EQ(acc_history.epoch.size(), 3u);
  test::expect_contains(test::message_of<ValueError>([] { C::EarlyStopping({.mode = "largest"}); }),
                        {"mode"});
  // With the real logs: val_loss exists when there is validation data; training on a line converges.
  auto real = std::make_shared<C::EarlyStopping>(C::EarlyStoppingOptions{.patience = 3});
  Sequential fast = regression(0.3f);
  const History h = fast.fit(
      x, y, {.batch_size = 8, .epochs = 200, .verbose = 0, .validation_data = {{x, y}}, .callbacks = {real}});
  EXPECT_LT(h.epoch.size(), 200u) << "never stopped";
  EXPECT_LT(h.last("val_loss"), 1e-3);
}

TEST(ReduceLROnPlateau, CutsTheRateAfterPatience) {
  Sequential m = regression(0.1f);
  set_seed(72);
  auto [x, y] = line(16);
  auto r = std::make_shared<C::ReduceLROnPlateau>(
      C::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 2, .min_lr = 0.03});
  auto script = std::make_shared<Scripted>(std::vector<double>{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, r.get());
  std::vector<float> rates;
  auto record = C::LambdaCallback({.on_epoch_end = [&](Model& s, int, const C::Logs&) {
    rates.push_back(s.optimizer().learning_rate());
  }});
  m.fit(x, y, {.batch_size = 8, .epochs = 7, .verbose = 0, .callbacks = {script, record}});
  // Reductions after epochs 2 and 4 (0.1 -> 0.05 -> 0.03, floored by min_lr).
  EXPECT_FLOAT_EQ(rates[1], 0.1f);
  EXPECT_FLOAT_EQ(rates[2], 0.05f);
  EXPECT_FLOAT_EQ(rates[4], 0.03f);
  EXPECT_FLOAT_EQ(rates[6], 0.03f);
}

TEST(LearningRateScheduler, SetsTheRateEachEpoch) {
  Sequential m = regression(0.1f);
  set_seed(73);
  auto [x, y] = line(16);
  std::vector<float> rates;
  auto record = C::LambdaCallback(
      {.on_epoch_begin = [&](Model& s, int) { rates.push_back(s.optimizer().learning_rate()); }});
  m.fit(
      x, y,
      {.batch_size = 8,
       .epochs = 3,
       .verbose = 0,
       .callbacks = {C::LearningRateScheduler([](int epoch, double lr) { return epoch == 0 ? lr : lr / 2; }),
                     record}});
  EXPECT_EQ(rates, (std::vector<float>{0.1f, 0.05f, 0.025f}));
  test::expect_contains(
      test::message_of<ValueError>([&] {
        m.fit(x, y,
              {.verbose = 0, .callbacks = {C::LearningRateScheduler([](int, double) { return -1.0; })}});
      }),
      {"-1", "learning rate"});
}

TEST(CSVLogger, OneRowPerEpoch) {
  const auto path =
      std::filesystem::temp_directory_path() / ("soma_csv_" + std::to_string(::getpid()) + ".csv");
  Sequential m = regression(0.1f);
  set_seed(74);
  auto [x, y] = line(16);
  m.fit(x, y,
        {.batch_size = 8,
         .epochs = 3,
         .verbose = 0,
         .validation_data = {{x, y}},
         .callbacks = {C::CSVLogger(path.string())}});
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  EXPECT_EQ(header, "epoch,loss,val_loss");
  int rows = 0;
  while (std::getline(in, row)) ++rows;
  EXPECT_EQ(rows, 3);
  std::filesystem::remove(path);
}

TEST(TerminateOnNaN, StopsInsteadOfThrowing) {
  Sequential m = regression(1e30f);
  set_seed(75);
  Tensor x = Tensor::full({64, 2}, 1.0f), y = Tensor::full({64, 1}, 5.0f);
  std::ostringstream out;
  const History h = m.fit(
      x, y, {.batch_size = 8, .epochs = 5, .verbose = 0, .out = &out, .callbacks = {C::TerminateOnNaN()}});
  EXPECT_TRUE(h.epoch.empty());
  EXPECT_NE(out.str().find("invalid loss, terminating training"), std::string::npos);
  EXPECT_TRUE(m.stop_training);
}

TEST(SetWeights, ChecksCountAndShapes) {
  Sequential m = regression(0.1f);
  auto w = m.get_weights();
  ASSERT_EQ(w.size(), 2u);
  w[0].fill(3.0f);
  m.set_weights(w);
  EXPECT_EQ(m.weights()[0]->value.f32()[0], 3.0f);
  test::expect_contains(test::message_of<ValueError>([&] { m.set_weights({w[0]}); }),
                        {"2 tensors", "received 1"});
  test::expect_contains(test::message_of<ShapeError>([&] {
                          m.set_weights({w[0], Tensor::zeros({2})});
                        }),
                        {"weight 1", "(1,)", "(2,)"});
}

}  // namespace
}  // namespace soma

namespace soma {
namespace {

namespace L = layers;
namespace C = callbacks;

std::string checkpoint_dir() {
  const auto dir = std::filesystem::temp_directory_path() / ("soma_ckpt_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(ModelCheckpoint, SaveBestOnlyKeepsTheBestEpochsModel) {
  set_seed(71);
  auto [x, y] = line(64);
  auto [vx, vy] = line(32);
  Sequential m;
  m.add(L::Dense({.units = 1, .input_dim = 2}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = 0.05f}), .loss = "mse"});
  const std::string dir = checkpoint_dir();
  auto ckpt = std::make_shared<C::ModelCheckpoint>(dir + "/best.soma",
                                                   C::ModelCheckpointOptions{.save_best_only = true});
  // Scripted val_loss: improves at epochs 0, 1 and 3 only; the weights of epoch 3 must be the ones saved.
  std::vector<std::vector<Tensor>> weights;
  const std::vector<double> script{0.5, 0.4, 0.45, 0.3, 0.35};
  Scripted scripted(script, ckpt.get());
  auto record = C::LambdaCallback(
      {.on_epoch_end = [&](Model& s, int, const C::Logs&) { weights.push_back(s.get_weights()); }});
  m.fit(x, y,
        {.batch_size = 16,
         .epochs = 5,
         .verbose = 0,
         .validation_data = {{vx, vy}},
         .callbacks = {record, std::shared_ptr<C::Callback>(&scripted, [](C::Callback*) {})}});
  EXPECT_EQ(ckpt->best(), 0.3);
  Sequential best = load_model(dir + "/best.soma");
  ASSERT_EQ(weights.size(), 5u);
  EXPECT_EQ(best.get_weights()[0].to_vector<float>(), weights[3][0].to_vector<float>());
  EXPECT_TRUE(best.compiled()) << "a full model, optimizer included";
  std::filesystem::remove_all(dir);
}

TEST(ModelCheckpoint, FilepathNamesTheEpochAndLogs) {
  set_seed(72);
  auto [x, y] = line(32);
  Sequential m = regression(0.05f);
  const std::string dir = checkpoint_dir();
  m.fit(x, y,
        {.batch_size = 16,
         .epochs = 3,
         .verbose = 0,
         .callbacks = {C::ModelCheckpoint(dir + "/m-{epoch:02d}.soma"),
                       C::ModelCheckpoint(dir + "/w-{epoch}-{loss:.1f}.weights",
                                          {.monitor = "loss", .save_weights_only = true})}});
  for (const char* name : {"m-01.soma", "m-02.soma", "m-03.soma"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + name)) << name;
  }
  int weights_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    weights_files += entry.path().extension() == ".weights";
  }
  EXPECT_EQ(weights_files, 3);
  std::filesystem::remove_all(dir);
}

TEST(ModelCheckpoint, BadArguments) {
  test::expect_contains(test::message_of<ValueError>([] { C::ModelCheckpoint(""); }), {"filepath"});
  test::expect_contains(test::message_of<ValueError>([] { C::ModelCheckpoint("a.soma", {.mode = "best"}); }),
                        {"ModelCheckpoint", "mode"});
  set_seed(73);
  auto [x, y] = line(16);
  Sequential m = regression(0.05f);
  test::expect_contains(
      test::message_of<ValueError>([&] {
        m.fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {C::ModelCheckpoint("/tmp/{val_acc}.soma")}});
      }),
      {"ModelCheckpoint", "{val_acc}", "{epoch}"});
}

}  // namespace
}  // namespace soma
