// Linux calls that Swift's Glibc module does not export.
#if defined(__linux__)
#include <errno.h>
#include <sys/types.h>
#include <sys/uio.h>

// glibc declares pwritev2 only under _GNU_SOURCE, which the Glibc module is not built with.
extern ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags);

/// write(2) that never waits: RWF_NOWAIT (linux/fs.h; pipes take it since Linux 6.4). A pipe
/// with too little room, or whose lock its reader holds at that instant, fails with EAGAIN (a
/// write of at most PIPE_BUF bytes is still all or nothing; a longer one may be partial); a
/// descriptor or kernel without the flag fails with EOPNOTSUPP, EINVAL or ENOSYS.
static inline ssize_t llmrpc_write_nowait(int fd, const void *bytes, size_t count) {
    struct iovec v = { (void *)bytes, count };
    return pwritev2(fd, &v, 1, -1, 0x00000008 /* RWF_NOWAIT */);
}

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdint.h>
#include <unistd.h>

/// A new epoll instance (close-on-exec), or -1.
static inline int llmrpc_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// Adds `fd` to `ep` (`EPOLL_CTL_ADD`), or changes (`EPOLL_CTL_MOD`) what it is reported for:
/// `in` readable, `out` writable; hang-ups and errors always (level-triggered). 0, or -1 with
/// errno (EPERM on add: a descriptor epoll cannot watch, such as a regular file or /dev/null,
/// which poll(2) reports as always readable; EEXIST, ENOENT).
static inline int llmrpc_epoll_set(int ep, int fd, int modify, int in, int out) {
    struct epoll_event e;
    e.events = (in ? EPOLLIN : 0) | (out ? EPOLLOUT : 0);
    e.data.u64 = 0;
    e.data.fd = fd;
    return epoll_ctl(ep, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e);
}

/// Removes `fd` from `ep` (0, or -1 with errno: ENOENT or EBADF once it was closed).
static inline int llmrpc_epoll_unwatch(int ep, int fd) {
    struct epoll_event unused;
    return epoll_ctl(ep, EPOLL_CTL_DEL, fd, &unused);
}

/// What epoll reported for a descriptor, as bits: 1 readable, 2 writable, 4 error, 8 hang-up.
enum { LLMRPC_EPOLL_IN = 1, LLMRPC_EPOLL_OUT = 2, LLMRPC_EPOLL_ERR = 4, LLMRPC_EPOLL_HUP = 8 };

/// Waits up to `timeout_ms` (-1: no limit, 0: not at all) for descriptors of `ep` to be ready;
/// writes at most `max` (at most 1024) of them to `fds` and what each is ready for to `what`
/// (`LLMRPC_EPOLL_*` bits). Returns how many, 0 on timeout or an interrupting signal, or -1 with
/// errno. (struct epoll_event is packed on x86-64: read here rather than in Swift.)
static inline int llmrpc_epoll_wait(int ep, int *fds, int *what, int max, int timeout_ms) {
    struct epoll_event events[1024];
    if (max > 1024) max = 1024;
    int n = epoll_wait(ep, events, max, timeout_ms);
    if (n < 0 && errno == EINTR) return 0;
    for (int i = 0; i < n; i++) {
        uint32_t e = events[i].events;
        fds[i] = events[i].data.fd;
        what[i] = ((e & EPOLLIN) ? LLMRPC_EPOLL_IN : 0) | ((e & EPOLLOUT) ? LLMRPC_EPOLL_OUT : 0)
            | ((e & EPOLLERR) ? LLMRPC_EPOLL_ERR : 0) | ((e & EPOLLHUP) ? LLMRPC_EPOLL_HUP : 0);
    }
    return n;
}

/// A non-blocking, close-on-exec eventfd (a counter another thread adds to, to wake a waiter
/// in epoll), or -1.
static inline int llmrpc_eventfd_create(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/// Adds 1 to an eventfd's counter (wakes whoever waits for it to be readable).
static inline void llmrpc_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t unused = write(fd, &one, sizeof one);
    (void)unused;
}

/// Resets an eventfd's counter to 0 (it is then no longer readable).
static inline void llmrpc_eventfd_drain(int fd) {
    uint64_t count;
    ssize_t unused = read(fd, &count, sizeof count);
    (void)unused;
}
#endif
