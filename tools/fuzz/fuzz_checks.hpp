#pragma once
// What every fuzzer checks besides "no crash": a refused input gets a message that is short, names what
// was wrong in soma's words, and carries no raw library text ("type must be string, but is number"), no
// "nan", and no unbounded copy of the input. A violation aborts, so libFuzzer keeps the input.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace soma::fuzz {

[[noreturn]] inline void reject(const char* why, const std::string& message) {
  std::fprintf(stderr, "fuzz check failed: %s\nmessage: %s\n", why, message.substr(0, 2000).c_str());
  std::abort();
}

// `word` on its own (not inside a longer word: "nan" but not "finance").
inline bool has_word(const std::string& s, std::string_view word) {
  for (size_t at = s.find(word); at != std::string::npos; at = s.find(word, at + 1)) {
    const bool left = at == 0 || !std::isalpha(static_cast<unsigned char>(s[at - 1]));
    const size_t end = at + word.size();
    const bool right = end >= s.size() || !std::isalpha(static_cast<unsigned char>(s[end]));
    if (left && right) return true;
  }
  return false;
}

inline bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  for (size_t at = 0; at + needle.size() <= haystack.size(); ++at) {
    size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(haystack[at + k])) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// `input` is what the fuzzer gave: text the message may quote from it (a tensor name, a CSV field) is
// not held against soma, so each check applies only when the input does not hold the text itself.
inline void check_message(const std::string& message, std::string_view input, size_t max_size = 1500) {
  if (message.size() > max_size) reject("the message is too long (an unbounded copy of the input?)", message);
  for (const char* raw : {"type must be", "json.exception"}) {
    if (message.find(raw) != std::string::npos && !contains_ignoring_case(input, raw)) {
      reject("a raw nlohmann message", message);
    }
  }
  if (has_word(message, "nan") && !contains_ignoring_case(input, "nan"))
    reject("a NaN in the message", message);
}

}  // namespace soma::fuzz
