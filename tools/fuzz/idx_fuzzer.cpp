// libFuzzer target: read_idx on any bytes, raw or gzip (recognised by the 1f 8b magic, as on disk),
// either returns a tensor of the header's shape or throws IOError / NotImplementedError (known IDX
// types soma does not read), never crashes, hangs or allocates beyond what the bytes can hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.hpp"
#include "soma/core/error.hpp"
#include "soma/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const soma::Tensor t = soma::data::parse_idx(bytes, "fuzz input");
    if (t.dtype() != soma::DType::uint8) soma::fuzz::reject("not uint8", t.shape().str());
  } catch (const soma::IOError& e) {
    soma::fuzz::check_message(e.what(), bytes);
  } catch (const soma::NotImplementedError& e) {
    soma::fuzz::check_message(e.what(), bytes);
  }
  return 0;
}
