#include "data/byte_reader.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include "soma/core/error.hpp"

namespace soma::data::detail {

namespace {
constexpr size_t kChunk = size_t{1} << 18;
}  // namespace

ByteReader::ByteReader(io::InputFile& file, std::string fail_prefix, bool allow_gzip)
    : file_(&file), prefix_(std::move(fail_prefix)) {
  start(allow_gzip);
}

ByteReader::ByteReader(std::string_view bytes, std::string fail_prefix, bool allow_gzip)
    : memory_(bytes), prefix_(std::move(fail_prefix)) {
  start(allow_gzip);
}

ByteReader::~ByteReader() {
  if (inflating_) inflateEnd(&stream_);
}

void ByteReader::fail(const std::string& problem) const {
  throw IOError(prefix_ + problem + ".");
}

void ByteReader::start(bool allow_gzip) {
  buffer_.resize(kChunk);
  const size_t have = ensure(2);
  gzipped_ = allow_gzip && have >= 2 && buffer_[begin_] == 0x1f && buffer_[begin_ + 1] == 0x8b;
  if (gzipped_) {
    // 16 + MAX_WBITS: a gzip wrapper only; inflate then checks the trailer's CRC-32 and length itself.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) fail("cannot start the gzip decoder");
    inflating_ = true;
  }
}

size_t ByteReader::ensure(size_t want) {
  if (begin_ > 0 && end_ - begin_ < want) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ - begin_ < want && !source_done_) {
    size_t got = 0;
    const size_t room = buffer_.size() - end_;
    if (file_ != nullptr) {
      got = file_->read(buffer_.data() + end_, room);
    } else {
      got = std::min(room, memory_.size());
      std::memcpy(buffer_.data() + end_, memory_.data(), got);
      memory_.remove_prefix(got);
    }
    if (got < room) source_done_ = true;
    end_ += got;
  }
  return end_ - begin_;
}

uint64_t ByteReader::read(void* dst, uint64_t n) {
  auto* out = static_cast<unsigned char*>(dst);
  return gzipped_ ? read_gzip(out, n) : read_raw(out, n);
}

uint64_t ByteReader::read_raw(unsigned char* out, uint64_t n) {
  uint64_t total = 0;
  while (total < n) {
    if (begin_ == end_) {
      // Large reads go straight to the destination, without the copy through the buffer.
      if (file_ != nullptr && n - total >= buffer_.size()) {
        const size_t got = file_->read(out + total, static_cast<size_t>(n - total));
        total += got;
        if (got == 0) source_done_ = true;
        if (got == 0) break;
        continue;
      }
      if (ensure(1) == 0) break;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n - total, end_ - begin_));
    std::memcpy(out + total, buffer_.data() + begin_, take);
    begin_ += take;
    total += take;
  }
  return total;
}

uint64_t ByteReader::read_gzip(unsigned char* out, uint64_t n) {
  uint64_t total = 0;
  while (total < n && !finished_) {
    if (begin_ == end_ && ensure(1) == 0) {
      cut_ = finished_ = true;  // reported by the caller, which knows how much data it expected
      break;
    }
    stream_.next_in = buffer_.data() + begin_;
    stream_.avail_in = static_cast<uInt>(end_ - begin_);
    stream_.next_out = out + total;
    stream_.avail_out = static_cast<uInt>(std::min<uint64_t>(n - total, UINT_MAX));
    const uInt out_before = stream_.avail_out;
    const int ret = inflate(&stream_, Z_NO_FLUSH);
    begin_ = end_ - stream_.avail_in;
    total += out_before - stream_.avail_out;
    if (ret == Z_STREAM_END) {
      // Another gzip member may follow (gzip's own concatenation); anything else is damage.
      const size_t left = ensure(2);
      if (left == 0) {
        finished_ = true;
      } else if (left >= 2 && buffer_[begin_] == 0x1f && buffer_[begin_ + 1] == 0x8b) {
        inflateReset(&stream_);
      } else {
        fail("corrupt gzip stream: bytes follow its end that are not another gzip member");
      }
    } else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR) {
      fail(std::string("corrupt gzip stream (") + (stream_.msg != nullptr ? stream_.msg : "invalid data") +
           ")");
    } else if (ret == Z_MEM_ERROR) {
      fail("out of memory while inflating the gzip stream");
    }
    // Z_OK or Z_BUF_ERROR: more input or more output space is needed; the loop provides it.
  }
  return total;
}

const char* ByteReader::cut_note() const {
  return cut_ ? " (the gzip stream is cut short)" : "";
}

uint64_t ByteReader::skip_rest() {
  std::vector<unsigned char> scratch(1 << 16);
  uint64_t total = 0;
  while (const uint64_t got = read(scratch.data(), scratch.size())) total += got;
  if (cut_) {
    fail(
        "the gzip stream is cut short: the file ends before the end of its compressed data or inside its "
        "8-byte trailer (CRC-32 and length)");
  }
  return total;
}

}  // namespace soma::data::detail
