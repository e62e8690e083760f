// read_csv on real-world and hostile files: BOM, quoted headers, CRLF, non-regular paths, a 20 MB line
// (memory), a huge bad field (short message), malformed quoting.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "data/idx_files.hpp"
#include "soma/data/csv.hpp"
#include "soma/data/datasets.hpp"
#include "support/error_matchers.hpp"
#include "support/special_files.hpp"

namespace soma::test {
namespace {

std::string write_csv(const TempDir& dir, const std::string& name, const std::string& text) {
  write_raw(dir.file(name), text);
  return dir.file(name);
}

// The peak resident memory in MiB since the last reset; -1 where /proc cannot reset it.
[[maybe_unused]] long peak_rss_mib(bool reset) {
  if (reset) {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";  // resets VmHWM to the current RSS
    if (!clear.flush()) return -1;
  }
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}
[[maybe_unused]] long rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

TEST(ReadCsvFiles, OnlyRegularFilesAreOpened) {
  SpecialFiles special;
  special.expect_all_refused("read_csv: ", [](const std::string& p) { data::read_csv(p); });
}

TEST(ReadCsvFiles, RealWorldHeaders) {
  TempDir dir;
  // A spreadsheet's export: byte order mark, quoted names with a delimiter and doubled quotes, CRLF.
  const auto t = data::read_csv(write_csv(
      dir, "bom.csv", "\xEF\xBB\xBF\"sepal, length\",\"the \"\"width\"\"\" , plain\r\n1,2,3\r\n4,5,6\r\n"));
  EXPECT_EQ(t.columns, (std::vector<std::string>{"sepal, length", "the \"width\"", "plain"}));
  EXPECT_EQ(t.values.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // A BOM before a number does not turn the first row into a header.
  const auto n = data::read_csv(write_csv(dir, "bomnum.csv",
                                          "\xEF\xBB\xBF"
                                          "1,2\r\n3,4"));
  EXPECT_EQ(n.columns, std::vector<std::string>{});
  EXPECT_EQ(n.values.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  // Quoted numbers are numbers; the last line needs no line end.
  const auto q = data::parse_csv("\"1\", \"2.5\"\n3,4", "memory");
  EXPECT_EQ(q.values.to_vector<float>(), (std::vector<float>{1, 2.5f, 3, 4}));
}

TEST(ReadCsvFiles, MalformedQuotingNamesLineAndColumn) {
  expect_contains(message_of<IOError>([] { data::parse_csv("a,b\n1,\"2\n", "q.csv"); }),
                  {"read_csv: q.csv line 2 column 3", "quoted field is not closed"});
  expect_contains(message_of<IOError>([] { data::parse_csv("a,b\n1,\"2\"x\n", "q.csv"); }),
                  {"read_csv: q.csv line 2 column 6", "unexpected text after a closing quote", "\"x\""});
  expect_contains(message_of<IOError>([] { data::parse_csv("2\n1e39\n", "r.csv"); }),
                  {"line 2 column 1", "out of the range of float32", "\"1e39\""});
  expect_contains(message_of<IOError>([] { data::parse_csv("a,b\n1,\n", "e.csv"); }),
                  {"line 2 column 2", "is empty"});
  expect_contains(message_of<ValueError>([] { data::parse_csv("1\n", "d.csv", {.delimiter = '"'}); }),
                  {"delimiter"});
}

TEST(ReadCsvFiles, AHugeBadFieldIsQuotedShort) {
  TempDir dir;
  const std::string field(2'000'000, 'z');
  const std::string message =
      message_of<IOError>([&] { data::read_csv(write_csv(dir, "big.csv", "a,b\n1," + field + "\n")); });
  expect_contains(message, {"line 2 column 2", "(\"b\", character 3)", "\"" + std::string(40, 'z') + "\"...",
                            "2000000 characters"});
  EXPECT_LT(message.size(), 300u) << message.substr(0, 300);
  // A long header name is cut in the message too.
  const std::string name(1000, 'n');
  const std::string m2 = message_of<IOError>([&] { data::parse_csv(name + "\nx\n", "h.csv"); });
  EXPECT_LT(m2.size(), 300u) << m2.substr(0, 300);
}

TEST(ReadCsvFiles, ATwentyMegabyteLineTakesMemoryProportionalToIt) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's quarantine and shadow memory make resident size meaningless";
#else
  TempDir dir;
  // One line of 5 million fields: 20 MB of text, 20 MB of float32.
  std::string line;
  line.reserve(20'000'001);
  for (int i = 0; i < 5'000'000; ++i) line += i % 2 ? "0.5," : "1.5,";
  line.back() = '\n';
  const std::string path = write_csv(dir, "wide.csv", line);
  line = std::string();
  const long base = rss_mib();
  if (peak_rss_mib(true) < 0) GTEST_SKIP() << "/proc/self/clear_refs is not available";
  const auto t = data::read_csv(path);
  const long peak = peak_rss_mib(false) - base;
  ASSERT_EQ(t.values.shape(), (Shape{1, 5'000'000}));
  EXPECT_EQ(t.values.f32()[4'999'999], 0.5f);
  // The line (20 MB), the values (20 MB, up to twice while growing) and the tensor (20 MB) are what it
  // needs; before, it took 451 MiB (a vector of strings per line, and a name per column).
  EXPECT_LT(peak, 130) << "peak resident memory grew by " << peak << " MiB";
  std::printf("read_csv of a 20 MB line: peak resident memory +%ld MiB\n", peak);
#endif
}

}  // namespace
}  // namespace soma::test

namespace soma::test {
namespace {

// The other loaders of src/data open their paths the same way.
TEST(DataLoaders, ImdbOpensOnlyRegularFiles) {
  SpecialFiles special;
  special.expect_all_refused("imdb::load: ", [](const std::string& p) { datasets::imdb::load(p); });
}

}  // namespace
}  // namespace soma::test
