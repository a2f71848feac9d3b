// check_unique_identities (manifest/manifest.h) finds duplicates by sorting
// indices; it must report exactly what a map of joined keys would: the same
// first repeat in input order, named at the same place, for any identities,
// including ones whose pieces contain the '/' the key joins them with.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "manifest/secret_sources.h"
#include "util/error.h"

namespace kix {
namespace {

rc::Gen<ResourceId> gen_id() {
  auto piece = [](std::vector<std::string> values) {
    return rc::gen::elementOf(std::move(values));
  };
  return rc::gen::build<ResourceId>(
      rc::gen::set(&ResourceId::api_version, piece({"v1", "apps/v1", "apps/v2", "a/b/v1", "a"})),
      rc::gen::set(&ResourceId::kind,
                   piece({"Secret", "ConfigMap", "b", "b/v1", "RequiredSecret"})),
      rc::gen::set(&ResourceId::ns, piece({"", "x", "x/y", "y"})),
      rc::gen::set(&ResourceId::name, piece({"n", "y/n", "m", ""})));
}

// The check as a map of joined keys, the way it was first written.
std::optional<std::string> reference_check(const std::vector<Manifest>& manifests) {
  std::map<std::string, size_t> seen;
  std::map<std::string, size_t> secrets;
  for (size_t i = 0; i < manifests.size(); ++i) {
    const ResourceId& id = manifests[i].id;
    auto [it, inserted] = seen.emplace(id.key(), i);
    if (!inserted) return "twice " + std::to_string(i) + " " + std::to_string(it->second);
    if (!is_secret_source(id) && !(id.kind == "Secret" && id.group().empty())) continue;
    auto [other, fresh] = secrets.emplace(id.ns + '\0' + id.name, i);
    if (!fresh) return "secret " + std::to_string(i) + " " + std::to_string(other->second);
  }
  return std::nullopt;
}

RC_GTEST_PROP(UniqueIdentities, ReportsWhatAMapOfJoinedKeysReports, ()) {
  const auto ids = *rc::gen::container<std::vector<ResourceId>>(gen_id());
  std::vector<Manifest> manifests;
  for (size_t i = 0; i < ids.size(); ++i) {
    Manifest m;
    m.id = ids[i];
    m.location = SourceLocation{"in.yaml", static_cast<int>(i + 1), 1};
    manifests.push_back(std::move(m));
  }
  std::optional<std::string> want = reference_check(manifests);
  std::optional<std::string> got;
  try {
    check_unique_identities(manifests);
  } catch (const Error& e) {
    RC_ASSERT(e.kind() == ErrorKind::kConflict);
    size_t at = static_cast<size_t>(e.where().line - 1);
    std::string hint = e.hint();
    size_t first = static_cast<size_t>(std::stoul(hint.substr(hint.find(':') + 1)) - 1);
    bool twice = e.message().find("is defined twice") != std::string::npos;
    got = std::string(twice ? "twice " : "secret ") + std::to_string(at) + " " +
          std::to_string(first);
  }
  RC_ASSERT(got == want);
}

}  // namespace
}  // namespace kix
