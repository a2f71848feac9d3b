/* SQLite insert rate of a content-addressed object table.
 *
 * Usage: sqlite_insert_bench DB ROWS [BLOB_BYTES]
 *
 * Creates DB (which must not exist) in WAL mode with synchronous=NORMAL, the
 * settings an embedded store would use, and inserts ROWS rows of
 * (32-byte hash primary key, BLOB_BYTES blob, default 600 — a compressed
 * manifest) in one transaction with a prepared statement. Prints one JSON
 * object: rows, seconds, rows_per_s.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
  }
  return rc;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DB ROWS [BLOB_BYTES]\n", argv[0]);
    return 2;
  }
  long rows = atol(argv[2]);
  int blob_bytes = argc > 3 ? atoi(argv[3]) : 600;
  sqlite3* db;
  check(sqlite3_open(argv[1], &db), db, "open");
  check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE objects(hash BLOB PRIMARY KEY, data BLOB NOT NULL)"
                     " WITHOUT ROWID;",
                     NULL, NULL, NULL),
        db, "schema");
  unsigned char* blob = malloc(blob_bytes);
  for (int i = 0; i < blob_bytes; i++) blob[i] = (unsigned char)(i * 131 + 7);
  unsigned char key[32];
  unsigned long long state = 0x9e3779b97f4a7c15ULL;
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  sqlite3_stmt* insert;
  check(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
  check(sqlite3_prepare_v2(db, "INSERT INTO objects VALUES(?, ?)", -1, &insert, NULL), db,
        "prepare");
  for (long r = 0; r < rows; r++) {
    for (int i = 0; i < 32; i += 8) { /* xorshift: random-looking hash keys */
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      memcpy(key + i, &state, 8);
    }
    sqlite3_bind_blob(insert, 1, key, 32, SQLITE_STATIC);
    sqlite3_bind_blob(insert, 2, blob, blob_bytes, SQLITE_STATIC);
    check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
  clock_gettime(CLOCK_MONOTONIC, &end);
  sqlite3_close(db);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("{\"rows\": %ld, \"seconds\": %.6f, \"rows_per_s\": %.0f}\n", rows, seconds,
         rows / seconds);
  return 0;
}
