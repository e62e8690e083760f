// libFuzzer target: any bytes given to decode_image either decode to a uint8 (height, width, channels)
// tensor or throw IOError, never crash, hang, leak or allocate without bound (ASan + UBSan, libFuzzer's
// -rss_limit_mb and -malloc_limit_mb). The input's length picks the colour mode and whether to resize,
// so every conversion path is reached. Run: scripts/fuzz.sh; seeds in tools/fuzz/corpus/image_fuzzer/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "soma/core/error.hpp"
#include "soma/data/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const char* modes[] = {"grayscale", "rgb", "rgba", "rgb"};
  soma::data::LoadImageOptions options{.color_mode = modes[size % 4]};
  if (size % 4 == 3) options.target_size = {7, 5};
  try {
    const soma::Tensor img = soma::data::decode_image(bytes, "fuzz input", options);
    const int64_t channels = size % 4 == 0 ? 1 : (size % 4 == 2 ? 4 : 3);
    if (img.rank() != 3 || img.dim(0) < 1 || img.dim(1) < 1 || img.dim(2) != channels) std::abort();
    if (size % 4 == 3 && (img.dim(0) != 7 || img.dim(1) != 5)) std::abort();
  } catch (const soma::IOError&) {
    // The one documented outcome for a bad file.
  }
  return 0;
}
