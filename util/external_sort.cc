#include "util/external_sort.h"

#include <algorithm>
#include <cstring>
#include <queue>
#include <utility>

#include "util/error.h"

namespace kix {

namespace {

constexpr size_t kHeader = 8;  // value and key length, 4 bytes each
// Each run is read back through a window this large, or smaller when
// there are many runs, so that the windows together stay within the
// budget: the merge holds one per run, and reads each run front to back.
constexpr size_t kRunWindow = 64u << 10;
constexpr size_t kSmallestRunWindow = 4u << 10;

uint32_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

std::string_view key_of(std::string_view record) {
  return record.substr(kHeader);
}
uint32_t value_of(std::string_view record) {
  return load32(record.data());
}

}  // namespace

ExternalSorter::ExternalSorter(size_t memory_budget, std::filesystem::path dir)
    : budget_(std::clamp<size_t>(memory_budget, 4096, size_t{1} << 30)), dir_(std::move(dir)) {}

ExternalSorter::~ExternalSorter() = default;

void ExternalSorter::add(std::string_view key, uint32_t value) {
  if (finished_) throw Error(ErrorKind::kInternal, "a key added to a finished sort");
  if (key.size() > UINT32_MAX - kHeader - (size_t{1} << 30)) {
    throw Error(ErrorKind::kInvalidInput, "a sort key of 3 GB or more");
  }
  // Reserved once up to 4 MiB, so that a usual batch never doubles past
  // its budget; a larger budget grows it as keys come.
  if (!reserved_) {
    batch_.reserve(std::min<size_t>(budget_, 4u << 20) + 4096);
    reserved_ = true;
  }
  if (!batch_.empty() && batch_.size() + kHeader + key.size() > budget_) spill();
  starts_.push_back(static_cast<uint32_t>(batch_.size()));
  const uint32_t length = static_cast<uint32_t>(key.size());
  char header[kHeader];
  std::memcpy(header, &value, 4);
  std::memcpy(header + 4, &length, 4);
  batch_.append(header, kHeader);
  batch_.append(key);
}

void ExternalSorter::sort_batch(const std::function<void(std::string_view record)>& sink) {
  auto record = [&](uint32_t start) {
    return std::string_view(batch_).substr(start, kHeader + load32(batch_.data() + start + 4));
  };
  // Stable: equal keys keep the order they were added in.
  std::stable_sort(starts_.begin(), starts_.end(),
                   [&](uint32_t a, uint32_t b) { return key_of(record(a)) < key_of(record(b)); });
  for (uint32_t start : starts_) sink(record(start));
  batch_.clear();
  starts_.clear();
}

void ExternalSorter::spill() {
  if (!spool_) spool_ = std::make_unique<SpoolFile>(dir_);
  const uint64_t offset = spool_->size();
  sort_batch([&](std::string_view record) { spool_->append(record); });
  runs_.push_back(Run{offset, spool_->size() - offset});
}

void ExternalSorter::finish(const std::function<void(std::string_view, uint32_t)>& each) {
  if (finished_) throw Error(ErrorKind::kInternal, "a sort finished twice");
  finished_ = true;
  if (runs_.empty()) {
    sort_batch([&](std::string_view record) { each(key_of(record), value_of(record)); });
    return;
  }
  if (!starts_.empty()) spill();
  std::string().swap(batch_);
  std::vector<uint32_t>().swap(starts_);

  // A cursor per run; the head record's bytes stay valid until the
  // cursor moves, since each run has a window of its own.
  struct Cursor {
    SpoolWindow window;
    uint64_t next;
    uint64_t end;
    std::string_view key;
    uint32_t value = 0;
  };
  std::vector<Cursor> cursors;
  cursors.reserve(runs_.size());
  const size_t window = std::clamp(budget_ / runs_.size(), kSmallestRunWindow, kRunWindow);
  for (const Run& r : runs_) {
    cursors.push_back(Cursor{SpoolWindow(*spool_, window), r.offset, r.offset + r.size, {}});
  }
  auto advance = [&](Cursor& c) {
    if (c.next >= c.end) return false;
    const std::string_view header = c.window.read(c.next, kHeader);
    c.value = load32(header.data());
    const uint32_t length = load32(header.data() + 4);
    c.key = c.window.read(c.next + kHeader, length);
    c.next += kHeader + length;
    return true;
  };
  // The smallest head first; among equal keys, the earlier run (added
  // earlier), which keeps the merge stable.
  auto later = [&](size_t a, size_t b) {
    const int order = cursors[a].key.compare(cursors[b].key);
    return order != 0 ? order > 0 : a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heads(later);
  for (size_t i = 0; i < cursors.size(); ++i) {
    if (advance(cursors[i])) heads.push(i);
  }
  while (!heads.empty()) {
    const size_t i = heads.top();
    heads.pop();
    each(cursors[i].key, cursors[i].value);
    if (advance(cursors[i])) heads.push(i);
  }
}

}  // namespace kix
