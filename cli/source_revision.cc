#include "cli/source_revision.h"

#include <filesystem>

#include "util/error.h"
#include "util/process.h"

namespace kix::cli {

std::string git_revision(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "";  // a REF, not a definition
  std::filesystem::path dir = std::filesystem::is_directory(path, ec)
                                  ? std::filesystem::path(path)
                                  : std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  SystemProcessRunner git;
  try {
    ProcessResult head =
        git.run({"git", "-C", dir.string(), "rev-parse", "--verify", "-q", "HEAD"});
    if (head.exit_code != 0) return "";
    std::string revision = head.out.substr(0, head.out.find_first_of("\r\n"));
    ProcessResult status = git.run(
        {"git", "-C", dir.string(), "status", "--porcelain", "--untracked-files=no", "--", "."});
    if (status.exit_code == 0 && !status.out.empty()) revision += "+dirty";
    return revision;
  } catch (const Error&) {
    return "";  // no git here: nothing to record
  }
}

}  // namespace kix::cli
