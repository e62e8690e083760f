#pragma once
// The `soma` subcommands. Each returns the process exit code; soma errors propagate to main(), which
// prints them and exits with 1.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace soma::cli {

void add_summary(CLI::App& app);
void add_convert(CLI::App& app);
void add_evaluate(CLI::App& app);
void add_predict(CLI::App& app);
void add_train(CLI::App& app);

}  // namespace soma::cli
