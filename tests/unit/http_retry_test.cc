// CurlHttpClient's retry policy against a scripted HTTP server on a
// loopback port: 429 and 5xx answers are tried again (honouring
// Retry-After), with the same method and body; other answers are not; after
// the last try the last answer is returned. (The registries kix talks to
// cannot be made to fail on demand, so the failures are scripted here;
// everything else about HTTP is tested against real servers.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "util/http_client.h"

namespace kix {
namespace {

// Answers each connection with the next scripted response, then closes it;
// keeps every request it read.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }
  const std::vector<std::string>& requests() const { return requests_; }

 private:
  void serve() {
    for (const std::string& response : responses_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      // Headers, then as much body as Content-Length says.
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      size_t header_end = request.find("\r\n\r\n");
      size_t length = 0;
      if (auto at = request.find("Content-Length: "); at != std::string::npos) {
        length = std::stoul(request.substr(at + 16));
      }
      while (header_end != std::string::npos && request.size() < header_end + 4 + length) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      requests_.push_back(request);
      (void)!write(c, response.data(), response.size());
      close(c);
    }
  }

  std::vector<std::string> responses_;
  std::vector<std::string> requests_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string answer(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
         extra + "\r\n" + body;
}

TEST(HttpRetry, TriesAgainAfter5xxAnd429WithTheSameRequest) {
  ScriptedServer server({answer(500, "oops", "Retry-After: 0\r\n"),
                         answer(429, "slow down", "Retry-After: 0\r\n"), answer(201, "done")});
  CurlHttpClient http;
  HttpRequest put{"PUT", server.url(), {{"Content-Type", "application/octet-stream"}}, "payload"};
  HttpResponse r = http.send(put);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "done");
  ASSERT_EQ(server.requests().size(), 3u);
  for (const std::string& request : server.requests()) {
    EXPECT_EQ(request.rfind("PUT /x ", 0), 0u) << request;
    EXPECT_EQ(request.substr(request.size() - 7), "payload");
  }
}

TEST(HttpRetry, GivesTheLastAnswerAfterThreeTries) {
  ScriptedServer server({answer(502, "a", "Retry-After: 0\r\n"),
                         answer(504, "b", "Retry-After: 0\r\n"),
                         answer(503, "c", "Retry-After: 0\r\n"), answer(200, "never")});
  CurlHttpClient http;
  HttpResponse r = http.send(HttpRequest{"GET", server.url(), {}, {}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "c");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpRetry, DoesNotRetryAnswersThatWillNotChange) {
  for (int status : {400, 401, 404, 501}) {
    ScriptedServer server({answer(status, "no"), answer(200, "never")});
    CurlHttpClient http;
    EXPECT_EQ(http.send(HttpRequest{"GET", server.url(), {}, {}}).status, status);
    EXPECT_EQ(server.requests().size(), 1u) << status;
  }
}

}  // namespace
}  // namespace kix
