/* Preloaded into cancelgate when it runs under valgrind (scenario 5's instruction count).
 *
 * Valgrind 3.19 (Debian 12) sanitizes the mask of sigsuspend in place, in the client's memory.
 * libdispatch passes a mask that lives in read-only data (`_dispatch_sigsuspend.mask`), so valgrind
 * itself dies with SIGSEGV ("VALGRIND INTERNAL ERROR ... Faulting address" inside libdispatch) as
 * soon as a dispatch worker thread starts. This sigsuspend hands the kernel a writable copy of the
 * mask instead; the call means the same. Nothing else is changed. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    /* The kernel's sigset is _NSIG / 8 = 8 bytes on Linux; syscall() sets errno as libc does. */
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)(_NSIG / 8));
}
