// The parallel manifest loader (manifest/manifest.h): files are read on
// several threads and joined in file order. Also built alone under
// ThreadSanitizer (scripts/setup.sh tsan), which fails on any data race.
#include <gtest/gtest.h>

#include <fstream>

#include "manifest/manifest.h"
#include "tests/unit/temp_dir.h"

namespace kix {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// `count` files, each with two documents; every tenth warns (a YAML 1.1
// boolean), so diagnostics are joined from many threads too.
void write_files(const fs::path& dir, int count) {
  for (int i = 0; i < count; ++i) {
    std::ofstream f(dir / ("f" + std::to_string(1000 + i) + ".yaml"));
    f << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a" << i << ", namespace: ns}\n"
      << "data: {k: " << (i % 10 == 0 ? "yes" : "\"v\"") << "}\n---\n"
      << "apiVersion: v1\nkind: Service\nmetadata: {name: s" << i << ", namespace: ns}\n";
  }
}

TEST(ManifestLoader, ReadsManyFilesInParallelInFileOrder) {
  TempDir dir;
  write_files(dir.path(), 200);
  for (int round = 0; round < 5; ++round) {
    Diagnostics diags;
    std::vector<Manifest> m = load_manifests({dir.path().string()}, diags);
    ASSERT_EQ(m.size(), 400u);
    for (int i = 0; i < 200; ++i) {
      EXPECT_EQ(m[2 * i].id.name, "a" + std::to_string(i));
      EXPECT_EQ(m[2 * i + 1].id.name, "s" + std::to_string(i));
    }
    EXPECT_EQ(diags.warning_count(), 20u);
  }
}

TEST(ManifestLoader, TheFirstBadFileInOrderDecidesTheError) {
  TempDir dir;
  write_files(dir.path(), 50);
  std::ofstream(dir.path() / "f1010.yaml") << "a: [\n";
  std::ofstream(dir.path() / "f1040.yaml") << "b: {\n";
  for (int round = 0; round < 5; ++round) {
    Diagnostics diags;
    try {
      load_manifests({dir.path().string()}, diags);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      EXPECT_NE(e.where().file.find("f1010.yaml"), std::string::npos) << e.render();
    }
  }
}

}  // namespace
}  // namespace kix
