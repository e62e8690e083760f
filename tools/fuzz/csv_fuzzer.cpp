// libFuzzer target: read_csv on any text. The first byte picks the options (delimiter, header mode), the
// rest is the file. It either returns a (rows, columns) table or throws IOError with a short message that
// names the line; it never crashes or copies a huge field into the message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.hpp"
#include "soma/core/error.hpp"
#include "soma/data/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char delimiters[] = {',', ';', '\t', ' '};
  static const char* headers[] = {"auto", "yes", "no", "auto"};
  const soma::data::CsvOptions options{.delimiter = delimiters[data[0] & 3],
                                       .header = headers[(data[0] >> 2) & 3]};
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const auto table = soma::data::parse_csv(text, "fuzz.csv", options);
    if (table.values.rank() != 2 || table.values.dim(0) < 1)
      soma::fuzz::reject("bad table", table.values.shape().str());
    if (!table.columns.empty() && static_cast<int64_t>(table.columns.size()) != table.values.dim(1)) {
      soma::fuzz::reject("names and columns differ", table.values.shape().str());
    }
  } catch (const soma::IOError& e) {
    // Quotes at most 40 characters of a field plus the file name, line, column and a header name.
    soma::fuzz::check_message(e.what(), text, 400);
  }
  return 0;
}
