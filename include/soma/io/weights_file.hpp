#pragma once
// The weights file of Sequential::save_weights / load_weights: versioned, checksummed, written atomically.
//
// Layout (little-endian):  "SOMAWTS\0" | u32 version (1) | u32 count |
//   count x { u32 name length | name bytes | u8 dtype | u8 rank | rank x i64 dims | data bytes } |
//   u32 CRC-32 (zlib) of every byte before it.
// Writing is atomic (soma/io/files.hpp: a unique temporary, fsync, rename), so a crash never leaves a
// half-written file. Reading checks everything and throws IOError naming the file and the problem
// (missing, not a soma weights file, unsupported version, truncated, corrupted); it never reads past the end.
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::io {

struct NamedTensor {
  std::string name;
  Tensor value;
};

void write_weights(const std::string& path, const std::vector<NamedTensor>& tensors);
std::vector<NamedTensor> read_weights(const std::string& path);
// The same from bytes in memory; `source` names them in errors. verify_checksum = false lets a fuzzer
// reach the parser behind the checksum.
std::vector<NamedTensor> parse_weights(std::string_view bytes, const std::string& source,
                                       bool verify_checksum = true);

}  // namespace soma::io
