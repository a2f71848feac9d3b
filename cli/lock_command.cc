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
  std::string format;
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

// An entry of kix.lock that is new, changed or gone.
struct LockChange {
  char change;       // '+', '~' or '-'
  std::string what;  // "chart NAME VERSION from REPOSITORY", "image REF", "package NAME (SOURCE)"
  Json entry;        // the same as JSON: {type, name, ...}
  std::string before, after;  // the digests; "" for none
};

std::vector<LockChange> lock_changes(const compiler::Lockfile& before,
                                     const compiler::Lockfile& after) {
  std::vector<LockChange> out;
  auto chart_entry = [](const compiler::LockedChart& chart) {
    return Json{{"type", "chart"},
                {"name", chart.name},
                {"version", chart.version},
                {"repository", chart.repository}};
  };
  for (const compiler::LockedChart& chart : after.charts) {
    const compiler::LockedChart* old =
        before.find_chart(chart.repository, chart.name, chart.version);
    const std::string what =
        "chart " + chart.name + " " + chart.version + " from " + chart.repository;
    if (old == nullptr) {
      out.push_back({'+', what, chart_entry(chart), "", "sha256:" + chart.sha256.hex()});
    } else if (old->sha256 != chart.sha256) {
      out.push_back({'~', what, chart_entry(chart), "sha256:" + old->sha256.hex(),
                     "sha256:" + chart.sha256.hex()});
    }
  }
  for (const compiler::LockedChart& chart : before.charts) {
    if (!after.find_chart(chart.repository, chart.name, chart.version)) {
      out.push_back({'-', "chart " + chart.name + " " + chart.version + " from " + chart.repository,
                     chart_entry(chart), "sha256:" + chart.sha256.hex(), ""});
    }
  }
  for (const auto& [image, digest] : after.images) {
    Json entry{{"type", "image"}, {"name", image}};
    auto old = before.images.find(image);
    if (old == before.images.end()) {
      out.push_back({'+', "image " + image, entry, "", digest});
    } else if (old->second != digest) {
      out.push_back({'~', "image " + image, entry, old->second, digest});
    }
  }
  for (const auto& [image, digest] : before.images) {
    if (!after.images.count(image)) {
      out.push_back({'-', "image " + image, Json{{"type", "image"}, {"name", image}}, digest, ""});
    }
  }
  for (const auto& [name, p] : after.packages) {
    Json entry{{"type", "package"}, {"name", name}, {"source", p.source}};
    auto old = before.packages.find(name);
    if (old == before.packages.end()) {
      out.push_back(
          {'+', "package " + name + " (" + p.source + ")", entry, "", "sha256:" + p.sha256.hex()});
    } else if (old->second.sha256 != p.sha256 || old->second.source != p.source) {
      out.push_back({'~', "package " + name + " (" + p.source + ")", entry,
                     "sha256:" + old->second.sha256.hex(), "sha256:" + p.sha256.hex()});
    }
  }
  for (const auto& [name, p] : before.packages) {
    if (!after.packages.count(name)) {
      out.push_back({'-', "package " + name,
                     Json{{"type", "package"}, {"name", name}, {"source", p.source}},
                     "sha256:" + p.sha256.hex(), ""});
    }
  }
  return out;
}

// One line per change: "+ chart x 1.0 from R: sha256 ...", "~ ... -> ...",
// "- ... (no longer used)".
void print_changes(const std::vector<LockChange>& changes, const Colors& c) {
  for (const LockChange& ch : changes) {
    // Chart and package digests read "sha256 <old> -> <new>"; an image's
    // are registry digests as references write them.
    const bool image = ch.entry["type"] == "image";
    auto bare = [&](const std::string& digest) {
      return !image && digest.starts_with("sha256:") ? digest.substr(7) : digest;
    };
    const std::string algorithm = image ? "" : "sha256 ";
    if (ch.change == '+') {
      std::cout << c.green() << "+ " << c.reset() << ch.what << ": " << algorithm << bare(ch.after)
                << "\n";
    } else if (ch.change == '~') {
      std::cout << c.yellow() << "~ " << c.reset() << ch.what << ": " << algorithm
                << bare(ch.before) << " -> " << bare(ch.after) << "\n";
    } else {
      std::cout << c.red() << "- " << c.reset() << ch.what << " (no longer used)\n";
    }
  }
}

Json lock_json(const compiler::Compilation& c, const std::vector<LockChange>& changes, bool check,
               bool written) {
  Json list = Json::array();
  for (const LockChange& ch : changes) {
    Json entry = ch.entry;
    entry["change"] = ch.change == '+' ? "added" : ch.change == '~' ? "changed" : "removed";
    entry["before"] = ch.before.empty() ? Json() : Json(ch.before);
    entry["after"] = ch.after.empty() ? Json() : Json(ch.after);
    list.push_back(entry);
  }
  return Json{{"lockfile", c.lock_path.string()},
              {"definition", c.definition_file},
              {"check", check},
              {"written", written},
              {"charts", c.charts.size()},
              {"packages", c.packages.size()},
              {"images", c.images.size()},
              {"changes", list}};
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
  const bool json = args.format == "json";
  if (args.check) {
    ctx.exit_code = kExitOk;
    if (json) {
      std::cout << pretty_json(lock_json(c, {}, true, false)) << "\n";
      return;
    }
    std::cout << c.lock_path.string() << " holds every input of " << c.definition_file << ": "
              << c.charts.size() << " chart" << (c.charts.size() == 1 ? "" : "s") << ", "
              << c.packages.size() << " package" << (c.packages.size() == 1 ? "" : "s") << ", "
              << c.images.size() << " image" << (c.images.size() == 1 ? "" : "s") << "\n";
    return;
  }
  const compiler::Lockfile before = c.lock.value_or(compiler::Lockfile{});
  const compiler::Lockfile after = lock_of(c);
  const std::string text = compiler::lockfile_text(after);
  ctx.exit_code = kExitOk;
  if (c.lock && compiler::lockfile_text(before) == text) {
    if (json) {
      std::cout << pretty_json(lock_json(c, {}, false, false)) << "\n";
    } else {
      std::cout << c.lock_path.string() << " is up to date\n";
    }
    return;
  }
  const std::vector<LockChange> changes = lock_changes(before, after);
  write_file_atomically(c.lock_path, text);
  if (json) {
    std::cout << pretty_json(lock_json(c, changes, false, true)) << "\n";
    return;
  }
  print_changes(changes, Colors{ctx.color_stdout});
  std::cout << "wrote " << c.lock_path.string() << "\n";
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
  add_format_option(cmd, args->format, {"text", "json"});
  cmd->callback([args, &ctx] { run_lock(*args, ctx); });
}

}  // namespace kix::cli
