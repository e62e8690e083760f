// Writes the fuzzers' seed corpora: small valid model files covering every layer family, compiled with each
// optimizer, so mutations start from real headers, configs and tensor records; with WEIGHTS_DIR, also
// their tensors as weights files (for weights_fuzzer).
//   make_corpus DIR [WEIGHTS_DIR]
#include <cstdio>
#include <soma/soma.hpp>
#include <string>

namespace L = soma::layers;

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: make_corpus DIR [WEIGHTS_DIR]\n");
    return 2;
  }
  const std::string dir = argv[1];
  soma::set_seed(1);
  auto trained = [](soma::Sequential& m, soma::OptimizerArg opt, const std::string& loss) {
    m.compile({.optimizer = std::move(opt), .loss = loss, .metrics = {"accuracy"}});
    const soma::Shape in = m.input_shape(), out = m.output_shape();
    soma::Tensor x = soma::Tensor::full(in.with_batch(4), 1.0f);
    soma::Tensor y = soma::Tensor::zeros(out.with_batch(4));
    m.fit(x, y, {.batch_size = 2, .epochs = 1, .verbose = 0});
  };
  {
    soma::Sequential m("mlp");
    m.add(L::Dense({.units = 4,
                    .activation = "relu",
                    .kernel_regularizer = soma::regularizers::L2(0.01f),
                    .kernel_constraint = soma::constraints::MaxNorm(2.0f),
                    .input_shape = {3}}));
    m.add(L::Dropout(0.5f));
    m.add(L::Dense({.units = 2, .activation = "softmax"}));
    trained(m, soma::optimizers::Adam(), "categorical_crossentropy");
    m.save(dir + "/mlp_adam.soma");
  }
  {
    soma::Sequential m("cnn");
    m.add(L::Conv2D({.filters = 2, .kernel_size = {3}, .padding = "same", .input_shape = {5, 5, 1}}));
    m.add(L::BatchNormalization());
    m.add(L::MaxPooling2D());
    m.add(L::SpatialDropout2D(0.1f));
    m.add(L::GlobalAveragePooling2D());
    m.add(L::Dense({.units = 2, .activation = "sigmoid"}));
    trained(m, soma::optimizers::SGD({.learning_rate = 0.1f, .momentum = 0.9f}), "binary_crossentropy");
    m.save(dir + "/cnn_sgd.soma");
  }
  {
    soma::Sequential m("rnn");
    m.add(L::Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = true, .input_shape = {4}}));
    m.add(L::Bidirectional(L::LSTM({.units = 2, .return_sequences = true})));
    m.add(L::TimeDistributed(L::Dense({.units = 2})));
    m.add(L::GRU({.units = 2}));
    m.add(L::Dense({.units = 1}));
    trained(m, soma::optimizers::RMSprop({.centered = true}), "mse");
    m.save(dir + "/rnn_rmsprop.soma");
  }
  {
    soma::Sequential m("conv1d");
    m.add(L::Conv1D({.filters = 2, .kernel_size = {2}, .input_shape = {6, 2}}));
    m.add(L::MaxPooling1D());
    m.add(L::SimpleRNN({.units = 2}));
    m.add(L::GaussianNoise(0.1f));
    m.add(L::Dense({.units = 2, .activation = "softmax"}));
    trained(m,
            soma::optimizers::Nadam(
                {.learning_rate = soma::optimizers::schedules::ExponentialDecay(
                     {.initial_learning_rate = 0.01f, .decay_steps = 2, .decay_rate = 0.9f})}),
            "categorical_crossentropy");
    m.save(dir + "/conv1d_nadam.soma");
  }
  {
    soma::Sequential m("uncompiled");
    m.add(L::Reshape({2, 2}));
    m.build(soma::Shape{4});
    m.add(L::Flatten());
    m.add(L::Activation("tanh"));
    m.save(dir + "/uncompiled.soma");
  }
  {
    // A graph: two inputs, a shared layer, merges, two outputs with their own losses and weights.
    auto a = soma::Input({3}, {.name = "left"}), b = soma::Input({3}, {.name = "right"});
    auto shared = soma::shared_layer(L::Dense({.units = 4, .activation = "tanh", .name = "shared"}));
    auto ea = shared(a), eb = shared(b);
    auto sum = L::Add()({ea, eb});
    auto similarity = L::Dot({.axes = {1}, .normalize = true})({ea, eb});
    auto both = L::Concatenate()({sum, similarity, ea * eb});
    auto cls = L::Dense({.units = 2, .activation = "softmax", .name = "cls"})(both);
    auto reg = L::Dense({.units = 1, .name = "reg"})(L::Maximum()({ea, eb}));
    soma::Model m({a, b}, {cls, reg}, "graph");
    m.compile({.optimizer = "adam",
               .losses = {{"cls", "categorical_crossentropy"}, {"reg", "mse"}},
               .loss_weights = {{"cls", 1.0f}, {"reg", 0.5f}},
               .output_metrics = {{"cls", {"accuracy"}}}});
    const soma::Tensor x = soma::Tensor::full({4, 3}, 1.0f);
    m.fit({x, x}, {soma::Tensor::zeros({4, 2}), soma::Tensor::zeros({4, 1})}, {.batch_size = 2, .verbose = 0});
    m.save(dir + "/functional_adam.soma");
  }
  // The generator state is 5 KB of digits the fuzzer gains nothing from mutating; seeds go without it
  // (a file without one loads and keeps the caller's generator).
  for (const char* name : {"mlp_adam", "cnn_sgd", "rnn_rmsprop", "conv1d_nadam", "uncompiled", "functional_adam"}) {
    const std::string path = dir + "/" + name + ".soma";
    soma::io::ModelFile file = soma::io::read_model_file(path);
    file.config["training"].erase("random_state");
    soma::io::write_model_file(path, file);
    if (argc == 3) soma::io::write_weights(std::string(argv[2]) + "/" + name + ".weights", file.tensors);
  }
  std::printf("wrote the seed corpus to %s\n", dir.c_str());
  return 0;
}
