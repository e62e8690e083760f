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

// The message without its "quoted" parts: names and values quoted from the input may say anything.
inline std::string unquoted(const std::string& message) {
  std::string out;
  bool inside = false;
  for (char c : message) {
    if (c == '"') inside = !inside;
    if (!inside && c != '"') out += c;
  }
  return out;
}

inline void check_message(const std::string& message, size_t max_size = 1500) {
  if (message.size() > max_size) reject("the message is too long (an unbounded copy of the input?)", message);
  if (message.find("type must be") != std::string::npos ||
      message.find("json.exception") != std::string::npos) {
    reject("a raw nlohmann message", message);
  }
  if (has_word(unquoted(message), "nan")) reject("a NaN in the message", message);
}

}  // namespace soma::fuzz
