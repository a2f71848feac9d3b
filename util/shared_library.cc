#include "util/shared_library.h"

#include <dlfcn.h>

#include "util/error.h"

namespace kix {

namespace {

Error load_error(const char* soname, const std::string& what, const std::string& hint) {
  return Error(ErrorKind::kIo, "cannot load " + std::string(soname) + ": " + what, {}, hint);
}

}  // namespace

void* open_shared_library(const char* soname, const std::string& hint) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw load_error(soname, why != nullptr ? why : "unknown error", hint);
  }
  return handle;
}

void* shared_library_symbol(void* handle, const char* soname, const char* name,
                            const std::string& hint) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) throw load_error(soname, std::string("no function ") + name, hint);
  return symbol;
}

}  // namespace kix
