#include "soma/io/weights_file.hpp"

#include "io/records.hpp"
#include "soma/io/files.hpp"

namespace soma::io {

namespace {
constexpr char kMagic[8] = {'S', 'O', 'M', 'A', 'W', 'T', 'S', '\0'};
constexpr uint32_t kVersion = 1;
}  // namespace

void write_weights(const std::string& path, const std::vector<NamedTensor>& tensors) {
  std::string out(kMagic, sizeof kMagic);
  detail::put(out, kVersion);
  detail::put_tensors(out, tensors);
  detail::put_checksum(out);
  write_file_atomically("save_weights", path, out);
}

std::vector<NamedTensor> parse_weights(std::string_view bytes, const std::string& source,
                                       bool verify_checksum) {
  detail::Reader r = detail::open_checked("load_weights", source, bytes, kMagic, kVersion,
                                          "a soma weights file", verify_checksum);
  auto tensors = r.get_tensors();
  if (r.pos() != r.size()) r.fail("has trailing bytes after its last tensor");
  return tensors;
}

std::vector<NamedTensor> read_weights(const std::string& path) {
  return parse_weights(read_regular_file("load_weights", path), path);
}

}  // namespace soma::io
