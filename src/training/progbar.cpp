#include "soma/training/progbar.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace soma {

namespace {
constexpr int kBarWidth = 30;
constexpr double kTerminalInterval = 0.05, kFileInterval = 10.0;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string format_eta(double eta) {
  const auto s = static_cast<long>(eta);
  char buf[64];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s % 3600) / 60, s % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lds", s);
  }
  return buf;
}

std::string format_per_step(double seconds) {
  if (seconds >= 1) return format("%.0fs/step", seconds);
  if (seconds >= 1e-3) return format("%.0fms/step", seconds * 1e3);
  return format("%.0fus/step", seconds * 1e6);
}

// Keras switches to scientific notation for small values so they do not print as 0.0000.
std::string format_value(double v) {
  return format(std::fabs(v) > 1e-3 || v == 0 ? "%.4f" : "%.4e", v);
}
}  // namespace

Progbar::Progbar(int64_t target, int verbose, std::ostream& out, bool dynamic)
    : target_(target), verbose_(verbose), out_(out), dynamic_(dynamic), start_(now_s()) {}

bool Progbar::is_terminal(const std::ostream& out) {
  return &out == &std::cout && isatty(STDOUT_FILENO) == 1;
}

std::string Progbar::render(int64_t current, std::span<const NamedValue> values, double elapsed_s,
                            bool finalize) const {
  const std::string count = std::to_string(target_);
  std::string line = std::to_string(current);
  line.insert(0, count.size() > line.size() ? count.size() - line.size() : 0, ' ');
  line += "/" + count;
  const double per_step = current > 0 ? elapsed_s / static_cast<double>(current) : 0.0;
  if (verbose_ == 1) {
    const double progress = target_ > 0 ? static_cast<double>(current) / static_cast<double>(target_) : 1.0;
    const int filled = static_cast<int>(kBarWidth * progress);
    line += " [";
    if (filled > 0) {
      line.append(static_cast<size_t>(filled - 1), '=');
      line += current < target_ ? '>' : '=';
    }
    line.append(static_cast<size_t>(kBarWidth - filled), '.');
    line += "]";
    if (finalize) {
      line += " - " + format("%.0fs", elapsed_s) + " " + format_per_step(per_step);
    } else {
      line += " - ETA: " + format_eta(per_step * static_cast<double>(target_ - current));
    }
  } else {
    line += " - " + format("%.0fs", elapsed_s) + " - " + format_per_step(per_step);
  }
  for (const auto& [name, value] : values) line += " - " + name + ": " + format_value(value);
  return line;
}

void Progbar::update(int64_t current, std::span<const NamedValue> values, bool finalize) {
  if (verbose_ == 0 || (verbose_ == 2 && !finalize)) return;
  const double now = now_s();
  const double interval = dynamic_ ? kTerminalInterval : kFileInterval;
  if (!finalize && now - last_shown_ < interval) return;
  last_shown_ = now;
  std::string line = render(current, values, now - start_, finalize);
  if (dynamic_ && verbose_ == 1) {
    // Pad over the remains of a longer previous line.
    const size_t width = line.size();
    if (width < last_width_) line.append(last_width_ - width, ' ');
    last_width_ = width;
    out_ << '\r' << line;
    if (finalize) out_ << '\n';
  } else {
    out_ << line << '\n';
  }
  out_.flush();
}

}  // namespace soma
