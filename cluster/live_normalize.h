// Normalizing live cluster objects before they are compared with what kix
// compiled (docs/commands/diff.md, "What is not drift"): what the server sets or defaults is not
// drift.
//
// The comparison model is the one kubectl diff uses under server-side apply:
// kix owns the fields it writes, so only those are compared. Three steps:
//   1. strip_server_fields removes what the API server adds to every object
//      (status, uid, resourceVersion, managedFields, ...);
//   2. project_live keeps, of the live object, only the fields present in the
//      desired manifest, and treats server-normalized spellings of a value
//      (quantities such as "1000m" for "1", omitted zero values) as equal;
//   3. add_dropped_fields puts back the fields kix applied before (per
//      managedFields) that the desired manifest no longer sets.
#pragma once

#include <string>

#include "manifest/canonical_json.h"

namespace kix {

// A copy of `live` without status, metadata.{uid, resourceVersion,
// generation, creationTimestamp, managedFields, selfLink,
// deletionGracePeriodSeconds}, and the annotations the server or kubectl
// add (kubectl.kubernetes.io/last-applied-configuration,
// deployment.kubernetes.io/revision). Empty annotation/label maps left
// behind are removed.
Json strip_server_fields(const Json& live);

// The desired manifest as the server stores it: a Secret's stringData is
// merged into data, base64-encoded (stringData wins on equal keys, as in the
// API server; a null value is the empty string). Other kinds are returned
// unchanged.
Json desired_as_stored(const Json& desired);

// `live` (already stripped) reduced to the fields `desired` sets:
// - object keys absent from `desired` are dropped (server defaults such as
//   clusterIP, dnsPolicy, a port's protocol, revisionHistoryLimit);
// - lists of objects with a `name` are matched by name, other lists by
//   index; live elements with no desired counterpart are kept (they differ);
// - where the live value is an equal spelling of the desired one (the same
//   quantity, an omitted zero value or empty map/list, a null that means
//   "unset"), the desired value is used so no difference is reported. A
//   live null where kix writes a zero value ({}, [], "", false, 0) is such a
//   spelling: an empty map kix writes that comes back as null, a Secret key
//   whose value is "" on one side and null on the other.
Json project_live(const Json& desired, const Json& live);

// The fields `manager` owns through server-side apply, from live
// metadata.managedFields: the union of the FieldsV1 sets
// ({"f:spec": {"f:replicas": {}}}) of its Apply entries; an empty object
// when it owns none.
Json applied_fields(const Json& live, const std::string& manager);

// Adds to `projected` the object fields that `owned` (applied_fields of
// kix) says kix applied earlier but `desired` no longer sets: the next apply
// removes them, so they are differences. Values are taken from `live`.
// Lists are not walked (project_live already keeps unmatched elements).
void add_dropped_fields(Json& projected, const Json& desired, const Json& live, const Json& owned);

// Both values are Kubernetes quantities ("1Gi", "1024Mi", "0.5", 1) of
// equal amount.
bool same_quantity(const Json& a, const Json& b);

}  // namespace kix
