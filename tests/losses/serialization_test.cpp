// Loss configs: serialize / deserialize round trips and bad configs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "soma/losses/loss.hpp"
#include "support/error_matchers.hpp"

namespace soma::losses {
namespace {

using test::expect_contains;
using test::message_of;

TEST(LossConfig, EveryLossRoundTrips) {
  for (const char* name : {"mean_squared_error", "mean_absolute_error", "categorical_crossentropy",
                           "sparse_categorical_crossentropy", "binary_crossentropy"}) {
    for (bool logits : {false, true}) {
      auto loss = get(name, {.from_logits = logits});
      const Config spec = serialize(*loss);
      EXPECT_EQ(spec["class_name"], name);
      EXPECT_EQ(spec["config"]["from_logits"], logits);
      auto copy = deserialize(Config::parse(spec.dump()));
      EXPECT_EQ(copy->name(), name);
      EXPECT_EQ(serialize(*copy), spec);
    }
  }
}

TEST(LossConfig, BadConfigsAreValueErrors) {
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "hinge"}});
                  }),
                  {"unknown loss \"hinge\""});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "mse"}, {"config", {{"reduction", "sum"}}}});
                  }),
                  {"\"reduction\"", "from_logits"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "mse"}, {"config", {{"from_logits", 1}}}});
                  }),
                  {"\"from_logits\""});
  expect_contains(message_of<ValueError>([] { deserialize(Config(5)); }), {"class_name"});
}

}  // namespace
}  // namespace soma::losses
