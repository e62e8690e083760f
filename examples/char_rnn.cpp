// A character-level language model of Moby-Dick (Keras' lstm_text_generation.py, with an Embedding in
// place of one-hot inputs): windows of 40 characters (bytes of the UTF-8 text) predict the next one;
// Embedding(vocab, 32) -> LSTM(128) -> Dense(vocab, softmax), RMSprop(0.01), batch 128. The last 10% of
// the book is held out; the validation loss is compared with the unigram baseline (the entropy of the
// training text's character frequencies, in nats), and text is sampled at several temperatures.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "example_common.hpp"

namespace {
constexpr int64_t kWindow = 40, kStep = 3;

std::string read_book(const std::string& dir) {
  std::string text;
  for (int chapter = 1;; ++chapter) {
    std::ifstream in(std::filesystem::path(dir) / ("chapter_" + std::to_string(chapter) + ".txt"));
    if (!in) break;
    std::stringstream s;
    s << in.rdbuf();
    text += s.str() + "\n\n";
  }
  if (text.empty()) {
    throw soma::IOError("char_rnn: no chapter_1.txt in " + dir +
                        "; run scripts/fetch_moby_dick.sh or pass --data.");
  }
  return text;
}

// Windows of kWindow symbol indices (every kStep characters) and the index that follows each.
std::pair<soma::Tensor, soma::Tensor> windows(const std::vector<int64_t>& ids) {
  const int64_t n = (static_cast<int64_t>(ids.size()) - kWindow - 1) / kStep + 1;
  soma::Tensor x = soma::Tensor::empty({n, kWindow}), y = soma::Tensor::empty({n}, soma::DType::int64);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < kWindow; ++k) x.f32()[i * kWindow + k] = static_cast<float>(ids[i * kStep + k]);
    y.data<int64_t>()[i] = ids[i * kStep + kWindow];
  }
  return {x, y};
}

int64_t sample(const float* probs, int64_t n, double temperature) {
  std::vector<double> w(static_cast<size_t>(n));
  double total = 0;
  for (int64_t i = 0; i < n; ++i)
    total += w[i] = std::exp(std::log(std::max(1e-12, double{probs[i]})) / temperature);
  double r = soma::random::uniform01() * total;
  for (int64_t i = 0; i < n; ++i)
    if ((r -= w[i]) <= 0) return i;
  return n - 1;
}
}  // namespace

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  auto args = example::parse(argc, argv, "Train a character-level LSTM on Moby-Dick and sample from it", 3);
  args.dataset = "moby_dick";
  // Where scripts/fetch_moby_dick.sh puts it: $SOMA_DATA_HOME/moby-dick, else ~/.soma/datasets/moby-dick.
  const char* data_home = std::getenv("SOMA_DATA_HOME");
  const char* home = std::getenv("HOME");
  const std::string dir = !args.data.empty() ? args.data
                          : data_home        ? std::string(data_home) + "/moby-dick"
                                             : std::string(home ? home : ".") + "/.soma/datasets/moby-dick";
  std::string text = read_book(dir);
  if (args.limit > 0 && args.limit * kStep < static_cast<int64_t>(text.size())) {
    text.resize(static_cast<size_t>(args.limit * kStep + kWindow + 1));
  }
  // Symbols: the distinct bytes of the text, by byte value.
  std::vector<int64_t> index(256, -1);
  std::vector<unsigned char> symbols;
  for (unsigned char c : text) index[c] = 0;
  for (int c = 0; c < 256; ++c)
    if (index[c] == 0) {
      index[c] = static_cast<int64_t>(symbols.size());
      symbols.push_back(static_cast<unsigned char>(c));
    }
  const auto vocab = static_cast<int64_t>(symbols.size());
  std::vector<int64_t> ids;
  for (unsigned char c : text) ids.push_back(index[c]);
  const auto split = ids.size() * 9 / 10;
  const std::vector<int64_t> train_ids(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(split));
  const std::vector<int64_t> val_ids(ids.begin() + static_cast<std::ptrdiff_t>(split), ids.end());
  const auto [x_train, y_train] = windows(train_ids);
  const auto [x_val, y_val] = windows(val_ids);

  // Unigram baseline: cross-entropy of the training frequencies on the validation targets.
  std::vector<double> freq(static_cast<size_t>(vocab), 1.0);  // add-one, so no held-out symbol costs infinity
  for (int64_t id : train_ids) freq[static_cast<size_t>(id)] += 1.0;
  const double total = static_cast<double>(train_ids.size()) + static_cast<double>(vocab);
  double baseline = 0;
  for (int64_t i = 0; i < y_val.numel(); ++i)
    baseline -= std::log(freq[static_cast<size_t>(y_val.data<int64_t>()[i])] / total);
  baseline /= static_cast<double>(y_val.numel());
  std::printf("%zu characters, %lld symbols, %lld training and %lld validation windows\n", text.size(),
              static_cast<long long>(vocab), static_cast<long long>(x_train.dim(0)),
              static_cast<long long>(x_val.dim(0)));

  soma::Sequential model;
  model.add(L::Embedding({.input_dim = vocab, .output_dim = 32, .input_shape = {kWindow}}));
  model.add(L::LSTM({.units = 128}));
  model.add(L::Dense({.units = vocab, .activation = "softmax"}));
  if (args.verbose) model.summary();
  model.compile({.optimizer = soma::optimizers::RMSprop({.learning_rate = 0.01f}),
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  example::Stopwatch clock;
  const auto history = model.fit(x_train, y_train,
                                 {.batch_size = 128,
                                  .epochs = args.epochs,
                                  .verbose = args.verbose,
                                  .validation_data = {{x_val, y_val}}});
  const double seconds = clock.seconds();

  const double val_loss = history.last("val_loss");
  std::printf("validation loss %.4f nats/char, unigram baseline %.4f nats/char\n", val_loss, baseline);
  // Sample from a seed window of the held-out text.
  for (const double temperature : {0.2, 0.5, 1.0}) {
    std::vector<int64_t> window(val_ids.begin(), val_ids.begin() + kWindow);
    std::string generated;
    soma::Tensor x = soma::Tensor::empty({1, kWindow});
    for (int step = 0; step < 300; ++step) {
      for (int64_t k = 0; k < kWindow; ++k) x.f32()[k] = static_cast<float>(window[static_cast<size_t>(k)]);
      const soma::Tensor p = model.predict(x);
      const int64_t next = sample(p.f32(), vocab, temperature);
      generated.push_back(static_cast<char>(symbols[static_cast<size_t>(next)]));
      window.erase(window.begin());
      window.push_back(next);
    }
    std::printf("--- temperature %.1f ---\n%s\n", temperature, generated.c_str());
  }
  std::printf(
      "RESULT example=char_rnn dataset=moby_dick epochs=%d val_loss=%.4f unigram_loss=%.4f "
      "test_accuracy=%.4f train_samples_per_s=%.0f\n",
      args.epochs, val_loss, baseline, history.last("val_accuracy"),
      static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
