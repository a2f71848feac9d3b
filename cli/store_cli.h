// Shared pieces of the `kix store ...` commands (cli/store_*.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "store/store.h"

namespace kix::cli {

// Opens (creating on first use) the store that --store / KIX_STORE / XDG names.
std::unique_ptr<Store> open_store(const Context& ctx);

// "2026-11-21 07:03:12 +0100" in the local time zone.
std::string format_local_time(int64_t unix_seconds);
// "1.4 MiB", "512 B".
std::string human_bytes(uint64_t bytes);
// "Deployment/web @ shop" from a stored node.
std::string describe(const StoredNode& node);

// Each file registers its subcommands on the `store` subcommand.
void add_store_query_commands(CLI::App& store, Context& ctx);  // ls, show, cat, log, closure...
void add_store_diff_command(CLI::App& store, Context& ctx);
void add_store_maintenance_commands(CLI::App& store, Context& ctx);  // pin, unpin, gc, verify
void add_store_archive_commands(CLI::App& store, Context& ctx);      // export, import
void add_store_oci_commands(CLI::App& store, Context& ctx);          // push, pull
void add_store_deployments_command(CLI::App& store, Context& ctx);
// Registers `rollback` on `parent` (both `kix rollback` and `kix store rollback`).
void add_rollback_command(CLI::App& parent, Context& ctx);

}  // namespace kix::cli
