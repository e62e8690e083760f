#pragma once
// Keras' progress bar (keras.utils.Progbar), as fit/evaluate print it:
//   verbose 1:  "123/469 [=======>......................] - ETA: 2s - loss: 0.3012 - accuracy: 0.9105"
//               ending "469/469 [==============================] - 3s 6ms/step - loss: ... - val_loss: ..."
//   verbose 2:  only the final line, "469/469 - 3s - 6ms/step - loss: ... - val_loss: ..."
// On a terminal the verbose-1 bar redraws in place (carriage return), at most every 50 ms; into a file or
// pipe it writes a line only every 10 s and at the end, so logs stay readable.
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <utility>

namespace soma {

using NamedValue = std::pair<std::string, double>;

class Progbar {
 public:
  // `dynamic`: the stream is a terminal (redraw in place).
  Progbar(int64_t target, int verbose, std::ostream& out, bool dynamic);

  // Shows progress `current` of target with the running values; `finalize` ends the line (always shown).
  void update(int64_t current, std::span<const NamedValue> values, bool finalize = false);

  // The text of one line, given the seconds elapsed since the bar started: pure, for tests.
  std::string render(int64_t current, std::span<const NamedValue> values, double elapsed_s,
                     bool finalize) const;

  // Whether `out` is the process's standard output and that is a terminal.
  static bool is_terminal(const std::ostream& out);

 private:
  int64_t target_;
  int verbose_;
  std::ostream& out_;
  bool dynamic_;
  double start_;
  double last_shown_ = -1e30;
  size_t last_width_ = 0;
};

}  // namespace soma
