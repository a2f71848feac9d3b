// The cluster-definition loader (compiler/cluster_definition.h) on files in
// memory: the input is split at lines "#--" into cluster.yaml and modules
// m1.yaml, m2.yaml, ... that it may name. Whatever the bytes, the loader
// throws kix::Error with a message or returns a definition whose cluster
// name and instances are valid, and it touches no disk.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "compiler/cluster_definition.h"
#include "fuzz/fuzz_invariants.h"
#include "manifest/cluster_name.h"

namespace {

class MemoryFiles : public kix::compiler::DefinitionFiles {
 public:
  std::map<std::string, std::string> files;

  bool exists(const std::filesystem::path& p) const override {
    return files.count(p.lexically_normal().string()) > 0 || is_directory(p);
  }
  bool is_directory(const std::filesystem::path& p) const override {
    std::string dir = p.lexically_normal().string();
    return dir == "." || dir == "/" || dir.empty();
  }
  std::string read(const std::filesystem::path& p) const override {
    auto it = files.find(p.lexically_normal().string());
    if (it == files.end()) throw kix::Error(kix::ErrorKind::kNotFound, "no file " + p.string());
    return it->second;
  }
  std::string identity(const std::filesystem::path& p) const override {
    return p.lexically_normal().string();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  MemoryFiles files;
  size_t start = 0;
  for (int n = 0; start <= input.size() && n < 8; ++n) {
    size_t cut = input.find("\n#--", start);
    std::string name = n == 0 ? "cluster.yaml" : "m" + std::to_string(n) + ".yaml";
    files.files[name] =
        input.substr(start, cut == std::string::npos ? std::string::npos : cut - start);
    if (cut == std::string::npos) break;
    start = cut + 4;
  }
  kix::Diagnostics diags;
  try {
    kix::compiler::ClusterDefinition def =
        kix::compiler::load_cluster_definition("cluster.yaml", diags, files);
    kix::fuzz::require(!kix::cluster_name_problem(def.name), "the cluster name is valid");
    for (const auto& inst : def.instances) {
      kix::fuzz::require(!inst.name.empty() && !inst.ns.empty(), "instances are named");
    }
  } catch (const kix::Error& e) {
    kix::fuzz::require(!e.render().empty(), "errors render a message");
  }
  return 0;
}
