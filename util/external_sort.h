// Sorting more keys than should be held in memory at once: keys are
// gathered up to a budget, each full batch is sorted and written to an
// unlinked temporary file as a run (util/spool_file.h), and the runs are
// merged in one sequential pass. Memory is the budget, then during the
// merge a window per run: 64 KiB, smaller when there are so many runs that
// the windows would exceed the budget, down to 4 KiB (1,000 runs, about
// 250 times the budget in keys, take 4 MB). A sort that fits the budget
// never touches the file.
//
// Keys are byte strings compared as memcmp does (shorter first when one
// is a prefix of the other); each carries a 32-bit value (typically an
// index). Equal keys come out in the order they were added: the sort is
// stable.
//
// Use: add() every key, then finish() once; the sorter is spent after.
// Errors: what SpoolFile throws when a run cannot be read back (kIo);
// kInvalidInput for a key of 3 GB or more; kInternal for add() after
// finish() or finish() twice. A budget above 1 GiB counts as 1 GiB. When no temporary file can be
// made, runs stay in memory (SpoolFile's fallback) and the sort still
// succeeds. Thread-safety: one object per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/spool_file.h"

namespace kix {

class ExternalSorter {
 public:
  // Runs go to a file in `dir` (empty: $TMPDIR, else /tmp).
  explicit ExternalSorter(size_t memory_budget = 4u << 20, std::filesystem::path dir = {});
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  void add(std::string_view key, uint32_t value);
  // Hands every key with its value to `each` in order. The key's bytes
  // are valid only during the call.
  void finish(const std::function<void(std::string_view key, uint32_t value)>& each);

  size_t runs() const { return runs_.size(); }  // written to the file so far

 private:
  struct Run {
    uint64_t offset;
    uint64_t size;
  };
  // Sorts what is gathered; hands each record to `sink` in order.
  void sort_batch(const std::function<void(std::string_view record)>& sink);
  void spill();

  size_t budget_;
  std::filesystem::path dir_;
  // Records back to back: value (4 bytes), key length (4 bytes), key.
  std::string batch_;
  std::vector<uint32_t> starts_;  // of each record in batch_
  std::unique_ptr<SpoolFile> spool_;
  std::vector<Run> runs_;
  bool finished_ = false;
  bool reserved_ = false;
};

}  // namespace kix
