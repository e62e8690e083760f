// Writing soma's files safely (unique temporary, fsync, rename, symlinks kept, long names, nothing left
// behind on failure), their little-endian bytes on disk, and loaders that open only regular files.
#include "soma/io/files.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "soma/io/model_file.hpp"
#include "soma/io/weights_file.hpp"
#include "soma/layers/dense.hpp"
#include "soma/models/saving.hpp"
#include "soma/models/sequential.hpp"
#include "support/error_matchers.hpp"
#include "support/special_files.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;
using test::expect_contains;
using test::message_of;

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soma_files_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Every entry of the test directory, so a leftover temporary shows up.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string read(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  fs::path dir_;
};

std::vector<io::NamedTensor> one_tensor(float a, float b) {
  return {{"w", Tensor::from_vector(std::vector<float>{a, b}, Shape{2})}};
}

TEST_F(Files, WeightsBytesOnDiskAreLittleEndian) {
  io::write_weights(path("w.soma"), one_tensor(1.0f, -2.0f));
  const std::string bytes = read(path("w.soma"));
  const unsigned char expected[] = {
      'S', 'O', 'M',  'A',  'W', 'T', 'S', 0,  // magic
      1,   0,   0,    0,                       // u32 version 1
      1,   0,   0,    0,                       // u32 tensor count 1
      1,   0,   0,    0,    'w',               // u32 name length 1, name
      0,                                       // u8 dtype float32
      1,                                       // u8 rank 1
      2,   0,   0,    0,    0,   0,   0,   0,  // i64 dim 2
      0,   0,   0x80, 0x3f,                    // 1.0f = 0x3f800000
      0,   0,   0,    0xc0,                    // -2.0f = 0xc0000000
  };
  ASSERT_EQ(bytes.size(), sizeof expected + 4);
  EXPECT_EQ(std::memcmp(bytes.data(), expected, sizeof expected), 0);
  const auto crc = static_cast<uint32_t>(crc32(0L, expected, sizeof expected));
  const unsigned char trailer[] = {static_cast<unsigned char>(crc), static_cast<unsigned char>(crc >> 8),
                                   static_cast<unsigned char>(crc >> 16),
                                   static_cast<unsigned char>(crc >> 24)};
  EXPECT_EQ(std::memcmp(bytes.data() + sizeof expected, trailer, 4), 0) << "CRC-32 trailer, little-endian";
  const auto back = io::read_weights(path("w.soma"));
  EXPECT_EQ(back.at(0).value.to_vector<float>(), (std::vector<float>{1.0f, -2.0f}));
}

TEST_F(Files, ModelFileHeaderIsLittleEndian) {
  io::ModelFile file;
  file.config = Config{{"a", 1}};
  file.tensors.push_back({"i", Tensor::from_vector(std::vector<int64_t>{0x0102030405060708}, Shape{1})});
  io::write_model_file(path("m.soma"), file);
  const std::string bytes = read(path("m.soma"));
  const std::string config = R"({"a":1})";
  std::string expected("SOMAMDL\0", 8);
  expected += std::string("\x01\0\0\0", 4);                                             // version
  expected += std::string(1, static_cast<char>(config.size())) + std::string(7, '\0');  // u64 length
  expected += config;
  expected += std::string("\x01\0\0\0\x01\0\0\0i", 9);             // count, name length, name
  expected += std::string("\x01\x01", 2);                          // dtype int64, rank 1
  expected += std::string("\x01\0\0\0\0\0\0\0", 8);                // dim 1
  expected += std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8);  // the int64, low byte first
  ASSERT_EQ(bytes.size(), expected.size() + 4);
  EXPECT_EQ(bytes.substr(0, expected.size()), expected);
  EXPECT_EQ(io::read_model_file(path("m.soma")).tensors.at(0).value.to_vector<int64_t>()[0],
            0x0102030405060708);
}

TEST_F(Files, AFileNameOf255CharactersCanBeSaved) {
  const std::string name = std::string(250, 'n') + ".soma";
  ASSERT_EQ(name.size(), 255u);
  io::write_weights(path(name), one_tensor(3.0f, 4.0f));
  EXPECT_EQ(io::read_weights(path(name)).at(0).value.to_vector<float>()[0], 3.0f);
  io::write_weights(path(name), one_tensor(5.0f, 6.0f));  // replacing it too
  EXPECT_EQ(io::read_weights(path(name)).at(0).value.to_vector<float>()[0], 5.0f);
  EXPECT_EQ(entries(), std::vector<std::string>{name});

  Sequential m;
  m.add(layers::Dense({.units = 2, .input_dim = 3}));
  const std::string model_name = std::string(255, 'm');
  m.save(path(model_name));
  m.save_weights(path(std::string(254, 'w')));
  EXPECT_EQ(load_model(path(model_name)).count_params(), 8);
}

TEST_F(Files, SavingOntoASymlinkReplacesItsTargetAndKeepsTheLink) {
  fs::create_directories(path("real"));
  io::write_weights(path("real/target.soma"), one_tensor(1.0f, 1.0f));
  fs::create_symlink("real/target.soma", path("relative_link"));    // relative to its directory
  fs::create_symlink(path("relative_link"), path("link_to_link"));  // a chain
  io::write_weights(path("link_to_link"), one_tensor(2.0f, 2.0f));
  EXPECT_TRUE(fs::is_symlink(path("link_to_link")));
  EXPECT_TRUE(fs::is_symlink(path("relative_link")));
  EXPECT_EQ(io::read_weights(path("real/target.soma")).at(0).value.to_vector<float>()[0], 2.0f);
  // A dangling link: the file is created where it points.
  fs::create_symlink("real/new.soma", path("dangling"));
  io::write_weights(path("dangling"), one_tensor(7.0f, 7.0f));
  EXPECT_TRUE(fs::is_symlink(path("dangling")));
  EXPECT_EQ(io::read_weights(path("real/new.soma")).at(0).value.to_vector<float>()[0], 7.0f);
  EXPECT_EQ(entries(), (std::vector<std::string>{"dangling", "link_to_link", "new.soma", "real",
                                                 "relative_link", "target.soma"}));
}

TEST_F(Files, DestinationsThatAreNotRegularFilesAreRefused) {
  fs::create_directories(path("dir.soma"));
  expect_contains(message_of<IOError>([&] { io::write_weights(path("dir.soma"), one_tensor(1, 1)); }),
                  {"save_weights: ", path("dir.soma"), "is a directory, not a regular file"});
  // Saving onto a link to a device must not replace the device (nor the link) with a file.
  fs::create_symlink("/dev/null", path("null_link"));
  expect_contains(message_of<IOError>([&] { io::write_weights(path("null_link"), one_tensor(1, 1)); }),
                  {"/dev/null is a character device, not a regular file"});
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_TRUE(fs::is_symlink(path("null_link")));
  expect_contains(message_of<IOError>([&] { io::write_weights(path("missing/w.soma"), one_tensor(1, 1)); }),
                  {"cannot write", path("missing/w.soma"), "its directory", "does not exist"});
  EXPECT_EQ(entries(), (std::vector<std::string>{"dir.soma", "null_link"}));
}

// RLIMIT_FSIZE makes write() fail with EFBIG past a size: a full disk in miniature.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit r = old_;
    r.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, previous_);
  }

 private:
  rlimit old_{};
  void (*previous_)(int) = nullptr;
};

TEST_F(Files, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  io::write_weights(path("w.soma"), one_tensor(1.0f, 2.0f));
  const std::string before = read(path("w.soma"));
  std::vector<io::NamedTensor> big = {{"big", Tensor::zeros({1 << 16})}};
  std::string message;
  {
    FileSizeLimit limit(4096);
    message = message_of<IOError>([&] { io::write_weights(path("w.soma"), big); });
  }
  expect_contains(message,
                  {"save_weights: writing", path("w.soma"), "File too large", "old file is unchanged"});
  EXPECT_EQ(read(path("w.soma")), before);
  EXPECT_EQ(entries(), std::vector<std::string>{"w.soma"}) << "the temporary file was removed";
  {
    FileSizeLimit limit(4096);
    message = message_of<IOError>([&] { io::write_weights(path("new.soma"), big); });
  }
  expect_contains(message, {"nothing was written"});
  EXPECT_EQ(entries(), std::vector<std::string>{"w.soma"});
}

TEST_F(Files, ConcurrentWritersNeverMixTheirFiles) {
  auto writer = [&](float value) {
    for (int i = 0; i < 25; ++i) io::write_weights(path("shared.soma"), {{"w", Tensor::full({4096}, value)}});
  };
  std::thread a(writer, 1.0f), b(writer, 2.0f);
  a.join();
  b.join();
  const auto w = io::read_weights(path("shared.soma")).at(0).value.to_vector<float>();
  ASSERT_EQ(w.size(), 4096u);
  EXPECT_TRUE(std::all_of(w.begin(), w.end(), [&](float v) { return v == w[0]; })) << "one writer's file";
  EXPECT_EQ(entries(), std::vector<std::string>{"shared.soma"});
}

TEST_F(Files, ANewFileGetsTheUmaskModeAndAReplacedOneKeepsItsMode) {
  io::write_weights(path("w.soma"), one_tensor(1, 1));
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(fs::status(path("w.soma")).permissions(), static_cast<fs::perms>(0666 & ~mask));
  fs::permissions(path("w.soma"), static_cast<fs::perms>(0640));
  io::write_weights(path("w.soma"), one_tensor(2, 2));
  EXPECT_EQ(fs::status(path("w.soma")).permissions(), static_cast<fs::perms>(0640));
}

TEST_F(Files, CheckWritableFindsProblemsBeforeWriting) {
  EXPECT_NO_THROW(io::check_writable("train", path("out.soma")));
  EXPECT_EQ(entries(), std::vector<std::string>{}) << "the probe file is removed";
  expect_contains(message_of<IOError>([&] { io::check_writable("train", path("no/such/dir/m.soma")); }),
                  {"train: cannot write", "does not exist"});
  std::ofstream(path("file")) << "x";
  expect_contains(message_of<IOError>([&] { io::check_writable("train", path("file/m.soma")); }),
                  {"train: cannot write", path("file/m.soma")});
  expect_contains(message_of<IOError>([&] { io::check_writable("train", "/proc/m.soma"); }),
                  {"train: cannot write /proc/m.soma", "creating a file in /proc failed"});
  expect_contains(message_of<IOError>([&] { io::check_writable("train", dir_.string()); }),
                  {"is a directory"});
  expect_contains(message_of<IOError>([&] { io::check_writable("train", ""); }), {"empty"});
}

TEST_F(Files, LoadersOpenOnlyRegularFiles) {
  test::SpecialFiles special;
  special.expect_all_refused("load_weights: ", [](const std::string& p) { io::read_weights(p); });
  special.expect_all_refused("load_model: ", [](const std::string& p) { io::read_model_file(p); });
  special.expect_all_refused("load_model: ", [](const std::string& p) { load_model(p); });
  special.expect_all_refused("load_weights: ", [](const std::string& p) {
    Sequential m;
    m.add(layers::Dense({.units = 2, .input_dim = 3}));
    m.load_weights(p);
  });
  expect_contains(message_of<IOError>([] { io::read_weights("/nonexistent/w.soma"); }),
                  {"load_weights: cannot open /nonexistent/w.soma: No such file or directory"});
  // A symlink to a regular file is followed.
  io::write_weights(path("w.soma"), one_tensor(1, 2));
  fs::create_symlink(path("w.soma"), path("link"));
  EXPECT_EQ(io::read_weights(path("link")).size(), 1u);
}

// Found by weights_fuzzer: a zero dimension after huge ones passed the size check, and Shape then
// overflowed int64 (undefined behaviour) multiplying its way to 0.
TEST_F(Files, AZeroDimensionAfterHugeOnesIsRefused) {
  std::string bytes("SOMAWTS\0", 8);
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto i64 = [&](int64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
  };
  u32(1);  // version
  u32(1);  // one tensor
  u32(1);
  bytes += "w";
  bytes += std::string("\0\x03", 2);  // float32, rank 3
  i64(int64_t{1} << 40);
  i64(int64_t{1} << 40);
  i64(0);
  u32(0);  // the CRC, not checked here
  expect_contains(message_of<IOError>([&] { io::parse_weights(bytes, "zero last", false); }),
                  {"zero last has an invalid shape for tensor \"w\""});
}

}  // namespace
}  // namespace soma
