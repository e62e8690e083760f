#include "soma/training/history.hpp"

#include "soma/core/error.hpp"

namespace soma {

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = history.find(key);
  if (it == history.end()) {
    std::string known;
    for (const auto& [k, v] : history) known += (known.empty() ? "" : ", ") + k;
    throw ValueError("History: no values recorded for \"" + key + "\"; recorded: " +
                     (known.empty() ? std::string("nothing (no epoch ran)") : known) + ".");
  }
  return it->second;
}

double History::last(const std::string& key) const {
  const auto& values = (*this)[key];
  if (values.empty()) throw ValueError("History: \"" + key + "\" has no values yet.");
  return values.back();
}

}  // namespace soma
