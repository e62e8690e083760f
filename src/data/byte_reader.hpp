#pragma once
// The bytes of a data file, from an open regular file or from memory, read in chunks so that memory stays
// proportional to what the caller keeps. With gzip allowed, a stream that starts with the gzip magic
// (1f 8b) is inflated; anything else is passed through. A gzip stream must end properly: a stream cut
// short (even only its 8-byte trailer), a wrong CRC-32 or length, or bytes after it other than another
// gzip member are IOErrors.
#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "soma/io/files.hpp"

namespace soma::data::detail {

class ByteReader {
 public:
  // `fail_prefix` starts every error message ("read_idx: 'x.gz': ").
  ByteReader(io::InputFile& file, std::string fail_prefix, bool allow_gzip);
  ByteReader(std::string_view bytes, std::string fail_prefix, bool allow_gzip);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  bool gzipped() const { return gzipped_; }
  // Up to n bytes; fewer only at the end of the data.
  uint64_t read(void* dst, uint64_t n);
  // " (the gzip stream is cut short)" once a read came up short because the file ends inside the gzip
  // stream, else "": for the caller's "expected N bytes, found M" message.
  const char* cut_note() const;
  // Counts the bytes left, without keeping them; IOError if the gzip stream turns out to be cut short.
  uint64_t skip_rest();
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  void start(bool allow_gzip);
  // Refills the input buffer, keeping unread bytes, until it holds at least `want` bytes or the source
  // ends; returns the bytes available.
  size_t ensure(size_t want);
  uint64_t read_raw(unsigned char* dst, uint64_t n);
  uint64_t read_gzip(unsigned char* dst, uint64_t n);

  io::InputFile* file_ = nullptr;
  std::string_view memory_;
  std::string prefix_;
  std::vector<unsigned char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unread input: buffer_[begin_, end_)
  bool source_done_ = false;
  bool gzipped_ = false, inflating_ = false, finished_ = false, cut_ = false;
  z_stream stream_{};
};

}  // namespace soma::data::detail
