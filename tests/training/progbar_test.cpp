#include "soma/training/progbar.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace soma {
namespace {

const std::vector<NamedValue> kLogs{{"loss", 0.30123}, {"accuracy", 0.91}};

TEST(Progbar, RendersKerasVerboseOneLines) {
  std::ostringstream out;
  Progbar bar(469, 1, out, false);
  EXPECT_EQ(bar.render(123, kLogs, 1.0, false),
            "123/469 [======>.......................] - ETA: 2s - loss: 0.3012 - accuracy: 0.9100");
  EXPECT_EQ(bar.render(469, kLogs, 3.0, true),
            "469/469 [==============================] - 3s 6ms/step - loss: 0.3012 - accuracy: 0.9100");
  EXPECT_EQ(bar.render(1, {}, 0.001, false), "  1/469 [..............................] - ETA: 0s");
}

TEST(Progbar, EtaFormatsAndSmallValues) {
  std::ostringstream out;
  Progbar bar(100, 1, out, false);
  EXPECT_NE(bar.render(1, {}, 10.0, false).find("ETA: 16:30"), std::string::npos);
  EXPECT_NE(bar.render(1, {}, 40.0, false).find("ETA: 1:06:00"), std::string::npos);
  const std::vector<NamedValue> tiny{{"loss", 0.00012}};
  EXPECT_NE(bar.render(100, tiny, 1.0, true).find("loss: 1.2000e-04"), std::string::npos);
}

TEST(Progbar, VerboseTwoWritesOnlyTheFinalLine) {
  std::ostringstream out;
  Progbar bar(4, 2, out, false);
  bar.update(1, kLogs);
  bar.update(2, kLogs);
  EXPECT_TRUE(out.str().empty());
  bar.update(4, kLogs, true);
  EXPECT_EQ(out.str().rfind("4/4 - ", 0), 0u) << out.str();
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(Progbar, TerminalRedrawsInPlace) {
  std::ostringstream out;
  Progbar bar(2, 1, out, true);
  bar.update(1, kLogs);
  bar.update(2, kLogs, true);
  const std::string s = out.str();
  EXPECT_EQ(s.front(), '\r');
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
}

}  // namespace
}  // namespace soma
