#pragma once
// Where data sets live by default: $SOMA_DATA_HOME/<name>, else ~/.soma/datasets/<name>.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace soma::datasets::detail {

inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

inline std::string home_dir() {
  if (std::string home = env("HOME"); !home.empty()) return home;
  const passwd* pw = getpwuid(getuid());  // HOME can be unset under cron or systemd
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : ".";
}

inline std::string data_home(const std::string& name) {
  namespace fs = std::filesystem;
  if (std::string data = env("SOMA_DATA_HOME"); !data.empty()) return (fs::path(data) / name).string();
  return (fs::path(home_dir()) / ".soma" / "datasets" / name).string();
}

}  // namespace soma::datasets::detail
