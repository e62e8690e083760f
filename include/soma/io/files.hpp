#pragma once
// The paths users hand to soma, read and written safely.
//
// Reading: every loader (model and weights files, IDX, CSV, JSON configs, IMDB) opens its path through
// open_regular_file, which refuses a directory, a FIFO, a socket or a device (/dev/zero) with an IOError
// naming the path and what it is. It never blocks on a FIFO: the path is opened non-blocking and checked
// with fstat on the descriptor it got, so nothing can swap the file between the check and the read.
//
// Writing: write_file_atomically replaces a file only with a complete one. See docs/saving.md.
#include <cstdint>
#include <string>

namespace soma::io {

// An open, read-only descriptor of a regular file; closed on destruction.
class InputFile {
 public:
  InputFile() = default;
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }  // at open time
  const std::string& path() const { return path_; }
  // Up to n bytes; fewer only at the end of the file. IOError "<who>: reading <path> failed: ..." on error.
  size_t read(void* dst, size_t n);
  // Everything from the current position to the end.
  std::string read_rest();

 private:
  friend InputFile open_regular_file(const std::string& who, const std::string& path);
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string who_, path_;
};

// Opens `path` for reading if it is a regular file (symlinks are followed). IOError otherwise:
// "<who>: cannot open <path>: No such file or directory." or "<who>: <path> is a FIFO (named pipe), not a
// regular file."
InputFile open_regular_file(const std::string& who, const std::string& path);
// The whole file.
std::string read_regular_file(const std::string& who, const std::string& path);

// Writes `bytes` to a new temporary file with a unique name in the destination's directory, fsyncs it,
// renames it over the destination and fsyncs the directory: a reader sees the old file or the new one,
// never a mix, and a crash or a failed write (full disk) leaves the old file and no temporary behind.
// A destination that is a symlink keeps the link: the file it points to is replaced. A destination that
// exists but is not a regular file (a directory, /dev/null) is refused.
void write_file_atomically(const std::string& who, const std::string& path, const std::string& bytes);

// Checks, without writing it, that write_file_atomically(path) can succeed as far as can be known in
// advance: the directory exists and a file can be created in it, and `path` is not a directory or
// device. For callers that would otherwise find out only after hours of work (soma train -o).
void check_writable(const std::string& who, const std::string& path);

}  // namespace soma::io
