#pragma once
// IDX: the big-endian array format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
#include <string>

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
// unreadable file, bad magic, unknown type code, rank 0 or above 8, truncated header, truncated data
// ("expected N bytes of data, found M"), trailing bytes after the data, corrupt gzip stream.
Tensor read_idx(const std::string& path);

}  // namespace soma::data
