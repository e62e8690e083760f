#pragma once
// Reads the reference files written by tests/reference/*.py: "case NAME", "options k=v ...",
// "tensor NAME rank dims... values...", "end".
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::testing {

struct ReferenceCase {
  std::string name;
  std::map<std::string, std::string> options;
  std::map<std::string, Tensor> tensors;
};

inline std::vector<ReferenceCase> load_reference_cases(const std::string& file) {
  std::ifstream in(std::string(SOMA_TEST_DATA_DIR) + "/" + file);
  EXPECT_TRUE(in) << "missing tests/reference/" << file;
  std::vector<ReferenceCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    s >> key;
    if (key == "case") {
      cases.emplace_back();
      s >> cases.back().name;
    } else if (key == "options") {
      std::string kv;
      while (s >> kv) cases.back().options[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    } else if (key == "tensor") {
      std::string name;
      int rank = 0;
      s >> name >> rank;
      std::vector<int64_t> dims(static_cast<size_t>(rank));
      for (auto& d : dims) s >> d;
      Tensor t = Tensor::empty(Shape(dims));
      for (auto& v : t.span<float>()) s >> v;
      cases.back().tensors[name] = t;
    }
  }
  return cases;
}

// "3,2" -> {3, 2}
inline std::vector<int64_t> ints(const std::string& csv) {
  std::vector<int64_t> out;
  std::istringstream s(csv);
  std::string part;
  while (std::getline(s, part, ',')) out.push_back(std::stoll(part));
  return out;
}

inline void expect_close(const Tensor& got, const Tensor& want, const std::string& what, float tol = 2e-5f) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.f32()[i], want.f32()[i], tol) << what << " element " << i;
}

}  // namespace soma::testing
