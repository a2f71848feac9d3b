// YAML parse throughput of yaml-cpp on a list of files, for comparison with
// yaml_parse_bench.c (libyaml). Never linked into kix.
//
// Usage: yaml_cpp_parse_bench FILE...|-   (with -, file names on stdin)
// Reads every file first, then times YAML::LoadAll on each. Prints one JSON
// object: bytes, documents, seconds, mb_per_s. Exits 1 on a read or parse
// error.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  if (argc == 2 && std::string(argv[1]) == "-") {
    for (std::string line; std::getline(std::cin, line);) paths.push_back(line);
  } else {
    for (int i = 1; i < argc; ++i) paths.emplace_back(argv[i]);
  }
  std::vector<std::string> inputs;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "cannot read " << path << "\n";
      return 1;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    inputs.push_back(buffer.str());
  }
  std::size_t bytes = 0, documents = 0;
  auto start = std::chrono::steady_clock::now();
  try {
    for (const auto& input : inputs) {
      documents += YAML::LoadAll(input).size();
      bytes += input.size();
    }
  } catch (const YAML::Exception& e) {
    std::cerr << "parse error: " << e.what() << "\n";
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"bytes\": %zu, \"documents\": %zu, \"seconds\": %.6f, \"mb_per_s\": %.2f}\n",
              bytes, documents, seconds, bytes / seconds / 1e6);
  return 0;
}
