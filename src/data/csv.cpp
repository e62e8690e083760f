#include "soma/data/csv.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "data/byte_reader.hpp"
#include "soma/core/error.hpp"
#include "soma/io/files.hpp"

namespace soma::data {

namespace {

// Errors quote at most this much of a field: a 200 MB field must not be copied into a message.
constexpr size_t kQuoteLimit = 40;

std::string quoted_prefix(std::string_view field) {
  if (field.size() <= kQuoteLimit) return "\"" + std::string(field) + "\"";
  return "\"" + std::string(field.substr(0, kQuoteLimit)) + "\"... (" + std::to_string(field.size()) +
         " characters)";
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// "" when the field is a float32, else why not.
const char* number_problem(std::string_view field, float& value) {
  if (field.empty()) return "is empty, expected a number";
  if (field.front() == '+') field.remove_prefix(1);
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (ec == std::errc::result_out_of_range && ptr == end) return "is out of the range of float32";
  return ec == std::errc() && ptr == end ? "" : "is not a number";
}

bool parse_number(std::string_view field, float& value) {
  return *number_problem(field, value) == '\0';
}

// Splits lines into fields: RFC 4180 quoting ("a ""b""" is a "b"), blanks around fields ignored.
// Fields are views into the line, or into `scratch_` for a quoted field with doubled quotes.
class FieldSplitter {
 public:
  FieldSplitter(const std::string& source, char delimiter) : source_(source), delimiter_(delimiter) {}

  void start(std::string_view line, size_t line_number) {
    line_ = line;
    pos_ = 0;
    line_number_ = line_number;
    done_ = false;
  }
  // The next field, or false after the last one.
  bool next(std::string_view& field, size_t& column) {
    if (done_) return false;
    column = pos_ + 1;
    size_t i = pos_;
    while (i < line_.size() && is_blank(line_[i])) ++i;
    if (i < line_.size() && line_[i] == '"') {
      field = quoted(i);
    } else {
      const size_t end = line_.find(delimiter_, i);
      size_t stop = end == std::string_view::npos ? line_.size() : end;
      pos_ = stop;
      while (stop > i && is_blank(line_[stop - 1])) --stop;
      field = line_.substr(i, stop - i);
    }
    if (pos_ >= line_.size()) {
      done_ = true;
    } else {
      ++pos_;  // the delimiter
    }
    return true;
  }

 private:
  std::string_view quoted(size_t open) {
    size_t i = open + 1;
    bool doubled = false;
    for (;; ++i) {
      if (i >= line_.size()) {
        throw IOError(fmt::format("read_csv: {} line {} column {}: a quoted field is not closed on its line.",
                                  source_, line_number_, open + 1));
      }
      if (line_[i] != '"') continue;
      if (i + 1 < line_.size() && line_[i + 1] == '"') {
        doubled = true;
        ++i;
        continue;
      }
      break;
    }
    const std::string_view inside = line_.substr(open + 1, i - open - 1);
    size_t after = i + 1;
    while (after < line_.size() && is_blank(line_[after])) ++after;
    if (after < line_.size() && line_[after] != delimiter_) {
      throw IOError(fmt::format("read_csv: {} line {} column {}: unexpected text after a closing quote: {}.",
                                source_, line_number_, after + 1, quoted_prefix(line_.substr(after))));
    }
    pos_ = after;
    if (!doubled) return inside;
    scratch_.clear();
    for (size_t k = 0; k < inside.size(); ++k) {
      scratch_ += inside[k];
      if (inside[k] == '"') ++k;
    }
    return scratch_;
  }

  const std::string& source_;
  char delimiter_;
  std::string_view line_;
  size_t pos_ = 0, line_number_ = 0;
  bool done_ = false;
  std::string scratch_;
};

// Lines of the input with their "\n" or "\r\n" removed, one line in memory at a time.
class LineReader {
 public:
  explicit LineReader(detail::ByteReader& in) : in_(in) {}
  bool next(std::string& line) {
    line.clear();
    bool any = false;
    for (;;) {
      if (pos_ == size_) {
        size_ = static_cast<size_t>(in_.read(chunk_, sizeof chunk_));
        pos_ = 0;
        if (size_ == 0) break;
      }
      any = true;
      const void* nl = std::memchr(chunk_ + pos_, '\n', size_ - pos_);
      const size_t stop = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - chunk_) : size_;
      line.append(chunk_ + pos_, stop - pos_);
      pos_ = stop;
      if (nl != nullptr) {
        ++pos_;
        break;
      }
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return any;
  }

 private:
  detail::ByteReader& in_;
  char chunk_[1 << 16];
  size_t pos_ = 0, size_ = 0;
};

CsvTable parse(detail::ByteReader& in, const std::string& source, const CsvOptions& options) {
  if (options.header != "auto" && options.header != "yes" && options.header != "no") {
    throw ValueError("read_csv: header must be \"auto\", \"yes\" or \"no\", received \"" + options.header +
                     "\".");
  }
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    throw ValueError("read_csv: the delimiter cannot be a quote or a line break.");
  }
  CsvTable table;
  std::vector<float> values;
  FieldSplitter split(source, options.delimiter);
  LineReader lines(in);
  std::string line;
  size_t width = 0, rows = 0, line_number = 0;
  bool first = true;
  while (lines.next(line)) {
    ++line_number;
    std::string_view text(line);
    if (line_number == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string_view field;
    size_t column = 0, count = 0;
    if (first) {
      first = false;
      bool numeric = true;
      if (options.header != "yes") {
        split.start(text, line_number);
        float v;
        while (numeric && split.next(field, column)) numeric = parse_number(field, v);
      }
      if (options.header == "yes" || (options.header == "auto" && !numeric)) {
        split.start(text, line_number);
        while (split.next(field, column)) table.columns.emplace_back(field);
        width = table.columns.size();
        continue;
      }
      split.start(text, line_number);
      while (split.next(field, column)) ++width;
    }
    split.start(text, line_number);
    while (split.next(field, column)) {
      if (++count > width) break;
      float v;
      if (const char* problem = number_problem(field, v); *problem != '\0') {
        const std::string name =
            table.columns.empty()
                ? std::string()
                : fmt::format("\"{}\", ", std::string_view(table.columns[count - 1]).substr(0, kQuoteLimit));
        throw IOError(fmt::format("read_csv: {} line {} column {} ({}character {}) {}: {}.", source,
                                  line_number, count, name, column, problem, quoted_prefix(field)));
      }
      values.push_back(v);
    }
    if (count != width) {
      while (split.next(field, column)) ++count;  // the whole row, for the message
      values.resize(rows * width);
      throw IOError(fmt::format("read_csv: {} line {} has {} fields; the first row has {}.", source,
                                line_number, count, width));
    }
    ++rows;
  }
  if (rows == 0) throw IOError("read_csv: " + source + " holds no data rows.");
  table.values = Tensor::empty(Shape{static_cast<int64_t>(rows), static_cast<int64_t>(width)});
  std::memcpy(table.values.f32(), values.data(), values.size() * sizeof(float));
  return table;
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  io::InputFile file = io::open_regular_file("read_csv", path);
  detail::ByteReader in(file, "read_csv: " + path + ": ", /*allow_gzip=*/false);
  return parse(in, path, options);
}

CsvTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  detail::ByteReader in(text, "read_csv: " + source + ": ", /*allow_gzip=*/false);
  return parse(in, source, options);
}

}  // namespace soma::data
