/* LD_PRELOAD for tests: fsync() and fdatasync() sleep QM_SLOW_FSYNC_MS milliseconds
 * before doing their work, so that a test can see what a program does while a delivery
 * waits for its flush (a slow disk, made deterministic). Without the variable they are
 * the real calls. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The next definition of name: dlsym's object pointer copied into a function pointer, the
 * way POSIX allows (ISO C has no cast between the two). */
static int (*next_call(const char* name))(int) {
    void* sym = dlsym(RTLD_NEXT, name);
    int (*call)(int) = NULL;
    memcpy(&call, &sym, sizeof call);
    return call;
}

static void slow_down(void) {
    const char* v = getenv("QM_SLOW_FSYNC_MS");
    if (v == NULL)
        return;
    const long ms = atol(v);
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

int fsync(int fd) {
    int (*real)(int) = next_call("fsync");
    const int saved = errno;
    slow_down();
    errno = saved;
    return real(fd);
}

int fdatasync(int fd) {
    int (*real)(int) = next_call("fdatasync");
    const int saved = errno;
    slow_down();
    errno = saved;
    return real(fd);
}
