/* YAML parse throughput of libfyaml, the parser kix reads YAML with, on a
 * list of files.
 *
 * Usage: fyaml_parse_bench FILE...
 *        fyaml_parse_bench -   (file names on stdin, one a line)
 *
 * Reads every file into memory first, then times only the parsing: the
 * libfyaml event parser run to the end of each stream, as kix's reader
 * does (the floor of any reader built on it). Prints one JSON object:
 * bytes, documents, seconds, mb_per_s. Exits 1 if a file cannot be read or
 * does not parse.
 */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct input {
  char* data;
  size_t size;
};

static int read_file(const char* path, struct input* in) {
  FILE* f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 4096, len = 0;
  char* buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) return -1;
  in->data = buf;
  in->size = len;
  return 0;
}

static long parse_events(const struct input* in) {
  struct fy_parse_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
  struct fy_parser* parser = fy_parser_create(&cfg);
  if (!parser) return -1;
  fy_parser_set_string(parser, in->data, in->size);
  long documents = 0;
  struct fy_event* event;
  while ((event = fy_parser_parse(parser)) != NULL) {
    if (event->type == FYET_DOCUMENT_START) documents++;
    if (event->type == FYET_SCALAR) {
      size_t length;
      fy_token_get_text(event->scalar.value, &length);
    }
    fy_parser_event_free(parser, event);
  }
  if (fy_parser_get_stream_error(parser)) documents = -1;
  fy_parser_destroy(parser);
  return documents;
}

int main(int argc, char** argv) {
  size_t count = 0, cap = 1024, bytes = 0;
  struct input* inputs = malloc(cap * sizeof *inputs);
  char line[4096];
  int from_stdin = argc == 2 && strcmp(argv[1], "-") == 0;
  for (int i = 1; from_stdin ? fgets(line, sizeof line, stdin) != NULL : i < argc; ++i) {
    const char* path = from_stdin ? line : argv[i];
    if (from_stdin) line[strcspn(line, "\n")] = 0;
    if (count == cap) inputs = realloc(inputs, (cap *= 2) * sizeof *inputs);
    if (read_file(path, &inputs[count]) != 0) {
      fprintf(stderr, "cannot read %s\n", path);
      return 1;
    }
    bytes += inputs[count++].size;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long documents = 0;
  for (size_t i = 0; i < count; ++i) {
    long n = parse_events(&inputs[i]);
    if (n < 0) {
      fprintf(stderr, "parse error in input %zu\n", i);
      return 1;
    }
    documents += n;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("{\"bytes\": %zu, \"documents\": %ld, \"seconds\": %.6f, \"mb_per_s\": %.3f}\n", bytes,
         documents, seconds, seconds > 0 ? bytes / seconds / 1e6 : 0.0);
  return 0;
}
