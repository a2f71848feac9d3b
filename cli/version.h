// kix's version (cmake/version.cmake): the project version, with the date
// and commit for a build that is not a tagged release.
#pragma once

namespace kix::cli {

extern const char* const kVersion;  // "0.1.0" or "0.1.0+git20261203.2e3f11f"

}  // namespace kix::cli
