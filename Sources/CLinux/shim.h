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

/// A new epoll instance (close-on-exec), or -1.
static inline int llmrpc_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

/// Adds `fd` to `ep`, reported while readable (level-triggered; hang-ups and errors too).
/// 0, or -1 with errno (EPERM: a descriptor epoll cannot watch, such as a regular file or
/// /dev/null, which poll(2) reports as always readable).
static inline int llmrpc_epoll_watch(int ep, int fd) {
    struct epoll_event e;
    e.events = EPOLLIN;
    e.data.u64 = 0;
    e.data.fd = fd;
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/// Removes `fd` from `ep` (0, or -1 with errno: ENOENT or EBADF once it was closed).
static inline int llmrpc_epoll_unwatch(int ep, int fd) {
    struct epoll_event unused;
    return epoll_ctl(ep, EPOLL_CTL_DEL, fd, &unused);
}

/// The descriptors of `ep` ready now (at most `max`, at most 64), written to `fds`, without
/// waiting. Returns how many, or -1 with errno. (struct epoll_event is packed on x86-64: read here
/// rather than in Swift.)
static inline int llmrpc_epoll_ready(int ep, int *fds, int max) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n = epoll_wait(ep, events, max, 0);
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
#endif
