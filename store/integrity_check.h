// SQLite's own check of a store database (`PRAGMA integrity_check`), as gc,
// verify and format upgrades use it: the problems it reports, and whether
// they are confined to indexes (which REINDEX rebuilds from the tables).
//
// The check reads every page of the file, so it is run beside the work
// that reads the tables: BackgroundIntegrityCheck runs it on a connection
// of its own in another thread.
#pragma once

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace kix {

struct IntegrityReport {
  std::vector<std::string> problems;  // empty: the database is sound
  bool only_indexes = false;          // every problem is in an index (false when none)
};

// Runs the check on `db`, inside its current transaction if one is open (so
// it sees that transaction's own changes). Reports at most 100 problems.
// Throws kix::Error when the check itself cannot run.
IntegrityReport check_integrity(sqlite::Database& db);

// check_integrity of the database `file` on a new connection (query_only),
// in a thread of its own started by the constructor (in wait(), on the
// caller's thread, when no thread can be started).
//
// Snapshot: the check reads the last state committed when it starts. Under
// the caller's write transaction (BEGIN IMMEDIATE, taken before this is
// constructed) no other writer can commit, so that is exactly the state the
// caller reads; under a read transaction another writer may commit between
// the two, and the check then judges that newer state of the same file.
//
// Not copyable or movable; wait() once. The destructor waits for the
// thread (a check is never left running), discarding its result.
class BackgroundIntegrityCheck {
 public:
  explicit BackgroundIntegrityCheck(const std::filesystem::path& file);
  ~BackgroundIntegrityCheck();
  BackgroundIntegrityCheck(const BackgroundIntegrityCheck&) = delete;
  BackgroundIntegrityCheck& operator=(const BackgroundIntegrityCheck&) = delete;

  // The report; rethrows what the check threw (kIo when the file cannot be
  // opened, kCorruption when SQLite cannot read it at all).
  IntegrityReport wait();

 private:
  std::future<IntegrityReport> result_;
};

}  // namespace kix
