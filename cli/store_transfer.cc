#include "cli/store_transfer.h"

#include <iostream>

namespace kix::cli {

namespace {

std::string count(size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

Json import_json(const Closure& contents, const ImportResult& r, bool pinned) {
  Json roots = Json::array();
  for (const auto& root : contents.roots()) roots.push_back(root.hash.hex());
  return Json{{"roots", roots},
              {"newRoots", r.roots},
              {"nodes", contents.nodes().size()},
              {"newNodes", r.nodes},
              {"newBlobs", r.new_blobs},
              {"reusedBlobs", r.reused_blobs},
              {"history", history_to_json(contents.history())},
              {"newHere",
               {{"generations", r.generations}, {"deployments", r.deployments}, {"pins", r.pins}}},
              {"pinned", pinned}};
}

void add_history_options(CLI::App& cmd, HistoryChoice& choice) {
  auto* history = cmd.add_option("--history", choice.last,
                                 "Send only the newest N generations of each cluster's history");
  cmd.add_flag("--no-history", choice.none,
               "Send the objects only: no generations, deployment records or pins")
      ->excludes(history);
  cmd.add_flag("--pins", choice.pins, "Also send the pins of what is sent");
}

void print_import(const Closure& contents, const ImportResult& r, bool pinned) {
  std::cout << "imported " << contents.roots().size() << " roots (" << r.roots << " new), "
            << contents.nodes().size() << " nodes (" << r.nodes << " new), " << r.new_blobs
            << " new blobs, " << r.reused_blobs << " reused\n";
  if (!contents.history().empty()) {
    std::cout << "history: " << describe_history(contents.history())
              << "; new here: " << count(r.generations, "generation") << ", "
              << count(r.deployments, "deployment record") << ", " << count(r.pins, "pin") << "\n";
  }
  for (const auto& root : contents.roots()) {
    std::cout << root.hash.hex() << (pinned ? "  pinned" : "") << "\n";
  }
}

}  // namespace kix::cli
