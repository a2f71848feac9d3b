/* Runs one command and reports its wall time and peak RSS.
 *
 * Usage: measure OUTFILE COMMAND [ARG...]
 *
 * Forks (from this small process, so the child starts with a small RSS
 * high-water mark), execs COMMAND with the inherited stdin/stdout/stderr,
 * reaps it with wait4 and writes one JSON object to OUTFILE:
 *   {"exit": N, "seconds": S, "max_rss_kb": K}
 * K is the peak resident set of the command or of the largest process it
 * waited for. Exits 0 when the measurement was made (whatever the command's
 * status), 127 when COMMAND cannot be executed, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s OUTFILE COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) {
    perror("wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* out = fopen(argv[1], "w");
  if (!out) {
    perror(argv[1]);
    return 2;
  }
  fprintf(out, "{\"exit\": %d, \"seconds\": %.9f, \"max_rss_kb\": %ld}\n", code, seconds,
          usage.ru_maxrss);
  fclose(out);
  return code == 127 ? 127 : 0;
}
