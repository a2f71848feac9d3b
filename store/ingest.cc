#include "store/ingest.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <utility>

#include "manifest/reference_facts.h"
#include "manifest/references.h"
#include "manifest/secret_seal.h"
#include "util/byte_arena.h"
#include "util/error.h"
#include "util/release_memory.h"
#include "util/spool_file.h"

namespace kix {

namespace {

// One file read by a worker.
struct FileResult {
  std::vector<Manifest> manifests;
  std::vector<std::string> facts;  // encoded, per manifest
  Diagnostics diags;
  std::exception_ptr error;
  std::optional<FileIdentity> identity;  // before it was read
  int64_t read_ns = 0;
  bool done = false;
};

// Calls `each(i, identity)` for every file in order, with its identity
// (nullopt for "-" or a file that cannot be stat'ed). The files are
// stat'ed from two threads, a batch at a time: a stat costs a couple of
// microseconds of system time here, a fifth of an unchanged add of 10,000
// files when done on one thread; a batch keeps memory for identities
// bounded (all at once, they were 9.6 MB at 200,000 files). Each thread
// takes a contiguous half of a batch, so both keep their directory open
// (FileIdentityReader).
template <class Each>
void for_each_file_identity(std::span<const std::string_view> files, Each each) {
  constexpr size_t kBatch = 16384;
  constexpr size_t kMinFilesPerThread = 2048;
  std::vector<std::optional<FileIdentity>> identities(std::min(kBatch, files.size()));
  const bool two_threads = std::thread::hardware_concurrency() >= 2;
  for (size_t first = 0; first < files.size(); first += kBatch) {
    const std::span<const std::string_view> batch =
        files.subspan(first, std::min(kBatch, files.size() - first));
    auto stat_range = [&](size_t begin, size_t end) {
      FileIdentityReader reader;
      for (size_t i = begin; i < end; ++i) {
        identities[i] = batch[i] == "-" ? std::nullopt : reader.identity(std::string(batch[i]));
      }
    };
    const size_t half = batch.size() / 2;
    std::thread other;
    if (two_threads && batch.size() >= 2 * kMinFilesPerThread) {
      try {
        other = std::thread(stat_range, half, batch.size());
      } catch (...) {
        // no thread to be had: all on this one
      }
    }
    if (other.joinable()) {
      struct Joined {
        std::thread& thread;
        ~Joined() { thread.join(); }
      } joined{other};  // also when this half throws (bad_alloc)
      stat_range(0, half);
    } else {
      stat_range(0, batch.size());
    }
    for (size_t i = 0; i < batch.size(); ++i) each(first + i, identities[i]);
  }
}

void read_file(const std::string& path, const ParseOptions& options, FileResult& r) {
  try {
    if (path != "-") {
      r.read_ns = wall_clock_ns();
      r.identity = file_identity(path);
    }
    append_manifests(parse_input(path, r.diags, options), r.manifests);
    r.facts.reserve(r.manifests.size());
    for (Manifest& m : r.manifests) {
      ByteWriter w(r.facts.emplace_back());
      encode_reference_facts(extract_reference_facts(m), w);
      // A Secret with values is sealed from its value by the consumer;
      // nothing else needs the parsed document any more.
      if (!m.needs_sealing) m.value = Json();
    }
  } catch (...) {
    r.error = std::current_exception();
  }
}

// Replaces a manifest's strings by copies made on the calling thread.
void settle_strings(Manifest& m) {
  for (std::string* s :
       {&m.id.api_version, &m.id.kind, &m.id.ns, &m.id.name, &m.location.file, &m.canonical}) {
    if (s->capacity() > 15) *s = std::string(*s);  // short ones live inside the object
  }
}

// Reads `files` (indices into `paths`) on every core, a bounded window
// ahead of the consumer, which takes each file's result in order.
class ReadPipeline {
 public:
  ReadPipeline(std::span<const std::string_view> paths, std::span<const uint32_t> files,
               const ParseOptions& options)
      : paths_(paths), files_(files), options_(options) {
    size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 8);
    if (files.size() < 16) threads = 1;
    window_ = std::max<size_t>(64, threads * 16);
    // A ring of one slot per file in the window: file k goes to slot
    // k % window, which the consumer has freed by then (see work()).
    results_.resize(window_);
    try {
      for (size_t t = 0; t < threads; ++t) workers_.emplace_back([this] { work(); });
    } catch (...) {
      stop_and_join();  // a thread that could not start: stop the others
      throw;
    }
  }
  ~ReadPipeline() { stop_and_join(); }

  // The result of files[k]; valid until take(k + 1). k counts up from 0.
  FileResult& take(size_t k) {
    std::unique_lock lock(mu_);
    if (k > 0) results_[(k - 1) % window_] = FileResult();  // frees what the consumer is done with
    consumed_ = k;
    cv_.notify_all();
    FileResult& slot = results_[k % window_];
    cv_.wait(lock, [&] { return slot.done; });
    return slot;
  }

 private:
  void stop_and_join() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  void work() {
    for (;;) {
      size_t k;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock,
                 [&] { return stop_ || next_ >= files_.size() || next_ < consumed_ + window_; });
        if (stop_ || next_ >= files_.size()) return;
        k = next_++;
      }
      FileResult r;
      read_file(std::string(paths_[files_[k]]), options_, r);
      {
        // k < consumed_ + window_: the slot's previous file, k - window_,
        // was taken and freed before take() moved consumed_ past it.
        std::lock_guard lock(mu_);
        results_[k % window_] = std::move(r);
        results_[k % window_].done = true;
      }
      cv_.notify_all();
    }
  }

  std::span<const std::string_view> paths_;
  std::span<const uint32_t> files_;
  const ParseOptions& options_;
  std::vector<FileResult> results_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0;
  size_t consumed_ = 0;
  size_t window_ = 64;
  bool stop_ = false;
};

}  // namespace

Ingest::~Ingest() = default;

void Ingest::note_fallback(const SpoolFile& spool, Diagnostics& diags) {
  if (spool.fallback_reason().empty() || fallback_noted_) return;
  fallback_noted_ = true;  // both spools go to one directory: said once
  diags.note({}, spool.fallback_reason() +
                     "; keeping what should go there in memory (set TMPDIR to a writable "
                     "directory)");
}

SpoolFile& Ingest::spool(Diagnostics& diags) {
  if (!spool_) {
    spool_ = std::make_unique<SpoolFile>(options_.spool_dir);
    // Without a file the add still works, holding every manifest.
    note_fallback(*spool_, diags);
  }
  return *spool_;
}

std::unique_ptr<Ingest> ingest_manifests(const std::vector<std::string>& paths, Diagnostics& diags,
                                         const IngestOptions& options) {
  std::unique_ptr<Ingest> in(new Ingest(options));
  // What is held per file and per resource lives in the graph's working
  // memory, which stays resident only up to its budget: the paths (in an
  // arena, about 30 bytes a file where a std::string took 90) and the
  // lists below.
  SpillHeap* memory = in->graph_.working_memory();
  ByteArena path_bytes(memory);
  std::pmr::vector<std::string_view> files(memory);
  for (const auto& p : paths) {
    if (p == "-") {
      files.push_back("-");
    } else {
      for_each_manifest_file(p, [&](std::string_view file) {
        if (files.size() >= UINT32_MAX) {
          throw Error(ErrorKind::kInvalidInput, "more than 4G files in one add", {},
                      "add them as several clusters");
        }
        memory->touch();
        files.push_back(path_bytes.copy(file));
      });
    }
  }
  in->stats_.files = files.size();
  if (!options.cache_file.empty()) {
    in->cache_ = std::make_unique<IngestCache>(
        IngestCache::load(options.cache_file, options.version_tag, memory));
  }

  // Which files the cache answers for: their entries (read back and
  // decoded one file at a time below, so memory holds one at a time).
  constexpr uint32_t kNotCached = UINT32_MAX;
  std::pmr::vector<uint32_t> cached(files.size(), kNotCached, memory);
  std::pmr::vector<uint32_t> to_read(memory);
  if (in->cache_ && !options.reread) {
    for_each_file_identity(files, [&](size_t i, const std::optional<FileIdentity>& identity) {
      memory->touch();
      if (identity) {
        auto entry = in->cache_->find(std::string(files[i]), *identity);
        if (entry && *entry < kNotCached) cached[i] = static_cast<uint32_t>(*entry);
      }
    });
  }
  for (size_t i = 0; i < files.size(); ++i) {
    if (cached[i] == kNotCached) to_read.push_back(static_cast<uint32_t>(i));
  }
  in->stats_.cached_files = files.size() - to_read.size();
  in->stats_.read_files = to_read.size();

  CompactGraph& graph = in->graph_;
  graph.reserve(files.size());  // most files hold one document
  // Encoded, per resource: where they are in the cache file, or, for the
  // files read now, in `read_facts` while they fit the memory budget and in
  // `facts_spool` beyond it (at 50,000 resources they are 10 MB).
  struct FactsPlace {
    enum class In : uint8_t { kMemory, kSpool, kCache };
    const char* data = nullptr;  // kMemory
    uint64_t offset = 0;         // in `facts_spool`, or in the cache file
    uint32_t size = 0;
    In in = In::kMemory;
  };
  std::pmr::vector<FactsPlace> facts(memory);
  ByteArena read_facts;
  std::unique_ptr<SpoolFile> facts_spool;
  auto size_of = [](std::string_view encoded) {
    if (encoded.size() > UINT32_MAX) {
      throw Error(ErrorKind::kInternal, "one document's reference facts take 4 GB or more");
    }
    return static_cast<uint32_t>(encoded.size());
  };
  auto keep_facts = [&](std::string_view encoded) {
    const uint32_t size = size_of(encoded);
    if (read_facts.allocated() + encoded.size() <= options.memory_budget_bytes) {
      facts.push_back(
          FactsPlace{read_facts.copy(encoded).data(), 0, size, FactsPlace::In::kMemory});
      return;
    }
    if (!facts_spool) {
      facts_spool = std::make_unique<SpoolFile>(options.spool_dir);
      in->note_fallback(*facts_spool, diags);
    }
    facts.push_back(
        FactsPlace{nullptr, facts_spool->append(encoded), size, FactsPlace::In::kSpool});
    in->stats_.spooled_facts_bytes += size;
  };
  facts.reserve(files.size());
  size_t held_bytes = 0;
  // Secrets with values, sealed once the whole input is known good.
  std::vector<std::pair<size_t, Manifest>> to_seal;
  std::optional<ReadPipeline> pipeline;
  if (!to_read.empty()) pipeline.emplace(files, to_read, options.parse);
  size_t next_read = 0;
  std::vector<CachedDocument> documents;
  FileResult read_here;  // a cached file whose entry does not decode
  for (size_t i = 0; i < files.size(); ++i) {
    memory->touch();
    documents.clear();
    if (cached[i] != kNotCached && in->cache_->documents(cached[i], documents)) {
      if (!documents.empty()) {
        const uint32_t file = graph.add_file(files[i]);
        for (CachedDocument& d : documents) {
          graph.add(d.id, file, d.line, d.column, d.blob, d.size);
          // Read back from the cache file when references are resolved.
          facts.push_back(
              FactsPlace{nullptr, d.facts_offset, size_of(d.facts), FactsPlace::In::kCache});
        }
      }
      if (options.progress) options.progress(i + 1, files.size());
      continue;
    }
    FileResult* taken = nullptr;
    if (cached[i] != kNotCached) {
      // The checksum makes this all but impossible; the file is then read.
      ++in->stats_.read_files;
      --in->stats_.cached_files;
      read_here = FileResult();
      read_file(std::string(files[i]), options.parse, read_here);
      taken = &read_here;
    } else {
      taken = &pipeline->take(next_read++);
    }
    FileResult& r = *taken;
    diags.append(r.diags);
    // The first failing file in order decides the error, as a serial read would.
    if (r.error) std::rethrow_exception(r.error);
    bool cacheable = in->cache_ != nullptr && r.identity.has_value();
    std::vector<CachedDocument> entry;
    // The parser names stdin "<stdin>"; every document of a file names it alike.
    const uint32_t file =
        r.manifests.empty() ? 0 : graph.add_file(r.manifests.front().location.file);
    for (size_t k = 0; k < r.manifests.size(); ++k) {
      Manifest& m = r.manifests[k];
      keep_facts(r.facts[k]);
      // A Secret with values is sealed once the whole input is known good
      // (below), so that bad input never creates a key; its stored form
      // depends on the keyring, so its file is never cached.
      if (m.needs_sealing) {
        cacheable = false;
        settle_strings(m);
        const size_t index = graph.add_unsealed(m.id, file, m.location.line, m.location.column);
        to_seal.emplace_back(index, std::move(m));
        continue;
      }
      const size_t index =
          graph.add(m.id, file, m.location.line, m.location.column, m.blob, m.canonical.size());
      if (cacheable) {
        entry.push_back(CachedDocument{m.id, m.location.line, m.location.column, m.blob,
                                       m.canonical.size(), r.facts[k]});
      }
      if (held_bytes + m.canonical.size() > options.memory_budget_bytes) {
        graph.spooled(index, in->spool(diags).append(m.canonical));
        in->stats_.spooled_bytes += m.canonical.size();
      } else {
        held_bytes += m.canonical.size();
        graph.hold(index, m.canonical);
      }
    }
    if (cacheable) in->cache_->put(std::string(files[i]), *r.identity, r.read_ns, entry);
    if (options.progress) options.progress(i + 1, files.size());
  }
  pipeline.reset();
  read_here = FileResult();
  std::pmr::vector<std::string_view>(memory).swap(files);
  path_bytes = ByteArena(memory);
  std::pmr::vector<uint32_t>(memory).swap(cached);
  std::pmr::vector<uint32_t>(memory).swap(to_read);
  release_free_memory();

  const size_t n = graph.size();
  check_unique_identities(
      n, [&](size_t i) { return graph.id(i); }, [&](size_t i) { return graph.location(i); });
  for (auto& [index, m] : to_seal) {
    if (options.keys == nullptr) {
      throw Error(ErrorKind::kInvalidInput,
                  m.id.display() + " is a Secret with values, and they cannot be sealed here",
                  m.location, "Secrets with values are stored sealed (docs/secrets.md)");
    }
    seal_manifest(m, *options.keys);
    graph.seal(index, m.canonical, m.blob, m.sealed);
  }
  std::vector<std::pair<size_t, Manifest>>().swap(to_seal);

  // The edges go straight into one list, their reasons (a few distinct
  // strings for thousands of edges) numbered.
  EdgeList edges(graph.working_memory());
  std::vector<std::string> reasons;
  {
    std::unordered_map<std::string, uint32_t> reason_numbers;
    std::optional<SpoolWindow> window;
    if (facts_spool) window.emplace(*facts_spool);
    edges.begin.reserve(n + 1);
    resolve_encoded_references(
        n, [&](size_t i) { return graph.id(i); },
        [&](size_t i) {
          const FactsPlace& f = facts[i];
          switch (f.in) {
            case FactsPlace::In::kSpool:
              return window->read(f.offset, f.size);
            case FactsPlace::In::kCache:
              if (auto bytes = in->cache_->read_back(f.offset, f.size)) return *bytes;
              throw Error(ErrorKind::kIo,
                          "cannot read the stat cache " + options.cache_file.string() +
                              " back: " + in->cache_->read_error(),
                          {}, "run the command again, or add with --reread");
            case FactsPlace::In::kMemory:
              break;
          }
          return std::string_view(f.data, f.size);
        },
        [&](size_t from, size_t to, const std::string& reason) {
          while (edges.resources() <= from) edges.start_resource();
          auto it = reason_numbers.find(reason);  // a copy of the key only when new
          if (it == reason_numbers.end()) {
            it = reason_numbers.emplace(reason, static_cast<uint32_t>(reasons.size())).first;
            reasons.push_back(reason);
          }
          edges.add(static_cast<uint32_t>(to), it->second);
        },
        memory);
    while (edges.resources() < n) edges.start_resource();
  }
  // Every cached fact has been read: they are the checked ones only if
  // nothing wrote the cache file in place meanwhile (with nothing taken
  // from it, what happened to it does not matter).
  if (in->cache_ && in->stats_.cached_files > 0 && !in->cache_->unchanged()) {
    throw Error(ErrorKind::kIo,
                "the stat cache " + options.cache_file.string() + " changed while it was read", {},
                "another program wrote to it in place; run the command again");
  }
  std::pmr::vector<FactsPlace>(memory).swap(facts);
  read_facts = ByteArena();
  facts_spool.reset();
  // The cache is written now, beside the store, and renamed into place by
  // save_cache() once the store has the blobs it promises: what the cache
  // held (18 MB at 50,000 files) is not held through the store's work.
  if (in->cache_) {
    try {
      in->cache_->stage(options.cache_file);
    } catch (...) {
      in->cache_failure_ = std::current_exception();  // save_cache() reports it
    }
  }
  graph.hash(std::move(edges), std::move(reasons));
  if (const std::string& why = memory->fallback_reason(); !why.empty() && !in->fallback_noted_) {
    in->fallback_noted_ = true;  // said once, as for the spools
    diags.note({}, why +
                       "; keeping the add's working memory in memory (set TMPDIR to a "
                       "writable directory)");
  }
  // The parsed documents and facts are gone; what the workers' arenas
  // kept of them would otherwise stay resident through the store's work.
  release_free_memory();
  return in;
}

std::string Ingest::canonical(size_t index) const {
  if (index >= graph_.size()) throw Error(ErrorKind::kInternal, "resource index out of range");
  switch (graph_.place(index)) {
    case CompactGraph::Place::kHeld:
      return std::string(*graph_.held_canonical(index));
    case CompactGraph::Place::kSpooled:
      return spool_->read(graph_.spool_offset(index), graph_.canonical_size(index));
    case CompactGraph::Place::kUnsealed:
      throw Error(ErrorKind::kInternal, "a Secret's bytes were asked for before it was sealed");
    case CompactGraph::Place::kInFile:
      break;
  }
  // A cached file, read again: the store lacks a blob the cache promised.
  // The last file read is kept, since its other documents usually follow.
  const std::string key = graph_.id(index).key();
  const uint32_t file = graph_.file_index(index);
  if (reread_file_ != file) {
    reread_.clear();
    reread_file_ = SIZE_MAX;
    Diagnostics ignored;
    std::vector<Manifest> again;
    append_manifests(parse_input(std::string(graph_.file(index)), ignored, options_.parse), again);
    for (Manifest& a : again) reread_.emplace(a.id.key(), std::move(a.canonical));
    reread_file_ = file;
  }
  if (auto it = reread_.find(key); it != reread_.end()) return it->second;
  throw Error(ErrorKind::kConflict,
              graph_.id(index).display() + " is no longer in " + std::string(graph_.file(index)),
              graph_.location(index),
              "the file changed while it was being added; run the command again");
}

void Ingest::save_cache() {
  if (cache_failure_) std::rethrow_exception(std::exchange(cache_failure_, nullptr));
  if (cache_ && !options_.cache_file.empty()) cache_->publish(options_.cache_file);
}

}  // namespace kix
