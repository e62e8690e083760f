// Model::summary: Keras' table of layers, output shapes, parameter counts, and for graphs the inputs of
// each call ("Connected to").
#include <sstream>

#include "soma/models/model.hpp"
#include "soma/layers/input_layer.hpp"

namespace soma {

namespace {
constexpr size_t kLineLength = 65;
// Where the "Output Shape" and "Param #" columns start, as in Keras' sequential summary.
constexpr size_t kColumns[] = {0, 29, 55};

// One table row: fields padded to the columns, each cut one space short of the next column.
std::string row(std::span<const std::string> fields, std::span<const size_t> columns, size_t length) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (line.size() < columns[i]) line.append(columns[i] - line.size(), ' ');
    line += " " + fields[i];
    const size_t end = i + 1 < fields.size() ? columns[i + 1] : length;
    if (line.size() > end - 1) line.resize(end - 1);
  }
  return line;
}

std::string row(const std::string& a, const std::string& b, const std::string& c) {
  const std::string fields[] = {a, b, c};
  return row(fields, kColumns, kLineLength);
}

// Keras' functional layout: 98 characters, "Connected to" last.
constexpr size_t kGraphLength = 98;
constexpr size_t kGraphColumns[] = {0, 33, 55, 67};

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

std::string Model::summary_string() {
  check_built("summary");
  if (!sequential_) return summary_graph();
  std::ostringstream s;
  const std::string rule(kLineLength, '_'), double_rule(kLineLength, '=');
  s << "Model: \"" << name() << "\"\n"
    << rule << "\n"
    << row("Layer (type)", "Output Shape", "Param #") << "\n"
    << double_rule << "\n";
  const auto all = layers();
  for (size_t i = 0; i < all.size(); ++i) {
    layers::Layer& l = *all[i];
    const Shape out = l.output_shape(l.input_shape()).with_batch(-1);
    s << row(l.name() + " (" + l.type() + ")", out.str(), std::to_string(l.count_params())) << "\n";
    s << (i + 1 < all.size() ? std::string() : double_rule) << "\n";
  }
  int64_t trainable = 0, total = 0;
  for (auto* w : weights()) {
    total += w->value.numel();
    if (w->requires_grad) trainable += w->value.numel();
  }
  s << "Total params: " << thousands(total) << "\nTrainable params: " << thousands(trainable)
    << "\nNon-trainable params: " << thousands(total - trainable) << "\n"
    << rule << "\n";
  return s.str();
}

std::string Model::summary_graph() const {
  std::ostringstream s;
  const std::string rule(kGraphLength, '_'), double_rule(kGraphLength, '=');
  auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
    const std::string fields[] = {a, b, c, d};
    s << row(fields, kGraphColumns, kGraphLength) << "\n";
  };
  s << "Model: \"" << name() << "\"\n" << rule << "\n";
  line("Layer (type)", "Output Shape", "Param #", "Connected to");
  s << double_rule << "\n";
  // One row per call: a layer called twice shows twice, as in Keras.
  std::vector<const graph::Node*> rows;
  for (const KerasTensor& t : inputs_) rows.push_back(t.node().get());
  for (size_t i = 0; i < steps_.size(); ++i) rows.push_back(nodes_[i].get());  // nodes_ is in step order
  for (size_t r = 0; r < rows.size(); ++r) {
    const graph::Node& n = *rows[r];
    std::string shape = n.output_shapes.size() == 1 ? n.output_shapes[0].with_batch(-1).str() : "";
    if (n.output_shapes.size() > 1) {
      for (const Shape& o : n.output_shapes) shape += (shape.empty() ? "" : ", ") + o.with_batch(-1).str();
      shape = "[" + shape + "]";
    }
    std::vector<std::string> connected;
    for (const KerasTensor& in : n.inputs) {
      const auto callers = in.layer().inbound_nodes();
      size_t index = 0;
      while (index < callers.size() && callers[index].get() != in.node().get()) ++index;
      connected.push_back(in.layer().name() + "[" + std::to_string(index) + "][" + std::to_string(in.index()) + "]");
    }
    const bool input = n.inputs.empty() || dynamic_cast<const layers::InputLayer*>(n.layer.get());
    line(n.layer->name() + " (" + n.layer->type() + ")", shape, std::to_string(n.layer->count_params()),
         input ? std::string("-") : connected.empty() ? std::string() : connected[0]);
    for (size_t k = 1; k < connected.size(); ++k) line("", "", "", connected[k]);
    s << (r + 1 < rows.size() ? std::string() : double_rule) << "\n";
  }
  int64_t trainable = 0, total = 0;
  for (auto* w : const_cast<Model*>(this)->weights()) {
    total += w->value.numel();
    if (w->requires_grad) trainable += w->value.numel();
  }
  s << "Total params: " << thousands(total) << "\nTrainable params: " << thousands(trainable)
    << "\nNon-trainable params: " << thousands(total - trainable) << "\n"
    << rule << "\n";
  return s.str();
}

void Model::summary(std::ostream& out) {
  out << summary_string() << std::flush;
}

}  // namespace soma
