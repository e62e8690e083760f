// soma: the command line. Errors from the library become "soma: error: ..." and exit code 1; usage errors
// exit with 2.
#include <cstdio>

#include "commands.hpp"
#include "soma/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"soma: train, inspect and run deep-learning models (docs/cli.md)"};
  app.require_subcommand(1);
  soma::cli::add_summary(app);
  soma::cli::add_convert(app);
  soma::cli::add_evaluate(app);
  soma::cli::add_predict(app);
  soma::cli::add_train(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const soma::Error& e) {
    std::fprintf(stderr, "soma: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soma: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
