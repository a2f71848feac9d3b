#include "util/new_file_batch.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "util/atomic_file.h"

namespace kix {

void write_new_files(size_t count, const std::function<NewFile(size_t)>& content, mode_t mode,
                     size_t max_threads) {
  // A thread per eight files up to the limit: a handful of files is not
  // worth starting threads for.
  constexpr size_t kFilesPerThread = 8;
  const size_t threads =
      std::max<size_t>(1, std::min(max_threads, (count + kFilesPerThread - 1) / kFilesPerThread));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const size_t index = next.fetch_add(1, std::memory_order_relaxed);
      if (index >= count) return;
      try {
        NewFile file = content(index);
        write_new_file(file.path, file.bytes, mode);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  if (threads == 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    try {
      for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    } catch (...) {
      // No more threads to be had: the ones started and this one finish.
    }
    work();
    for (std::thread& thread : pool) thread.join();
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace kix
