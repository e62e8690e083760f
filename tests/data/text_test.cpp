// TextVectorization, pad_sequences and the IMDB loader (on small files written by the test).
#include "soma/data/text.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "soma/data/datasets.hpp"
#include "soma/data/utils.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

using test::expect_contains;
using test::message_of;

TEST(TextVectorization, KerasVocabularyAndIndices) {
  text::TextVectorization v({.max_tokens = 5});
  const std::vector<std::string> texts{"The cat sat.", "The dog, the CAT!", "a bird"};
  v.adapt(texts);
  // "", "[UNK]", then by frequency: the (3), cat (2), then first seen: sat.
  EXPECT_EQ(v.get_vocabulary(), (std::vector<std::string>{"", "[UNK]", "the", "cat", "sat"}));
  const auto seqs = v.to_sequences(std::vector<std::string>{"the cat ate the bird", ""});
  EXPECT_EQ(seqs[0], (std::vector<int64_t>{2, 3, 1, 2, 1}));
  EXPECT_TRUE(seqs[1].empty());
  EXPECT_EQ(v.tokenize("Don't  STOP-me now"), (std::vector<std::string>{"dont", "stopme", "now"}));
}

TEST(TextVectorization, FixedLengthTensorAndOptions) {
  text::TextVectorization v({.standardize = "lower", .output_sequence_length = 3});
  v.adapt(std::vector<std::string>{"b a b", "c"});
  const Tensor t = v(std::vector<std::string>{"a b c d", "b"});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector<int64_t>(),
            (std::vector<int64_t>{3, 2, 4, 2, 0, 0}));  // truncated / padded at the end
  text::TextVectorization custom(
      {.custom_standardize = [](std::string_view s) { return std::string(s) + " end"; }});
  custom.adapt(std::vector<std::string>{"Start"});
  EXPECT_EQ(custom.get_vocabulary(), (std::vector<std::string>{"", "[UNK]", "Start", "end"}));
  text::TextVectorization fresh;
  expect_contains(message_of<StateError>([&] { fresh.to_sequences(std::vector<std::string>{"x"}); }),
                  {"adapt()"});
  expect_contains(message_of<ValueError>([] { text::TextVectorization({.max_tokens = 2}); }), {"max_tokens"});
  expect_contains(message_of<ValueError>([] { text::TextVectorization({.standardize = "upper"}); }),
                  {"\"upper\""});
  text::TextVectorization ragged;
  ragged.adapt(std::vector<std::string>{"x"});
  expect_contains(message_of<StateError>([&] { ragged(std::vector<std::string>{"x"}); }),
                  {"output_sequence_length"});
}

TEST(PadSequences, PreAndPostPaddingAndTruncation) {
  const std::vector<std::vector<int64_t>> s{{1, 2, 3}, {4}, {}};
  EXPECT_EQ(utils::pad_sequences(s).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 0, 0, 4, 0, 0, 0}));
  EXPECT_EQ(utils::pad_sequences(s, {.maxlen = 2}).to_vector<int64_t>(),
            (std::vector<int64_t>{2, 3, 0, 4, 0, 0}));
  EXPECT_EQ(utils::pad_sequences(s, {.maxlen = 2, .padding = "post", .truncating = "post", .value = 9})
                .to_vector<int64_t>(),
            (std::vector<int64_t>{1, 2, 4, 9, 9, 9}));
  expect_contains(message_of<ValueError>([&] { utils::pad_sequences(s, {.padding = "middle"}); }),
                  {"padding", "middle"});
}

class ImdbFile : public ::testing::Test {
 protected:
  std::string write(const std::string& content) {
    const auto path =
        std::filesystem::temp_directory_path() / ("soma_imdb_" + std::to_string(::getpid()) + ".json");
    std::ofstream(path) << content;
    paths_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::filesystem::path> paths_;
};

TEST_F(ImdbFile, SplitsByPosition) {
  const auto d = datasets::imdb::load(
      write(R"([{"t":"bad","s":0},{"t":"awful","s":0},{"t":"good","s":1},{"t":"great","s":1}])"));
  EXPECT_EQ(d.train.texts, (std::vector<std::string>{"bad", "good"}));
  EXPECT_EQ(d.test.texts, (std::vector<std::string>{"awful", "great"}));
  EXPECT_EQ(d.train.labels.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
}

TEST_F(ImdbFile, BadFilesGetClearErrors) {
  expect_contains(message_of<IOError>([] { datasets::imdb::load("/nonexistent/reviews.json"); }),
                  {"/nonexistent/reviews.json", "fetch_imdb.sh"});
  expect_contains(message_of<IOError>([&] { datasets::imdb::load(write("[{\"t\": \"cut off")); }),
                  {"not valid JSON"});
  expect_contains(message_of<IOError>([&] { datasets::imdb::load(write("{}")); }), {"JSON array"});
  expect_contains(
      message_of<IOError>([&] { datasets::imdb::load(write(R"([{"t":"ok","s":0},{"t":"x","s":2}])")); }),
      {"entry 1", "\"s\": 0 or 1"});
}

TEST(RealDatasets, Imdb) {
  const std::string path = datasets::imdb::default_path();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "IMDB reviews not found at " << path;
  const auto d = datasets::imdb::load();
  ASSERT_EQ(d.train.texts.size(), 25000u);
  ASSERT_EQ(d.test.texts.size(), 25000u);
  int64_t positive = 0;
  for (int64_t v : d.train.labels.to_vector<int64_t>()) positive += v;
  EXPECT_EQ(positive, 12500);
}

}  // namespace
}  // namespace soma
