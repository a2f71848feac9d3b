// Which field manager owns which list elements of a live object, read from
// its metadata.managedFields: the FieldsV1 sets that server-side apply
// records per manager ({"f:spec": {"f:containers": {"k:{\"name\":\"web\"}":
// {...}}}}), where "k:{...}" names an element of an associative list by its
// key fields and "v:<value>" an element of a set.
//
// kix applies with --server-side --field-manager=kix. An element another
// manager added to a list kix manages (a sidecar container a controller
// put in a pod template, an env var from `kubectl set env`, a Service port
// from `kubectl patch`) stays where it is when kix applies: `kix deploy`
// does not remove it, so it is not drift (docs/commands/diff.md, "Also
// present, owned by another manager"). take_foreign_elements takes such
// elements out of a live object before the comparison, so they can be
// listed apart.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "manifest/build_diff.h"
#include "manifest/canonical_json.h"

namespace kix {

// Removes from `live` (a live object, already through strip_server_fields,
// so without its managedFields) every list element that
//   - `manager` owns in none of its managedFields entries of `live_raw`
//     (the same object as fetched, managedFields included; any operation),
//   - another manager owns (its FieldsV1 has a "k:" or "v:" entry that
//     matches the element), and
//   - `desired` has no element with the same key (a key field the desired
//     element leaves out counts as its server default: `protocol` is TCP),
// in the lists `desired` sets or `manager` owns, at any depth (an env var
// of a container kix owns). Returns them in document order, with their
// JSONPath in `live_raw` (ForeignElement::id is left empty). Elements no
// entry matches, atomic lists and objects without managedFields are left
// as they are: they stay differences.
std::vector<ForeignElement> take_foreign_elements(const Json& desired, Json& live,
                                                  const Json& live_raw, const std::string& manager);

}  // namespace kix
