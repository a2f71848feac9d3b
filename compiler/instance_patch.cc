#include "compiler/instance_patch.h"

#include <algorithm>

#include "manifest/json_patch.h"
#include "util/suggest.h"

namespace kix::compiler {

namespace {

const std::vector<std::string> kOps = {"add", "remove", "replace", "move", "copy", "test"};
const std::vector<std::string> kOpKeys = {"op", "path", "from", "value"};

class PatchReader {
 public:
  PatchReader(const MergedDocument& doc, const std::string& instance)
      : doc_(doc), instance_(instance) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& message,
                         std::string hint = {}) const {
    throw Error(ErrorKind::kInvalidInput, message, doc_.locate(pointer), std::move(hint));
  }

  InstancePatch read(const Json& entry, const std::string& pointer, size_t index) const {
    const std::string which = "patch " + std::to_string(index) + " of instance '" + instance_ + "'";
    const std::string shape =
        "write `- resource: <key under resources: in package.yaml>` with `merge: {...}` or "
        "`jsonPatch: [...]`";
    if (!entry.is_object()) fail(pointer, which + " must be a map", shape);
    for (const auto& [key, unused] : entry.items()) {
      if (std::find(kPatchKeys.begin(), kPatchKeys.end(), key) != kPatchKeys.end()) continue;
      std::string hint = did_you_mean(key, kPatchKeys);
      fail(pointer + "/" + json_pointer_escape(key), "unknown field '" + key + "' in " + which,
           hint.empty() ? "allowed: " + join_names(kPatchKeys) : hint);
    }
    InstancePatch p;
    p.pointer = pointer;
    p.where = doc_.locate(pointer);
    if (!entry.contains("resource") || !entry["resource"].is_string() ||
        entry["resource"].get<std::string>().empty()) {
      fail(entry.contains("resource") ? pointer + "/resource" : pointer,
           which +
               " needs 'resource', the key of the resource under `resources:` in the "
               "package",
           shape);
    }
    p.resource = entry["resource"].get<std::string>();
    for (const char* field : {"kind", "name"}) {
      if (!entry.contains(field)) continue;
      if (!entry[field].is_string() || entry[field].get<std::string>().empty()) {
        fail(pointer + "/" + field,
             std::string("'") + field + "' of " + which + " must be a non-empty string");
      }
      (std::string(field) == "kind" ? p.kind : p.name) = entry[field].get<std::string>();
    }
    const bool merge = entry.contains("merge"), json_patch = entry.contains("jsonPatch");
    if (merge == json_patch) {
      fail(pointer,
           which + (merge ? " has both 'merge' and 'jsonPatch'" : " has no 'merge' or 'jsonPatch'"),
           "give one: `merge:` a map merged into the resource (RFC 7386), or `jsonPatch:` a "
           "list of operations (RFC 6902); write two entries for both");
    }
    if (merge) {
      p.type = InstancePatch::Type::kMerge;
      p.body = entry["merge"];
      if (!p.body.is_object()) {
        fail(pointer + "/merge", "'merge' of " + which + " must be a map",
             "a merge patch mirrors the resource: `merge: { spec: { replicas: 2 } }`");
      }
    } else {
      p.type = InstancePatch::Type::kJsonPatch;
      p.body = entry["jsonPatch"];
      check_operations(p.body, pointer + "/jsonPatch", which);
    }
    return p;
  }

 private:
  void check_operations(const Json& ops, const std::string& pointer,
                        const std::string& which) const {
    const std::string example =
        "e.g. `- { op: add, path: /spec/template/spec/tolerations/-, "
        "value: {...} }`";
    if (!ops.is_array()) {
      fail(pointer, "'jsonPatch' of " + which + " must be a list of operations", example);
    }
    for (size_t k = 0; k < ops.size(); ++k) {
      const Json& op = ops[k];
      const std::string at = pointer + "/" + std::to_string(k);
      const std::string what = "operation " + std::to_string(k) + " of " + which;
      if (!op.is_object()) fail(at, what + " must be a map with 'op' and 'path'", example);
      for (const auto& [key, unused] : op.items()) {
        if (std::find(kOpKeys.begin(), kOpKeys.end(), key) != kOpKeys.end()) continue;
        std::string hint = did_you_mean(key, kOpKeys);
        fail(at + "/" + json_pointer_escape(key), "unknown field '" + key + "' in " + what,
             hint.empty() ? "allowed: " + join_names(kOpKeys) : hint);
      }
      if (!op.contains("op") || !op["op"].is_string()) {
        fail(at, what + " needs 'op'", "one of: " + join_names(kOps));
      }
      const std::string name = op["op"].get<std::string>();
      if (std::find(kOps.begin(), kOps.end(), name) == kOps.end()) {
        std::string hint = did_you_mean(name, kOps);
        fail(at + "/op", "unknown op '" + name + "' in " + what,
             hint.empty() ? "one of: " + join_names(kOps) : hint);
      }
      std::vector<const char*> pointers = {"path"};
      if (name == "move" || name == "copy") pointers.push_back("from");
      for (const char* field : pointers) {
        if (!op.contains(field)) {
          fail(at, "'" + name + "' (" + what + ") needs '" + field + "'",
               "a JSON Pointer such as /spec/template/spec/nodeSelector");
        }
        if (!op[field].is_string() || !parse_json_pointer(op[field].get<std::string>())) {
          fail(at + "/" + field,
               std::string("'") + field + "' of " + what + " is not a JSON Pointer",
               "start it with '/', and write '~1' for '/' and '~0' for '~' inside a key "
               "(/metadata/annotations/example.com~1owner)");
        }
      }
      if ((name == "add" || name == "replace" || name == "test") && !op.contains("value")) {
        fail(at, "'" + name + "' (" + what + ") needs 'value'");
      }
    }
  }

  const MergedDocument& doc_;
  const std::string& instance_;
};

}  // namespace

std::string InstancePatch::body_pointer() const {
  return pointer + (type == Type::kMerge ? "/merge" : "/jsonPatch");
}

const char* InstancePatch::type_name() const {
  return type == Type::kMerge ? "merge patch" : "JSON patch";
}

std::vector<InstancePatch> read_instance_patches(const MergedDocument& doc,
                                                 const std::string& pointer,
                                                 const std::string& instance) {
  const Json& list = doc.value().at(nlohmann::json::json_pointer(pointer));
  PatchReader reader(doc, instance);
  if (!list.is_array()) {
    reader.fail(pointer, "'patches' of instance '" + instance + "' must be a list",
                "write `patches:` followed by `- resource: <key>` entries");
  }
  std::vector<InstancePatch> out;
  for (size_t i = 0; i < list.size(); ++i) {
    out.push_back(reader.read(list[i], pointer + "/" + std::to_string(i), i));
  }
  return out;
}

}  // namespace kix::compiler
