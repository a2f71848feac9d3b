// HTTP(S) behind one narrow interface (the seam for chart repositories and
// OCI registries), with one implementation over libcurl.
//
// Policy, for every request CurlHttpClient sends:
//  - HTTPS verifies the server against the system's CAs;
//  - plain http:// is refused unless the host is a loopback address
//    (127.0.0.0/8, ::1, localhost) or the client was made with
//    allow_insecure_http (the user's `--insecure`); a redirect may lead to
//    plain HTTP only with allow_insecure_http; at most 5 redirects;
//  - a response body larger than HttpRequest::max_response_bytes stops the
//    transfer with an error (no unbounded memory);
//  - connection failures, 429 and 5xx answers (but 501 and 505) are
//    retried, 3 tries in all, waiting 0.5 s, then 1 s (or the server's
//    Retry-After in seconds, at most 10 s), with the same method and body.
//
// Thread-safety: a CurlHttpClient may be used from one thread at a time;
// separate clients may run concurrently.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kix {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, PATCH
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent for PUT, POST and PATCH
  size_t max_response_bytes = size_t{256} << 20;
};

struct HttpResponse {
  long status = 0;
  // Header names in lower case; for a repeated header, the values joined
  // with ", " (WWW-Authenticate is the one that matters and is not repeated
  // by the registries kix talks to).
  std::map<std::string, std::string> headers;
  std::string body;
  std::string url;  // after redirects

  const std::string* header(const std::string& lower_case_name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends the request and returns the server's answer, whatever its status.
  // Throws kix::Error: kInvalidInput for a URL the policy refuses (plain
  // HTTP to another host, an unknown scheme), kIo when no answer could be
  // had (DNS, connection, TLS, timeout, a body over the limit) naming the
  // URL and what failed.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

struct HttpClientOptions {
  bool allow_insecure_http = false;  // plain HTTP to hosts other than loopback
  long connect_timeout_seconds = 15;
  long timeout_seconds = 300;  // a whole transfer
  int attempts = 3;
};

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(HttpClientOptions options = {});
  HttpResponse send(const HttpRequest& request) override;

 private:
  HttpResponse send_once(const HttpRequest& request, bool& retryable);
  HttpClientOptions options_;
};

// True when `url` carries a user name or password ("https://u:p@host/").
bool url_has_credentials(const std::string& url);

// `text` percent-encoded for a URL's query.
std::string url_encode(const std::string& text);

// True when `url`'s host is a loopback address or "localhost".
bool is_loopback_url(const std::string& url);

// `reference` resolved against `base` (RFC 3986): an absolute URL is
// returned as it is, a relative one is joined to base's directory.
// Throws kInvalidInput when either cannot be parsed.
std::string resolve_url(const std::string& base, const std::string& reference);

}  // namespace kix
