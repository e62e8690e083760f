#pragma once
// What fit() returns, as keras.callbacks.History: per-epoch values by name ("loss", "accuracy",
// "val_loss", "val_accuracy", ...), in epoch order.
#include <map>
#include <string>
#include <vector>

namespace soma {

struct History {
  std::map<std::string, std::vector<double>> history;
  // The epoch numbers (0-based, counting from initial_epoch) the values belong to.
  std::vector<int> epoch;

  // history.at(key), with a ValueError naming the recorded keys when `key` is not one of them.
  const std::vector<double>& operator[](const std::string& key) const;
  // The value of `key` in the last recorded epoch.
  double last(const std::string& key) const;
};

}  // namespace soma
