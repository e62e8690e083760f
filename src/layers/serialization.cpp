// Every layer's get_config and the class-name registry deserialize() reads. Kept in one place so the
// JSON mapping of the options (layers/options_json.hpp) has one user.
#include "soma/layers/serialization.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "layers/options_json.hpp"

namespace soma::layers {

Config Layer::get_config() const {
  throw NotImplementedError(
      who() +
      ": get_config() is not implemented. A custom layer must override get_config() and be "
      "registered with layers::register_layer() before a model holding it can be saved.");
}

Config Dense::get_config() const {
  Config c = soma::detail::options_config(options_, name());
  c["dtype"] = mixed_precision::name(policy_);  // the policy it was built with, global or not
  return c;
}
// The convolutions write the dtype policy they were built with, global or not.
#define SOMA_CONV_CONFIG(Family)                                  \
  Config Family::get_config() const {                             \
    Config c = soma::detail::options_config(options_, name());    \
    c["dtype"] = bf16() ? "mixed_bfloat16" : "float32";           \
    return c;                                                     \
  }
SOMA_CONV_CONFIG(Conv)
SOMA_CONV_CONFIG(ConvTranspose)
SOMA_CONV_CONFIG(DepthwiseConv)
SOMA_CONV_CONFIG(SeparableConv)
#undef SOMA_CONV_CONFIG
Config Activation::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Flatten::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Reshape::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config GroupNormalization::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config UnitNormalization::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Rescaling::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Normalization::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config CategoryEncoding::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Discretization::get_config() const {
  DiscretizationOptions o = options_;
  o.bin_boundaries = boundaries_;  // adapted ones too, so a loaded layer bins the same way
  return soma::detail::options_config(o, name());
}
Config IntegerLookup::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Hashing::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomCrop::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Resizing::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config CenterCrop::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Masking::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Identity::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Permute::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RepeatVector::get_config() const {
  return soma::detail::options_config(options_, name());
}
// The padding, cropping and upsampling layers: their options only.
#define SOMA_PADDING_CONFIG(Class) \
  Config Class::get_config() const { return soma::detail::options_config(options_, name()); }
SOMA_PADDING_CONFIG(ZeroPadding1D)
SOMA_PADDING_CONFIG(ZeroPadding2D)
SOMA_PADDING_CONFIG(ZeroPadding3D)
SOMA_PADDING_CONFIG(Cropping1D)
SOMA_PADDING_CONFIG(Cropping2D)
SOMA_PADDING_CONFIG(Cropping3D)
SOMA_PADDING_CONFIG(UpSampling1D)
SOMA_PADDING_CONFIG(UpSampling2D)
SOMA_PADDING_CONFIG(UpSampling3D)
#undef SOMA_PADDING_CONFIG
Config Dropout::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Pooling::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config GlobalPooling1D::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config GlobalPooling::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config BatchNormalization::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Recurrent::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Embedding::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Bidirectional::get_config() const {
  Config c = soma::detail::options_config(options_, name());
  c["layer"] = serialize(*forward_);
  return c;
}
Config TimeDistributed::get_config() const {
  Config c = soma::detail::options_config(options_, name());
  c["layer"] = serialize(*inner_);
  return c;
}

Config ReLU::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config LeakyReLU::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config PReLU::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config ELU::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config Softmax::get_config() const {
  return soma::detail::options_config(options_, name());
}

Config ActivityRegularization::get_config() const {
  return soma::detail::options_config(options_, name());
}

namespace {
std::vector<int64_t> declared(const Layer& layer) {
  return layer.declared_input_shape() ? layer.declared_input_shape()->to_vector() : std::vector<int64_t>{};
}
}  // namespace

Config SpatialDropout1D::get_config() const {
  return soma::detail::options_config(SpatialDropoutOptions{.rate = rate_, .input_shape = declared(*this)},
                                      name());
}
Config SpatialDropout2D::get_config() const {
  return soma::detail::options_config(SpatialDropoutOptions{.rate = rate_, .input_shape = declared(*this)},
                                      name());
}
Config GaussianNoise::get_config() const {
  return soma::detail::options_config(GaussianNoiseOptions{.stddev = stddev_, .input_shape = declared(*this)},
                                      name());
}
Config LayerNormalization::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config MultiHeadAttention::get_config() const {
  Config c = soma::detail::options_config(options_, name());
  c["dtype"] = mixed_precision::name(policy_);
  return c;
}
Config Attention::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config AdditiveAttention::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config PositionEmbedding::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomTranslation::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomZoom::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomRotation::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomContrast::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomBrightness::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config RandomFlip::get_config() const {
  return soma::detail::options_config(options_, name());
}
Config GaussianDropout::get_config() const {
  return soma::detail::options_config(GaussianDropoutOptions{.rate = rate_, .input_shape = declared(*this)},
                                      name());
}

Config serialize(const Layer& layer) {
  Config config = layer.get_config();
  if (!layer.trainable()) config["trainable"] = false;  // a frozen layer stays frozen in the file, as in Keras
  return Config{{"class_name", layer.type()}, {"config", std::move(config)}};
}

namespace {

template <class L, class Options>
LayerFactory plain(const char* class_name) {
  return [class_name](const Config& c) {
    return std::make_unique<L>(soma::detail::options_from_config<Options>(c, class_name));
  };
}

// The layer a wrapper's config holds under "layer".
const Config& inner_spec(const Config& c, const char* class_name) {
  if (!c.is_object() || !c.contains("layer")) {
    throw ValueError(fmt::format("{} config: the wrapped layer (\"layer\") is missing.", class_name));
  }
  return c["layer"];
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerFactory> factories;
};

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: factories may be used from static destructors
    auto& f = reg->factories;
    f["Dense"] = plain<Dense, DenseOptions>("Dense");
    f["Activation"] = plain<Activation, ActivationOptions>("Activation");
    f["Flatten"] = plain<Flatten, FlattenOptions>("Flatten");
    f["Reshape"] = plain<Reshape, ReshapeOptions>("Reshape");
    f["Identity"] = plain<Identity, IdentityOptions>("Identity");
    f["Masking"] = plain<Masking, MaskingOptions>("Masking");
    f["Rescaling"] = plain<Rescaling, RescalingOptions>("Rescaling");
    f["CenterCrop"] = plain<CenterCrop, CenterCropOptions>("CenterCrop");
    f["Normalization"] = plain<Normalization, NormalizationOptions>("Normalization");
    f["Resizing"] = plain<Resizing, ResizingOptions>("Resizing");
    f["RandomCrop"] = plain<RandomCrop, RandomCropOptions>("RandomCrop");
    f["CategoryEncoding"] = plain<CategoryEncoding, CategoryEncodingOptions>("CategoryEncoding");
    f["Discretization"] = plain<Discretization, DiscretizationOptions>("Discretization");
    f["IntegerLookup"] = plain<IntegerLookup, IntegerLookupOptions>("IntegerLookup");
    f["Hashing"] = plain<Hashing, HashingOptions>("Hashing");
    f["GroupNormalization"] = plain<GroupNormalization, GroupNormalizationOptions>("GroupNormalization");
    f["UnitNormalization"] = plain<UnitNormalization, UnitNormalizationOptions>("UnitNormalization");
    f["Permute"] = plain<Permute, PermuteOptions>("Permute");
    f["RepeatVector"] = plain<RepeatVector, RepeatVectorOptions>("RepeatVector");
    f["ZeroPadding1D"] = plain<ZeroPadding1D, ZeroPadding1DOptions>("ZeroPadding1D");
    f["ZeroPadding2D"] = plain<ZeroPadding2D, ZeroPadding2DOptions>("ZeroPadding2D");
    f["ZeroPadding3D"] = plain<ZeroPadding3D, ZeroPadding3DOptions>("ZeroPadding3D");
    f["Cropping1D"] = plain<Cropping1D, Cropping1DOptions>("Cropping1D");
    f["Cropping2D"] = plain<Cropping2D, Cropping2DOptions>("Cropping2D");
    f["Cropping3D"] = plain<Cropping3D, Cropping3DOptions>("Cropping3D");
    f["UpSampling1D"] = plain<UpSampling1D, UpSampling1DOptions>("UpSampling1D");
    f["UpSampling2D"] = plain<UpSampling2D, UpSampling2DOptions>("UpSampling2D");
    f["UpSampling3D"] = plain<UpSampling3D, UpSampling3DOptions>("UpSampling3D");
    f["Dropout"] = plain<Dropout, DropoutOptions>("Dropout");
    f["Conv1D"] = plain<Conv1D, ConvOptions>("Conv1D");
    f["Conv2D"] = plain<Conv2D, ConvOptions>("Conv2D");
    f["Conv3D"] = plain<Conv3D, ConvOptions>("Conv3D");
    f["Conv1DTranspose"] = plain<Conv1DTranspose, ConvTransposeOptions>("Conv1DTranspose");
    f["Conv2DTranspose"] = plain<Conv2DTranspose, ConvTransposeOptions>("Conv2DTranspose");
    f["Conv3DTranspose"] = plain<Conv3DTranspose, ConvTransposeOptions>("Conv3DTranspose");
    f["DepthwiseConv1D"] = plain<DepthwiseConv1D, DepthwiseConvOptions>("DepthwiseConv1D");
    f["DepthwiseConv2D"] = plain<DepthwiseConv2D, DepthwiseConvOptions>("DepthwiseConv2D");
    f["SeparableConv1D"] = plain<SeparableConv1D, SeparableConvOptions>("SeparableConv1D");
    f["SeparableConv2D"] = plain<SeparableConv2D, SeparableConvOptions>("SeparableConv2D");
    f["MaxPooling1D"] = plain<MaxPooling1D, PoolingOptions>("MaxPooling1D");
    f["AveragePooling1D"] = plain<AveragePooling1D, PoolingOptions>("AveragePooling1D");
    f["MaxPooling2D"] = plain<MaxPooling2D, PoolingOptions>("MaxPooling2D");
    f["AveragePooling2D"] = plain<AveragePooling2D, PoolingOptions>("AveragePooling2D");
    f["MaxPooling3D"] = plain<MaxPooling3D, PoolingOptions>("MaxPooling3D");
    f["AveragePooling3D"] = plain<AveragePooling3D, PoolingOptions>("AveragePooling3D");
    f["GlobalAveragePooling1D"] = plain<GlobalAveragePooling1D, GlobalPoolingOptions>("GlobalAveragePooling1D");
    f["GlobalMaxPooling1D"] = plain<GlobalMaxPooling1D, GlobalPoolingOptions>("GlobalMaxPooling1D");
    f["GlobalAveragePooling2D"] = plain<GlobalAveragePooling2D, GlobalPoolingOptions>("GlobalAveragePooling2D");
    f["GlobalMaxPooling2D"] = plain<GlobalMaxPooling2D, GlobalPoolingOptions>("GlobalMaxPooling2D");
    f["GlobalAveragePooling3D"] = plain<GlobalAveragePooling3D, GlobalPoolingOptions>("GlobalAveragePooling3D");
    f["GlobalMaxPooling3D"] = plain<GlobalMaxPooling3D, GlobalPoolingOptions>("GlobalMaxPooling3D");
    f["BatchNormalization"] = [](const Config& c) {
      // Keras 2 files write the axis as a list ([3]); a one-element list is that axis.
      if (c.is_object() && c.contains("axis") && c["axis"].is_array()) {
        if (c["axis"].size() != 1 || !c["axis"][0].is_number_integer()) {
          throw ValueError("BatchNormalization config: \"axis\" must be an integer or a one-element list of "
                           "one, received " + c["axis"].dump() + ".");
        }
        Config copy = c;
        copy["axis"] = c["axis"][0];
        return std::make_unique<BatchNormalization>(
            soma::detail::options_from_config<BatchNormalizationOptions>(copy, "BatchNormalization"));
      }
      return std::make_unique<BatchNormalization>(
          soma::detail::options_from_config<BatchNormalizationOptions>(c, "BatchNormalization"));
    };
    f["LayerNormalization"] = [](const Config& c) {
      // Keras writes one axis as a bare integer until the layer is built (-1), as a list after.
      if (c.is_object() && c.contains("axis") && c["axis"].is_number_integer()) {
        Config copy = c;
        copy["axis"] = Config::array({c["axis"]});
        return std::make_unique<LayerNormalization>(
            soma::detail::options_from_config<LayerNormalizationOptions>(copy, "LayerNormalization"));
      }
      return std::make_unique<LayerNormalization>(
          soma::detail::options_from_config<LayerNormalizationOptions>(c, "LayerNormalization"));
    };
    f["SimpleRNN"] = plain<SimpleRNN, RNNOptions>("SimpleRNN");
    f["LSTM"] = plain<LSTM, RNNOptions>("LSTM");
    f["GRU"] = plain<GRU, RNNOptions>("GRU");
    f["Embedding"] = plain<Embedding, EmbeddingOptions>("Embedding");
    f["ActivityRegularization"] =
        plain<ActivityRegularization, ActivityRegularizationOptions>("ActivityRegularization");
    f["SpatialDropout1D"] = plain<SpatialDropout1D, SpatialDropoutOptions>("SpatialDropout1D");
    f["SpatialDropout2D"] = plain<SpatialDropout2D, SpatialDropoutOptions>("SpatialDropout2D");
    f["GaussianNoise"] = plain<GaussianNoise, GaussianNoiseOptions>("GaussianNoise");
    f["GaussianDropout"] = plain<GaussianDropout, GaussianDropoutOptions>("GaussianDropout");
    f["RandomFlip"] = plain<RandomFlip, RandomFlipOptions>("RandomFlip");
    f["RandomTranslation"] = plain<RandomTranslation, RandomTranslationOptions>("RandomTranslation");
    f["RandomZoom"] = plain<RandomZoom, RandomZoomOptions>("RandomZoom");
    f["RandomRotation"] = plain<RandomRotation, RandomRotationOptions>("RandomRotation");
    f["RandomContrast"] = plain<RandomContrast, RandomContrastOptions>("RandomContrast");
    f["RandomBrightness"] = plain<RandomBrightness, RandomBrightnessOptions>("RandomBrightness");
    f["PositionEmbedding"] = plain<PositionEmbedding, PositionEmbeddingOptions>("PositionEmbedding");
    f["MultiHeadAttention"] = plain<MultiHeadAttention, MultiHeadAttentionOptions>("MultiHeadAttention");
    f["Attention"] = plain<Attention, AttentionOptions>("Attention");
    f["AdditiveAttention"] = plain<AdditiveAttention, AdditiveAttentionOptions>("AdditiveAttention");
    f["ReLU"] = plain<ReLU, ReLUOptions>("ReLU");
    f["LeakyReLU"] = plain<LeakyReLU, LeakyReLUOptions>("LeakyReLU");
    f["PReLU"] = plain<PReLU, PReLUOptions>("PReLU");
    f["ELU"] = plain<ELU, ELUOptions>("ELU");
    f["Softmax"] = plain<Softmax, SoftmaxOptions>("Softmax");
    f["Bidirectional"] = [](const Config& c) {
      std::unique_ptr<Layer> inner = deserialize(inner_spec(c, "Bidirectional"));
      auto* rnn = dynamic_cast<Recurrent*>(inner.get());
      if (!rnn) {
        throw ValueError("Bidirectional config: the wrapped layer must be SimpleRNN, LSTM or GRU, received " +
                         inner->type() + ".");
      }
      inner.release();
      return std::make_unique<Bidirectional>(
          std::unique_ptr<Recurrent>(rnn),
          soma::detail::options_from_config<BidirectionalOptions>(c, "Bidirectional", {"layer"}));
    };
    for (const char* merge : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
      f[merge] = [merge](const Config& c) -> std::unique_ptr<Layer> {
        const auto o = soma::detail::options_from_config<MergeOptions>(c, merge);
        const std::string m = merge;
        if (m == "Add") return std::make_unique<Add>(o);
        if (m == "Subtract") return std::make_unique<Subtract>(o);
        if (m == "Multiply") return std::make_unique<Multiply>(o);
        if (m == "Average") return std::make_unique<Average>(o);
        if (m == "Maximum") return std::make_unique<Maximum>(o);
        return std::make_unique<Minimum>(o);
      };
    }
    f["Concatenate"] = plain<Concatenate, ConcatenateOptions>("Concatenate");
    f["Dot"] = [](const Config& c) {
      // Keras writes one axis as an integer, two as a list.
      Config copy = c;
      if (copy.is_object() && copy.contains("axes") && copy["axes"].is_number_integer())
        copy["axes"] = Config::array({copy["axes"]});
      return std::make_unique<Dot>(soma::detail::options_from_config<DotOptions>(copy, "Dot"));
    };
    f["TimeDistributed"] = [](const Config& c) {
      return std::make_unique<TimeDistributed>(
          deserialize(inner_spec(c, "TimeDistributed")),
          soma::detail::options_from_config<TimeDistributedOptions>(c, "TimeDistributed", {"layer"}));
    };
    return reg;
  }();
  return *r;
}

}  // namespace

void register_layer(const std::string& class_name, LayerFactory factory) {
  if (class_name.empty() || !factory) {
    throw ValueError("layers::register_layer: expected a class name and a factory, received " +
                     (class_name.empty() ? std::string("an empty name") : "no factory for " + class_name) +
                     ".");
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.factories[class_name] = std::move(factory);
}

std::unique_ptr<Layer> deserialize(const Config& spec) {
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    throw ValueError("layers::deserialize: expected {\"class_name\": ..., \"config\": {...}}, received " +
                     spec.dump().substr(0, 200) + ".");
  }
  const std::string class_name = spec["class_name"].get<std::string>();
  LayerFactory factory;
  std::vector<std::string> known;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (auto it = r.factories.find(class_name); it != r.factories.end()) factory = it->second;
    for (const auto& kv : r.factories) known.push_back(kv.first);
  }
  if (!factory) {
    throw ValueError(fmt::format(
        "layers::deserialize: unknown layer class \"{}\". Known: {}. Hint: register custom layers with "
        "layers::register_layer().",
        class_name, fmt::join(known, ", ")));
  }
  Config config = spec.contains("config") ? spec["config"] : Config::object();
  bool trainable = true;
  if (config.is_object() && config.contains("trainable")) {
    if (!config["trainable"].is_boolean()) {
      throw ValueError(fmt::format("{} config: argument \"trainable\" must be true or false, received {}.",
                                   class_name, config["trainable"].dump()));
    }
    trainable = config["trainable"].get<bool>();
    config.erase("trainable");
  }
  std::unique_ptr<Layer> layer = factory(config);
  if (!trainable) layer->set_trainable(false);
  return layer;
}

}  // namespace soma::layers
