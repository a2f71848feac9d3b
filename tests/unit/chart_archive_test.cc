#include "manifest/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "tests/unit/temp_dir.h"
#include "util/error.h"
#include "util/hash.h"

namespace kix {
namespace {

// One entry of a test archive.
struct Entry {
  Entry(std::string p, std::string d = {}, unsigned t = AE_IFREG, std::string l = {})
      : path(std::move(p)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string path;
  std::string data;
  unsigned type;
  std::string link;  // symlink target or hard link source
};

// A gzip-compressed pax tar of `entries`, written with libarchive as a
// hostile packager would: nothing is checked.
std::string tgz(const std::vector<Entry>& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* o, const void* b, size_t n) -> la_ssize_t {
        static_cast<std::string*>(o)->append(static_cast<const char*>(b), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const Entry& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFREG && !e.link.empty()) archive_entry_set_hardlink(entry, e.link.c_str());
    if (e.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
    archive_entry_set_size(
        entry, e.type == AE_IFREG && e.link.empty() ? static_cast<la_int64_t>(e.data.size()) : 0);
    archive_write_header(a, entry);
    if (e.type == AE_IFREG && e.link.empty() && !e.data.empty()) {
      archive_write_data(a, e.data.data(), e.data.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

const char* kChartYaml = "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: \"4.5\"\n";

std::vector<Entry> good_chart() {
  return {{"demo/Chart.yaml", kChartYaml},
          {"demo/values.yaml", "replicas: 1\n"},
          {"demo/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}};
}

// The error reading `bytes` gives; a failure when there is none.
std::string refusal(const std::string& bytes, const ChartArchiveLimits& limits = {}) {
  try {
    read_chart_archive(bytes, "test.tgz", limits);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.message();
    EXPECT_EQ(e.message().rfind("chart test.tgz", 0), 0u) << e.message();
    EXPECT_NE(e.message().find(" is refused: "), std::string::npos) << e.message();
    return e.message();
  }
  ADD_FAILURE() << "the archive was accepted";
  return {};
}

TEST(ChartArchive, ReadsAChartHelmWouldRead) {
  std::vector<Entry> entries = good_chart();
  entries.insert(entries.begin(), {"demo/", "", AE_IFDIR});
  ChartArchive chart = read_chart_archive(tgz(entries), "test.tgz");
  EXPECT_EQ(chart.name, "demo");
  EXPECT_EQ(chart.version, "1.2.3");
  EXPECT_EQ(chart.app_version, "4.5");
  EXPECT_EQ(chart.files.size(), 3u);
  EXPECT_TRUE(chart.files.count("templates/cm.yaml"));

  testing::TempDir dir;
  std::filesystem::path root = write_chart_directory(chart, dir.path());
  EXPECT_EQ(root, dir.path() / "demo");
  std::ifstream in(root / "templates" / "cm.yaml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), chart.files["templates/cm.yaml"]);
  struct stat st {};
  ASSERT_EQ(::stat((root / "templates").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(ChartArchive, ReadsTheRealCloudNativePgChart) {
  std::ifstream in(std::string(KIX_SOURCE_DIR) + "/../shared/charts/cloudnative-pg-0.29.0.tgz",
                   std::ios::binary);
  ASSERT_TRUE(in) << "the test charts are missing: ../shared/charts/ beside the source tree";
  std::stringstream bytes;
  bytes << in.rdbuf();
  ChartArchive chart = read_chart_archive(bytes.str(), "cloudnative-pg-0.29.0.tgz");
  EXPECT_EQ(chart.name, "cloudnative-pg");
  EXPECT_EQ(chart.version, "0.29.0");
  EXPECT_EQ(chart.app_version, "1.30.0");
}

// The ten hostile archives of the issue, and then some: each refused with
// a message that says why.
TEST(ChartArchive, RefusesPathTraversal) {
  auto e = good_chart();
  e.push_back({"demo/../../evil.yaml", "x"});
  EXPECT_NE(refusal(tgz(e)).find("contains '..'"), std::string::npos);
}

TEST(ChartArchive, RefusesAbsolutePaths) {
  auto e = good_chart();
  e.push_back({"/etc/cron.d/evil", "x"});
  EXPECT_NE(refusal(tgz(e)).find("absolute path"), std::string::npos);
}

TEST(ChartArchive, RefusesWindowsPaths) {
  auto e = good_chart();
  e.push_back({"demo\\..\\..\\evil.yaml", "x"});
  EXPECT_NE(refusal(tgz(e)).find("Windows-style path"), std::string::npos);
  auto d = good_chart();
  d.push_back({"C:/Windows/evil.yaml", "x"});
  EXPECT_NE(refusal(tgz(d)).find("drive letter"), std::string::npos);
}

TEST(ChartArchive, RefusesSymbolicLinks) {
  auto e = good_chart();
  e.push_back({"demo/templates/passwd.yaml", "", AE_IFLNK, "/etc/passwd"});
  EXPECT_NE(refusal(tgz(e)).find("symbolic link"), std::string::npos);
  auto up = good_chart();
  up.push_back({"demo/up", "", AE_IFLNK, "../../.."});
  EXPECT_NE(refusal(tgz(up)).find("symbolic link"), std::string::npos);
}

TEST(ChartArchive, RefusesHardLinks) {
  auto e = good_chart();
  e.push_back({"demo/templates/shadow.yaml", "", AE_IFREG, "/etc/shadow"});
  EXPECT_NE(refusal(tgz(e)).find("hard link"), std::string::npos);
}

TEST(ChartArchive, RefusesDevicesAndFifos) {
  auto e = good_chart();
  e.push_back({"demo/null", "", AE_IFCHR});
  EXPECT_NE(refusal(tgz(e)).find("is a device"), std::string::npos);
  auto f = good_chart();
  f.push_back({"demo/pipe", "", AE_IFIFO});
  EXPECT_NE(refusal(tgz(f)).find("FIFO"), std::string::npos);
}

TEST(ChartArchive, RefusesTooManyEntries) {
  auto e = good_chart();
  for (int i = 0; i < 100000; ++i) e.push_back({"demo/f/" + std::to_string(i), ""});
  EXPECT_NE(refusal(tgz(e)).find("too many entries"), std::string::npos);
}

TEST(ChartArchive, RefusesAGzipBomb) {
  // 64 MiB of zeros compress to about 64 KiB: stopped after 5 MiB, the
  // limit for one file, whatever the header claims.
  auto e = good_chart();
  e.push_back({"demo/templates/bomb.yaml", std::string(size_t{64} << 20, '\0')});
  std::string bytes = tgz(e);
  EXPECT_LT(bytes.size(), size_t{1} << 20);
  EXPECT_NE(refusal(bytes).find("larger than 5242880 bytes"), std::string::npos);
  // Many files under the per-file limit: stopped at the total (a lower one
  // here, so the test stays fast; the default is 100 MiB).
  ChartArchiveLimits limits;
  limits.max_expanded_bytes = size_t{8} << 20;
  auto many = good_chart();
  for (int i = 0; i < 3; ++i) {
    many.push_back({"demo/templates/b" + std::to_string(i), std::string(size_t{4} << 20, 'a')});
  }
  EXPECT_NE(refusal(tgz(many), limits).find("expands to more than 8388608 bytes"),
            std::string::npos);
}

TEST(ChartArchive, RefusesWhatHelmsLoaderRefuses) {
  EXPECT_NE(refusal(tgz({{"demo/values.yaml", "a: 1\n"}})).find("no Chart.yaml"),
            std::string::npos);
  EXPECT_NE(
      refusal(tgz({{"demo/Chart.yaml", kChartYaml}, {"other/x", "x"}})).find("two top directories"),
      std::string::npos);
  EXPECT_NE(refusal(tgz({{"other/Chart.yaml", kChartYaml}})).find("but its directory is"),
            std::string::npos);
  EXPECT_NE(refusal(tgz({{"demo/Chart.yaml", "apiVersion: v2\nname: demo\n"}})).find("no version"),
            std::string::npos);
  EXPECT_NE(refusal(tgz({{"Chart.yaml", kChartYaml}})).find("not inside the chart's directory"),
            std::string::npos);
  EXPECT_NE(refusal("not gzip at all").find("not a gzip-compressed tar"), std::string::npos);
  std::string truncated = tgz(good_chart());
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(refusal(truncated).empty());
}

TEST(ChartArchive, ChecksSubchartsWithTheSameRules) {
  auto sub = std::vector<Entry>{{"sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"},
                                {"sub/../../../evil", "x"}};
  auto e = good_chart();
  e.push_back({"demo/charts/sub-0.1.0.tgz", tgz(sub)});
  std::string message = refusal(tgz(e));
  EXPECT_NE(message.find("subchart charts/sub-0.1.0.tgz"), std::string::npos) << message;
  EXPECT_NE(message.find("contains '..'"), std::string::npos) << message;
}

TEST(ChartArchive, SubchartsShareOneBudget) {
  // Each subchart alone is within the limits; together they are not.
  ChartArchiveLimits limits;
  limits.max_expanded_bytes = size_t{3} << 20;
  auto e = good_chart();
  for (int i = 0; i < 4; ++i) {
    const std::string name = "s" + std::to_string(i);
    auto sub = std::vector<Entry>{
        {name + "/Chart.yaml", "apiVersion: v2\nname: " + name + "\nversion: 0.1.0\n"},
        {name + "/blob", std::string(size_t{1} << 20, 'x')}};
    e.push_back({"demo/charts/" + name + "-0.1.0.tgz", tgz(sub)});
  }
  std::string message = refusal(tgz(e), limits);
  EXPECT_TRUE(message.find("expands to more than") != std::string::npos) << message;
}

}  // namespace
}  // namespace kix
