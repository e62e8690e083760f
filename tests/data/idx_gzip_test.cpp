// read_idx on hostile files: non-regular paths, gzip streams with a cut or damaged trailer, garbage after
// the stream, concatenated members, and parse_idx on bytes in memory.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "data/idx_files.hpp"
#include "soma/data/idx.hpp"
#include "support/error_matchers.hpp"
#include "support/special_files.hpp"

namespace soma::test {
namespace {

std::string gzip(const std::string& bytes) {
  TempDir dir;
  write_gz(dir.file("x.gz"), bytes);
  return read_all(dir.file("x.gz"));
}

std::string load_error(const std::string& bytes) {
  TempDir dir;
  write_raw(dir.file("f.gz"), bytes);
  const std::string from_file = message_of<IOError>([&] { data::read_idx(dir.file("f.gz")); });
  const std::string from_memory = message_of<IOError>([&] { data::parse_idx(bytes, dir.file("f.gz")); });
  EXPECT_EQ(from_file, from_memory) << "read_idx and parse_idx agree";
  return from_file;
}

const std::string kIdx = idx_bytes({3, 4}, "abcdefghijkl");

TEST(ReadIdxFiles, OnlyRegularFilesAreOpened) {
  SpecialFiles special;
  special.expect_all_refused("read_idx: ", [](const std::string& p) { data::read_idx(p); });
}

TEST(ReadIdxGzip, EveryCutOfTheTrailerIsAnError) {
  const std::string gz = gzip(kIdx);
  ASSERT_EQ(data::parse_idx(gz, "whole").numel(), 12);
  for (size_t cut = 1; cut <= 8; ++cut) {
    SCOPED_TRACE(cut);
    // The data is all there; only (part of) the CRC-32 and length trailer is missing.
    expect_contains(load_error(gz.substr(0, gz.size() - cut)),
                    {"f.gz", "gzip stream is cut short", "trailer"});
  }
}

TEST(ReadIdxGzip, EveryCutOfTheStreamIsAnError) {
  const std::string gz = gzip(kIdx);
  for (size_t keep = 2; keep < gz.size(); ++keep) (void)load_error(gz.substr(0, keep));
}

TEST(ReadIdxGzip, AWrongCrcOrLengthIsAnError) {
  const std::string gz = gzip(kIdx);
  for (size_t byte = gz.size() - 8; byte < gz.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = gz;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      const std::string message = load_error(bad);
      expect_contains(message, {"f.gz", "corrupt gzip stream"});
      expect_contains(message, {byte < gz.size() - 4 ? "incorrect data check" : "incorrect length check"});
    }
  }
}

TEST(ReadIdxGzip, EveryBitFlipInTheStreamIsAnErrorOrTheSameData) {
  const std::string gz = gzip(kIdx);
  const auto good = data::parse_idx(gz, "good").to_vector<uint8_t>();
  // Some flips are harmless (the header's time and OS fields, deflate's padding bits); every other one is
  // caught by inflate or the CRC-32.
  int accepted = 0;
  for (size_t byte = 0; byte < gz.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = gz;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      try {
        const auto got = data::parse_idx(bad, "flipped").to_vector<uint8_t>();
        EXPECT_EQ(got, good) << "byte " << byte << " bit " << bit;
        ++accepted;
      } catch (const IOError&) {
      } catch (const NotImplementedError&) {
        // The flip changed the IDX type code; the header is parsed before the trailer is checked.
      }
    }
  }
  EXPECT_LT(accepted, 60) << "of " << 8 * gz.size() << " flips";
}

TEST(ReadIdxGzip, GarbageAfterTheStreamIsAnError) {
  const std::string gz = gzip(kIdx);
  expect_contains(load_error(gz + "x"), {"bytes follow its end that are not another gzip member"});
  expect_contains(load_error(gz + std::string(100, '\0')), {"not another gzip member"});
}

TEST(ReadIdxGzip, ConcatenatedMembersAreOneStream) {
  // gzip's own format allows it (`cat a.gz b.gz`): the header in one member, the data in the next.
  const std::string header = kIdx.substr(0, 12), data = kIdx.substr(12);
  const Tensor t = data::parse_idx(gzip(header) + gzip(data), "two members");
  EXPECT_EQ(t.shape(), (Shape{3, 4}));
  EXPECT_EQ(t.to_vector<uint8_t>()[11], 'l');
}

TEST(ReadIdxGzip, LargeFilesStreamThroughTheBuffer) {
  // More than the reader's 256 KiB chunks, raw and gzip, so refills and direct reads both run.
  std::string payload(700000, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 7919) % 251);
  const std::string raw = idx_bytes({700, 1000}, payload);
  TempDir dir;
  write_raw(dir.file("raw"), raw);
  write_gz(dir.file("gz"), raw);
  const auto a = data::read_idx(dir.file("raw")).to_vector<uint8_t>();
  const auto b = data::read_idx(dir.file("gz")).to_vector<uint8_t>();
  ASSERT_EQ(a.size(), payload.size());
  EXPECT_EQ(a, b);
  EXPECT_EQ(std::string(a.begin(), a.end()), payload);
}

// Found by idx_fuzzer: a zero dimension after huge ones made Shape overflow int64 (undefined behaviour,
// caught by UBSan) while multiplying its way to 0.
TEST(ReadIdxFuzzFindings, AZeroDimensionAfterHugeOnesIsRefusedNotOverflowed) {
  expect_contains(message_of<IOError>([] {
                    data::parse_idx(idx_bytes({0xc0000000u, 0xc0000000u, 0}, ""), "zero last");
                  }),
                  {"zero last", "impossibly large"});
  const std::string found("\0\0\x08\x08\0\xf6\xff\x1f\x8b\x08\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\x02\x03\xd8"
                          "\xd8\xd8\xd8\xd8\xd8\xd8\xd8\xd8\xd8\xd8\xd8\x4b\0\x02\0\xe0\x60\x64\0\x02",
                          50);
  expect_contains(message_of<IOError>([&] { data::parse_idx(found, "fuzz"); }), {"impossibly large"});
  // Zero dimensions whose other dimensions fit are an empty tensor, as before.
  EXPECT_EQ(data::parse_idx(idx_bytes({0, 60000, 28, 28}, ""), "empty").shape(), (Shape{0, 60000, 28, 28}));
}

}  // namespace
}  // namespace soma::test
