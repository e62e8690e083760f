// Hostile and broken image files: each gets an IOError that names the file and says what is wrong,
// quickly and without allocating what the header claims. The first three are the bugs stb 2.27 had
// behind load_image (abort on a zero-sized BMP, heap over-read converting 16-bit PNM, 2 GB and 20 s for
// a 54-byte BMP or 18-byte TGA claiming 16384 x 32768 pixels).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "soma/data/image.hpp"
#include "soma/data/image_dataset.hpp"
#include "support/error_matchers.hpp"
#include "support/reference_cases.hpp"

namespace soma::data {
namespace {

namespace fs = std::filesystem;
using test::expect_contains;
using test::message_of;

void put16(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8 & 0xff));
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

// A 54-byte BITMAPINFOHEADER BMP header with no pixel data after it.
std::string bmp_header(int32_t width, int32_t height, uint16_t bpp = 24, uint32_t compression = 0) {
  std::string s = "BM";
  put32(s, 54), put32(s, 0), put32(s, 54);  // file size, reserved, pixel data offset
  put32(s, 40), put32(s, static_cast<uint32_t>(width)), put32(s, static_cast<uint32_t>(height));
  put16(s, 1), put16(s, bpp), put32(s, compression);
  for (int i = 0; i < 5; ++i) put32(s, 0);
  return s;
}

// An 18-byte TGA header: true colour, 24 bits, `type` 2 (raw) or 10 (RLE).
std::string tga_header(uint16_t width, uint16_t height, uint8_t type = 2) {
  std::string s = {0, 0, static_cast<char>(type), 0, 0, 0, 0, 0, 0, 0, 0, 0};
  put16(s, width), put16(s, height);
  s.push_back(24), s.push_back(0);
  return s;
}

// An 8 x 8 grey progressive JPEG with all coefficients zero, coded as a legal successive-approximation
// scan script: DC first at Al = 10 and its 10 refinements, then the same for AC coefficients 1..n.
// Each scan codes one symbol with a 1-bit Huffman code ("0", padded with 1s). It decodes to grey 128.
std::string progressive_jpeg(int ac_coefficients, int* scans) {
  std::string s = "\xff\xd8";
  s += std::string("\xff\xdb\x00\x43\x00", 5) + std::string(64, '\x01');         // DQT: all ones
  s += std::string("\xff\xc2\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00", 13);  // SOF2 8x8 grey
  for (char table : {'\x00', '\x10'}) {                                          // DC 0, AC 0
    s += std::string("\xff\xc4\x00\x14", 4) + table + '\x01' + std::string(15, '\x00') + '\x00';
  }
  *scans = 0;
  auto scan = [&](int ss, int ah, int al) {
    s += std::string("\xff\xda\x00\x08\x01\x01\x00", 7);
    s += {static_cast<char>(ss), static_cast<char>(ss), static_cast<char>(ah << 4 | al), '\x7f'};
    ++*scans;
  };
  for (int c = 0; c <= ac_coefficients; ++c) {
    scan(c, 0, 10);
    for (int k = 10; k > 0; --k) scan(c, k, k - 1);
  }
  return s + "\xff\xd9";
}

std::string file_of(const std::string& name) {
  for (const auto& c : testing::load_reference_cases("images.txt")) {
    if (c.name != name) continue;
    std::string s;
    for (float v : c.tensors.at("file").span<const float>())
      s.push_back(static_cast<char>(static_cast<uint8_t>(v)));
    return s;
  }
  ADD_FAILURE() << "no case " << name << " in images.txt";
  return {};
}

std::string decode_error(const std::string& bytes, const std::string& name = "x") {
  return message_of<IOError>([&] { decode_image(bytes, name); });
}

class HostileImages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soma_hostile_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

TEST_F(HostileImages, ZeroSizedBmpIsAnErrorNotAnAbort) {
  const std::string wide = write("zero_width.bmp", bmp_header(0, 4)),
                    high = write("zero_height.bmp", bmp_header(4, 0));
  expect_contains(message_of<IOError>([&] { load_image(wide); }),
                  {"load_image: ",
                   "zero_width.bmp: BMP header gives 0 x 4 pixels; an image needs a width and "
                   "height of at least 1."});
  expect_contains(message_of<IOError>([&] { load_image(high, {.color_mode = "grayscale"}); }),
                  {"zero_height.bmp: BMP header gives 4 x 0 pixels"});
  // The same file inside an image directory (what `soma train` reads) names the file too.
  fs::create_directories(dir_ / "classes" / "a");
  fs::copy_file(wide, dir_ / "classes" / "a" / "bad.bmp");
  expect_contains(message_of<IOError>([&] { image_dataset_from_directory((dir_ / "classes").string()); }),
                  {"bad.bmp: BMP header gives 0 x 4 pixels"});
}

TEST_F(HostileImages, SixteenBitPnmIsConvertedWithoutReadingPastTheData) {
  // 3 x 2 grey samples at maxval 65535 and a 2 x 1 RGB image at maxval 1000, asked for in other modes.
  std::string pgm = "P5\n3 2\n65535\n";
  const uint16_t grey[] = {0, 257, 65535, 32768, 1000, 65000};
  for (uint16_t v : grey) pgm += {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  const Tensor rgba = decode_image(pgm, "g.pgm", {.color_mode = "rgba"});
  ASSERT_EQ(rgba.shape(), (Shape{2, 3, 4}));
  const uint8_t scaled[] = {0, 1, 255, 128, 4, 253};  // round(v * 255 / 65535)
  for (int i = 0; i < 6; ++i) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(rgba.data<uint8_t>()[i * 4 + c], scaled[i]) << i;
    EXPECT_EQ(rgba.data<uint8_t>()[i * 4 + 3], 255);
  }
  std::string ppm = "P6 2 1 1000\n";
  const uint16_t rgb[] = {1000, 0, 0, 500, 500, 500};
  for (uint16_t v : rgb) ppm += {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  const Tensor g = decode_image(ppm, "c.ppm", {.color_mode = "grayscale"});
  ASSERT_EQ(g.shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(g.data<uint8_t>()[0], 76);   // (255 * 19595 + 32768) >> 16, PIL's luma of pure red
  EXPECT_EQ(g.data<uint8_t>()[1], 128);  // grey 500/1000 -> 128 (127.5 rounds to even)
  // One byte short of the data, or a sample above maxval, is refused.
  expect_contains(decode_error(ppm.substr(0, ppm.size() - 1), "c.ppm"),
                  {"decode_image: c.ppm: truncated PPM: 2 x 1 pixels need 12 bytes of data after the header, "
                   "the file has 11."});
  std::string over = ppm;
  over[over.size() - 2] = 0x03, over.back() = static_cast<char>(0xe9);  // 1001
  expect_contains(decode_error(over, "c.ppm"), {"PPM sample 5 is 1001, above maxval 1000"});
}

TEST_F(HostileImages, HugeHeadersWithoutDataAreRefusedBeforeAllocating) {
  const auto start = std::chrono::steady_clock::now();
  // The reported files: 16384 x 32768 is above the absolute cap whatever the file holds.
  expect_contains(
      message_of<IOError>([&] { load_image(write("huge.bmp", bmp_header(16384, 32768))); }),
      {"huge.bmp: BMP header gives 16384 x 32768 = 536870912 pixels, above the limit of 178956970 "
       "(PIL's decompression-bomb limit)."});
  expect_contains(message_of<IOError>([&] { load_image(write("huge.tga", tga_header(16384, 32768))); }),
                  {"huge.tga: TGA header gives 16384 x 32768 = 536870912 pixels, above the limit"});
  // Below the cap, the file must hold the data the header promises.
  expect_contains(message_of<IOError>([&] { load_image(write("big.bmp", bmp_header(8192, 16384))); }),
                  {"big.bmp: truncated BMP: 8192 x 16384 pixels at 24 bits need 402653238 bytes, the file "
                   "has 54."});
  expect_contains(message_of<IOError>([&] { load_image(write("big.tga", tga_header(8192, 16384))); }),
                  {"big.tga: truncated TGA: 8192 x 16384 pixels need 402653202 bytes, the file has 18."});
  expect_contains(decode_error(tga_header(8192, 16384, 10), "rle.tga"),
                  {"rle.tga: truncated TGA: the RLE data ends after 0 of 134217728 pixels."});
  // A PNG header of that size: 400 MB cannot inflate from 178 bytes.
  std::string png = file_of("png_RGB");
  png[16] = 0, png[17] = 0, png[18] = 0x20, png[19] = 0;  // width 8192
  png[20] = 0, png[21] = 0, png[22] = 0x40, png[23] = 0;  // height 16384
  png[29] = png[30] = png[31] = png[32] = 0;              // the IHDR CRC, fixed below
  const std::string crc_input = png.substr(12, 17);
  uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(crc_input.data()), static_cast<uInt>(crc_input.size()));
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>(crc >> (24 - 8 * i) & 0xff);
  expect_contains(decode_error(png, "huge.png"),
                  {"huge.png: PNG header claims 8192 x 16384 pixels (402669568 bytes of image data), more "
                   "than a 178-byte file can hold at deflate's maximum ratio of 1032:1"});
  // A JPEG whose frame header says 16384 x 8192: far more 8x8 blocks than its bytes can code.
  std::string jpeg = file_of("jpeg_444");
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = 0x20, jpeg[sof + 6] = 0, jpeg[sof + 7] = 0x40, jpeg[sof + 8] = 0;
  expect_contains(
      decode_error(jpeg, "huge.jpg"),
      {"huge.jpg: JPEG header claims 16384 x 8192 pixels, more than a", "at least one bit per 8x8 block"});
  std::string gif = file_of("gif_P");
  gif[6] = 0x10, gif[7] = 0x27, gif[8] = 0x10, gif[9] = 0x27;  // a 10000 x 10000 screen
  expect_contains(decode_error(gif, "huge.gif"),
                  {"huge.gif: GIF screen of 10000 x 10000 pixels is more than its"});
  expect_contains(
      decode_error("P5 20000 20000 255\n", "huge.pgm"),
      {"huge.pgm: PGM header gives 20000 x 20000 = 400000000 pixels, above the limit of 178956970"});
  gif[6] = gif[7] = gif[8] = gif[9] = static_cast<char>(0xff);
  expect_contains(decode_error(gif, "max.gif"),
                  {"GIF header gives 65535 x 65535 = 4294836225 pixels, above"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0) << "nothing of the claimed size may be allocated or decoded";
}

// Every prefix of a valid file that is shorter than its image data is refused. GIF may lose its
// one-byte trailer and TGA its 26-byte TGA 2.0 footer (PIL writes one): the pixels are all there.
TEST_F(HostileImages, EveryTruncationIsRefused) {
  const std::pair<const char*, size_t> files[] = {{"png_RGB", 0},
                                                  {"png_RGBA16_interlaced", 0},
                                                  {"png_palette2", 0},
                                                  {"jpeg_420", 0},
                                                  {"jpeg_progressive", 0},
                                                  {"jpeg_cmyk", 0},
                                                  {"bmp_24", 0},
                                                  {"bmp_1", 0},
                                                  {"tga_RGB_rle", 26},
                                                  {"tga_P", 26},
                                                  {"gif_P", 1},
                                                  {"ppm_max65535", 0},
                                                  {"pgm_8", 0}};
  for (const auto& [name, spare] : files) {
    const std::string whole = file_of(name);
    EXPECT_NO_THROW(decode_image(whole.substr(0, whole.size() - spare), name)) << name;
    for (size_t n = 0; n + spare < whole.size(); ++n) {
      const std::string m = decode_error(whole.substr(0, n), name);
      ASSERT_NE(m.find(std::string("decode_image: ") + name + ": "), std::string::npos) << n << ": " << m;
    }
  }
  // What the messages say, at a cut in the middle of the pixel data.
  auto half = [](const char* name) {
    const std::string s = file_of(name);
    return decode_error(s.substr(0, s.size() / 2 + 7), name);
  };
  expect_contains(half("png_RGB"), {"png_RGB: invalid PNG: the file ends early (truncated)."});
  expect_contains(half("jpeg_420"), {"jpeg_420: invalid JPEG: Premature end of JPEG file."});
  expect_contains(half("jpeg_progressive"), {"jpeg_progressive: invalid JPEG: Premature end of JPEG file."});
  expect_contains(half("bmp_24"),
                  {"bmp_24: truncated BMP: 7 x 5 pixels at 24 bits need 174 bytes, the file has 94."});
  expect_contains(half("tga_RGB_rle"), {"tga_RGB_rle: truncated TGA: the"});
  const std::string gif = file_of("gif_P");
  expect_contains(decode_error(gif.substr(0, gif.size() - 5), "gif_P"),
                  {"gif_P: truncated GIF: the file ends inside a data block."});
  expect_contains(decode_error(gif.substr(0, 100), "gif_P"),
                  {"gif_P: truncated GIF: the file ends before the first image."});
  expect_contains(half("pgm_8"), {"pgm_8: truncated PGM: 7 x 3 pixels need 21 bytes"});
}

TEST_F(HostileImages, CorruptDataIsRefused) {
  std::string png = file_of("png_RGB");
  png[png.find("IDAT") + 10] ^= 0x5a;
  expect_contains(decode_error(png, "bad.png"), {"bad.png: invalid PNG: IDAT: "});
  std::string jpeg = file_of("jpeg_420");
  const size_t sos = jpeg.find("\xff\xda");
  ASSERT_NE(sos, std::string::npos);
  for (size_t i = sos + 20; i < sos + 60; ++i) jpeg[i] = static_cast<char>(0xff);  // markers in the scan
  expect_contains(decode_error(jpeg, "bad.jpg"), {"bad.jpg: invalid JPEG: "});
  expect_contains(decode_error(bmp_header(4, 4, 8, 1), "rle.bmp"),
                  {"rle.bmp: BMP compression 1 (RLE or embedded JPEG/PNG) is not supported."});
  expect_contains(decode_error(bmp_header(4, 4, 7), "odd.bmp"),
                  {"odd.bmp: BMP with 7 bits per pixel is not supported"});
  expect_contains(decode_error("P3\n1 1\n255\n0 0 0\n", "a.ppm"),
                  {"a.ppm: PNM type P3 is not supported (only binary P5 and P6)."});
  expect_contains(decode_error("P6 1 1 0\n000", "z.ppm"),
                  {"z.ppm: PPM maxval must be in 1..65535, received 0."});
  expect_contains(decode_error("P6 1 x 255\n000", "h.ppm"), {"h.ppm: invalid PPM header: expected width"});
  expect_contains(decode_error("", "empty.png"), {"decode_image: empty.png: the file is empty."});
}

TEST_F(HostileImages, ProgressiveJpegScansAreLimited) {
  int scans = 0;
  const std::string ok = progressive_jpeg(40, &scans);
  ASSERT_EQ(scans, 451);
  const Tensor grey = decode_image(ok, "451.jpg", {.color_mode = "grayscale"});
  ASSERT_EQ(grey.shape(), (Shape{8, 8, 1}));
  for (uint8_t v : grey.to_vector<uint8_t>()) ASSERT_EQ(v, 128);
  const std::string many = progressive_jpeg(63, &scans);
  ASSERT_EQ(scans, 704);
  expect_contains(decode_error(many, "704.jpg"), {"704.jpg: invalid JPEG: more than 500 progressive scans."});
}

TEST_F(HostileImages, OnlyRegularFilesAreRead) {
  fs::create_directories(dir_ / "folder.png");
  expect_contains(message_of<IOError>([&] { load_image((dir_ / "folder.png").string()); }),
                  {"load_image: ", "folder.png is not a regular file."});
  expect_contains(message_of<IOError>([&] { load_image((dir_ / "missing.png").string()); }),
                  {"load_image: cannot open ", "missing.png: no such file."});
  expect_contains(message_of<IOError>([&] { load_image(write("empty.jpg", "")); }),
                  {"empty.jpg: the file is empty."});
  // A sparse file just over 1 GiB takes no disk space and is refused before it is read.
  const std::string big = write("big.png", "\x89PNG\r\n\x1a\n");
  fs::resize_file(big, (uint64_t{1} << 30) + 1);
  expect_contains(message_of<IOError>([&] { load_image(big); }),
                  {"big.png is 1073741825 bytes, larger than any image soma reads (1073741824)."});
}

}  // namespace
}  // namespace soma::data
