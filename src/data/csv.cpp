#include "soma/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "soma/core/error.hpp"

namespace soma::data {

namespace {

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::vector<std::string> fields(const std::string& line, char delimiter) {
  std::vector<std::string> out;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i == line.size() || (line[i] == delimiter && !quoted)) {
      out.push_back(trimmed(std::string_view(line).substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

bool parse_number(const std::string& field, float& value) {
  if (field.empty()) return false;
  const char* begin = field.data() + (field.front() == '+' ? 1 : 0);
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  if (options.header != "auto" && options.header != "yes" && options.header != "no") {
    throw ValueError("read_csv: header must be \"auto\", \"yes\" or \"no\", received \"" + options.header +
                     "\".");
  }
  std::ifstream in(path);
  if (!in) throw IOError("read_csv: cannot open " + path + ".");
  CsvTable table;
  std::vector<float> values;
  size_t width = 0, rows = 0, line_number = 0;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_number;
    if (trimmed(line).empty()) continue;
    const auto row = fields(line, options.delimiter);
    if (first) {
      first = false;
      width = row.size();
      float unused;
      bool numeric = true;
      for (const auto& f : row) numeric = numeric && parse_number(f, unused);
      if (options.header == "yes" || (options.header == "auto" && !numeric)) {
        table.columns = row;
        continue;
      }
      for (size_t c = 0; c < width; ++c) table.columns.push_back(std::to_string(c));
    }
    if (row.size() != width) {
      throw IOError("read_csv: " + path + " line " + std::to_string(line_number) + " has " +
                    std::to_string(row.size()) + " fields; the first row has " + std::to_string(width) + ".");
    }
    for (size_t c = 0; c < width; ++c) {
      float v;
      if (!parse_number(row[c], v)) {
        throw IOError("read_csv: " + path + " line " + std::to_string(line_number) + " column " +
                      std::to_string(c + 1) + " (\"" + table.columns[c] + "\") is not a number: \"" + row[c] +
                      "\".");
      }
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw IOError("read_csv: " + path + " holds no data rows.");
  table.values = Tensor::from_vector(values, Shape{static_cast<int64_t>(rows), static_cast<int64_t>(width)});
  return table;
}

}  // namespace soma::data
