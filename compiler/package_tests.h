// A package's golden tests (`kix package test`, docs/commands/package.md):
// each test case is a cluster definition that uses the package, and the
// result directory `kix build` makes of it is kept beside it as the
// expected output.
//
//   DIR/test/cluster.yaml           the case "test"
//   DIR/test/expected/              its expected result directory
//   DIR/test/<case>/cluster.yaml    more cases, each with its expected/
//   DIR/test/<case>/expected-errors.txt   instead of expected/: the build
//                                   must fail, and each line of the file
//                                   must be found in one of its errors
//                                   (a check that must fire)
//
// Pure apart from reading the directories named.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kix::compiler {

struct PackageTestCase {
  std::string name;                       // "test", or "test/<case>"
  std::filesystem::path definition;       // the cluster.yaml (or .yml, .json)
  std::filesystem::path expected;         // the directory beside it, which may not exist
  std::filesystem::path expected_errors;  // expected-errors.txt beside it, which may not exist
};

inline constexpr const char* kExpectedErrorsFile = "expected-errors.txt";

// The lines of an expected-errors.txt that must each be found in an
// error: those not empty and not starting with '#', trimmed.
std::vector<std::string> expected_error_lines(const std::string& text);

// The lines of an expected-errors.txt for `messages` (each error's message,
// its first line), with a comment that says what the file is.
std::string expected_errors_text(const std::vector<std::string>& messages);

// The cases of the package in `package_dir`, "test" first, then the
// others by name; empty when it has none.
std::vector<PackageTestCase> find_package_tests(const std::filesystem::path& package_dir);

// How a built result directory differs from the expected one, file by file.
struct ExpectedDifference {
  std::vector<std::string> missing;     // expected, not built
  std::vector<std::string> unexpected;  // built, not expected
  struct Changed {
    std::string file;
    // Unified, from the expected file to the built one; empty for a
    // Secret, whose values are shown nowhere but in the files.
    std::string diff;
    bool secret = false;
  };
  std::vector<Changed> changed;
  // Entries of the expected directory that are not regular files (a
  // directory named with a trailing '/'): a result never holds them, so
  // what they hold would never be compared.
  std::vector<std::string> not_files;

  bool empty() const {
    return missing.empty() && unexpected.empty() && changed.empty() && not_files.empty();
  }
};

// Compares the regular files of two directories (not recursive); anything
// else in `expected` is a difference (not_files). Throws kix::Error(kIo)
// when one cannot be read.
ExpectedDifference compare_with_expected(const std::filesystem::path& expected,
                                         const std::filesystem::path& built);

}  // namespace kix::compiler
