#include "compiler/package_tests.h"

#include <algorithm>
#include <map>

#include "compiler/cluster_definition.h"
#include "manifest/document.h"
#include "util/error.h"
#include "util/line_diff.h"

namespace kix::compiler {

namespace {

namespace fs = std::filesystem;

std::optional<fs::path> definition_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  return find_definition_file(dir);
}

// The entries of a directory: its regular files by name, and the names of
// everything else (a directory gets a trailing '/'), which no result holds.
struct Entries {
  std::map<std::string, fs::path> files;
  std::vector<std::string> others;
};

Entries list_entries(const fs::path& dir) {
  Entries out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    throw Error(ErrorKind::kIo, "cannot list " + dir.string() + ": " + ec.message(), {},
                "check that the directory is readable (its permissions, or a file system that "
                "went away)");
  }
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec)) {
      out.files[name] = entry.path();
    } else {
      out.others.push_back(entry.is_directory(ec) ? name + "/" : name);
    }
  }
  std::sort(out.others.begin(), out.others.end());
  return out;
}

// A Secret's manifest, as a result directory writes it (top-level keys
// sorted, one per line).
bool is_secret(const std::string& text) {
  return text.rfind("kind: Secret\n", 0) == 0 || text.find("\nkind: Secret\n") != std::string::npos;
}

}  // namespace

std::vector<PackageTestCase> find_package_tests(const fs::path& package_dir) {
  std::vector<PackageTestCase> out;
  const fs::path test = package_dir / "test";
  if (auto def = definition_in(test))
    out.push_back({"test", *def, test / "expected", test / kExpectedErrorsFile});
  std::vector<fs::path> dirs;
  std::error_code ec;
  if (fs::is_directory(test, ec)) {
    for (const auto& entry : fs::directory_iterator(test, ec)) {
      if (entry.is_directory(ec) && entry.path().filename() != "expected") {
        dirs.push_back(entry.path());
      }
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    if (auto def = definition_in(dir)) {
      out.push_back(
          {"test/" + dir.filename().string(), *def, dir / "expected", dir / kExpectedErrorsFile});
    }
  }
  return out;
}

std::vector<std::string> expected_error_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const size_t last = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(first, last - first + 1));
  }
  return out;
}

std::string expected_errors_text(const std::vector<std::string>& messages) {
  std::string out =
      "# The build of cluster.yaml beside this file must fail, and each line below must be\n"
      "# found in one of its errors (kix package test; --accept rewrites this file).\n";
  for (const std::string& m : messages) out += m.substr(0, m.find('\n')) + "\n";
  return out;
}

ExpectedDifference compare_with_expected(const fs::path& expected, const fs::path& built) {
  const Entries expected_entries = list_entries(expected);
  const std::map<std::string, fs::path>& want = expected_entries.files;
  const std::map<std::string, fs::path> got = list_entries(built).files;
  ExpectedDifference out;
  // A file in a subdirectory of expected/ would never be compared: the
  // case fails instead of passing on what it does not check.
  out.not_files = expected_entries.others;
  for (const auto& [name, path] : want) {
    auto it = got.find(name);
    if (it == got.end()) {
      out.missing.push_back(name);
      continue;
    }
    const std::string a = read_input(path.string());
    const std::string b = read_input(it->second.string());
    if (a == b) continue;
    if (is_secret(a) || is_secret(b)) {
      out.changed.push_back({name, "", true});
    } else {
      out.changed.push_back({name, unified_diff(a, b), false});
    }
  }
  for (const auto& [name, path] : got) {
    if (!want.count(name)) out.unexpected.push_back(name);
  }
  return out;
}

}  // namespace kix::compiler
