#include "cli/data_dir.h"

#include "util/error.h"

#ifndef KIX_DATA_FROM_BIN
#define KIX_DATA_FROM_BIN "../share/kix"
#endif

namespace kix::cli {

std::filesystem::path data_dir(const Environment& env) {
  std::error_code ec;
  std::filesystem::path dir;
  std::string how;
  if (auto set = env.get_nonempty("KIX_DATA_DIR")) {
    dir = *set;
    how = "KIX_DATA_DIR";
  } else {
    // /proc/self/exe resolves symbolic links, so a kix linked into PATH
    // still finds the data beside the real executable.
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
      throw Error(ErrorKind::kNotFound,
                  "cannot find kix's data: /proc/self/exe is unreadable (" + ec.message() + ")", {},
                  "set KIX_DATA_DIR to the directory holding packages/ and schema/");
    }
    dir = (exe.parent_path() / KIX_DATA_FROM_BIN).lexically_normal();
    how = "beside " + exe.string();
  }
  if (!std::filesystem::is_directory(dir / "packages", ec)) {
    throw Error(ErrorKind::kNotFound,
                "kix's data directory " + dir.string() + " (" + how + ") has no packages/", {},
                "reinstall kix, or set KIX_DATA_DIR to the directory holding packages/ and "
                "schema/ (share/kix of its installation)");
  }
  return dir;
}

}  // namespace kix::cli
