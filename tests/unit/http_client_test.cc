#include "util/http_client.h"

#include <gtest/gtest.h>

#include "tests/unit/error_kind.h"

namespace kix {
namespace {

TEST(HttpClient, KnowsLoopbackHosts) {
  EXPECT_TRUE(is_loopback_url("http://127.0.0.1:8080/index.yaml"));
  EXPECT_TRUE(is_loopback_url("http://127.1.2.3/x"));
  EXPECT_TRUE(is_loopback_url("http://localhost/x"));
  EXPECT_TRUE(is_loopback_url("http://[::1]:5000/v2/"));
  EXPECT_FALSE(is_loopback_url("http://127.0.0.1.example.com/x"));
  EXPECT_FALSE(is_loopback_url("http://10.0.0.1/x"));
  EXPECT_FALSE(is_loopback_url("https://charts.example.org/x"));
}

TEST(HttpClient, ResolvesRelativeUrlsAsHelmDoes) {
  // Helm joins a chart's relative URL to the repository URL (index.yaml's
  // directory), whether or not the repository URL ends in '/'.
  EXPECT_EQ(resolve_url("https://charts.example.org/stable/index.yaml", "demo-1.0.0.tgz"),
            "https://charts.example.org/stable/demo-1.0.0.tgz");
  EXPECT_EQ(resolve_url("https://charts.example.org/stable/index.yaml", "/other/demo.tgz"),
            "https://charts.example.org/other/demo.tgz");
  EXPECT_EQ(resolve_url("https://a.example/index.yaml", "https://b.example/demo.tgz"),
            "https://b.example/demo.tgz");
  EXPECT_ERROR_KIND(resolve_url("not a url", "x"), ErrorKind::kInvalidInput);
}

TEST(HttpClient, RefusesPlainHttpToOtherHostsAndOtherSchemes) {
  CurlHttpClient client;
  HttpRequest request;
  request.url = "http://charts.example.org/index.yaml";
  EXPECT_ERROR_KIND(client.send(request), ErrorKind::kInvalidInput);
  request.url = "ftp://charts.example.org/index.yaml";
  EXPECT_ERROR_KIND(client.send(request), ErrorKind::kInvalidInput);
  request.url = "file:///etc/passwd";
  EXPECT_ERROR_KIND(client.send(request), ErrorKind::kInvalidInput);
}

TEST(HttpClient, ANetworkFailureNamesTheUrl) {
  HttpClientOptions options;
  options.attempts = 1;
  CurlHttpClient client(options);
  HttpRequest request;
  request.url = "http://127.0.0.1:1/index.yaml";  // nothing listens on port 1
  try {
    client.send(request);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.message().find("GET http://127.0.0.1:1/index.yaml failed"), std::string::npos)
        << e.message();
  }
}

}  // namespace
}  // namespace kix
