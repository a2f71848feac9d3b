// libcurl, loaded when kix first needs HTTP rather than when it starts.
//
// libcurl and the libraries it links (TLS, Kerberos, LDAP, SSH, IDN, ...)
// are more than half of kix's shared libraries; mapping them and running
// their constructors cost every command a few milliseconds, though only
// the commands that talk to registries and chart repositories use them. So
// kix links no libcurl; curl() dlopens libcurl.so.4 on first use.
//
// Errors: curl() throws kix::Error(kIo) naming the library and what the
// loader said when libcurl or one of its functions cannot be loaded.
// Thread-safety: curl() may be called from any thread; it loads once.
#pragma once

#include <curl/curl.h>

namespace kix {

struct CurlLibrary {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_escape) easy_escape;
  decltype(&::curl_free) free;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_url) url;
  decltype(&::curl_url_cleanup) url_cleanup;
  decltype(&::curl_url_get) url_get;
  decltype(&::curl_url_set) url_set;
};

// The loaded library, with curl_global_init done.
const CurlLibrary& curl();

}  // namespace kix
