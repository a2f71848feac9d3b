#include "util/curl_library.h"

#include <mutex>
#include <string>

#include "util/error.h"
#include "util/shared_library.h"

namespace kix {

namespace {

// The soname of libcurl 7 and 8 (Debian's libcurl4 package).
constexpr const char* kLibrary = "libcurl.so.4";
const std::string kHint =
    "install libcurl (Debian: apt-get install libcurl4); kix needs it to reach "
    "registries and chart repositories";

CurlLibrary load() {
  void* handle = open_shared_library(kLibrary, kHint);
  CurlLibrary c{};
  bind_symbol(handle, kLibrary, "curl_global_init", kHint, c.global_init);
  bind_symbol(handle, kLibrary, "curl_easy_init", kHint, c.easy_init);
  bind_symbol(handle, kLibrary, "curl_easy_cleanup", kHint, c.easy_cleanup);
  bind_symbol(handle, kLibrary, "curl_easy_setopt", kHint, c.easy_setopt);
  bind_symbol(handle, kLibrary, "curl_easy_getinfo", kHint, c.easy_getinfo);
  bind_symbol(handle, kLibrary, "curl_easy_perform", kHint, c.easy_perform);
  bind_symbol(handle, kLibrary, "curl_easy_strerror", kHint, c.easy_strerror);
  bind_symbol(handle, kLibrary, "curl_easy_escape", kHint, c.easy_escape);
  bind_symbol(handle, kLibrary, "curl_free", kHint, c.free);
  bind_symbol(handle, kLibrary, "curl_slist_append", kHint, c.slist_append);
  bind_symbol(handle, kLibrary, "curl_slist_free_all", kHint, c.slist_free_all);
  bind_symbol(handle, kLibrary, "curl_url", kHint, c.url);
  bind_symbol(handle, kLibrary, "curl_url_cleanup", kHint, c.url_cleanup);
  bind_symbol(handle, kLibrary, "curl_url_get", kHint, c.url_get);
  bind_symbol(handle, kLibrary, "curl_url_set", kHint, c.url_set);
  if (CURLcode code = c.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    throw Error(ErrorKind::kIo, std::string("curl_global_init failed: ") + c.easy_strerror(code),
                {}, kHint);
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
