#pragma once
// The few HDF5 reads Keras' files need, over the HDF5 C library: groups, string attributes (fixed or
// variable length, scalar or lists), float datasets. Every failure is an IOError naming the file and the
// object; HDF5's own error printing is off. Debian's libhdf5 is not thread-safe, so every call holds one lock.
#include <hdf5.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::io::hdf5 {

// Serialises all use of the library (held by File for its whole life).
std::unique_lock<std::recursive_mutex> lock();

class Object {
 public:
  Object() = default;
  Object(hid_t id, std::string path, std::string source) : id_(id), path_(std::move(path)), source_(std::move(source)) {}
  Object(Object&& o) noexcept { *this = std::move(o); }
  Object& operator=(Object&& o) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  ~Object();

  bool has(const std::string& name) const;            // a link (group or dataset) of that name
  bool has_attribute(const std::string& name) const;
  Object group(const std::string& name) const;
  // The attribute as one string (a scalar string, or a one-element list of them).
  std::string string_attribute(const std::string& name) const;
  std::vector<std::string> strings_attribute(const std::string& name) const;
  // A dataset under this group read as float32 (HDF5 converts float16/float64); refuses non-float data.
  Tensor dataset(const std::string& name) const;
  // The names of the links in this group, in creation or name order as HDF5 lists them.
  std::vector<std::string> children() const;
  // Of a link: true for a group, false for a dataset.
  bool is_group(const std::string& name) const;
  const std::string& path() const { return path_; }

 protected:
  [[noreturn]] void fail(const std::string& problem) const;
  hid_t id_ = -1;
  std::string path_, source_;
};

class File : public Object {
 public:
  // From a path, or from bytes in memory (the weights inside a .keras zip); `source` names it in errors.
  static File open(const std::string& path);
  static File from_bytes(std::string bytes, const std::string& source);
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File();

 private:
  File(hid_t id, std::string source, std::unique_lock<std::recursive_mutex> held);
  std::unique_lock<std::recursive_mutex> lock_;
};

// True if `bytes` starts with HDF5's signature.
bool is_hdf5(std::string_view bytes);

}  // namespace soma::io::hdf5

namespace soma::io::hdf5 {

// An HDF5 file built in memory (the core driver without a backing store), for the weights of a .keras
// zip: groups by path ("layers/dense/vars", intermediate groups made as needed), float32 datasets, and
// the finished file's bytes.
class Writer {
 public:
  explicit Writer(std::string who);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  void group(const std::string& path);  // makes it (and its parents) if missing
  void dataset(const std::string& path, const Tensor& value);
  std::string bytes();  // flushes; the writer stays usable

 private:
  [[noreturn]] void fail(const std::string& problem) const;
  std::unique_lock<std::recursive_mutex> lock_;
  hid_t file_ = -1;
  std::string who_;
};

}  // namespace soma::io::hdf5
