// read_csv: headers detected or forced, quoting, blank lines, and errors naming line and column.
#include "soma/data/csv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/error_matchers.hpp"

namespace soma::data {
namespace {

using test::expect_contains;
using test::message_of;

std::string write(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("soma_csv_" + std::to_string(::getpid()) + name);
  std::ofstream(p) << text;
  return p.string();
}

TEST(ReadCsv, HeaderIsDetected) {
  const auto t = read_csv(write("h.csv", "a, \"b\" ,c\r\n1,2.5,-3e2\n\n4,+5,6\n"));
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.values.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.values.to_vector<float>(), (std::vector<float>{1, 2.5f, -300, 4, 5, 6}));
}

TEST(ReadCsv, NoHeaderAndOtherDelimiters) {
  const auto t = read_csv(write("n.csv", "1;2\n3;4\n"), {.delimiter = ';'});
  EXPECT_EQ(t.columns, std::vector<std::string>{}) << "no header, no names";
  EXPECT_EQ(t.values.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  const auto forced = read_csv(write("f.csv", "1,2\n3,4\n"), {.header = "yes"});
  EXPECT_EQ(forced.columns, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(forced.values.shape(), (Shape{1, 2}));
}

TEST(ReadCsv, Errors) {
  expect_contains(message_of<IOError>([] { read_csv("/nonexistent/x.csv"); }), {"cannot open", "x.csv"});
  expect_contains(message_of<IOError>([] { read_csv(write("r.csv", "a,b\n1,2\n3\n")); }),
                  {"line 3", "1 fields", "first row has 2"});
  expect_contains(message_of<IOError>([] { read_csv(write("v.csv", "a,b\n1,x\n")); }),
                  {"line 2 column 2", "(\"b\", character 3)", "is not a number: \"x\""});
  expect_contains(message_of<IOError>([] { read_csv(write("e.csv", "a,b\n")); }), {"no data rows"});
  expect_contains(message_of<ValueError>([] { read_csv(write("o.csv", "1\n"), {.header = "maybe"}); }),
                  {"header"});
}

}  // namespace
}  // namespace soma::data
