#pragma once
// IDX: the big-endian array format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
#include <string>
#include <string_view>

#include "soma/core/tensor.hpp"

namespace soma::data {

// Reads an IDX file, raw or gzip-compressed (recognised by its 1f 8b magic, not by its name), into a
// tensor of the file's shape. Type code 0x08 (unsigned byte) gives DType::uint8; the other IDX types
// throw NotImplementedError.
//
// Name fallback, so callers need not know how a dataset was shipped: if `path` does not exist,
// `path + ".gz"` is tried, and for a `path` ending in ".gz" the name without it.
//
// Every problem with the file throws IOError naming the file and what was wrong: missing or
// unreadable file, not a regular file (directory, FIFO, device), bad magic, unknown type code, rank 0 or
// above 8, truncated header, truncated data ("expected N bytes of data, found M"), trailing bytes after
// the data, corrupt gzip stream (bad deflate data, wrong CRC-32 or length, missing trailer, garbage after
// the stream).
Tensor read_idx(const std::string& path);
// The same from bytes in memory (raw or gzip); `source` names them in errors.
Tensor parse_idx(std::string_view bytes, const std::string& source);

}  // namespace soma::data
