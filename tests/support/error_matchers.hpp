#pragma once
// Checks that a call throws exactly the expected soma error and that its message says enough.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <typeinfo>

namespace soma::test {

// The message of the E that f throws; a test failure if it throws nothing or something else.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << "threw a subclass: " << e.what();
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", caught " << typeid(e).name() << ": " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
  return "";
}

inline void expect_contains(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "message lacks \"" << part << "\": " << message;
  }
}

}  // namespace soma::test
