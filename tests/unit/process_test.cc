#include "util/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <thread>
#include <vector>

#include "tests/unit/error_kind.h"

#include "util/error.h"

namespace kix {
namespace {

TEST(Process, CapturesOutputErrorAndExitCode) {
  SystemProcessRunner runner;
  ProcessResult r = runner.run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Process, FeedsStdinLargerThanAPipeBuffer) {
  SystemProcessRunner runner;
  std::string input(1 << 20, 'x');
  ProcessResult r = runner.run({"cat"}, input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), input.size());
}

TEST(Process, ProgramThatIgnoresStdinDoesNotHang) {
  SystemProcessRunner runner;
  ProcessResult r = runner.run({"/bin/sh", "-c", "exit 0"}, std::string(1 << 20, 'x'));
  EXPECT_EQ(r.exit_code, 0);
}

// Threads running children at once (a build asks git while helm renders)
// share the ignored SIGPIPE: when all are done, the disposition is the one
// from before, never left ignored nor restored while another still writes.
TEST(Process, SigpipeIsRestoredAfterChildrenRunFromSeveralThreads) {
  struct sigaction before {};
  ::sigaction(SIGPIPE, nullptr, &before);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      SystemProcessRunner runner;
      for (int i = 0; i < 10; ++i) {
        // `true` exits without reading: writing its stdin may hit EPIPE.
        EXPECT_EQ(runner.run({"true"}, std::string(1 << 17, 'x')).exit_code, 0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  struct sigaction after {};
  ::sigaction(SIGPIPE, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST(Process, MissingProgramIsNotFound) {
  SystemProcessRunner runner;
  try {
    runner.run({"/nonexistent/kubectl"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
  EXPECT_ERROR_KIND(runner.run({}), ErrorKind::kInvalidInput);
}

TEST(Process, FindInPath) {
  EXPECT_EQ(find_in_path("sh", "/nonexistent:/bin"), std::optional<std::string>("/bin/sh"));
  EXPECT_FALSE(find_in_path("no-such-program-kix", "/bin:/usr/bin").has_value());
  EXPECT_EQ(find_in_path("/bin/sh", ""), std::optional<std::string>("/bin/sh"));
}

}  // namespace
}  // namespace kix
