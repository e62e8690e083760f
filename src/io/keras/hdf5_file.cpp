#include "io/keras/hdf5_file.hpp"

#include <fmt/format.h>

#include <cstring>

#include "soma/core/error.hpp"
#include "soma/io/files.hpp"

namespace soma::io::hdf5 {

namespace {
std::recursive_mutex& library_mutex() {
  static std::recursive_mutex m;
  return m;
}

// Closes any kind of HDF5 identifier when it goes out of scope.
struct Handle {
  hid_t id;
  explicit Handle(hid_t i) : id(i) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id < 0) return;
    switch (H5Iget_type(id)) {
      case H5I_FILE: H5Fclose(id); break;
      case H5I_GROUP: H5Gclose(id); break;
      case H5I_DATASET: H5Dclose(id); break;
      case H5I_ATTR: H5Aclose(id); break;
      case H5I_DATATYPE: H5Tclose(id); break;
      case H5I_DATASPACE: H5Sclose(id); break;
      case H5I_GENPROP_LST: H5Pclose(id); break;
      default: break;
    }
  }
};

std::string join(const std::string& path, const std::string& name) {
  return path == "/" ? "/" + name : path + "/" + name;
}

// Names in Keras files are plain; a link name with a slash or a dot path would address something else.
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('\0') == std::string::npos;
}
}  // namespace

std::unique_lock<std::recursive_mutex> lock() {
  return std::unique_lock(library_mutex());
}

Object& Object::operator=(Object&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && H5Iget_type(id_) == H5I_GROUP) H5Gclose(id_);
    id_ = o.id_;
    path_ = std::move(o.path_);
    source_ = std::move(o.source_);
    o.id_ = -1;
  }
  return *this;
}

Object::~Object() {
  auto held = lock();
  if (id_ >= 0 && H5Iget_type(id_) == H5I_GROUP) H5Gclose(id_);
}

void Object::fail(const std::string& problem) const {
  throw IOError(fmt::format("load_model: {} (HDF5) {}.", source_, problem));
}

bool Object::has(const std::string& name) const {
  auto held = lock();
  if (!plain_name(name)) return false;
  // H5Lexists checks one level at a time; Keras' weight names have slashes ("dense_1/kernel:0").
  std::string prefix;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    prefix = name.substr(0, slash);
    if (prefix.empty() || H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

bool Object::has_attribute(const std::string& name) const {
  auto held = lock();
  return H5Aexists(id_, name.c_str()) > 0;
}

bool Object::is_group(const std::string& name) const {
  auto held = lock();
  if (!has(name)) fail("has no object \"" + join(path_, name) + "\"");
  // H5Oopen and H5Iget_type: the same in HDF5 1.10 (Debian 12) and later, unlike H5Oget_info.
  const hid_t o = H5Oopen(id_, name.c_str(), H5P_DEFAULT);
  if (o < 0) fail("cannot open the object \"" + join(path_, name) + "\"");
  const bool group = H5Iget_type(o) == H5I_GROUP;
  H5Oclose(o);
  return group;
}

Object Object::group(const std::string& name) const {
  auto held = lock();
  if (!has(name) || !is_group(name)) fail("has no group \"" + join(path_, name) + "\"");
  const hid_t g = H5Gopen2(id_, name.c_str(), H5P_DEFAULT);
  if (g < 0) fail("cannot open the group \"" + join(path_, name) + "\"");
  return Object(g, join(path_, name), source_);
}

std::vector<std::string> Object::strings_attribute(const std::string& name) const {
  auto held = lock();
  const std::string where = fmt::format("the attribute \"{}\" of \"{}\"", name, path_);
  if (!has_attribute(name)) fail("has no " + where);
  Handle attr(H5Aopen(id_, name.c_str(), H5P_DEFAULT));
  if (attr.id < 0) fail("cannot open " + where);
  Handle type(H5Aget_type(attr.id));
  Handle space(H5Aget_space(attr.id));
  if (type.id < 0 || space.id < 0 || H5Tget_class(type.id) != H5T_STRING) fail("holds " + where + " that is not text");
  const int rank = H5Sget_simple_extent_ndims(space.id);
  const hssize_t count = H5Sget_simple_extent_npoints(space.id);
  if (rank < 0 || rank > 1 || count < 0 || count > (1 << 24)) fail("holds " + where + " of an unexpected shape");
  std::vector<std::string> out;
  if (count == 0 || H5Sget_simple_extent_type(space.id) == H5S_NULL) return out;  // a layer without weights
  if (H5Tis_variable_str(type.id) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.id, H5T_VARIABLE);
    H5Tset_cset(mem.id, H5Tget_cset(type.id));
    std::vector<char*> ptrs(static_cast<size_t>(count), nullptr);
    if (H5Aread(attr.id, mem.id, ptrs.data()) < 0) fail("cannot read " + where);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, ptrs.data());
  } else {
    const size_t size = H5Tget_size(type.id);
    if (size == 0 || size > (size_t{1} << 26) / std::max<size_t>(1, static_cast<size_t>(count)))
      fail("holds " + where + " that is implausibly large");
    std::vector<char> buffer(size * static_cast<size_t>(count));
    Handle mem(H5Tcopy(type.id));
    if (H5Aread(attr.id, mem.id, buffer.data()) < 0) fail("cannot read " + where);
    for (hssize_t i = 0; i < count; ++i) {
      const char* p = buffer.data() + static_cast<size_t>(i) * size;
      out.emplace_back(p, strnlen(p, size));  // fixed-length strings are NUL- or space-padded up to size
    }
  }
  return out;
}

std::string Object::string_attribute(const std::string& name) const {
  auto values = strings_attribute(name);
  if (values.size() != 1) fail(fmt::format("holds {} strings in the attribute \"{}\" where one was expected", values.size(), name));
  return values[0];
}

Tensor Object::dataset(const std::string& name) const {
  auto held = lock();
  const std::string where = "the dataset \"" + join(path_, name) + "\"";
  if (!has(name) || is_group(name)) fail("has no " + where);
  Handle d(H5Dopen2(id_, name.c_str(), H5P_DEFAULT));
  if (d.id < 0) fail("cannot open " + where);
  Handle type(H5Dget_type(d.id));
  Handle space(H5Dget_space(d.id));
  if (type.id < 0 || space.id < 0) fail("cannot read the type of " + where);
  if (H5Tget_class(type.id) != H5T_FLOAT) fail("holds " + where + " that is not floating point");
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 0 || rank >= Shape::kMaxRank) fail("holds " + where + " of rank " + std::to_string(rank));
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  std::vector<int64_t> shape;
  int64_t numel = 1;
  for (hsize_t v : dims) {
    if (v > (hsize_t{1} << 40) || (v && numel > (int64_t{1} << 40) / static_cast<int64_t>(v)))
      fail("holds " + where + " too large to be a weight");
    shape.push_back(static_cast<int64_t>(v));
    numel *= static_cast<int64_t>(v);
  }
  // The file must hold that much data: a corrupt header may claim terabytes.
  // (compressed chunks may hold up to 1000 times less than they unpack to; Keras does not compress).
  const hsize_t stored = H5Dget_storage_size(d.id);
  if (numel > 0 && (stored == 0 || static_cast<hsize_t>(numel) > stored * 1000))
    fail("holds " + where + " whose data is missing from the file");
  Tensor t = Tensor::empty(Shape(shape));
  if (numel > 0 && H5Dread(d.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.f32()) < 0)
    fail("cannot read " + where);
  return t;
}

std::vector<std::string> Object::children() const {
  auto held = lock();
  H5G_info_t info;
  if (H5Gget_info(id_, &info) < 0) fail("cannot list the group \"" + path_ + "\"");
  std::vector<std::string> out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0 || n > 65536) fail("cannot list the group \"" + path_ + "\"");
    std::string name(static_cast<size_t>(n), '\0');
    H5Lget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    out.push_back(std::move(name));
  }
  return out;
}

File::File(hid_t id, std::string source, std::unique_lock<std::recursive_mutex> held)
    : Object(id, "/", std::move(source)), lock_(std::move(held)) {}

File::~File() {
  if (id_ >= 0 && H5Iget_type(id_) == H5I_FILE) H5Fclose(id_);
  id_ = -1;
}

File File::open(const std::string& path) {
  return from_bytes(read_regular_file("load_model", path), path);
}

File File::from_bytes(std::string bytes, const std::string& source) {
  auto held = lock();
  static const bool quiet = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)quiet;
  if (!is_hdf5(bytes)) throw IOError("load_model: " + source + " is not an HDF5 file (no HDF5 signature).");
  // The core driver reads from a copy of the bytes in memory: one code path for .h5 files and for the
  // weights inside a .keras zip, and no file the library could see change under it.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (fapl.id < 0 || H5Pset_fapl_core(fapl.id, 1 << 16, false) < 0 ||
      H5Pset_file_image(fapl.id, bytes.data(), bytes.size()) < 0)
    throw IOError("load_model: " + source + ": HDF5 could not be set up to read it.");
  const hid_t f = H5Fopen("soma-in-memory.h5", H5F_ACC_RDONLY, fapl.id);
  if (f < 0) throw IOError("load_model: " + source + " is a damaged or truncated HDF5 file.");
  return File(f, source, std::move(held));
}

bool is_hdf5(std::string_view bytes) {
  static constexpr char kSignature[] = "\x89HDF\r\n\x1a\n";
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kSignature, 8) == 0;
}

}  // namespace soma::io::hdf5

namespace soma::io::hdf5 {

Writer::Writer(std::string who) : lock_(lock()), who_(std::move(who)) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (fapl.id < 0 || H5Pset_fapl_core(fapl.id, 1 << 20, false) < 0) fail("cannot set up an in-memory HDF5 file");
  file_ = H5Fcreate("soma-out.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id);
  if (file_ < 0) fail("cannot create an in-memory HDF5 file");
}

Writer::~Writer() {
  if (file_ >= 0) H5Fclose(file_);
}

void Writer::fail(const std::string& problem) const {
  throw IOError(fmt::format("{}: {}.", who_, problem));
}

void Writer::group(const std::string& path) {
  std::string prefix;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    prefix = path.substr(0, slash);
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) {
      Handle g(H5Gcreate2(file_, prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      if (g.id < 0) fail("cannot create the HDF5 group " + prefix);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

void Writer::dataset(const std::string& path, const Tensor& value) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos) group(path.substr(0, slash));
  std::vector<hsize_t> dims;
  for (int64_t d : value.shape().dims()) dims.push_back(static_cast<hsize_t>(d));
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Handle d(H5Dcreate2(file_, path.c_str(), H5T_IEEE_F32LE, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (space.id < 0 || d.id < 0) fail("cannot create the HDF5 dataset " + path);
  const Tensor contiguous = value.clone();
  if (H5Dwrite(d.id, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, contiguous.f32()) < 0)
    fail("cannot write the HDF5 dataset " + path);
}

std::string Writer::bytes() {
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) fail("cannot flush the in-memory HDF5 file");
  const ssize_t n = H5Fget_file_image(file_, nullptr, 0);
  if (n < 0) fail("cannot read back the in-memory HDF5 file");
  std::string out(static_cast<size_t>(n), '\0');
  if (H5Fget_file_image(file_, out.data(), out.size()) != n) fail("cannot read back the in-memory HDF5 file");
  return out;
}

}  // namespace soma::io::hdf5
