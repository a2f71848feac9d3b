// Hash stability (docs/hashing.md): surface syntax never changes a hash; content
// and referenced nodes always do; the root ignores order.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "manifest/canonical_json.h"
#include "manifest/document.h"
#include "manifest/merkle.h"
#include "util/hash.h"

namespace kix {
namespace {

// Arbitrary JSON values of bounded depth with keys that exercise the
// UTF-16 ordering rule and strings that need escaping.
rc::Gen<std::string> gen_key() {
  return rc::gen::oneOf(
      rc::gen::element<std::string>("a", "b", "name", "app.kubernetes.io/name", "\xc3\xb6",
                                    "\xef\xac\xb3", "\xf0\x9f\x98\x80", "", "key with space",
                                    "quote\"d", "x/y~z", "yes", "1"),
      rc::gen::container<std::string>(rc::gen::inRange('a', 'z')));
}

rc::Gen<Json> gen_scalar() {
  return rc::gen::oneOf(
      rc::gen::just(Json(nullptr)),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return Json(b); }),
      rc::gen::map(rc::gen::inRange<int64_t>(-1000000, 1000000), [](int64_t i) { return Json(i); }),
      rc::gen::map(rc::gen::inRange<int>(-100000, 100000), [](int i) { return Json(i / 8.0); }),
      rc::gen::map(gen_key(), [](std::string s) { return Json(s); }),
      rc::gen::map(rc::gen::element<std::string>("line\nbreak", "tab\there", "back\\slash", "\x01",
                                                 "true", "null", "0755", "1e3", "- dash", ": colon",
                                                 "#hash", "  lead"),
                   [](std::string s) { return Json(s); }));
}

Json gen_value_sized(int depth) {
  int choice = *rc::gen::inRange(0, depth <= 0 ? 1 : 3);
  if (choice == 0) return *gen_scalar();
  if (choice == 1) {
    Json arr = Json::array();
    int n = *rc::gen::inRange(0, 4);
    for (int i = 0; i < n; ++i) arr.push_back(gen_value_sized(depth - 1));
    return arr;
  }
  Json obj = Json::object();
  int n = *rc::gen::inRange(0, 5);
  for (int i = 0; i < n; ++i) obj[*gen_key()] = gen_value_sized(depth - 1);
  return obj;
}

// YAML text of a value in a chosen style: block or flow, with comments
// and extra blank lines, keys in the given order.
void to_yaml(const Json& v, std::string& out, int indent, bool flow, bool reverse_keys) {
  auto pad = std::string(static_cast<size_t>(indent), ' ');
  if (v.is_object() && !v.empty() && !flow) {
    std::vector<std::string> keys;
    for (auto& [k, _] : v.items()) keys.push_back(k);
    if (reverse_keys) std::reverse(keys.begin(), keys.end());
    for (const auto& k : keys) {
      out += pad + Json(k).dump() + ":  # a comment\n";
      to_yaml(v[k], out, indent + 2, flow, reverse_keys);
    }
    return;
  }
  if (v.is_array() && !v.empty() && !flow) {
    for (const auto& e : v) {
      out += pad + "-\n";
      to_yaml(e, out, indent + 2, flow, reverse_keys);
    }
    return;
  }
  // Scalars and flow collections: JSON is valid YAML 1.2 flow syntax.
  out += pad + v.dump(-1, ' ', false, Json::error_handler_t::strict) + "\n\n";
}

RC_GTEST_PROP(HashProperties, KeyOrderYamlJsonWhitespaceAndCommentsNeverChangeTheHash, ()) {
  Json v = Json::object();
  v["kind"] = "ConfigMap";
  v["data"] = gen_value_sized(3);
  const auto expected = Hash::of(canonical_json(v));

  Diagnostics diags;
  std::string json_text = v.dump(*rc::gen::inRange(-1, 4));
  auto from_json = parse_any(json_text, "x.json", diags);
  RC_ASSERT(from_json.size() == 1u);
  RC_ASSERT(Hash::of(canonical_json(from_json[0].value)) == expected);

  std::string block, block_reversed, flow;
  to_yaml(v, block, 0, false, false);
  to_yaml(v, block_reversed, 0, false, true);
  to_yaml(v, flow, 0, true, false);
  for (const auto* text : {&block, &block_reversed, &flow}) {
    auto docs = parse_yaml("# leading comment\n---\n" + *text, "x.yaml", diags);
    RC_ASSERT(docs.size() == 1u);
    RC_ASSERT(Hash::of(canonical_json(docs[0].value)) == expected);
  }
}

Manifest manifest_named(const std::string& kind, const std::string& name, Json data) {
  Json v = {
      {"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}, {"namespace", "ns"}}}};
  if (!data.is_null()) v["data"] = std::move(data);
  return make_manifest(std::move(v), {});
}

// A chain a0 <- a1 <- ... <- an (each references the previous one).
std::pair<std::vector<Manifest>, std::vector<std::vector<size_t>>> chain(int n, const Json& base) {
  std::vector<Manifest> ms;
  std::vector<std::vector<size_t>> refs;
  for (int i = 0; i < n; ++i) {
    ms.push_back(manifest_named("ConfigMap", "m" + std::to_string(i), i == 0 ? base : Json(i)));
    refs.push_back(i == 0 ? std::vector<size_t>{}
                          : std::vector<size_t>{static_cast<size_t>(i - 1)});
  }
  return {ms, refs};
}

RC_GTEST_PROP(HashProperties, ChangingContentChangesEveryDependentAndTheRoot, ()) {
  int n = *rc::gen::inRange(2, 8);
  Json base = gen_value_sized(2);
  Json changed = base;
  changed = Json::array({base, "changed"});
  auto [ms1, r1] = chain(n, base);
  auto [ms2, r2] = chain(n, changed);
  Graph g1 = build_graph(ms1, r1);
  Graph g2 = build_graph(ms2, r2);
  for (int i = 0; i < n; ++i) RC_ASSERT(g1.nodes[i] != g2.nodes[i]);
  RC_ASSERT(g1.root("c") != g2.root("c"));
  // Content of the dependents did not change, only their node hashes.
  for (int i = 1; i < n; ++i) RC_ASSERT(g1.manifests[i].blob == g2.manifests[i].blob);
}

RC_GTEST_PROP(HashProperties, RootDoesNotDependOnInputOrder, ()) {
  int n = *rc::gen::inRange(1, 10);
  auto [ms, refs] = chain(n, Json("x"));
  Graph g = build_graph(ms, refs);
  std::vector<size_t> perm(static_cast<size_t>(n));
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  // A random permutation: sort the indices by random keys.
  auto keys = *rc::gen::container<std::vector<int>>(perm.size(), rc::gen::arbitrary<int>());
  std::sort(perm.begin(), perm.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<size_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
  std::vector<Manifest> shuffled;
  std::vector<std::vector<size_t>> shuffled_refs;
  for (size_t i = 0; i < perm.size(); ++i) {
    shuffled.push_back(ms[perm[i]]);
    std::vector<size_t> rs;
    for (size_t r : refs[perm[i]]) rs.push_back(inverse[r]);
    shuffled_refs.push_back(rs);
  }
  Graph g2 = build_graph(shuffled, shuffled_refs);
  RC_ASSERT(g.root("c") == g2.root("c"));
}

// root_hash() streams its text in pieces through a sorted index; the
// documented form is one string over the sorted, unique list. Lists long
// enough to span several pieces, in any order, with repeats.
RC_GTEST_PROP(HashProperties, RootHashIsTheDocumentedFormOfTheSortedUniqueList, ()) {
  const int distinct = *rc::gen::inRange(0, 700);
  std::vector<Hash> nodes;
  for (int i = 0; i < distinct; ++i) nodes.push_back(Hash::of(std::to_string(i)));
  const auto repeats = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 700));
  for (int r : repeats) {
    if (distinct > 0) nodes.push_back(nodes[static_cast<size_t>(r % distinct)]);
  }
  if (*rc::gen::arbitrary<bool>()) {
    std::sort(nodes.begin(), nodes.end());
  } else {
    const auto keys =
        *rc::gen::container<std::vector<int>>(nodes.size(), rc::gen::arbitrary<int>());
    std::vector<size_t> order(nodes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::vector<Hash> shuffled;
    for (size_t i : order) shuffled.push_back(nodes[i]);
    nodes = std::move(shuffled);
  }
  const std::string cluster = *rc::gen::element<std::string>("c", "prod \"eu\"", "");
  std::vector<Hash> unique = nodes;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  std::string text = "{\"cluster\":";
  append_canonical_string(text, cluster);
  text += ",\"resources\":[";
  for (size_t i = 0; i < unique.size(); ++i) {
    text += (i > 0 ? ",\"" : "\"") + unique[i].hex() + "\"";
  }
  text += "],\"v\":1}";
  RC_ASSERT(root_hash(cluster, nodes) == Hash::of(text));
}

}  // namespace
}  // namespace kix
