#pragma once
// Paths that are not regular files (a directory, a FIFO, /dev/zero), for checking that a loader refuses
// each with an IOError naming the path and what it is, and never hangs on the FIFO.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "soma/core/error.hpp"
#include "support/error_matchers.hpp"

namespace soma::test {

// Runs f, failing the whole binary if it takes longer than `seconds` (a hung read cannot be cancelled,
// and a test that hangs would stall CI until its global timeout).
inline void within_seconds(int seconds, const std::function<void()>& f) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([f, done] {
    try {
      f();
    } catch (...) {
      done->set_exception(std::current_exception());
      return;
    }
    done->set_value();
  }).detach();
  if (finished.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: the call did not return within %d s (hung on a FIFO?)\n", seconds);
    std::fflush(stderr);
    std::_Exit(1);
  }
  finished.get();
}

class SpecialFiles {
 public:
  SpecialFiles() {
    root_ = std::filesystem::temp_directory_path() /
            ("soma_special_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(root_ / "a_directory");
    const std::string fifo = (root_ / "a_fifo").string();
    if (::mkfifo(fifo.c_str(), 0600) != 0) ADD_FAILURE() << "mkfifo " << fifo << " failed";
  }
  ~SpecialFiles() { std::filesystem::remove_all(root_); }
  SpecialFiles(const SpecialFiles&) = delete;
  SpecialFiles& operator=(const SpecialFiles&) = delete;

  std::string directory() const { return (root_ / "a_directory").string(); }
  std::string fifo() const { return (root_ / "a_fifo").string(); }
  static std::string device() { return "/dev/zero"; }

  // Checks that load(path) throws IOError naming the path and its kind, for each kind, within 10 s.
  // `prefix` is what the message must start with (the loader's name).
  void expect_all_refused(const std::string& prefix,
                          const std::function<void(const std::string&)>& load) const {
    const std::pair<std::string, const char*> cases[] = {
        {directory(), "is a directory"}, {fifo(), "is a FIFO"}, {device(), "is a character device"}};
    for (const auto& [path, kind] : cases) {
      SCOPED_TRACE(path);
      std::string message;
      within_seconds(10, [&] { message = message_of<IOError>([&] { load(path); }); });
      expect_contains(message, {path, kind, "not a regular file"});
      EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    }
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path root_;
};

}  // namespace soma::test
