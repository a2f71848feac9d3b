// Debian's docker-registry (the CNCF distribution registry) for unit tests:
// started on a free loopback port with storage in a temporary directory,
// stopped (and its storage removed) when the object goes away. Tests that
// use it speak the real protocol to the real server.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/unit/temp_dir.h"
#include "util/http_client.h"

namespace kix::testing {

class RegistryServer {
 public:
  RegistryServer() {
    port_ = free_port();
    const std::string config = (dir_.path() / "config.yml").string();
    std::ofstream(config) << "version: 0.1\nlog: {level: error}\n"
                          << "storage: {filesystem: {rootdirectory: " << dir_.path().string()
                          << "/storage}}\nhttp: {addr: " << host() << "}\n";
    pid_ = fork();
    if (pid_ == 0) {
      // Its access log is noise in the test output.
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execl("/usr/bin/docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
      _exit(127);
    }
    CurlHttpClient http;
    for (int i = 0; i < 200; ++i) {
      try {
        if (http.send(HttpRequest{"GET", "http://" + host() + "/v2/", {}, {}}).status == 200) {
          return;
        }
      } catch (...) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error("docker-registry did not start (is it installed?)");
  }
  ~RegistryServer() { stop(); }
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static int free_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    close(s);
    return ntohs(addr.sin_port);
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace kix::testing
