// Sequential::summary: Keras' table of layers, output shapes and parameter counts.
#include <sstream>

#include "soma/models/sequential.hpp"

namespace soma {

namespace {
constexpr size_t kLineLength = 65;
// Where the "Output Shape" and "Param #" columns start, as in Keras' sequential summary.
constexpr size_t kColumns[] = {0, 29, 55};

std::string row(const std::string& a, const std::string& b, const std::string& c) {
  std::string line;
  const std::string fields[] = {a, b, c};
  for (size_t i = 0; i < 3; ++i) {
    if (line.size() < kColumns[i]) line.append(kColumns[i] - line.size(), ' ');
    line += " " + fields[i];
    const size_t end = i + 1 < 3 ? kColumns[i + 1] : kLineLength;
    // Keep one space before the next column, even when a field is too long.
    if (line.size() > end - 1) line.resize(end - 1);
  }
  return line;
}

// 669706 -> "669,706"
std::string thousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

std::string Sequential::summary_string() {
  if (!built_) {
    throw StateError(who() +
                     ": summary() needs a built model; give the first layer an input_shape, or call build() "
                     "or fit() first.");
  }
  std::ostringstream s;
  const std::string rule(kLineLength, '_'), double_rule(kLineLength, '=');
  s << "Model: \"" << name_ << "\"\n"
    << rule << "\n"
    << row("Layer (type)", "Output Shape", "Param #") << "\n"
    << double_rule << "\n";
  int64_t trainable = 0, total = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers::Layer& l = *layers_[i];
    const Shape out = l.output_shape(l.input_shape()).with_batch(-1);
    s << row(l.name() + " (" + l.type() + ")", out.str(), std::to_string(l.count_params())) << "\n";
    s << (i + 1 < layers_.size() ? std::string() : double_rule) << "\n";
    for (auto* w : l.weights()) {
      total += w->value.numel();
      if (w->requires_grad) trainable += w->value.numel();
    }
  }
  s << "Total params: " << thousands(total) << "\nTrainable params: " << thousands(trainable)
    << "\nNon-trainable params: " << thousands(total - trainable) << "\n"
    << rule << "\n";
  return s.str();
}

void Sequential::summary(std::ostream& out) {
  out << summary_string() << std::flush;
}

}  // namespace soma
