#include "store/node_writer.h"

namespace kix {

NodeWriter::NodeWriter(sqlite::Database& db)
    : db_(db),
      insert_node_(
          db.prepare("INSERT OR IGNORE INTO nodes (hash, blob, api_version, kind, namespace, name) "
                     "VALUES (?, ?, ?, ?, ?, ?)")),
      find_node_(db.prepare("SELECT id FROM nodes WHERE hash = ?")),
      insert_ref_(db.prepare("INSERT OR IGNORE INTO refs (src, dst, reason) VALUES (?, ?, ?)")),
      find_reason_(db.prepare("SELECT id FROM reasons WHERE reason = ?")),
      insert_reason_(db.prepare("INSERT INTO reasons (reason) VALUES (?)")) {}

NodeWriter::Put NodeWriter::put(const Hash& hash, const Hash& blob, const ResourceIdView& id) {
  insert_node_.bind(1, hash)
      .bind(2, blob)
      .bind(3, id.api_version)
      .bind(4, id.kind)
      .bind(5, id.ns)
      .bind(6, id.name);
  insert_node_.run();
  // One statement for a new node: its number is the row just inserted.
  if (db_.changes() == 1) return Put{db_.last_insert_rowid(), true};
  return Put{find(hash), false};
}

int64_t NodeWriter::find(const Hash& hash) {
  find_node_.reset();
  find_node_.bind(1, hash);
  int64_t id = find_node_.step() ? find_node_.column_int(0) : 0;
  find_node_.reset();
  return id;
}

void NodeWriter::put_ref(int64_t src, int64_t dst, std::string_view reason) {
  insert_ref_.bind(1, src).bind(2, dst).bind(3, reason_id(reason));
  insert_ref_.run();
}

int64_t NodeWriter::reason_id(std::string_view reason) {
  if (auto it = reasons_.find(reason); it != reasons_.end()) return it->second;
  find_reason_.reset();
  find_reason_.bind(1, reason);
  int64_t id = 0;
  if (find_reason_.step()) {
    id = find_reason_.column_int(0);
  } else {
    insert_reason_.bind(1, reason);
    insert_reason_.run();
    id = db_.last_insert_rowid();
  }
  find_reason_.reset();
  reasons_.emplace(std::string(reason), id);
  return id;
}

}  // namespace kix
