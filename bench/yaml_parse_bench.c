/* YAML parse throughput of libyaml on a list of files.
 *
 * Usage: yaml_parse_bench events|document FILE...
 *        yaml_parse_bench events|document -   (file names on stdin, one a line)
 *
 * Reads every file into memory first, then times only the parsing: "events"
 * runs the libyaml event parser to the end of each stream (the floor of any
 * reader built on it), "document" also builds libyaml's node tree for every
 * document. Prints one JSON object: bytes, documents, seconds, mb_per_s.
 * Exits 1 if a file cannot be read or does not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

struct input {
  unsigned char* data;
  size_t size;
};

static int read_file(const char* path, struct input* in) {
  FILE* f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 4096, len = 0;
  unsigned char* buf = malloc(cap);
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
  yaml_parser_t parser;
  yaml_event_t event;
  long documents = 0;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, in->data, in->size);
  for (;;) {
    if (!yaml_parser_parse(&parser, &event)) {
      documents = -1;
      break;
    }
    yaml_event_type_t type = event.type;
    if (type == YAML_DOCUMENT_START_EVENT) documents++;
    yaml_event_delete(&event);
    if (type == YAML_STREAM_END_EVENT) break;
  }
  yaml_parser_delete(&parser);
  return documents;
}

static long parse_documents(const struct input* in) {
  yaml_parser_t parser;
  yaml_document_t document;
  long documents = 0;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, in->data, in->size);
  for (;;) {
    if (!yaml_parser_load(&parser, &document)) {
      documents = -1;
      break;
    }
    int empty = yaml_document_get_root_node(&document) == NULL;
    yaml_document_delete(&document);
    if (empty) break;
    documents++;
  }
  yaml_parser_delete(&parser);
  return documents;
}

int main(int argc, char** argv) {
  if (argc < 3 || (strcmp(argv[1], "events") && strcmp(argv[1], "document"))) {
    fprintf(stderr, "usage: %s events|document FILE...|-\n", argv[0]);
    return 2;
  }
  size_t count = 0, cap = 1024;
  struct input* inputs = malloc(cap * sizeof *inputs);
  char line[4096];
  int from_stdin = argc == 3 && strcmp(argv[2], "-") == 0;
  for (int i = 2;; i++) {
    const char* path;
    if (from_stdin) {
      if (!fgets(line, sizeof line, stdin)) break;
      line[strcspn(line, "\n")] = 0;
      path = line;
    } else {
      if (i >= argc) break;
      path = argv[i];
    }
    if (count == cap) inputs = realloc(inputs, (cap *= 2) * sizeof *inputs);
    if (read_file(path, &inputs[count]) != 0) {
      fprintf(stderr, "cannot read %s\n", path);
      return 1;
    }
    count++;
  }
  int events = strcmp(argv[1], "events") == 0;
  struct timespec start, end;
  size_t bytes = 0;
  long documents = 0;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (size_t i = 0; i < count; i++) {
    long n = events ? parse_events(&inputs[i]) : parse_documents(&inputs[i]);
    if (n < 0) {
      fprintf(stderr, "parse error in input %zu\n", i);
      return 1;
    }
    documents += n;
    bytes += inputs[i].size;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("{\"bytes\": %zu, \"documents\": %ld, \"seconds\": %.6f, \"mb_per_s\": %.2f}\n", bytes,
         documents, seconds, bytes / seconds / 1e6);
  return 0;
}
