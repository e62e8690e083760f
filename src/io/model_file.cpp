#include "soma/io/model_file.hpp"

#include "io/records.hpp"
#include "soma/io/files.hpp"

namespace soma::io {

namespace {
constexpr char kMagic[8] = {'S', 'O', 'M', 'A', 'M', 'D', 'L', '\0'};
constexpr uint32_t kVersion = 1;
// Deeper JSON than any model needs would only exhaust the parser's stack.
constexpr int kMaxConfigDepth = 64;
}  // namespace

void write_model_file(const std::string& path, const ModelFile& file) {
  const std::string config = file.config.dump();
  std::string out(kMagic, sizeof kMagic);
  detail::put(out, kVersion);
  detail::put(out, static_cast<uint64_t>(config.size()));
  out += config;
  detail::put_tensors(out, file.tensors);
  detail::put_checksum(out);
  write_file_atomically("save", path, out);
}

ModelFile parse_model_file(std::string_view bytes, const std::string& source, bool verify_checksum) {
  detail::Reader r = detail::open_checked("load_model", source, bytes, kMagic, kVersion, "a soma model file",
                                          verify_checksum);
  const auto length = r.get<uint64_t>("the config length");
  if (length > r.size() - r.pos()) r.fail("is truncated: its config is cut off");
  const std::string_view text(r.take(static_cast<size_t>(length), "the config"), static_cast<size_t>(length));
  ModelFile file;
  try {
    file.config = Config::parse(text, [](int depth, Config::parse_event_t, Config&) {
      if (depth > kMaxConfigDepth) throw IOError("nested deeper than " + std::to_string(kMaxConfigDepth));
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    r.fail(std::string("has a malformed config: ") + e.what());
  } catch (const IOError& e) {
    r.fail(std::string("has a malformed config: ") + e.what());
  }
  if (!file.config.is_object()) r.fail("has a malformed config: it is not a JSON object");
  file.tensors = r.get_tensors();
  if (r.pos() != r.size()) r.fail("has trailing bytes after its last tensor");
  return file;
}

ModelFile read_model_file(const std::string& path) {
  return parse_model_file(read_regular_file("load_model", path), path);
}

}  // namespace soma::io
