// Container images pinned by digest (docs/lockfile.md, "Images"): every
// image reference a build emits is found, and one that kix.lock pins is
// rewritten to `repo:tag@sha256:…`, so what runs is what was locked.
//
// Where images are: the containers, initContainers and ephemeralContainers
// of every pod template (Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob), and a CloudNativePG
// Cluster's spec.imageName. A reference that already has a digest is
// pinned as it is.
//
// Thread-safety: pure functions; an ImageResolver as its implementation.
#pragma once

#include <string>
#include <vector>

#include "compiler/compilation.h"

namespace kix::compiler {

struct ImageUse {
  size_t resource = 0;  // index into Compilation::resources
  std::string pointer;  // JSON Pointer of the image string in the manifest
  std::string image;    // as emitted
};

// Every image reference of `resources`, in resource order.
std::vector<ImageUse> find_images(const std::vector<CompiledResource>& resources);

// True when `image` names a digest ("…@sha256:…").
bool has_digest(const std::string& image);

// Asks a registry what a tag points at now.
class ImageResolver {
 public:
  virtual ~ImageResolver() = default;
  // "sha256:<hex>" of the manifest `image` (a tag) names. Throws kix::Error
  // naming the registry when it cannot be had.
  virtual std::string resolve(const std::string& image) = 0;
};

}  // namespace kix::compiler
