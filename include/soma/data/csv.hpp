#pragma once
// Numeric CSV files as tensors, for tabular data sets and the `soma` command line:
//   auto table = soma::data::read_csv("iris.csv");      // a header line is detected and kept apart
//   Tensor x = table.values;                            // float32 (rows, columns)
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::data {

struct CsvOptions {
  char delimiter = ',';
  // "auto": the first line is a header when any of its fields is not a number; "yes"; "no".
  std::string header = "auto";
};

struct CsvTable {
  // The header's names; empty without a header (columns are then numbered 0, 1, ..., as pandas' header=None
  // does, without spending 32 bytes per column on names no one reads).
  std::vector<std::string> columns;
  Tensor values;  // float32 (rows, columns)
};

// Throws IOError naming the file, line and column of anything that is not a number (quoting at most
// 40 characters of it), rows of different lengths, an empty file, a missing one or one that is not a
// regular file. Blank lines are skipped; fields may be padded and quoted as RFC 4180 says ("a ""b""" is
// a "b"), but a quoted field cannot span lines. A UTF-8 byte order mark and CRLF line ends are accepted.
// Memory: one line at a time plus the values.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});
// The same from text in memory; `source` names it in errors.
CsvTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

}  // namespace soma::data
