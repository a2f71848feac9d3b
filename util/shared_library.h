// Shared libraries kix loads when a command first needs them
// (util/curl_library.h, util/archive_library.h) instead of at start.
//
// Errors: both functions throw kix::Error(kIo) naming the library, what the
// loader said, and `hint` (how to install it).
// Thread-safety: safe from any thread (dlopen and dlsym are).
#pragma once

#include <string>

namespace kix {

// dlopen of `soname`, never closed: its functions are used until exit.
void* open_shared_library(const char* soname, const std::string& hint);

// The address of `name` in `handle`, as the function pointer type of `out`.
void* shared_library_symbol(void* handle, const char* soname, const char* name,
                            const std::string& hint);
template <typename Function>
void bind_symbol(void* handle, const char* soname, const char* name, const std::string& hint,
                 Function& out) {
  out = reinterpret_cast<Function>(shared_library_symbol(handle, soname, name, hint));
}

}  // namespace kix
