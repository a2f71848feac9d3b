#include "util/new_file_batch.h"

#include <algorithm>

#include "util/atomic_file.h"
#include "util/parallel_for.h"

namespace kix {

void write_new_files(size_t count, const std::function<NewFile(size_t)>& content, mode_t mode,
                     size_t max_threads) {
  // A thread per eight files up to the limit: a handful of files is not
  // worth starting threads for.
  constexpr size_t kFilesPerThread = 8;
  const size_t threads =
      std::max<size_t>(1, std::min(max_threads, (count + kFilesPerThread - 1) / kFilesPerThread));
  // After a failure no further file is started (parallel_for's rule).
  parallel_for(count, static_cast<unsigned>(threads), [&](size_t index) {
    NewFile file = content(index);
    write_new_file(file.path, file.bytes, mode);
  });
}

}  // namespace kix
