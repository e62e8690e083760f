// libFuzzer target: any bytes given to the weights-file parser load or throw IOError, never crash, hang or
// allocate more than the bytes can hold. The checksum is skipped so mutations reach the tensor records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.hpp"
#include "soma/core/error.hpp"
#include "soma/io/weights_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto tensors = soma::io::parse_weights(bytes, "fuzz input", /*verify_checksum=*/false);
    size_t total = 0;
    for (const auto& t : tensors) total += t.value.nbytes();
    if (total > size) soma::fuzz::reject("more tensor bytes than input bytes", std::to_string(total));
  } catch (const soma::IOError& e) {
    soma::fuzz::check_message(e.what(), bytes);
  }
  return 0;
}
