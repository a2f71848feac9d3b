#include "util/curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "util/error.h"

namespace kix {

namespace {

// The soname of libcurl 7 and 8 (Debian's libcurl4 package).
constexpr const char* kLibrary = "libcurl.so.4";

Error load_error(const std::string& what) {
  return Error(ErrorKind::kIo, "cannot load " + std::string(kLibrary) + ": " + what, {},
               "install libcurl (Debian: apt-get install libcurl4); kix needs it to reach "
               "registries and chart repositories");
}

template <typename Function>
void bind(void* handle, const char* name, Function& out) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) throw load_error(std::string("no function ") + name);
  out = reinterpret_cast<Function>(symbol);
}

CurlLibrary load() {
  // Never unloaded: its functions are used until the process ends.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw load_error(why != nullptr ? why : "unknown error");
  }
  CurlLibrary c{};
  bind(handle, "curl_global_init", c.global_init);
  bind(handle, "curl_easy_init", c.easy_init);
  bind(handle, "curl_easy_cleanup", c.easy_cleanup);
  bind(handle, "curl_easy_setopt", c.easy_setopt);
  bind(handle, "curl_easy_getinfo", c.easy_getinfo);
  bind(handle, "curl_easy_perform", c.easy_perform);
  bind(handle, "curl_easy_strerror", c.easy_strerror);
  bind(handle, "curl_easy_escape", c.easy_escape);
  bind(handle, "curl_free", c.free);
  bind(handle, "curl_slist_append", c.slist_append);
  bind(handle, "curl_slist_free_all", c.slist_free_all);
  bind(handle, "curl_url", c.url);
  bind(handle, "curl_url_cleanup", c.url_cleanup);
  bind(handle, "curl_url_get", c.url_get);
  bind(handle, "curl_url_set", c.url_set);
  if (CURLcode code = c.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    throw load_error(std::string("curl_global_init failed: ") + c.easy_strerror(code));
  }
  return c;
}

}  // namespace

const CurlLibrary& curl() {
  // A failed load is retried on the next call (call_once does not count a
  // call that threw), and each caller gets the error.
  static std::once_flag once;
  static CurlLibrary library;
  std::call_once(once, [] { library = load(); });
  return library;
}

}  // namespace kix
