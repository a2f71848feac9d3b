#include "store/ref.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/error.h"
#include "util/suggest.h"

namespace kix {

namespace {

constexpr size_t kMaxSuggestions = 5;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::vector<std::string> similar_clusters(Store& store, std::string_view name) {
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(2, name.size() / 3);
  for (auto& c : store.clusters()) {
    size_t d = edit_distance(lower(name), lower(c));
    if (d <= limit) scored.emplace_back(d, c);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (auto& [d, c] : scored) {
    if (out.size() == kMaxSuggestions) break;
    out.push_back(c);
  }
  return out;
}

// Objects sharing the longest prefix (of at least 4 hex digits) with `hex`.
std::vector<std::string> similar_hashes(Store& store, std::string_view hex) {
  std::vector<std::string> out;
  if (hex.size() < 4 || !all_hex(hex)) return out;
  for (size_t len = std::min(hex.size(), Hash::kHexSize); len >= 4 && out.empty(); --len) {
    for (auto& [hash, kind] : store.find_by_prefix(lower(hex.substr(0, len)), kMaxSuggestions)) {
      out.push_back(std::string(object_kind_name(kind)) + " " + hash.hex());
    }
  }
  return out;
}

Error not_found(Store& store, const std::string& what, std::vector<std::string> suggestions) {
  std::string hint;
  if (!suggestions.empty()) {
    hint = "closest matches:";
    for (auto& s : suggestions) hint += "\n  " + s;
  } else {
    auto clusters = store.clusters();
    hint = clusters.empty()
               ? "the store has no clusters yet; a REF is a hash (8+ hex digits), NAME or NAME@N"
               : "a REF is a hash (8+ hex digits), NAME or NAME@N; `kix store log NAME` lists "
                 "generations";
  }
  return Error(ErrorKind::kNotFound, what, {}, hint);
}

ResolvedRef resolve_generation(Store& store, std::string_view ref, size_t at) {
  std::string name(ref.substr(0, at));
  std::string_view digits = ref.substr(at + 1);
  int64_t number = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || number < 1) {
    throw Error(ErrorKind::kInvalidInput,
                "invalid REF '" + std::string(ref) +
                    "': the generation after '@' must be a "
                    "number from 1",
                {}, "write NAME@N, for example my-cluster@3");
  }
  auto gens = store.generations(name);
  if (gens.empty()) {
    throw not_found(store, "no cluster named '" + name + "' in the store",
                    similar_clusters(store, name));
  }
  for (auto& g : gens) {
    if (g.number == number) return ResolvedRef{g.root, ObjectKind::kRoot, g};
  }
  std::string numbers;
  for (size_t i = 0; i < gens.size() && i < 20; ++i) {
    numbers += (i ? ", " : "") + std::to_string(gens[i].number);
  }
  if (gens.size() > 20) numbers += ", ... " + std::to_string(gens.back().number);
  throw Error(ErrorKind::kNotFound,
              "cluster '" + name + "' has no generation " + std::to_string(number), {},
              "its generations are: " + numbers);
}

}  // namespace

ResolvedRef resolve_ref(Store& store, std::string_view ref) {
  if (ref.empty()) {
    throw Error(ErrorKind::kInvalidInput, "empty REF", {},
                "a REF is a hash (8+ hex digits), NAME or NAME@N");
  }
  if (auto at = ref.rfind('@'); at != std::string_view::npos) {
    return resolve_generation(store, ref, at);
  }
  if (looks_like_hash_prefix(ref)) {
    auto matches = store.find_by_prefix(lower(ref), 10);
    if (matches.size() == 1) return ResolvedRef{matches[0].first, matches[0].second, std::nullopt};
    if (matches.size() > 1) {
      std::string hint = "use more digits; it matches:";
      for (auto& [hash, kind] : matches)
        hint += "\n  " + std::string(object_kind_name(kind)) + " " + hash.hex();
      throw Error(ErrorKind::kConflict, "ambiguous REF '" + std::string(ref) + "'", {}, hint);
    }
  }
  std::string name(ref);
  if (auto g = store.current_generation(name)) return ResolvedRef{g->root, ObjectKind::kRoot, g};

  std::vector<std::string> suggestions = similar_hashes(store, ref);
  for (auto& c : similar_clusters(store, ref)) suggestions.push_back("cluster " + c);
  std::string what = looks_like_hash_prefix(ref) ? "no root, node or cluster matches '" + name + "'"
                                                 : "no cluster named '" + name + "' in the store";
  throw not_found(store, what, std::move(suggestions));
}

ResolvedRef resolve_root_ref(Store& store, std::string_view ref) {
  ResolvedRef r = resolve_ref(store, ref);
  if (r.kind != ObjectKind::kRoot) {
    throw Error(ErrorKind::kInvalidInput,
                "'" + std::string(ref) + "' is a node (one resource), not a root", {},
                "name a root: its hash, NAME or NAME@N (`kix store log NAME` lists them)");
  }
  return r;
}

}  // namespace kix
