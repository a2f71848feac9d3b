// A graph's edges in one list (compressed rows): resource i's edges are the
// positions begin[i] .. begin[i + 1] of `to` and `reason`. Four bytes per
// resource and eight per edge, where a vector of targets and one of reason
// strings per resource took about 150 bytes for a resource with one edge.
// The lists live in the memory resource given (the default heap, or an
// add's util/spill_heap.h), which must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <vector>

namespace kix {

struct EdgeList {
  explicit EdgeList(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : begin(size_t{1}, 0u, memory), to(memory), reason(memory) {}

  std::pmr::vector<uint32_t> begin;   // one more than there are resources
  std::pmr::vector<uint32_t> to;      // the target's index
  std::pmr::vector<uint32_t> reason;  // the owner's number for why (an index into its table)

  size_t resources() const { return begin.size() - 1; }
  size_t first(size_t i) const { return begin[i]; }
  size_t end(size_t i) const { return begin[i + 1]; }
  size_t count(size_t i) const { return begin[i + 1] - begin[i]; }

  // Appends an edge of the last resource begun (start_resource; at least
  // one must have been). merkle_nodes() refuses 2^32 - 1 edges or more.
  void add(uint32_t target, uint32_t why) {
    to.push_back(target);
    reason.push_back(why);
    ++begin.back();
  }
  // Begins the next resource's edges (none yet).
  void start_resource() { begin.push_back(begin.back()); }
};

}  // namespace kix
