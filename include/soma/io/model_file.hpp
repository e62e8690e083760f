#pragma once
// The model file of Sequential::save / soma::load_model: a JSON config (architecture, compile arguments,
// training state) and named tensors (weights, optimizer state) in one versioned, checksummed file,
// written atomically.
//
// Layout (little-endian):  "SOMAMDL\0" | u32 version (1) | u64 config length | config (UTF-8 JSON) |
//   u32 count | count x { u32 name length | name | u8 dtype | u8 rank | rank x i64 dims | data } |
//   u32 CRC-32 (zlib) of every byte before it.
// The tensor records are those of the weights file (soma/io/weights_file.hpp). What the config holds is
// described in docs/saving.md.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/config.hpp"
#include "soma/io/weights_file.hpp"

namespace soma::io {

struct ModelFile {
  Config config;
  std::vector<NamedTensor> tensors;
};

void write_model_file(const std::string& path, const ModelFile& file);
// Throws IOError naming the file and the problem (missing, not a soma model file, unsupported version,
// truncated, corrupted, malformed config); it never reads past the end or crashes on any input.
ModelFile read_model_file(const std::string& path);
// The same from bytes in memory; `source` names them in errors. verify_checksum = false lets a fuzzer
// reach the parser behind the checksum.
ModelFile parse_model_file(std::string_view bytes, const std::string& source, bool verify_checksum = true);

}  // namespace soma::io
