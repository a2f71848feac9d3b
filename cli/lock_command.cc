// `kix lock`: record what a definition's inputs are, by content, in
// kix.lock beside it (docs/lockfile.md, docs/commands/lock.md).
#include <iostream>

#include "cli/compiler_cli.h"
#include "compiler/compiler.h"
#include "compiler/lockfile.h"
#include "util/atomic_file.h"

namespace kix::cli {
namespace {

struct LockArgs {
  std::string path = ".";
  bool check = false;
  bool insecure = false;
  bool images = false;
};

compiler::Lockfile lock_of(const compiler::Compilation& c) {
  compiler::Lockfile lock;
  lock.images = c.images;  // resolved now (--images), else the pins still in use
  for (const compiler::UsedChart& chart : c.charts) {
    lock.put_chart({chart.repository, chart.name, chart.version, chart.url, chart.sha256});
  }
  for (const compiler::UsedPackage& p : c.packages) {
    lock.packages[p.name] = compiler::LockedPackage{p.source, p.sha256};
  }
  return lock;
}

// One line per entry that is new, changed or gone.
void print_changes(const compiler::Lockfile& before, const compiler::Lockfile& after,
                   const Colors& c) {
  for (const compiler::LockedChart& chart : after.charts) {
    const compiler::LockedChart* old =
        before.find_chart(chart.repository, chart.name, chart.version);
    const std::string what =
        "chart " + chart.name + " " + chart.version + " from " + chart.repository;
    if (old == nullptr) {
      std::cout << c.green() << "+ " << c.reset() << what << ": sha256 " << chart.sha256.hex()
                << "\n";
    } else if (old->sha256 != chart.sha256) {
      std::cout << c.yellow() << "~ " << c.reset() << what << ": sha256 " << old->sha256.hex()
                << " -> " << chart.sha256.hex() << "\n";
    }
  }
  for (const compiler::LockedChart& chart : before.charts) {
    if (!after.find_chart(chart.repository, chart.name, chart.version)) {
      std::cout << c.red() << "- " << c.reset() << "chart " << chart.name << " " << chart.version
                << " from " << chart.repository << " (no longer used)\n";
    }
  }
  for (const auto& [image, digest] : after.images) {
    auto old = before.images.find(image);
    if (old == before.images.end()) {
      std::cout << c.green() << "+ " << c.reset() << "image " << image << ": " << digest << "\n";
    } else if (old->second != digest) {
      std::cout << c.yellow() << "~ " << c.reset() << "image " << image << ": " << old->second
                << " -> " << digest << "\n";
    }
  }
  for (const auto& [image, digest] : before.images) {
    if (!after.images.count(image)) {
      std::cout << c.red() << "- " << c.reset() << "image " << image << " (no longer used)\n";
    }
  }
  for (const auto& [name, p] : after.packages) {
    auto old = before.packages.find(name);
    if (old == before.packages.end()) {
      std::cout << c.green() << "+ " << c.reset() << "package " << name << " (" << p.source
                << "): sha256 " << p.sha256.hex() << "\n";
    } else if (old->second.sha256 != p.sha256 || old->second.source != p.source) {
      std::cout << c.yellow() << "~ " << c.reset() << "package " << name << " (" << p.source
                << "): sha256 " << old->second.sha256.hex() << " -> " << p.sha256.hex() << "\n";
    }
  }
  for (const auto& [name, p] : before.packages) {
    if (!after.packages.count(name)) {
      std::cout << c.red() << "- " << c.reset() << "package " << name << " (no longer used)\n";
    }
  }
}

void run_lock(const LockArgs& args, Context& ctx) {
  compiler::Compilation c;
  CompileFlags flags;
  flags.locking = !args.check;
  flags.refetch = args.check;
  flags.lock_images = args.images;
  flags.insecure = args.insecure;
  if (!compile_definition(args.path, ctx, c, nullptr, flags)) {
    if (!args.check) std::cerr << "kix.lock was not written\n";
    return;
  }
  if (args.check) {
    std::cout << c.lock_path.string() << " holds every input of " << c.definition_file << ": "
              << c.charts.size() << " chart" << (c.charts.size() == 1 ? "" : "s") << ", "
              << c.packages.size() << " package" << (c.packages.size() == 1 ? "" : "s") << ", "
              << c.images.size() << " image" << (c.images.size() == 1 ? "" : "s") << "\n";
    ctx.exit_code = kExitOk;
    return;
  }
  const compiler::Lockfile before = c.lock.value_or(compiler::Lockfile{});
  const compiler::Lockfile after = lock_of(c);
  const std::string text = compiler::lockfile_text(after);
  if (c.lock && compiler::lockfile_text(before) == text) {
    std::cout << c.lock_path.string() << " is up to date\n";
    ctx.exit_code = kExitOk;
    return;
  }
  print_changes(before, after, Colors{ctx.color_stdout});
  write_file_atomically(c.lock_path, text);
  std::cout << "wrote " << c.lock_path.string() << "\n";
  ctx.exit_code = kExitOk;
}

}  // namespace

void add_lock_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<LockArgs>();
  CLI::App* cmd = app.add_subcommand(
      "lock",
      "Fetch every chart afresh and record the digest of every chart and package a definition\n"
      "uses in kix.lock beside it; builds then verify them (docs/commands/lock.md)");
  cmd->add_option("definition", args->path,
                  "A cluster.yaml, or a directory holding one (default: .)");
  cmd->add_flag("--check", args->check,
                "Verify, fetching every chart again, that kix.lock holds every input with the "
                "digest its source still serves; write nothing");
  cmd->add_flag("--images", args->images,
                "Also ask each image's registry what its tag points at now, and pin that digest");
  cmd->add_flag("--insecure", args->insecure,
                "Allow plain HTTP to chart repositories that are not on this machine");
  cmd->callback([args, &ctx] { run_lock(*args, ctx); });
}

}  // namespace kix::cli
