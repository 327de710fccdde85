/*
 * Berth's pause process: the first process of a pod sandbox. It holds the sandbox's namespaces
 * open by existing, reaps every child re-parented to it (it is PID 1 of a shared PID namespace
 * when shareProcessNamespace is set) and exits 0 on SIGTERM or SIGINT so that a stop is quick.
 * Built static (bin/build-pause-image) so that the image needs nothing but this one file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "berth-pause 1.0"

static void on_stop(int sig) {
    (void) sig;
    _exit(0);
}

static void on_child(int sig) {
    int saved = errno;
    (void) sig;
    /* several children may exit behind one SIGCHLD: reap until none is left */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static void handle(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0) {
        perror("pause: sigaction");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        puts(VERSION);
        return 0;
    }
    if (getpid() != 1) {
        /* not an error: a pause outside a new PID namespace still holds the others */
        fputs("pause: not running as PID 1\n", stderr);
    }
    handle(SIGINT, on_stop, 0);
    handle(SIGTERM, on_stop, 0);
    handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART);
    for (;;) {
        pause();
    }
    return 42; /* unreachable */
}
