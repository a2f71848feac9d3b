// The secret key and sealed Secrets (docs/secrets.md): what a published
// hash reveals (nothing), what a tampered envelope gives (an error), and
// that the store keeps values only as ciphertext.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "manifest/canonical_json.h"
#include "manifest/secret_seal.h"
#include "manifest/secrets.h"
#include "store/archive.h"
#include "store/gc.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/verify.h"
#include "tests/unit/error_kind.h"
#include "tests/unit/store_test_support.h"
#include "util/environment.h"
#include "util/error.h"

namespace kix {
namespace {

namespace fs = std::filesystem;
using testing::config_map;
using testing::graph_of;
using testing::in_cluster;
using testing::secret;
using testing::TempDir;
using testing::test_keyring;
using testing::test_secret_key;

constexpr const char* kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

Manifest sealed_secret_manifest(const std::string& name, const std::string& password) {
  Manifest m = make_manifest(secret(name, password), SourceLocation{"test.yaml", 1, 1});
  FixedKeyring keys = test_keyring();
  seal_manifest(m, keys);
  return m;
}

// ---- the key ---------------------------------------------------------------

TEST(SecretKey, DerivesItsIdAndHmacsFromTheKeyBytes) {
  SecretKey key = SecretKey::from_hex(std::string(kKeyHex) + "\n");
  EXPECT_EQ(key.hex(), kKeyHex);
  // Known answers, computed independently with Python's hmac module:
  //   hmac.new(key, b"kix secret key id v1", sha256).hexdigest()[:16]
  //   hmac.new(hmac.new(key, b"kix secret value hash v1", sha256).digest(),
  //            b'"hunter2"', sha256).hexdigest()
  EXPECT_EQ(key.id(), "dab7d8a9a9876b47");
  EXPECT_EQ(key.value_hmac("\"hunter2\""),
            "7d5bdaa177ceff2799551fc12acba425d2c750a493d43432ff37707f9c0224a3");
  EXPECT_NE(SecretKey::generate().id(), key.id());
}

TEST(SecretKey, RefusesAMalformedKey) {
  EXPECT_ERROR_KIND(SecretKey::from_hex("abc"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(SecretKey::from_hex(std::string(63, 'a') + "g"), ErrorKind::kInvalidInput);
  EXPECT_ERROR_KIND(SecretKey::from_hex(""), ErrorKind::kInvalidInput);
}

TEST(SecretKey, SealsAndOpensAndRefusesEveryTamperedEnvelope) {
  const SecretKey& key = test_secret_key();
  std::string envelope = key.seal("the values", "blob-a");
  EXPECT_EQ(SecretKey::envelope_key_id(envelope), key.id());
  EXPECT_EQ(envelope.find("the values"), std::string::npos);
  EXPECT_EQ(key.open(envelope, "blob-a"), "the values");
  // Fresh nonce each time: the same values never give the same ciphertext.
  EXPECT_NE(key.seal("the values", "blob-a"), envelope);
  // Bound to its blob: moved to another one, it does not open.
  EXPECT_ERROR_KIND(key.open(envelope, "blob-b"), ErrorKind::kCorruption);
  for (size_t i = 0; i < envelope.size(); ++i) {
    std::string flipped = envelope;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    SCOPED_TRACE("byte " + std::to_string(i));
    EXPECT_ERROR_KIND(key.open(flipped, "blob-a"), ErrorKind::kCorruption);
  }
  EXPECT_ERROR_KIND(key.open(envelope.substr(0, 20), "blob-a"), ErrorKind::kCorruption);
  EXPECT_ERROR_KIND(SecretKey::generate().open(envelope, "blob-a"), ErrorKind::kCorruption);
}

TEST(SecretKeyFile, IsCreatedPrivateOnceAndThenRead) {
  TempDir dir;
  const fs::path file = dir.path() / "config" / "kix" / "secret.key";
  EXPECT_FALSE(read_secret_key(file));
  bool created = false;
  SecretKey first = read_or_create_secret_key(file, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
  EXPECT_EQ(read_file(file), first.hex() + "\n");
  SecretKey again = read_or_create_secret_key(file, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id(), first.id());
}

TEST(SecretKeyFile, AMalformedFileIsAnErrorNamingItNeverReplaced) {
  TempDir dir;
  const fs::path file = dir.path() / "secret.key";
  std::ofstream(file) << "not a key\n";
  try {
    read_or_create_secret_key(file);
    ADD_FAILURE() << "a malformed key file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(e.message().find(file.string()), std::string::npos) << e.message();
  }
  EXPECT_EQ(read_file(file), "not a key\n");
}

TEST(SecretKeyFile, FollowsTheEnvironment) {
  MapEnvironment env;
  env.set("HOME", "/home/u");
  EXPECT_EQ(secret_key_file(env), "/home/u/.config/kix/secret.key");
  env.set("XDG_CONFIG_HOME", "/xdg");
  EXPECT_EQ(secret_key_file(env), "/xdg/kix/secret.key");
  env.set("KIX_SECRET_KEY_FILE", "/keys/k");
  EXPECT_EQ(secret_key_file(env), "/keys/k");
}

// ---- hash forms --------------------------------------------------------------

TEST(SecretHashForm, ReplacesEveryValueAndNothingElse) {
  Json s = secret("db", "hunter2");
  s["data"] = {{"user", "YWRtaW4="}};
  s["metadata"]["annotations"] = {{kLastAppliedAnnotation, "{\"stringData\":{\"password\":\"x\"}}"},
                                  {"note", "kept"}};
  Json form = secret_hash_form(s, test_secret_key());
  const std::string prefix = "hmac-sha256:" + test_secret_key().id() + ":";
  EXPECT_EQ(form["stringData"]["password"],
            prefix + test_secret_key().value_hmac(canonical_json(Json("hunter2"))));
  EXPECT_TRUE(form["data"]["user"].get<std::string>().starts_with(prefix));
  EXPECT_TRUE(
      form["metadata"]["annotations"][kLastAppliedAnnotation].get<std::string>().starts_with(
          prefix));
  EXPECT_EQ(form["metadata"]["annotations"]["note"], "kept");
  EXPECT_EQ(form["metadata"]["name"], "db");
  EXPECT_TRUE(is_hash_form(form));
  EXPECT_FALSE(is_hash_form(s));
  EXPECT_EQ(canonical_json(form).find("hunter2"), std::string::npos);
  EXPECT_EQ(canonical_json(form).find("YWRtaW4="), std::string::npos);
}

TEST(SecretHashForm, DependsOnTheKeySoAPublishedHashCannotBeTestedAgainstGuesses) {
  Json s = secret("db", "1234");
  Json a = secret_hash_form(s, test_secret_key());
  Json b = secret_hash_form(s, SecretKey::generate());
  EXPECT_NE(Hash::of(canonical_json(a)), Hash::of(canonical_json(b)));
  // ...and on the value, so a changed value changes the hash.
  EXPECT_NE(a, secret_hash_form(secret("db", "1235"), test_secret_key()));
  EXPECT_EQ(a, secret_hash_form(s, test_secret_key()));
}

TEST(SealManifest, HashesTheHashFormAndKeepsTheValuesForWriting) {
  Manifest m = sealed_secret_manifest("db", "hunter2");
  EXPECT_FALSE(m.needs_sealing);
  ASSERT_TRUE(m.sealed);
  EXPECT_EQ(m.sealed->key_id, test_secret_key().id());
  EXPECT_EQ(m.canonical.find("hunter2"), std::string::npos);
  EXPECT_EQ(m.sealed->envelope.find("hunter2"), std::string::npos);
  EXPECT_EQ(m.blob, Hash::of(canonical_json(secret_hash_form(m.value, test_secret_key()))));
  EXPECT_EQ(m.value["stringData"]["password"], "hunter2");

  FixedKeyring keys = test_keyring();
  Json back = unseal(Json::parse(m.canonical), m.blob, *m.sealed, keys);
  EXPECT_EQ(back, m.value);
}

TEST(SealManifest, ASecretWithoutValuesNeedsNoKey) {
  Json s = secret("empty", "x");
  s.erase("stringData");
  Manifest m = make_manifest(s, {});
  EXPECT_FALSE(m.needs_sealing);
  FixedKeyring none(std::nullopt);
  EXPECT_NO_THROW(seal_manifest(m, none));
  EXPECT_FALSE(m.sealed);
}

TEST(SealManifest, BuildGraphRefusesAnUnsealedSecret) {
  std::vector<Manifest> ms{make_manifest(secret("db", "hunter2"), {})};
  EXPECT_ERROR_KIND(build_graph(ms, {}), ErrorKind::kInternal);
  EXPECT_ERROR_KIND(build_graph_inferred(ms, nullptr), ErrorKind::kInvalidInput);
}

TEST(Unseal, NamesTheMissingKey) {
  Manifest m = sealed_secret_manifest("db", "hunter2");
  FixedKeyring none(std::nullopt);
  try {
    unseal(Json::parse(m.canonical), m.blob, *m.sealed, none);
    ADD_FAILURE() << "opened without a key";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(e.message().find(test_secret_key().id()), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("KIX_SECRET_KEY_FILE"), std::string::npos) << e.hint();
  }
  FixedKeyring other(SecretKey::generate());
  EXPECT_ERROR_KIND(unseal(Json::parse(m.canonical), m.blob, *m.sealed, other),
                    ErrorKind::kNotFound);
}

TEST(Unseal, RefusesValuesThatDoNotMatchTheHashForm) {
  // The envelope of one Secret beside the hash form of another with the
  // same blob binding: the HMACs catch it.
  Manifest a = sealed_secret_manifest("db", "hunter2");
  Manifest b = sealed_secret_manifest("db", "other");
  const SecretKey& key = test_secret_key();
  SealedSecret swapped{
      key.id(),
      key.seal("{\"/stringData/password\":\"other\"}",
               std::string(reinterpret_cast<const char*>(a.blob.bytes().data()), Hash::kSize)),
      false};
  FixedKeyring keys = test_keyring();
  EXPECT_ERROR_KIND(unseal(Json::parse(a.canonical), a.blob, swapped, keys),
                    ErrorKind::kCorruption);
  // Another Secret's envelope, as it is: bound to another blob.
  EXPECT_ERROR_KIND(unseal(Json::parse(a.canonical), a.blob, *b.sealed, keys),
                    ErrorKind::kCorruption);
}

// ---- in a store --------------------------------------------------------------

template <typename F>
void for_each_store(F&& body) {
  {
    MemoryStore store;
    body(static_cast<Store&>(store), "memory");
  }
  TempDir dir;
  auto store = SqliteStore::open(dir.path() / "store");
  body(static_cast<Store&>(*store), "sqlite");
}

TEST(SealedSecretsInAStore, ComeBackWithTheKeyAndStaySealedWithoutIt) {
  for_each_store([](Store& store, const char* which) {
    SCOPED_TRACE(which);
    Graph g = graph_of({secret("db", "hunter2"), config_map("c", "1")});
    Hash root = store.add(g, in_cluster("prod")).root;
    EXPECT_EQ(store.read_blob(g.manifests[0].blob).find("hunter2"), std::string::npos);
    ASSERT_TRUE(store.sealed_secret(g.manifests[0].blob));

    FixedKeyring keys = test_keyring();
    RootGraph with = store.load_graph(root, &keys);
    for (const Manifest& m : with.graph.manifests) {
      EXPECT_TRUE(m.values_known) << m.id.display();
      if (m.id.kind == "Secret") {
        EXPECT_EQ(m.value["stringData"]["password"], "hunter2");
      }
    }
    FixedKeyring none(std::nullopt);
    RootGraph without = store.load_graph(root, &none);
    EXPECT_EQ(without.root, root);
    for (const Manifest& m : without.graph.manifests) {
      EXPECT_EQ(m.values_known, m.id.kind != "Secret") << m.id.display();
      EXPECT_EQ(m.value.dump().find("hunter2"), std::string::npos);
    }

    VerifyOptions check;
    check.keys = &keys;
    VerifyReport report = store.verify(check);
    EXPECT_TRUE(report.ok());
    EXPECT_EQ(report.secrets, 1u);
    EXPECT_EQ(report.secrets_unopened, 0u);
    check.keys = &none;
    report = store.verify(check);
    EXPECT_TRUE(report.ok());
    EXPECT_EQ(report.secrets_unopened, 1u);
  });
}

TEST(SealedSecretsInAStore, GcDeletesTheSealedValuesWithTheBlob) {
  for_each_store([](Store& store, const char* which) {
    SCOPED_TRACE(which);
    Graph old_graph = graph_of({secret("db", "hunter2")});
    store.add(old_graph, in_cluster("prod"));
    store.add(graph_of({secret("db", "hunter3")}), in_cluster("prod", 2000));
    GcOptions options;
    options.keep_generations = 1;
    store.collect_garbage(options);
    EXPECT_FALSE(store.has_blob(old_graph.manifests[0].blob));
    EXPECT_FALSE(store.sealed_secret(old_graph.manifests[0].blob));
  });
}

TEST(SealedSecretsInAStore, VerifyNamesALostOrTamperedEnvelope) {
  TempDir dir;
  auto store = SqliteStore::open(dir.path() / "store");
  Graph g = graph_of({secret("db", "hunter2")});
  store->add(g, in_cluster("prod"));
  FixedKeyring keys = test_keyring();
  VerifyOptions check;
  check.keys = &keys;
  {
    auto db = testing::raw_database(*store);
    // The last byte changed, whatever it was (a random nonce makes it 0x00
    // once in 256 runs, which setting it to 0x00 would leave untampered).
    db.exec(
        "UPDATE secrets SET sealed = substr(sealed, 1, length(sealed) - 1) || "
        "CASE WHEN substr(sealed, -1) = x'00' THEN x'01' ELSE x'00' END");
  }
  VerifyReport report = store->verify(check);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("does not open"), std::string::npos)
      << report.problems[0].message;
  {
    auto db = testing::raw_database(*store);
    db.exec("DELETE FROM secrets");
  }
  report = store->verify({});
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("sealed values of this Secret are missing"),
            std::string::npos)
      << report.problems[0].message;
  // --repair --from the original manifest restores them.
  std::vector<Manifest> sources{make_manifest(secret("db", "hunter2"), {"db.yaml", 1, 1})};
  seal_manifests(sources, keys);
  check.repair = true;
  check.sources = &sources;
  report = store->verify(check);
  EXPECT_TRUE(report.ok());
  check.repair = false;
  EXPECT_TRUE(store->verify(check).problems.empty());
}

TEST(SealedSecretsInAStore, APlaintextSecretBlobIsCorruption) {
  // A Secret blob with values and no sealed row, as tampering would leave it.
  std::string canonical = canonical_json(secret("db", "hunter2"));
  BlobState state = check_blob_bytes(Hash::of(canonical), canonical);
  EXPECT_FALSE(state.ok);
  EXPECT_NE(state.problem.find("plaintext"), std::string::npos) << state.problem;
}

TEST(SealedSecretsInAnArchive, TravelAsCiphertextAndImportIntoAStoreWithoutTheKey) {
  MemoryStore source;
  Graph g = graph_of({secret("db", "hunter2"), config_map("c", "1")});
  Hash root = source.add(g, in_cluster("prod")).root;
  std::string bytes = write_archive(export_closure(source, {root}, {}));
  EXPECT_EQ(bytes.find("hunter2"), std::string::npos);

  FixedKeyring none(std::nullopt);
  Closure closure = read_archive(bytes, {}, &none);
  ASSERT_EQ(closure.sealed().size(), 1u);
  TempDir dir;
  auto target = SqliteStore::open(dir.path() / "store");
  target->import_closure(closure);
  EXPECT_TRUE(target->verify({}).ok());
  FixedKeyring keys = test_keyring();
  RootGraph back = target->load_graph(root, &keys);
  bool found = false;
  for (const Manifest& m : back.graph.manifests) {
    if (m.id.kind != "Secret") continue;
    found = true;
    EXPECT_EQ(m.value["stringData"]["password"], "hunter2");
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace kix
