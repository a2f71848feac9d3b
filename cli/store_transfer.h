// What `kix store export/import` and `kix store push/pull` share: the
// options that choose the history that travels, and the report of what an
// import brought in.
#pragma once

#include <CLI/CLI.hpp>

#include "store/archive.h"
#include "store/export_request.h"

namespace kix::cli {

// --history N, --no-history and --pins on `cmd`, into `choice`.
void add_history_options(CLI::App& cmd, HistoryChoice& choice);

// "imported 2 roots (1 new), ..." and the history merged, then the roots'
// hashes, one per line.
void print_import(const Closure& contents, const ImportResult& result, bool pinned);

// The same report for --format json (schema/output/store-import.json).
Json import_json(const Closure& contents, const ImportResult& result, bool pinned);

}  // namespace kix::cli
