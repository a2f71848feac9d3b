#include "util/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kix {

unsigned default_parallelism() {
  return std::min(std::max(1u, std::thread::hardware_concurrency()), 8u);
}

void parallel_for(size_t n, unsigned max_threads, const std::function<void(size_t)>& body) {
  parallel_for_workers(n, max_threads, [&body] { return body; });
}

void parallel_for_workers(size_t n, unsigned max_threads,
                          const std::function<std::function<void(size_t)>()>& make_worker) {
  if (n == 0) return;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex failure_mutex;
  size_t failed_index = n;
  std::exception_ptr failure;
  auto fail = [&](size_t i) {
    std::lock_guard lock(failure_mutex);
    if (i < failed_index) {
      failed_index = i;
      failure = std::current_exception();
    }
    failed = true;
  };
  auto worker = [&] {
    std::function<void(size_t)> body;
    while (!failed.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      try {
        if (!body) body = make_worker();
        body(i);
      } catch (...) {
        fail(i);
      }
    }
  };
  const size_t threads = std::min<size_t>(std::max(1u, max_threads), n);
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker);
    } catch (...) {
      break;  // no more threads to be had: the ones running share the work
    }
  }
  worker();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace kix
