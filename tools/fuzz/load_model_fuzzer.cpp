// libFuzzer target: any bytes given to load_model either load or throw IOError, never crash, hang or leak
// (ASan + UBSan). The checksum is skipped so mutations reach the header, config and tensor parsers
// behind it; with it, almost every mutation would stop at the CRC. Run: scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "soma/core/error.hpp"
#include "soma/models/model.hpp"
#include "soma/models/saving.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    soma::Model model = soma::load_model_from_bytes(bytes, "fuzz input", {.restore_random_state = false},
                                                    /*verify_checksum=*/false);
    // A loaded model (Sequential or functional) must also be usable: one prediction on zeros.
    std::vector<soma::Tensor> inputs;
    int64_t values = 0;
    for (const soma::KerasTensor& t : model.inputs()) {
      values += t.shape().numel();
      if (values > (1 << 16)) break;
      inputs.push_back(soma::Tensor::zeros(t.shape().with_batch(1)));
    }
    if (!inputs.empty() && inputs.size() == model.inputs().size()) model.predict(soma::TensorList(inputs));
  } catch (const soma::IOError&) {
    // The one documented outcome for a bad file.
  }
  return 0;
}
