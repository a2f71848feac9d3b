// `kix graph --format tree`: the instances of a compiled cluster as a
// dependency tree, as seed 000 draws it. Each namespace lists the instances
// nothing else depends on; under each, what it depends on, how every need
// was bound (as `kix build` says it) and what the instance emits:
//
//   Namespace: immich
//   immich  Deployment + Service + ConfigMap
//   ├── postgres → immich-db (alias "postgres" in namespace immich)  SGCluster
//   └── storage → immich-library (alias "storage" in namespace immich)  PersistentVolumeClaim
//       └── storageClass → storage-class (from the cluster infrastructure)  StorageClass
//
// An instance reached a second time is named with "(shown above)" instead
// of being drawn again, so a shared dependency costs one line per use.
// Pure; not thread-safe only in that it reads `c`.
#pragma once

#include <string>

#include "compiler/compilation.h"

namespace kix::cli {

// The tree, drawn with box-drawing characters and "→" when `utf8`, else in
// ASCII ("|--", "`--", "->").
std::string dependency_tree(const compiler::Compilation& c, bool utf8);

}  // namespace kix::cli
