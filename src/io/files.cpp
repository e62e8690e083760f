#include "soma/io/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "soma/core/error.hpp"

namespace soma::io {

namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) {
  return std::strerror(err);
}

// What a non-regular file is, for "<path> is <kind>, not a regular file".
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void not_regular(const std::string& who, const std::string& path, mode_t mode) {
  throw IOError(who + ": " + path + " is " + kind_of(mode) + ", not a regular file.");
}

// The file a chain of symlinks ends at (the path itself when it is no link, or does not exist).
std::string resolve_links(const std::string& who, const std::string& given) {
  std::string path = given;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
    const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) throw IOError(who + ": cannot read the symlink " + path + ": " + errno_text(errno) + ".");
    target.resize(static_cast<size_t>(n));
    const fs::path t(target);
    path = t.is_absolute() ? t.string() : (fs::path(path).parent_path() / t).string();
  }
  throw IOError(who + ": " + given + ": too many levels of symbolic links.");
}

std::string directory_of(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? "." : dir.string();
}

// A name no other writer uses: short (so any file name that fits fits next to it), hidden, and drawn
// from a generator of its own, so saving never moves the user's seeded random stream.
std::string temporary_name(const std::string& dir) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 gen(
      std::random_device{}() ^ static_cast<uint64_t>(::getpid()) << 32 ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string name = ".soma-";
  uint64_t bits = gen() ^ counter.fetch_add(1);
  for (int i = 0; i < 12; ++i, bits /= 36) name += kAlphabet[bits % 36];
  return (fs::path(dir) / (name + ".tmp")).string();
}

// Creates a new temporary file in dir; returns its descriptor and sets `tmp` to its name.
int create_temporary(const std::string& who, const std::string& dest, const std::string& dir, mode_t mode,
                     std::string& tmp) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = temporary_name(dir);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EEXIST) {
      throw IOError(who + ": cannot write " + dest + ": creating a file in " + dir +
                    " failed: " + errno_text(errno) + ".");
    }
  }
  throw IOError(who + ": cannot write " + dest + ": no unused temporary name in " + dir + ".");
}

// The existing destination (after links) must be a regular file; returns whether it exists.
bool check_destination(const std::string& who, const std::string& target, struct stat& st) {
  if (::stat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw IOError(who + ": cannot write " + target + ": " + errno_text(errno) + ".");
  }
  if (!S_ISREG(st.st_mode)) not_regular(who, target, st.st_mode);
  return true;
}

void check_directory(const std::string& who, const std::string& target, const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw IOError(who + ": cannot write " + target + ": its directory " + dir +
                  (errno == ENOENT ? " does not exist." : " is not accessible: " + errno_text(errno) + "."));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw IOError(who + ": cannot write " + target + ": " + dir + " is " + kind_of(st.st_mode) +
                  ", not a directory.");
  }
}

}  // namespace

InputFile::InputFile(InputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      who_(std::move(other.who_)),
      path_(std::move(other.path_)) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    who_ = std::move(other.who_);
    path_ = std::move(other.path_);
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t InputFile::read(void* dst, size_t n) {
  auto* out = static_cast<char*>(dst);
  size_t total = 0;
  while (total < n) {
    const ssize_t got = ::read(fd_, out + total, n - total);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw IOError(who_ + ": reading " + path_ + " failed: " + errno_text(errno) + ".");
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  return total;
}

std::string InputFile::read_rest() {
  std::string out;
  // The size at open time is a hint, not a promise: the file may grow or shrink while we read.
  out.resize(static_cast<size_t>(size_));
  size_t have = read(out.data(), out.size());
  if (have == out.size()) {
    char chunk[1 << 14];
    while (const size_t got = read(chunk, sizeof chunk)) {
      out.resize(have);
      out.append(chunk, got);
      have += got;
    }
  }
  out.resize(have);
  return out;
}

InputFile open_regular_file(const std::string& who, const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw IOError(who + ": cannot open " + path + ": " + errno_text(errno) + ".");
  InputFile file;
  file.fd_ = fd;
  file.who_ = who;
  file.path_ = path;
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw IOError(who + ": cannot open " + path + ": " + errno_text(errno) + ".");
  if (!S_ISREG(st.st_mode)) not_regular(who, path, st.st_mode);
  // Regular files never block; clearing the flag keeps reads plain on file systems that would honour it.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  file.size_ = static_cast<uint64_t>(st.st_size);
  return file;
}

std::string read_regular_file(const std::string& who, const std::string& path) {
  return open_regular_file(who, path).read_rest();
}

void check_writable(const std::string& who, const std::string& path) {
  if (path.empty()) throw IOError(who + ": the output path is empty.");
  const std::string target = resolve_links(who, path);
  struct stat st {};
  check_destination(who, target, st);
  const std::string dir = directory_of(target);
  check_directory(who, target, dir);
  std::string probe;
  const int fd = create_temporary(who, target, dir, 0600, probe);
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomically(const std::string& who, const std::string& path, const std::string& bytes) {
  if (path.empty()) throw IOError(who + ": the output path is empty.");
  const std::string target = resolve_links(who, path);
  struct stat st {};
  const bool exists = check_destination(who, target, st);
  const std::string dir = directory_of(target);
  check_directory(who, target, dir);
  std::string tmp;
  const int fd = create_temporary(who, target, dir, exists ? (st.st_mode & 07777) : 0666, tmp);
  auto fail = [&](const std::string& step, int err, bool close_fd) {
    if (close_fd) ::close(fd);
    ::unlink(tmp.c_str());
    throw IOError(who + ": " + step + " " + target + " failed: " + errno_text(err) + "; " +
                  (exists ? "the old file is unchanged." : "nothing was written."));
  };
  // A replaced file keeps its permissions (open applied the umask to them).
  if (exists && ::fchmod(fd, st.st_mode & 07777) != 0) fail("setting the permissions of", errno, true);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("writing", errno, true);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("flushing", errno, true);
  if (::close(fd) != 0) fail("closing", errno, false);
  if (::rename(tmp.c_str(), target.c_str()) != 0) fail("renaming the new file onto", errno, false);
  // The rename is durable only once the directory entry is on disk too.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const int rc = ::fsync(dfd);
    const int err = errno;
    ::close(dfd);
    // Some file systems cannot sync directories (EINVAL); the file itself is complete and in place.
    if (rc != 0 && err != EINVAL) {
      throw IOError(who + ": " + target +
                    " was written, but syncing its directory failed: " + errno_text(err) + ".");
    }
  }
}

}  // namespace soma::io
