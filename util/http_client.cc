#include "util/http_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "util/curl_library.h"
#include "util/error.h"

namespace kix {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl().url_cleanup(u); }
};
struct EasyDeleter {
  void operator()(CURL* c) const { curl().easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl().slist_free_all(l); }
};

std::unique_ptr<CURLU, UrlDeleter> parse_url(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl().url());
  if (!u || curl().url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    throw Error(ErrorKind::kInvalidInput, "'" + url + "' is not a URL", {},
                "write it as https://host/path");
  }
  return u;
}

std::string url_part(CURLU* u, CURLUPart part) {
  char* value = nullptr;
  if (curl().url_get(u, part, &value, 0) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl().free(value);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct Transfer {
  HttpResponse* response;
  size_t limit;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response->body.size() + n > t->limit) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string line(data, n);
  // A new status line (after a redirect or a 100 Continue) starts a new
  // set of headers.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = lower(line.substr(0, colon));
  std::string value = line.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
  auto [it, inserted] = t->response->headers.emplace(name, value);
  if (!inserted) it->second += ", " + value;
  return n;
}

// Too many requests, and server errors that may pass (not "not
// implemented" or "version not supported", which will not).
bool retryable_status(long status) {
  return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

}  // namespace

const std::string* HttpResponse::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? nullptr : &it->second;
}

bool url_has_credentials(const std::string& url) {
  auto u = parse_url(url);
  return !url_part(u.get(), CURLUPART_USER).empty() ||
         !url_part(u.get(), CURLUPART_PASSWORD).empty();
}

std::string url_encode(const std::string& text) {
  char* escaped = curl().easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (escaped == nullptr) throw Error(ErrorKind::kInternal, "out of memory encoding a URL");
  std::string out(escaped);
  curl().free(escaped);
  return out;
}

bool is_loopback_url(const std::string& url) {
  auto u = parse_url(url);
  std::string host = lower(url_part(u.get(), CURLUPART_HOST));
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  return host.rfind("127.", 0) == 0 && std::all_of(host.begin(), host.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
         });
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  auto u = parse_url(base);
  if (curl().url_set(u.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK) {
    throw Error(ErrorKind::kInvalidInput,
                "'" + reference + "' is not a URL, nor a path relative to " + base);
  }
  return url_part(u.get(), CURLUPART_URL);
}

CurlHttpClient::CurlHttpClient(HttpClientOptions options) : options_(options) {}

HttpResponse CurlHttpClient::send(const HttpRequest& request) {
  auto u = parse_url(request.url);
  std::string scheme = lower(url_part(u.get(), CURLUPART_SCHEME));
  if (scheme != "https" && scheme != "http") {
    throw Error(ErrorKind::kInvalidInput,
                "'" + request.url + "' is neither an https:// nor an http:// URL");
  }
  if (scheme == "http" && !options_.allow_insecure_http && !is_loopback_url(request.url)) {
    throw Error(ErrorKind::kInvalidInput,
                "refusing plain HTTP to " + request.url +
                    ": anyone on the way could change what kix receives",
                {}, "use https://, or pass --insecure if you trust the network");
  }
  HttpResponse response;
  for (int attempt = 1;; ++attempt) {
    bool retryable = false;
    try {
      response = send_once(request, retryable);
    } catch (const Error&) {
      if (!retryable || attempt >= options_.attempts) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
      continue;
    }
    if (!retryable_status(response.status) || attempt >= options_.attempts) return response;
    long wait_ms = 500L * attempt;
    if (const std::string* after = response.header("retry-after")) {
      try {
        wait_ms = std::min(10000L, std::max(0L, std::stol(*after) * 1000));
      } catch (const std::exception&) {
        // An HTTP date or garbage: keep the backoff.
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  }
}

HttpResponse CurlHttpClient::send_once(const HttpRequest& request, bool& retryable) {
  std::unique_ptr<CURL, EasyDeleter> owner(curl().easy_init());
  CURL* c = owner.get();
  if (!c) throw Error(ErrorKind::kInternal, "cannot start an HTTP transfer");
  HttpResponse response;
  Transfer transfer{&response, request.max_response_bytes};
  std::unique_ptr<curl_slist, ListDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = curl().slist_append(headers.get(), line.c_str());
    if (!next) throw Error(ErrorKind::kInternal, "out of memory building HTTP headers");
    headers.release();
    headers.reset(next);
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl().easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl().easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl().easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl().easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl().easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl().easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl().easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
                     // A redirect never leads to plain HTTP (which may be another host)
                     // unless the user allowed plain HTTP.
                     options_.allow_insecure_http ? "http,https" : "https");
  curl().easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
  curl().easy_setopt(c, CURLOPT_TIMEOUT, options_.timeout_seconds);
  curl().easy_setopt(c, CURLOPT_USERAGENT, "kix");
  curl().easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl().easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl().easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl().easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl().easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "HEAD") {
    curl().easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl().easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl().easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl().easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode code = curl().easy_perform(c);
  if (transfer.too_large) {
    throw Error(
        ErrorKind::kIo,
        request.url + " sent more than " + std::to_string(request.max_response_bytes) + " bytes",
        {}, "this is more than anything kix expects from there; check the URL");
  }
  if (code != CURLE_OK) {
    retryable = code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT ||
                code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
                code == CURLE_COULDNT_RESOLVE_HOST;
    std::string what = error[0] ? error : curl().easy_strerror(code);
    throw Error(ErrorKind::kIo, request.method + " " + request.url + " failed: " + what, {},
                "check the address and your network");
  }
  curl().easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective = nullptr;
  curl().easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
  response.url = effective ? effective : request.url;
  retryable = retryable_status(response.status);
  return response;
}

}  // namespace kix
