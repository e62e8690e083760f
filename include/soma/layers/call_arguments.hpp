#pragma once
// What one call of a layer in a graph passes besides its positional tensors, as Keras' call kwargs:
//   mha(query, value, key=k, attention_mask=m, use_causal_mask=True)
// has inputs [query, value, k, m] with keywords ["", "", "key", "attention_mask"] and values
// {use_causal_mask: true}. A graph node keeps them, saves them as its inbound node's "kwargs", and passes
// them to every run of the node; most layers take none (Layer::node_output_shapes refuses them).
#include <string>
#include <utility>
#include <vector>

namespace soma::layers {

struct CallArguments {
  // Per input: "" for a positional argument, else the keyword it was passed as. Empty: every input
  // positional, and several of them form one list argument (a merge layer's [a, b]).
  std::vector<std::string> keywords = {};
  // The keyword arguments that are not tensors: name and value as JSON text ("true", "0.5", "\"x\""),
  // kept as text so this header needs no JSON library.
  std::vector<std::pair<std::string, std::string>> values = {};
  bool empty() const { return keywords.empty() && values.empty(); }
  // The index of the input passed as `keyword`, or -1.
  int input(const std::string& keyword) const {
    for (size_t i = 0; i < keywords.size(); ++i)
      if (keywords[i] == keyword) return static_cast<int>(i);
    return -1;
  }
  // True when `name` is given as true.
  bool flag(const std::string& name) const {
    for (const auto& [k, v] : values)
      if (k == name) return v == "true";
    return false;
  }
  void set(const std::string& name, std::string json) {
    for (auto& [k, v] : values)
      if (k == name) return void(v = std::move(json));
    values.emplace_back(name, std::move(json));
  }
};

}  // namespace soma::layers
