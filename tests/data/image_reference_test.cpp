// Every format, bit depth and colour type load_image reads, against PIL's decode of the same file as
// keras.utils.load_img converts it (tests/reference/images.py wrote the files and the values).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "soma/data/image.hpp"
#include "support/reference_cases.hpp"

namespace soma::data {
namespace {

namespace fs = std::filesystem;

std::string bytes_of(const Tensor& t) {
  std::string s;
  for (float v : t.span<const float>()) s.push_back(static_cast<char>(static_cast<uint8_t>(v)));
  return s;
}

TEST(ImageReference, MatchesPilForEveryFormatAndColourMode) {
  const auto cases = testing::load_reference_cases("images.txt");
  ASSERT_GE(cases.size(), 40u);
  const fs::path dir = fs::temp_directory_path() / ("soma_image_ref_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::set<std::string> formats;
  for (const auto& c : cases) {
    const std::string bytes = bytes_of(c.tensors.at("file"));
    const std::string path = (dir / c.name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    formats.insert(c.options.at("format"));
    for (const char* mode : {"grayscale", "rgb", "rgba"}) {
      const Tensor& want = c.tensors.at(mode);
      for (const Tensor& got :
           {load_image(path, {.color_mode = mode}), decode_image(bytes, c.name, {.color_mode = mode})}) {
        ASSERT_EQ(got.shape(), want.shape()) << c.name << " " << mode;
        const auto g = got.to_vector<uint8_t>();
        int64_t differ = 0, first = -1;
        for (size_t i = 0; i < g.size(); ++i) {
          if (g[i] != static_cast<uint8_t>(want.f32()[i])) {
            if (first < 0) first = static_cast<int64_t>(i);
            ++differ;
          }
        }
        EXPECT_EQ(differ, 0) << c.name << " " << mode << ": first difference at " << first << ": soma "
                             << (first >= 0 ? int(g[static_cast<size_t>(first)]) : 0) << ", PIL "
                             << (first >= 0 ? want.f32()[first] : 0.0f);
      }
    }
  }
  fs::remove_all(dir);
  EXPECT_EQ(formats, (std::set<std::string>{"bmp", "gif", "jpeg", "png", "pnm", "tga"}));
}

}  // namespace
}  // namespace soma::data
