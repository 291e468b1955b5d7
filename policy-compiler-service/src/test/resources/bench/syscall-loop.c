/*
 * Per-syscall cost for PolicyFiguresTest: calls one syscall in a tight loop and prints the best
 * ns per call over a few rounds. Built static at benchmark time (cc -O2 -static), so it runs in a
 * bwrap sandbox with nothing but itself bound in, and no interpreter overhead hides the filter's.
 *
 *   syscall-loop getppid|ioctl CALLS ROUNDS
 *
 * getppid: argument-free and allowed by every profile (the kernel's action cache can answer it).
 * ioctl:   ioctl(0, TCGETS, &t), a call whose arguments the built-in profiles check (TIOCSTI),
 *          so the filter runs; its result (ENOTTY on a pipe) does not matter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "getppid") != 0 && strcmp(argv[1], "ioctl") != 0)) {
    fprintf(stderr, "usage: syscall-loop getppid|ioctl CALLS ROUNDS\n");
    return 2;
  }
  int ioctl_loop = strcmp(argv[1], "ioctl") == 0;
  long calls = atol(argv[2]);
  int rounds = atoi(argv[3]);
  struct termios t;
  double best = 1e18;
  for (int r = 0; r < rounds; r++) {
    double start = now_ns();
    if (ioctl_loop) {
      for (long i = 0; i < calls; i++) {
        syscall(SYS_ioctl, 0, TCGETS, &t);
      }
    } else {
      for (long i = 0; i < calls; i++) {
        syscall(SYS_getppid);
      }
    }
    double per_call = (now_ns() - start) / calls;
    if (per_call < best) {
      best = per_call;
    }
  }
  printf("%.1f\n", best);
  return 0;
}
