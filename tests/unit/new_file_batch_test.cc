#include "util/new_file_batch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/error.h"

namespace kix {
namespace {

namespace fs = std::filesystem;

class NewFileBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kix-new-file-batch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(NewFileBatchTest, EveryFileIsWrittenWithItsOwnContentAndMode) {
  const size_t count = 300;
  write_new_files(
      count,
      [&](size_t i) {
        return NewFile{dir_ / ("f" + std::to_string(i)),
                       std::string(i % 7, 'x') + std::to_string(i)};
      },
      0600, 16);
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.status().permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
  }
  EXPECT_EQ(files, count);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(read(dir_ / ("f" + std::to_string(i))), std::string(i % 7, 'x') + std::to_string(i));
  }
}

TEST_F(NewFileBatchTest, AnEmptyBatchWritesNothing) {
  write_new_files(
      0, [&](size_t) -> NewFile { throw std::logic_error("not called"); }, 0644);
  EXPECT_TRUE(fs::is_empty(dir_));
}

// A file that exists already is never overwritten: the batch fails with
// the error of writing it, and the other threads stop taking new files.
TEST_F(NewFileBatchTest, AnExistingFileFailsTheBatchAndIsLeftAsItWas) {
  std::ofstream(dir_ / "f50") << "the user's";
  try {
    write_new_files(
        200,
        [&](size_t i) {
          return NewFile{dir_ / ("f" + std::to_string(i)), "new"};
        },
        0644, 8);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f50"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(dir_ / "f50"), "the user's");
}

TEST_F(NewFileBatchTest, AnErrorMakingAContentIsRethrown) {
  EXPECT_THROW(write_new_files(
                   100,
                   [&](size_t i) {
                     if (i == 37) throw std::runtime_error("no content for 37");
                     return NewFile{dir_ / ("f" + std::to_string(i)), "x"};
                   },
                   0644, 4),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(dir_ / "f37"));
}

}  // namespace
}  // namespace kix
