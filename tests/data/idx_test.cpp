#include "soma/data/idx.hpp"

#include <gtest/gtest.h>

#include "support/error_matchers.hpp"
#include "data/idx_files.hpp"

namespace soma::test {
namespace {

using namespace std::string_literals;

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 7 + 3) % 256);
  return v;
}

// Scrambled enough that deflate cannot shrink it much, so cutting the .gz file cuts the data.
std::string noise(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (char& c : s) c = static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);
  return s;
}

std::string read_error(const std::string& path) {
  return message_of<IOError>([&] { data::read_idx(path); });
}

TEST(ReadIdx, RoundTripRaw) {
  TempDir dir;
  const auto values = pattern(3 * 2 * 4);
  write_raw(dir.file("a"), idx_bytes({3, 2, 4}, bytes_of(values)));
  Tensor t = data::read_idx(dir.file("a"));
  EXPECT_EQ(t.dtype(), DType::uint8);
  EXPECT_EQ(t.shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(t.to_vector<uint8_t>(), values);
}

TEST(ReadIdx, RoundTripGzip) {
  TempDir dir;
  const auto values = pattern(5);
  write_gz(dir.file("labels.gz"), idx_bytes({5}, bytes_of(values)));
  Tensor t = data::read_idx(dir.file("labels.gz"));
  EXPECT_EQ(t.shape(), (Shape{5}));
  EXPECT_EQ(t.to_vector<uint8_t>(), values);
}

TEST(ReadIdx, CompressionIsRecognisedByContentNotName) {
  TempDir dir;
  const auto values = pattern(6);
  write_gz(dir.file("gzip-without-suffix"), idx_bytes({2, 3}, bytes_of(values)));
  write_raw(dir.file("raw-with-suffix.gz"), idx_bytes({2, 3}, bytes_of(values)));
  EXPECT_EQ(data::read_idx(dir.file("gzip-without-suffix")).to_vector<uint8_t>(), values);
  EXPECT_EQ(data::read_idx(dir.file("raw-with-suffix.gz")).to_vector<uint8_t>(), values);
}

TEST(ReadIdx, FallsBackBetweenNameWithAndWithoutGz) {
  TempDir dir;
  const auto values = pattern(4);
  write_gz(dir.file("only-gz.gz"), idx_bytes({4}, bytes_of(values)));
  write_raw(dir.file("only-raw"), idx_bytes({4}, bytes_of(values)));
  EXPECT_EQ(data::read_idx(dir.file("only-gz")).to_vector<uint8_t>(), values);
  EXPECT_EQ(data::read_idx(dir.file("only-raw.gz")).to_vector<uint8_t>(), values);
}

TEST(ReadIdx, ZeroSizedDimensionGivesEmptyTensor) {
  TempDir dir;
  write_raw(dir.file("empty"), idx_bytes({0, 28, 28}, ""));
  EXPECT_EQ(data::read_idx(dir.file("empty")).shape(), (Shape{0, 28, 28}));
}

TEST(ReadIdxErrors, MissingFile) {
  TempDir dir;
  expect_contains(read_error(dir.file("nope")), {dir.file("nope"), "not found", "nope.gz"});
}

TEST(ReadIdxErrors, Directory) {
  TempDir dir;
  expect_contains(read_error(dir.path().string()), {dir.path().string(), "is a directory"});
}

TEST(ReadIdxErrors, BadMagic) {
  TempDir dir;
  write_raw(dir.file("f"), "\x01\x02\x08\x01\0\0\0\0"s);
  expect_contains(read_error(dir.file("f")), {dir.file("f"), "bad magic 01 02 08 01", "two zero bytes"});
}

TEST(ReadIdxErrors, UnknownTypeCode) {
  TempDir dir;
  write_raw(dir.file("f"), idx_bytes({1}, "x", 0x07));
  expect_contains(read_error(dir.file("f")), {dir.file("f"), "unsupported type code 0x07"});
}

TEST(ReadIdxErrors, KnownButUnimplementedTypeCode) {
  TempDir dir;
  write_raw(dir.file("f"), idx_bytes({1}, "abcd", 0x0D));
  const std::string msg = message_of<NotImplementedError>([&] { data::read_idx(dir.file("f")); });
  expect_contains(msg, {dir.file("f"), "0x0d", "float", "0x08"});
}

TEST(ReadIdxErrors, RankZeroAndAboveEight) {
  TempDir dir;
  write_raw(dir.file("r0"), idx_bytes({}, ""));
  expect_contains(read_error(dir.file("r0")), {dir.file("r0"), "rank 0", "1 to 8"});
  write_raw(dir.file("r9"), idx_bytes({1, 1, 1, 1, 1, 1, 1, 1, 1}, "x"));
  expect_contains(read_error(dir.file("r9")), {dir.file("r9"), "rank 9", "1 to 8"});
}

TEST(ReadIdxErrors, TruncatedHeader) {
  TempDir dir;
  write_raw(dir.file("short-magic"), "\0\0\x08"s);
  expect_contains(read_error(dir.file("short-magic")),
                  {dir.file("short-magic"), "truncated header", "found 3"});
  // Rank 3 needs 16 header bytes; only two dimensions are present.
  std::string short_dims = idx_bytes({10, 28}, "");
  short_dims[3] = 3;
  write_raw(dir.file("short-dims"), short_dims);
  expect_contains(read_error(dir.file("short-dims")),
                  {dir.file("short-dims"), "truncated header", "expected 16 bytes", "found 12"});
}

TEST(ReadIdxErrors, TruncatedDataRaw) {
  TempDir dir;
  write_raw(dir.file("f"), idx_bytes({2, 3}, "abcd"));
  expect_contains(read_error(dir.file("f")),
                  {dir.file("f"), "truncated data", "expected 6 bytes of data, found 4"});
}

TEST(ReadIdxErrors, TruncatedDataGzip) {
  TempDir dir;
  write_gz(dir.file("f.gz"), idx_bytes({2, 3}, "abcd"));
  expect_contains(read_error(dir.file("f.gz")), {dir.file("f.gz"), "expected 6 bytes of data, found 4"});
}

TEST(ReadIdxErrors, GzipFileCutShort) {
  TempDir dir;
  write_gz(dir.file("whole.gz"), idx_bytes({100, 100}, noise(10000)));
  const std::string whole = read_all(dir.file("whole.gz"));
  write_raw(dir.file("cut.gz"), whole.substr(0, whole.size() / 2));
  expect_contains(read_error(dir.file("cut.gz")),
                  {dir.file("cut.gz"), "expected 10000 bytes of data, found", "gzip stream is cut short"});
}

TEST(ReadIdxErrors, CorruptGzip) {
  TempDir dir;
  write_gz(dir.file("ok.gz"), idx_bytes({4}, "abcd"));
  std::string bytes = read_all(dir.file("ok.gz"));
  bytes[bytes.size() - 8] = static_cast<char>(bytes[bytes.size() - 8] ^ 0xff);  // the CRC-32 in the trailer
  write_raw(dir.file("bad.gz"), bytes);
  expect_contains(read_error(dir.file("bad.gz")), {dir.file("bad.gz"), "corrupt gzip stream"});
}

TEST(ReadIdxErrors, HugeClaimedShapeFailsWithoutAllocating) {
  TempDir dir;
  // 10^10 bytes claimed, 4 present: must be reported, not allocated.
  write_raw(dir.file("raw"), idx_bytes({100000, 100000}, "abcd"));
  expect_contains(read_error(dir.file("raw")), {"expected 10000000000 bytes of data, found 4"});
  write_gz(dir.file("gz"), idx_bytes({100000, 100000}, "abcd"));
  expect_contains(read_error(dir.file("gz")), {"expected 10000000000 bytes of data, found 4"});
  write_raw(dir.file("overflow"), idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu}, ""));
  expect_contains(read_error(dir.file("overflow")), {dir.file("overflow"), "impossibly large"});
}

TEST(ReadIdxErrors, TrailingGarbage) {
  TempDir dir;
  write_raw(dir.file("raw"), idx_bytes({2}, "abXYZ"));
  expect_contains(read_error(dir.file("raw")),
                  {dir.file("raw"), "trailing garbage", "3 bytes after the 2 bytes"});
  write_gz(dir.file("gz"), idx_bytes({2}, "abXYZ"));
  expect_contains(read_error(dir.file("gz")), {dir.file("gz"), "trailing garbage", "3 bytes"});
}

}  // namespace
}  // namespace soma::test
