// libFuzzer target for the Keras-family importers: any bytes given as a .keras zip, a Keras .h5 or a tfjs
// model.json (beside a fixed weight shard) either load or throw IOError, never crash, hang or leak. The
// first byte picks the reader, so one corpus covers all three. Run: scripts/fuzz.sh keras_import_fuzzer.
//
// HDF5 inputs (.h5, and .keras whose weights are HDF5) are fuzzed only with SOMA_FUZZ_HDF5=1: Debian 12's
// libhdf5 1.10.8 loops without end on some corrupted files (tools/fuzz/known_hangs/: a variable-length
// string attribute whose global-heap reference is damaged spins in H5HG_read), which soma cannot bound
// in-process. The time-bounded run in the test command fuzzes the tfjs reader and soma's own checks
// around it; docs/interop.md says what that means for untrusted .h5 files.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "soma/core/error.hpp"
#include "soma/models/model.hpp"
#include "soma/models/saving.hpp"

namespace {
std::filesystem::path tfjs_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("soma_fuzz_tfjs_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    // A shard of 1 KiB of small floats: manifests that fit it load.
    std::string shard(1024, '\0');
    for (size_t i = 0; i < shard.size(); i += 4) shard[i + 3] = 0x3c;
    std::ofstream(d / "weights.bin", std::ios::binary) << shard;
    return d;
  }();
  return dir;
}

void use(soma::Model& model) {
  std::vector<soma::Tensor> inputs;
  int64_t values = 0;
  for (const soma::KerasTensor& t : model.inputs()) {
    values += t.shape().numel();
    if (values > (1 << 16)) return;
    inputs.push_back(soma::Tensor::zeros(t.shape().with_batch(1)));
  }
  if (!inputs.empty()) model.predict(soma::TensorList(inputs));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> notes;
  const soma::LoadOptions options{.restore_random_state = false, .notes = &notes};
  static const bool hdf5 = std::getenv("SOMA_FUZZ_HDF5") && std::string(std::getenv("SOMA_FUZZ_HDF5")) == "1";
  try {
    if (data[0] % 2 == 0) {
      if (!hdf5) return 0;  // .keras or .h5 (or anything else load_model_from_bytes refuses)
      soma::Model model = soma::load_model_from_bytes(bytes, "fuzz input", options, false);
      use(model);
    } else {
      const auto path = tfjs_dir() / "model.json";
      std::ofstream(path, std::ios::binary) << bytes;
      soma::Model model = soma::load_model(path.string(), options);
      use(model);
    }
  } catch (const soma::IOError&) {
    // The one documented outcome for a bad file.
  }
  return 0;
}
