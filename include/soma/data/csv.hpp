#pragma once
// Numeric CSV files as tensors, for tabular data sets and the `soma` command line:
//   auto table = soma::data::read_csv("iris.csv");      // a header line is detected and kept apart
//   Tensor x = table.values;                            // float32 (rows, columns)
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::data {

struct CsvOptions {
  char delimiter = ',';
  // "auto": the first line is a header when any of its fields is not a number; "yes"; "no".
  std::string header = "auto";
};

struct CsvTable {
  std::vector<std::string> columns;  // the header's names, or "0", "1", ... without one
  Tensor values;                     // float32 (rows, columns)
};

// Throws IOError naming the file, line and column of anything that is not a number, rows of different
// lengths, an empty file or a missing one. Blank lines are skipped; fields may be quoted and padded.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace soma::data
