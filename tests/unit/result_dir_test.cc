#include "manifest/result_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tests/unit/error_kind.h"
#include "tests/unit/store_test_support.h"
#include "util/error.h"

namespace kix {
namespace {

namespace fs = std::filesystem;
using testing::config_map;
using testing::deployment;
using testing::graph_of;
using testing::kind_of;
using testing::TempDir;

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every entry of a directory with its content ("" for directories).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? read(e.path()) : "";
  }
  return out;
}

class ResultDirTest : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path out = tmp.path() / "out";
  Graph graph = graph_of({config_map("a", "1"), deployment("web", "nginx:1", "a")});
  Hash root = graph.root("prod");
};

TEST_F(ResultDirTest, WritesManifestsRootAndGraphAndReadsThemBack) {
  write_result_dir(out, graph, "prod", root, {});
  EXPECT_EQ(read(out / "root"), root.hex() + "\n");
  EXPECT_TRUE(fs::is_regular_file(out / "graph"));
  EXPECT_TRUE(fs::is_regular_file(out / "default_ConfigMap_a.yaml"));
  EXPECT_TRUE(fs::is_regular_file(out / "default_Deployment_web.yaml"));
  EXPECT_TRUE(is_result_dir(out));
  Diagnostics diags;
  ResultDir back = read_result_dir(out, diags);
  EXPECT_TRUE(diags.items().empty());
  EXPECT_EQ(back.cluster, "prod");
  EXPECT_EQ(back.root, root);
  EXPECT_EQ(back.recorded_root, root);
  EXPECT_TRUE(back.edited.empty());
  // The recorded edges, reasons included, not re-inferred ones.
  size_t edges = 0;
  for (const auto& reasons : back.graph.ref_reasons) edges += reasons.size();
  EXPECT_EQ(edges, 1u);
}

TEST_F(ResultDirTest, RefusesADirectoryOfTheUsersAndLeavesItAsItWas) {
  fs::create_directories(out / ".git");
  fs::create_directories(out / "src");
  write(out / "root", "x\n");
  write(out / "src" / "main.cc", "int main() {}\n");
  auto before = snapshot(out);
  EXPECT_EQ(kind_of([&] { write_result_dir(out, graph, "prod", root, {}); }), ErrorKind::kConflict);
  EXPECT_EQ(snapshot(out), before);
  for (const char* entry : {"notes.txt", "values.json"}) {
    TempDir other;
    fs::create_directory(other.path() / "o");
    write(other.path() / "o" / entry, "mine\n");
    EXPECT_EQ(kind_of([&] { write_result_dir(other.path() / "o", graph, "prod", root, {}); }),
              ErrorKind::kConflict)
        << entry;
    EXPECT_EQ(read(other.path() / "o" / entry), "mine\n");
  }
}

TEST_F(ResultDirTest, ReplacesAnEarlierResultAndAcceptsATrailingSlash) {
  write_result_dir(out, graph_of({config_map("old", "1")}), "prod",
                   graph_of({config_map("old", "1")}).root("prod"), {});
  write_result_dir(out.string() + "/", graph, "prod", root, {});
  EXPECT_FALSE(fs::exists(out / "default_ConfigMap_old.yaml"));
  EXPECT_EQ(read(out / "root"), root.hex() + "\n");
  // Nothing is left beside it.
  for (const auto& e : fs::directory_iterator(tmp.path())) EXPECT_EQ(e.path(), out);
}

TEST_F(ResultDirTest, AFailedRecordPutsThePreviousResultBack) {
  Graph old_graph = graph_of({config_map("old", "1")});
  write_result_dir(out, old_graph, "prod", old_graph.root("prod"), {});
  auto before = snapshot(out);
  EXPECT_EQ(kind_of([&] {
              write_result_dir(out, graph, "prod", root,
                               [] { throw Error(ErrorKind::kIo, "the store is locked"); });
            }),
            ErrorKind::kIo);
  EXPECT_EQ(snapshot(out), before);
  for (const auto& e : fs::directory_iterator(tmp.path())) EXPECT_EQ(e.path(), out);

  // Into a new directory: nothing is left at all.
  fs::path fresh = tmp.path() / "fresh";
  EXPECT_EQ(kind_of([&] {
              write_result_dir(fresh, graph, "prod", root,
                               [] { throw Error(ErrorKind::kIo, "the store is locked"); });
            }),
            ErrorKind::kIo);
  EXPECT_FALSE(fs::exists(fresh));
}

TEST_F(ResultDirTest, RemovesTemporariesOfDeadProcessesOnly) {
  fs::create_directories(tmp.path() / ".out.tmp-999999999" / "x");
  fs::create_directories(tmp.path() / ".out.old-999999998");
  std::string mine = ".out.tmp-" + std::to_string(getppid());  // a live process
  fs::create_directories(tmp.path() / mine);
  write_result_dir(out, graph, "prod", root, {});
  EXPECT_FALSE(fs::exists(tmp.path() / ".out.tmp-999999999"));
  EXPECT_FALSE(fs::exists(tmp.path() / ".out.old-999999998"));
  EXPECT_TRUE(fs::exists(tmp.path() / mine));
}

TEST_F(ResultDirTest, FileNamesFitAndDoNotDependOnOrder) {
  std::string long_name(253, 'n');
  Graph g = graph_of({config_map(long_name, "1", std::string(63, 's')), config_map("x_y", "1"),
                      config_map("x.y", "2")});
  // "x_y" and "x.y" are distinct names but "x.y" keeps its dot; make a real
  // clash: two API groups of one kind and name.
  Json a = config_map("same", "1");
  Json b = config_map("same", "2");
  b["apiVersion"] = "example.com/v1";
  Graph clash = graph_of({a, b});
  Graph reversed = graph_of({b, a});
  for (const auto& name : result_file_names(g)) {
    EXPECT_LE(name.size(), kMaxResultFileName) << name;
    EXPECT_TRUE(name.ends_with(".yaml"));
  }
  auto names = result_file_names(clash);
  EXPECT_NE(names[0], names[1]);
  EXPECT_NE(names[0].find("default_ConfigMap_same_"), std::string::npos);
  auto names_reversed = result_file_names(reversed);
  EXPECT_EQ(names[0], names_reversed[1]);
  EXPECT_EQ(names[1], names_reversed[0]);
  write_result_dir(out, g, "", g.root(""), {});
  Diagnostics diags;
  EXPECT_EQ(read_result_dir(out, diags).root, g.root(""));
}

TEST_F(ResultDirTest, AnEditedManifestIsTakenAsItIsWithAWarning) {
  write_result_dir(out, graph, "prod", root, {});
  std::string text = read(out / "default_ConfigMap_a.yaml");
  text.replace(text.find("value: \"1\""), 10, "value: \"2\"");
  write(out / "default_ConfigMap_a.yaml", text);
  Diagnostics diags;
  ResultDir back = read_result_dir(out, diags);
  EXPECT_EQ(back.edited, std::vector<std::string>{"default_ConfigMap_a.yaml"});
  EXPECT_NE(back.root, root);
  EXPECT_EQ(diags.warning_count(), 1u);
  // The recorded edge stays.
  Graph expected = graph_of({config_map("a", "2"), deployment("web", "nginx:1", "a")});
  EXPECT_EQ(back.root, expected.root("prod"));
}

TEST_F(ResultDirTest, RefusesAManifestTheGraphDoesNotListAndAMissingOne) {
  write_result_dir(out, graph, "prod", root, {});
  write(out / "extra.yaml", read(out / "default_ConfigMap_a.yaml"));
  Diagnostics diags;
  EXPECT_EQ(kind_of([&] { read_result_dir(out, diags); }), ErrorKind::kInvalidInput);
  fs::remove(out / "extra.yaml");
  fs::remove(out / "default_ConfigMap_a.yaml");
  EXPECT_EQ(kind_of([&] { read_result_dir(out, diags); }), ErrorKind::kInvalidInput);
}

// The files are parsed on every core, but the problem reported is the one
// a reading in the graph's order meets first.
TEST(ResultDirOrder, TheFirstProblemInGraphOrderIsTheOneReported) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  std::vector<Json> values;
  for (int i = 0; i < 60; ++i) values.push_back(config_map("c" + std::to_string(i), "v"));
  Graph graph = graph_of(values);
  write_result_dir(out, graph, "prod", graph.root("prod"), {});
  std::vector<std::string> files;
  const Json written = Json::parse(read(out / "graph"));
  for (const Json& r : written["resources"]) files.push_back(r["file"].get<std::string>());
  ASSERT_EQ(files.size(), 60u);
  const std::string earlier = files[20], later = files[45];
  write(out / later, "a: [unclosed\n");
  fs::remove(out / earlier);
  auto message = [&] {
    Diagnostics diags;
    try {
      read_result_dir(out, diags);
    } catch (const Error& e) {
      return e.render();
    }
    return std::string("no error");
  };
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string m = message();
    EXPECT_NE(m.find(earlier), std::string::npos) << m;
    EXPECT_EQ(m.find(later), std::string::npos) << m;
  }
  write(out / earlier, "a: [unclosed\n");
  std::string m = message();
  EXPECT_NE(m.find(earlier), std::string::npos) << m;
}

TEST_F(ResultDirTest, RefusesAMalformedGraphFile) {
  write_result_dir(out, graph, "prod", root, {});
  for (const char* text : {"", "[]", "{\"v\":2}", "{\"v\":1,\"cluster\":\"prod\"}",
                           "{\"v\":1,\"cluster\":\"20241201\",\"resources\":[]}"}) {
    write(out / "graph", text);
    Diagnostics diags;
    EXPECT_EQ(kind_of([&] { read_result_dir(out, diags); }), ErrorKind::kInvalidInput) << text;
  }
}

}  // namespace
}  // namespace kix

namespace kix {
namespace {

TEST(ResultDirPermissions, AResultHoldingASecretIsPrivate) {
  testing::TempDir tmp;
  Graph g = testing::graph_of({testing::config_map("a", "1"), testing::secret("db", "pw")});
  std::filesystem::path out = tmp.path() / "out";
  write_result_dir(out, g, "prod", g.root("prod"), {});
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::all, fs::perms::owner_all);
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_EQ(e.status().permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << e.path();
  }
}

}  // namespace
}  // namespace kix
