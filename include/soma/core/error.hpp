#pragma once
// One small hierarchy for user mistakes. Messages say who, what was expected, what was received,
// and a hint. Internal invariants use assert, not these.
#include <stdexcept>
#include <string>

namespace soma {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ValueError : public Error {
 public:
  using Error::Error;
};
class ShapeError : public Error {
 public:
  using Error::Error;
};
class StateError : public Error {
 public:
  using Error::Error;
};
class IOError : public Error {
 public:
  using Error::Error;
};
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

}  // namespace soma
