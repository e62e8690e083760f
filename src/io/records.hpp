#pragma once
// What soma's binary files share (weights files and model files): little-endian scalars, named tensor
// records, the CRC-32 trailer and bounded reading (writing: soma/io/files.hpp). Every read is checked against
// the end of the data, so a truncated or corrupted file is an IOError, never a read past the end.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/io/weights_file.hpp"

namespace soma::io::detail {

// Little-endian whatever the host's order, byte by byte (compilers turn this into one store on x86).
template <class T>
void put(std::string& out, T v) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  const auto u = static_cast<U>(v);
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}
template <class T>
T get_le(const char* p) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    u |= static_cast<U>(static_cast<U>(static_cast<unsigned char>(p[i])) << (8 * i));
  return static_cast<T>(u);
}

// u32 count, then per tensor: u32 name length | name | u8 dtype | u8 rank | rank x i64 dims | data.
void put_tensors(std::string& out, const std::vector<NamedTensor>& tensors);
uint32_t crc32_of(std::string_view bytes);
// Appends the CRC-32 of everything in `out`.
void put_checksum(std::string& out);

// Reads from bytes, throwing IOError "<who>: <source> is truncated: ..." on any read past `end`.
class Reader {
 public:
  Reader(std::string who, std::string source, std::string_view data)
      : who_(std::move(who)), source_(std::move(source)), data_(data) {}
  template <class T>
  T get(const char* what) {
    return get_le<T>(take(sizeof(T), what));
  }
  const char* take(size_t n, const char* what);
  size_t pos() const { return pos_; }
  size_t size() const { return data_.size(); }
  // An IOError naming the file: "<who>: <source> <problem>".
  [[noreturn]] void fail(const std::string& problem) const;
  std::vector<NamedTensor> get_tensors();

 private:
  std::string who_, source_;
  std::string_view data_;
  size_t pos_ = 0;
};

// Checks the 8-byte magic, the u32 version and, when asked, the CRC-32 trailer of a whole file, and
// returns a reader over everything between the version and the trailer. `kind` names the format in
// errors ("a soma weights file").
Reader open_checked(const std::string& who, const std::string& source, std::string_view bytes,
                    const char (&magic)[8], uint32_t version, const char* kind, bool verify_checksum);

}  // namespace soma::io::detail
