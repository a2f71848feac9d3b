#include "store/integrity_check.h"

#include <map>
#include <regex>
#include <system_error>

namespace kix {

namespace {

// SQLite reports at most this many problems; more say nothing new.
constexpr int kMaxIntegrityProblems = 100;

}  // namespace

IntegrityReport check_integrity(sqlite::Database& db) {
  // Names of the b-trees by root page, to tell index damage from table
  // damage in "Tree N page M ..." messages.
  std::map<int64_t, std::pair<std::string, std::string>> trees;  // page -> (type, name)
  {
    auto s = db.prepare("SELECT rootpage, type, name FROM sqlite_master WHERE rootpage > 0");
    while (s.step()) trees[s.column_int(0)] = {s.column_text(1), s.column_text(2)};
  }
  IntegrityReport report;
  auto s = db.prepare("PRAGMA integrity_check(" + std::to_string(kMaxIntegrityProblems) + ")");
  report.only_indexes = true;
  static const std::regex index_entry(
      R"(^(row \d+ missing from index|wrong # of entries in index|non-unique entry in index) )");
  static const std::regex tree_page(R"(^Tree (\d+) page)");
  while (s.step()) {
    std::string line = s.column_text(0);
    if (line == "ok") continue;
    std::smatch m;
    bool index_damage = std::regex_search(line, index_entry);
    if (!index_damage && std::regex_search(line, m, tree_page)) {
      auto it = trees.find(std::stoll(m[1].str()));
      index_damage = it != trees.end() && it->second.first == "index";
      if (it != trees.end()) line += " (" + it->second.first + " " + it->second.second + ")";
    }
    if (!index_damage) report.only_indexes = false;
    report.problems.push_back(std::move(line));
  }
  if (report.problems.empty()) report.only_indexes = false;
  return report;
}

BackgroundIntegrityCheck::BackgroundIntegrityCheck(const std::filesystem::path& file) {
  auto check = [file] {
    sqlite::Database db(file, sqlite::Database::Open::kExisting);
    db.exec("PRAGMA query_only=ON");
    // The check reads every page once: mapped, it costs page faults
    // instead of a read() and a copy per page.
    db.exec("PRAGMA mmap_size=1073741824");
    return check_integrity(db);
  };
  try {
    result_ = std::async(std::launch::async, check);
  } catch (const std::system_error&) {
    // No thread to be had: the check runs in wait(), on the caller's.
    result_ = std::async(std::launch::deferred, check);
  }
}

BackgroundIntegrityCheck::~BackgroundIntegrityCheck() {
  if (result_.valid()) result_.wait();
}

IntegrityReport BackgroundIntegrityCheck::wait() {
  return result_.get();
}

}  // namespace kix
