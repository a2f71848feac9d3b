#include "compiler/resource_patches.h"

#include <algorithm>

#include "compiler/template.h"
#include "manifest/json_diff.h"
#include "manifest/json_patch.h"
#include "manifest/merge_patch.h"
#include "util/suggest.h"

namespace kix::compiler {

namespace {

// The fields that name a resource; a patch must leave them alone.
const char* const kIdentity[] = {"/apiVersion", "/kind", "/metadata/name", "/metadata/namespace"};

Json field_at(const Json& manifest, const char* pointer) {
  const Json::json_pointer p(pointer);
  return manifest.contains(p) ? manifest.at(p) : Json();
}

// "spec.template.spec.tolerations" for tokens, "(the whole resource)" for none.
std::string field_text(const std::vector<std::string>& tokens) {
  if (tokens.empty()) return "(the whole resource)";
  std::string path = json_path(tokens);
  return path.compare(0, 2, "$.") == 0 ? path.substr(2) : path.substr(1);
}

std::string pointer_of(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) out += "/" + json_pointer_escape(t);
  return out;
}

// The `${...}` provenance of the patch value at `pointer` (relative to the
// patch body): every interpolation inside it, or around it.
Provenance provenance_at(const std::vector<Interpolation>& records, const std::string& pointer) {
  Provenance prov;
  for (const auto& in : records) {
    if (pointer_within(in.pointer, pointer) || pointer_within(pointer, in.pointer))
      merge_provenance(prov, in.prov);
  }
  return prov;
}

// A string field of an operation, for messages ("?" when it is not one).
std::string op_field(const Json& op, const char* field) {
  auto it = op.is_object() ? op.find(field) : op.end();
  return op.is_object() && it != op.end() && it->is_string() ? it->get<std::string>() : "?";
}

std::string which(const InstancePatch& patch, const InstanceDecl& decl) {
  const size_t index =
      static_cast<size_t>(std::stoul(patch.pointer.substr(patch.pointer.rfind('/') + 1)));
  return "patch " + std::to_string(index) + " of instance '" + decl.name + "'";
}

std::string shown(const CompiledResource& r) {
  const Json& m = r.manifest;
  return m.value("kind", "?") + "/" + m["metadata"].value("name", "?");
}

// The patch body as a document whose locations are those of the
// definition, so template errors point into cluster.yaml (or its module).
Document body_document(const InstancePatch& patch, const ClusterDefinition& def) {
  auto index = std::make_shared<LocationIndex>();
  const std::string base = patch.body_pointer();
  auto walk = [&](auto& self, const Json& node, const std::string& pointer) -> void {
    (*index)[pointer] = def.locate(base + pointer);
    if (node.is_object()) {
      for (const auto& [key, value] : node.items()) {
        self(self, value, pointer + "/" + json_pointer_escape(key));
      }
    } else if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i)
        self(self, node[i], pointer + "/" + std::to_string(i));
    }
  };
  walk(walk, patch.body, "");
  Document doc;
  doc.value = patch.body;
  doc.location = def.locate(base);
  doc.locations = std::move(index);
  return doc;
}

void apply_one(CompiledResource& r, const InstancePatch& patch, const InstanceDecl& decl,
               const ClusterDefinition& def, const Scope& scope) {
  const Document doc = body_document(patch, def);
  std::vector<Interpolation> records;
  Value body = render_template(doc.value, TemplateSource{&doc, ""}, scope, &records);
  const Json before = r.manifest;
  if (patch.type == InstancePatch::Type::kMerge) {
    for (const auto& tokens : apply_merge_patch(r.manifest, body.json)) {
      const std::string pointer = pointer_of(tokens);
      r.patched.push_back({pointer, field_text(tokens), "merge patch", doc.locate(pointer),
                           provenance_at(records, pointer)});
    }
  } else {
    if (auto failure = apply_json_patch(r.manifest, body.json)) {
      const Json& op = body.json[failure->op];
      throw Error(ErrorKind::kInvalidInput,
                  "operation " + std::to_string(failure->op) + " (" + op_field(op, "op") + " " +
                      op_field(op, "path") + ") of " + which(patch, decl) + " failed on " +
                      shown(r) + ": " + failure->message,
                  doc.locate("/" + std::to_string(failure->op)),
                  "paths are into the resource as kix emits it (`kix build` shows it); 'add' "
                  "creates only the last step of a path, and `/-` appends to a list");
    }
    for (size_t k = 0; k < body.json.size(); ++k) {
      const Json& op = body.json[k];
      for (const std::string& written : json_patch_written_paths(op)) {
        std::vector<std::string> tokens =
            parse_json_pointer(written).value_or(std::vector<std::string>{});
        if (!tokens.empty() && tokens.back() == "-") tokens.pop_back();
        const std::string at = "/" + std::to_string(k);
        r.patched.push_back(
            {pointer_of(tokens), field_text(tokens),
             "JSON patch operation " + std::to_string(k) + " (" + op_field(op, "op") + ")",
             doc.locate(at), provenance_at(records, at)});
      }
    }
  }
  for (const char* field : kIdentity) {
    Json was = field_at(before, field), now = field_at(r.manifest, field);
    if (was == now) continue;
    auto tokens = parse_json_pointer(field).value();
    throw Error(ErrorKind::kInvalidInput,
                which(patch, decl) + " changes " + field_text(tokens) + " of " + shown(r) +
                    " (from " + (was.is_null() ? "nothing" : was.dump()) + " to " +
                    (now.is_null() ? "nothing" : now.dump()) + ")",
                patch.where,
                "a patch cannot change what names a resource (apiVersion, kind, metadata.name, "
                "metadata.namespace): other resources refer to it by them. Set a name through "
                "the package's options, or give the instance another name");
  }
}

}  // namespace

bool patch_targets(const InstancePatch& patch, const CompiledResource& r) {
  const bool key =
      patch.resource == "chart" ? r.key.compare(0, 6, "chart/") == 0 : r.key == patch.resource;
  if (!key || !r.manifest.is_object()) return false;
  if (!patch.kind.empty() && r.manifest.value("kind", "") != patch.kind) return false;
  if (!patch.name.empty() && r.manifest["metadata"].value("name", "") != patch.name) return false;
  return true;
}

bool pointer_within(const std::string& pointer, const std::string& ancestor) {
  return pointer.compare(0, ancestor.size(), ancestor) == 0 &&
         (pointer.size() == ancestor.size() || pointer[ancestor.size()] == '/');
}

const PatchedValue* patched_value_at(const CompiledResource& r, const std::string& pointer) {
  for (auto it = r.patched.rbegin(); it != r.patched.rend(); ++it) {
    if (pointer_within(pointer, it->pointer)) return &*it;
  }
  return nullptr;
}

void apply_patches(CompiledResource& r, const InstanceDecl& decl, const ClusterDefinition& def,
                   const Scope& scope, std::vector<size_t>& hits) {
  for (size_t k = 0; k < decl.patches.size(); ++k) {
    if (!patch_targets(decl.patches[k], r)) continue;
    apply_one(r, decl.patches[k], decl, def, scope);
    ++hits[k];
  }
}

void check_patch_targets(const InstanceDecl& decl, const Package& pkg,
                         const std::vector<CompiledResource>& resources,
                         const std::vector<size_t>& emitted, const std::vector<size_t>& hits) {
  std::vector<std::string> keys;
  for (const auto& t : pkg.resources) keys.push_back(t.key);
  if (pkg.chart) keys.push_back("chart");
  for (size_t k = 0; k < decl.patches.size(); ++k) {
    if (hits[k] > 0) continue;
    const InstancePatch& patch = decl.patches[k];
    const std::string what = which(patch, decl);
    if (std::find(keys.begin(), keys.end(), patch.resource) == keys.end()) {
      std::string hint = did_you_mean(patch.resource, keys);
      throw Error(ErrorKind::kNotFound,
                  what + " targets resource '" + patch.resource + "', which package '" + pkg.name +
                      "' does not have",
                  patch.where,
                  hint.empty()
                      ? "'resource' is a key under `resources:` in the package" +
                            std::string(keys.empty() ? "" : "; it has: " + join_names(keys))
                      : hint);
    }
    std::vector<std::string> found;
    for (size_t index : emitted) {
      const CompiledResource& r = resources[index];
      InstancePatch by_key = patch;
      by_key.kind.clear();
      by_key.name.clear();
      if (patch_targets(by_key, r)) found.push_back(shown(r));
    }
    if (found.empty()) {
      throw Error(
          ErrorKind::kNotFound,
          what + " targets resource '" + patch.resource + "', which this instance does not emit",
          patch.where,
          "its `when` is false for this configuration: a patch that targets nothing is "
          "an error, so remove the patch or change the configuration");
    }
    std::vector<std::string> wanted;
    if (!patch.kind.empty()) wanted.push_back("kind '" + patch.kind + "'");
    if (!patch.name.empty()) wanted.push_back("name '" + patch.name + "'");
    std::string hint = "resource '" + patch.resource + "' emits " + join_names(found);
    throw Error(ErrorKind::kNotFound,
                what + " matches no resource: nothing of resource '" + patch.resource + "' has " +
                    (wanted.size() == 2 ? wanted[0] + " and " + wanted[1] : wanted[0]),
                patch.where, hint + "; fix 'kind'/'name' or leave them out");
  }
}

}  // namespace kix::compiler
