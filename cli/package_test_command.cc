// `kix package test DIR`: the golden tests of a package (compiler/package_tests.h).
#include <algorithm>
#include <iostream>

#include "cli/compiler_cli.h"
#include "cli/package_cli.h"
#include "compiler/compiler.h"
#include "compiler/package_tests.h"
#include "manifest/document.h"
#include "manifest/result_dir.h"
#include "manifest/secret_seal.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/temp_directory.h"

namespace kix::cli {

namespace {

namespace fs = std::filesystem;

struct TestArgs {
  std::string dir = ".";
  bool accept = false;
  std::string format;
};

struct CaseOutcome {
  std::string outcome;  // passed, failed, accepted, error
  std::string reason;   // for failed and error: why, in one line
  Json resources = nullptr;
  Json root = nullptr;
  std::vector<std::string> warnings, errors;
  compiler::ExpectedDifference difference;
  std::vector<std::string> errors_not_found;  // lines of expected-errors.txt
};

// True when an instance of the build is the package under test, from its
// directory (not a package of the same name found elsewhere).
bool uses_package(const compiler::Compilation& c, const compiler::Package& package) {
  for (const auto& inst : c.instances) {
    std::error_code ec;
    if (inst.package != nullptr && inst.package->name == package.name &&
        fs::equivalent(inst.package->dir, package.dir, ec)) {
      return true;
    }
  }
  return false;
}

// Secrets in test cases are sealed, and their values hashed, with this
// key, known to everyone: a case's result (its `graph` and `root`) is then
// the same on every machine, and no key file is read or created. Test
// values are not secrets.
constexpr const char* kPublicTestKey =
    "6b6978207061636b61676520746573743a2061207075626c6963206b65792121";

// True when an error says the build could not be judged: a tool, a
// chart repository or the disk failed, not the definition.
bool environment_failure(const Error& e) {
  return e.kind() == ErrorKind::kIo || e.kind() == ErrorKind::kInternal ||
         e.kind() == ErrorKind::kCorruption;
}

// What an expected-errors.txt line is looked for in: what an error says,
// not where (paths differ between machines and checkouts).
std::string error_words(const Error& e) {
  std::string words = e.message() + "\n" + e.hint();
  for (const std::string& c : e.context()) words += "\n" + c;
  return words;
}

// A case whose build must fail (expected-errors.txt): the errors are
// compared with the file, line by line.
void judge_failure(const compiler::PackageTestCase& test, const std::vector<Error>& errors,
                   bool accept, CaseOutcome& out) {
  std::vector<std::string> words, messages;
  for (const Error& e : errors) {
    words.push_back(error_words(e));
    messages.push_back(e.message());
  }
  const std::string text = read_input(test.expected_errors.string());
  const std::vector<std::string> lines = compiler::expected_error_lines(text);
  if (lines.empty() && !accept) {
    out.outcome = "error";
    out.reason = test.expected_errors.string() + " names no error: any failure would pass";
    return;
  }
  for (const std::string& line : lines) {
    const bool found = std::any_of(words.begin(), words.end(), [&](const std::string& w) {
      return w.find(line) != std::string::npos;
    });
    if (!found) out.errors_not_found.push_back(line);
  }
  if (lines.empty()) out.errors_not_found.push_back("(no line)");
  if (out.errors_not_found.empty()) {
    out.outcome = "passed";
  } else if (accept) {
    write_file_atomically(test.expected_errors, compiler::expected_errors_text(messages));
    out.errors_not_found.clear();
    out.outcome = "accepted";
  } else {
    out.outcome = "failed";
    out.reason =
        "the build failed, but not with every error " + test.expected_errors.string() + " expects";
  }
}

CaseOutcome run_case(const compiler::Package& package, const compiler::PackageTestCase& test,
                     bool accept, Context& ctx) {
  CaseOutcome out;
  std::error_code ec;
  const bool expect_failure = fs::exists(test.expected_errors, ec);
  const bool have_expected = fs::is_directory(test.expected, ec);
  if (expect_failure && have_expected) {
    out.outcome = "error";
    out.reason = test.definition.parent_path().string() + " has both expected/ and " +
                 compiler::kExpectedErrorsFile + ": a case either builds or fails";
    return out;
  }
  CompileFlags flags;
  // As `kix lock` then `kix build` in a scratch copy: charts are fetched
  // (and cached) rather than read from a kix.lock that would hold the
  // package's own content hash, stale after every edit.
  flags.locking = true;
  flags.first_paths = {fs::absolute(package.dir).parent_path()};
  // An error case's errors are what it expects: they are not printed.
  flags.quiet_errors = expect_failure;
  flags.warning_texts = &out.warnings;
  FixedKeyring keys(SecretKey::from_hex(kPublicTestKey));
  flags.keys = &keys;
  std::vector<Error> errors;
  flags.errors = &errors;
  compiler::Compilation c;
  const int exit_code = ctx.exit_code;
  bool ok = false;
  try {
    ok = compile_definition(test.definition.string(), ctx, c, nullptr, flags);
  } catch (const Error& e) {
    errors.push_back(e);
    if (!expect_failure) std::cerr << e.render() << "\n";
  }
  ctx.exit_code = exit_code;
  for (const Error& e : errors) out.errors.push_back(e.render());
  if (expect_failure) {
    if (ok) {
      out.outcome = "failed";
      out.reason =
          "the build succeeded, but " + test.expected_errors.string() + " expects it to fail";
    } else if (c.inputs_failed || std::any_of(errors.begin(), errors.end(), environment_failure)) {
      // Never compared, never accepted: a missing helm or an unreachable
      // chart repository is not what the case expects.
      for (const std::string& e : out.errors) std::cerr << e << "\n";
      out.outcome = "error";
      out.reason = "the build of " + test.definition.string() +
                   " failed for a reason outside the definition (its errors are above)";
    } else {
      judge_failure(test, errors, accept, out);
    }
    return out;
  }
  if (!ok) {
    out.outcome = "error";
    out.reason = test.definition.string() + " does not compile";
    return out;
  }
  for (const std::string& w : c.graph.warnings) {
    std::cerr << "warning: " << w << "\n";
    out.warnings.push_back("warning: " + w);
  }
  if (!uses_package(c, package)) {
    out.outcome = "error";
    out.reason = test.definition.string() + " has no instance of package '" + package.name +
                 "' from " + package.dir.string();
    return out;
  }
  const Hash root = c.graph.root(c.cluster);
  out.resources = c.graph.manifests.size();
  out.root = root.hex();
  TempDirectory scratch("kix-package-test-");
  const fs::path built = scratch.path() / "result";
  write_result_dir(built, c.graph, c.cluster, root, {});
  if (have_expected) out.difference = compiler::compare_with_expected(test.expected, built);
  if (have_expected && out.difference.empty()) {
    out.outcome = "passed";
  } else if (accept) {
    // Replaced whole, and only when it is a result directory (or absent):
    // a directory of the author's own files is refused, not overwritten.
    write_result_dir(test.expected, c.graph, c.cluster, root, {});
    out.outcome = "accepted";
  } else {
    out.outcome = "failed";
    out.reason = have_expected ? "the result differs from " + test.expected.string()
                               : "there is no " + test.expected.string();
  }
  return out;
}

std::string count(size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// `graph` and `root` hash the manifests: when a manifest differs they
// differ too, and their diff says nothing more.
bool only_hashes(const std::string& file, const compiler::ExpectedDifference& d) {
  if (file != "graph" && file != "root") return false;
  return std::any_of(d.changed.begin(), d.changed.end(),
                     [](const auto& c) { return c.file != "graph" && c.file != "root"; });
}

void print_case(const fs::path& package_dir, const compiler::PackageTestCase& test,
                const CaseOutcome& o, const Colors& colors, bool accept) {
  const char* colour = o.outcome == "passed"     ? colors.green()
                       : o.outcome == "accepted" ? colors.yellow()
                                                 : colors.red();
  std::cout << test.name << ": " << colour << o.outcome << colors.reset();
  if ((o.outcome == "passed" || o.outcome == "accepted") && !o.resources.is_null()) {
    std::cout << " (" << count(o.resources.get<size_t>(), "resource");
    if (!o.warnings.empty()) std::cout << ", " << count(o.warnings.size(), "warning");
    std::cout << ")";
  } else if (o.outcome == "passed" || o.outcome == "accepted") {
    std::cout << " (failed with " << count(o.errors.size(), "error") << " as expected)";
  }
  std::cout << "\n";
  if (o.outcome == "accepted") {
    std::cout << "  wrote "
              << (o.resources.is_null() ? test.expected_errors : test.expected).string() << "\n";
  }
  if (o.outcome == "error") std::cout << "  " << o.reason << "\n";
  if (o.outcome != "failed") return;
  std::cout << "  " << o.reason << "\n";
  for (const std::string& line : o.errors_not_found) {
    std::cout << "  no error says: " << line << "\n";
  }
  if (!o.errors_not_found.empty()) {
    std::cout << "  the errors were:\n";
    for (const std::string& e : o.errors) std::cout << e << "\n";
  }
  const compiler::ExpectedDifference& d = o.difference;
  for (const std::string& f : d.missing) std::cout << "  no longer built: " << f << "\n";
  for (const std::string& f : d.unexpected) std::cout << "  built, not expected: " << f << "\n";
  for (const std::string& f : d.not_files) {
    std::cout << "  never compared: " << f
              << " is not a file, and a result holds only files (move what it holds up into "
              << test.expected.string() << " or remove it)\n";
  }
  bool hashes = false;
  for (const auto& changed : d.changed) {
    if (only_hashes(changed.file, d)) {
      hashes = true;
      continue;
    }
    if (changed.secret) {
      std::cout << "  differs: " << changed.file
                << " (a Secret: its values are not shown; compare the files)\n";
      continue;
    }
    std::cout << "--- " << (test.expected / changed.file).string() << "\n+++ built\n"
              << changed.diff;
  }
  if (hashes) std::cout << "  (graph and root differ with the manifests)\n";
  const bool accept_helps = !d.empty() || !o.errors_not_found.empty() || o.resources.is_number();
  if (!accept && accept_helps) {
    std::cout << "  when the change is intended: kix package test " << package_dir.string()
              << " --accept, then review the diff of " << test.definition.parent_path().string()
              << "\n";
  }
}

Json case_json(const compiler::PackageTestCase& test, const CaseOutcome& o) {
  Json changed = Json::array();
  for (const auto& c : o.difference.changed) {
    changed.push_back({{"file", c.file},
                       {"diff", c.secret ? Json(nullptr) : Json(c.diff)},
                       {"secret", c.secret}});
  }
  std::error_code ec;
  const bool error_case = fs::exists(test.expected_errors, ec);
  return Json{{"name", test.name},
              {"definition", test.definition.string()},
              {"expects", error_case ? "errors" : "result"},
              {"expected", (error_case ? test.expected_errors : test.expected).string()},
              {"outcome", o.outcome},
              {"reason", o.reason.empty() ? Json(nullptr) : Json(o.reason)},
              {"resources", o.resources},
              {"root", o.root},
              {"warnings", o.warnings},
              {"errors", o.errors},
              {"errorsNotFound", o.errors_not_found},
              {"missing", o.difference.missing},
              {"unexpected", o.difference.unexpected},
              {"notFiles", o.difference.not_files},
              {"changed", changed}};
}

void run_test(const TestArgs& args, Context& ctx) {
  Diagnostics diags;
  const compiler::Package package = compiler::load_package(package_dir_argument(args.dir), diags);
  ctx.print_diagnostics(diags);
  Json report = run_package_tests(package, args.accept, args.format != "json", ctx);
  if (args.format == "json") std::cout << pretty_json(report) << "\n";
  if (report["failed"].get<size_t>() > 0) ctx.exit_code = kExitDifferent;
}

}  // namespace

Json run_package_tests(const compiler::Package& package, bool accept, bool print_text,
                       Context& ctx) {
  const std::vector<compiler::PackageTestCase> cases = compiler::find_package_tests(package.dir);
  if (cases.empty()) {
    throw Error(ErrorKind::kNotFound,
                "package '" + package.name + "' has no test: no " +
                    (package.dir / "test" / "cluster.yaml").string() +
                    " and no test/<case>/cluster.yaml",
                {},
                "write a cluster definition with an instance of the package there, then run "
                "`kix package test " +
                    package.dir.string() + " --accept` to record its expected output");
  }
  Json results = Json::array();
  size_t passed = 0, failed = 0, accepted = 0;
  for (const compiler::PackageTestCase& test : cases) {
    CaseOutcome o;
    try {
      o = run_case(package, test, accept, ctx);
    } catch (const Error& e) {
      // One case's trouble (an expected/ that --accept must not replace, a
      // full disk) is its outcome; the other cases still run.
      std::cerr << e.render() << "\n";
      o = CaseOutcome{};
      o.outcome = "error";
      o.reason = e.message();
      o.errors.push_back(e.render());
    }
    if (o.outcome == "passed") ++passed;
    if (o.outcome == "accepted") ++accepted;
    if (o.outcome == "failed" || o.outcome == "error") ++failed;
    if (print_text) print_case(package.dir, test, o, Colors{ctx.color_stdout}, accept);
    results.push_back(case_json(test, o));
  }
  if (print_text) {
    std::cout << "package " << package.name << ": " << passed << " passed";
    if (accepted > 0) std::cout << ", " << accepted << " accepted";
    std::cout << ", " << failed << " failed\n";
  }
  return Json{{"package", package.name}, {"dir", package.dir.string()},
              {"accept", accept},        {"cases", results},
              {"passed", passed},        {"accepted", accepted},
              {"failed", failed}};
}

void add_package_test_command(CLI::App& package, Context& ctx) {
  auto args = std::make_shared<TestArgs>();
  auto* cmd = package.add_subcommand(
      "test",
      "Build each test case of a package (DIR/test/cluster.yaml, DIR/test/<case>/cluster.yaml) "
      "and compare the result with the expected/ directory beside it.\n"
      "Exit code 1 when a case differs or does not compile.");
  cmd->add_option("DIR", args->dir, "The package directory (default: .)");
  cmd->add_flag("--accept", args->accept,
                "Write the result into expected/ when it differs or is missing (review the diff "
                "before committing it)");
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_test(*args, ctx); });
}

}  // namespace kix::cli
