#include "store/compact_graph.h"

#include <algorithm>
#include <unordered_map>

#include "util/byte_codec.h"
#include "util/error.h"
#include "util/external_sort.h"

namespace kix {

CompactGraph::CompactGraph(const std::filesystem::path& spill_dir, size_t working_memory)
    : heap_(std::make_unique<SpillHeap>(spill_dir, working_memory)),
      names_(heap_.get()),
      files_(heap_.get()),
      resources_(heap_.get()),
      edges_(heap_.get()),
      nodes_(heap_.get()),
      sorted_nodes_(heap_.get()) {}

void CompactGraph::reserve(size_t resources) {
  // Not the held bytes: the budget may be far larger than what is held.
  resources_.reserve(resources);
}

namespace {

uint32_t checked_size(std::string_view what, size_t size) {
  if (size > UINT32_MAX)
    throw Error(ErrorKind::kInvalidInput, std::string(what) + " of 4 GB or more");
  return static_cast<uint32_t>(size);
}

}  // namespace

uint32_t CompactGraph::Interned::intern(ByteArena& arena, std::string_view s) {
  if (auto it = index.find(s); it != index.end()) return it->second;
  if (values.size() >= UINT32_MAX) throw Error(ErrorKind::kInternal, "4G distinct strings");
  const std::string_view copy = arena.copy(s);
  values.push_back(copy);
  index.emplace(copy, static_cast<uint32_t>(values.size() - 1));
  return static_cast<uint32_t>(values.size() - 1);
}

uint32_t CompactGraph::add_file(std::string_view path) {
  if (files_.size() >= UINT32_MAX) {
    throw Error(ErrorKind::kInternal, "more than 4G files in one add");
  }
  const size_t slash = path.rfind('/');
  const std::string_view directory =
      slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
  const std::string_view base = path.substr(directory.size());
  if (directories_.empty() || directories_.back() != directory) {
    directories_.push_back(names_.copy(directory));
  }
  files_.push_back(File{names_.copy(base).data(), checked_size("a file name", base.size()),
                        static_cast<uint32_t>(directories_.size() - 1)});
  return static_cast<uint32_t>(files_.size() - 1);
}

std::string CompactGraph::file(size_t i) const {
  const File& f = files_[resources_[i].file];
  std::string path(directories_[f.directory]);
  path.append(f.base, f.base_size);
  return path;
}

size_t CompactGraph::add(const ResourceId& id, uint32_t file, int line, int column,
                         const Hash& blob, uint64_t canonical_size) {
  if (resources_.size() >= UINT32_MAX) {
    throw Error(ErrorKind::kInvalidInput,
                std::to_string(resources_.size()) + " resources are more than one add can take", {},
                "add them as several clusters");
  }
  if (id.name.size() > UINT32_MAX || canonical_size > UINT32_MAX) {
    throw Error(ErrorKind::kInvalidInput,
                id.display() + " has a name or a canonical form of 4 GB or more");
  }
  std::string& type = scratch_;
  type.clear();
  ByteWriter w(type);
  w.bytes(id.api_version);
  w.bytes(id.kind);
  Resource r;
  r.blob = blob;
  r.size = static_cast<uint32_t>(canonical_size);
  r.name = names_.copy(id.name).data();
  r.name_size = static_cast<uint32_t>(id.name.size());
  r.type = types_.intern(names_, type);
  r.namespace_ = namespaces_.intern(names_, id.ns);
  r.file = file;
  r.line = line;
  r.column = column;
  resources_.push_back(r);
  return resources_.size() - 1;
}

size_t CompactGraph::add_unsealed(const ResourceId& id, uint32_t file, int line, int column) {
  const size_t i = add(id, file, line, column, Hash{}, 0);
  ++unsealed_;
  resources_[i].place = Place::kUnsealed;
  return i;
}

void CompactGraph::hold(size_t i, std::string_view canonical) {
  Resource& r = resources_.at(i);
  r.place = Place::kHeld;
  r.offset = held_.size();
  r.size = checked_size("a canonical form", canonical.size());
  held_ += canonical;
}

void CompactGraph::spooled(size_t i, uint64_t offset) {
  Resource& r = resources_.at(i);
  r.place = Place::kSpooled;
  r.offset = offset;
}

void CompactGraph::seal(size_t i, std::string_view hash_form, const Hash& blob,
                        std::shared_ptr<const SealedSecret> sealed) {
  if (resources_.at(i).place != Place::kUnsealed) {
    throw Error(ErrorKind::kInternal, "a resource sealed that was not added unsealed");
  }
  // Sealed in index order, so the list stays sorted for sealed().
  if (!sealed_.empty() && sealed_.back().first >= i) {
    throw Error(ErrorKind::kInternal, "Secrets sealed out of order");
  }
  sealed_.emplace_back(i, std::move(sealed));
  hold(i, hash_form);
  resources_[i].blob = blob;
  --unsealed_;
}

void CompactGraph::hash(EdgeList edges, std::vector<std::string> reasons) {
  const size_t n = resources_.size();
  // A Secret's hashes are computed over its hash form only (docs/secrets.md).
  if (unsealed_ > 0) {
    throw Error(ErrorKind::kInternal, "a Secret was not sealed before hashing");
  }
  for (size_t k = 0; k < edges.reason.size(); ++k) {
    if (k % 1024 == 0) heap_->touch();
    if (edges.reason[k] >= reasons.size()) {
      throw Error(ErrorKind::kInternal, "edge reason out of range");
    }
  }
  auto blob_of = [&](size_t i) -> const Hash& {
    heap_->touch(3);
    return resources_[i].blob;
  };
  std::pmr::vector<uint32_t> rank = identity_ranks(
      n, [&](size_t i) { return id(i).key(); }, blob_of, heap_.get());
  nodes_ = merkle_nodes(
      rank, blob_of, edges,
      [&](size_t from, size_t to, uint32_t reason) {
        warnings_.push_back(cycle_warning(id(from).display(), id(to).display(), reasons[reason]));
      },
      heap_.get());
  std::pmr::vector<uint32_t>(heap_.get()).swap(rank);
  // What the root lists, sorted once here for the root hash and the
  // stored root: read in order afterwards, where a sort of positions by
  // hash read the node hashes at random.
  ExternalSorter sorter(heap_->budget() / 4, heap_->directory());
  sorted_nodes_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    heap_->touch();
    sorter.add(
        std::string_view(reinterpret_cast<const char*>(nodes_[i].bytes().data()), Hash::kSize),
        static_cast<uint32_t>(i));
  }
  sorter.finish([&](std::string_view hash, uint32_t) {
    const Hash h = Hash::from_bytes(hash.data());
    if (sorted_nodes_.empty() || sorted_nodes_.back() != h) {
      heap_->touch();
      sorted_nodes_.push_back(h);
    }
  });
  edges_ = std::move(edges);
  reasons_ = std::move(reasons);
}

ResourceIdView CompactGraph::id(size_t i) const {
  heap_->touch(2);
  const Resource& r = resources_[i];
  ByteReader in(types_.values[r.type]);
  ResourceIdView v;
  // Written by add() through the same codec: it always reads back.
  if (!in.view(v.api_version) || !in.view(v.kind)) {
    throw Error(ErrorKind::kInternal, "a compact graph's identity does not decode");
  }
  v.ns = namespaces_.values[r.namespace_];
  v.name = std::string_view(r.name, r.name_size);
  return v;
}

SourceLocation CompactGraph::location(size_t i) const {
  heap_->touch(2);
  const Resource& r = resources_[i];
  return SourceLocation{file(i), r.line, r.column};
}

std::optional<std::string_view> CompactGraph::held_canonical(size_t i) const {
  heap_->touch();
  const Resource& r = resources_[i];
  if (r.place != Place::kHeld) return std::nullopt;
  return std::string_view(held_).substr(r.offset, r.size);
}

const SealedSecret* CompactGraph::sealed(size_t i) const {
  auto it = std::lower_bound(sealed_.begin(), sealed_.end(), i,
                             [](const auto& entry, size_t index) { return entry.first < index; });
  return it != sealed_.end() && it->first == i ? it->second.get() : nullptr;
}

}  // namespace kix
