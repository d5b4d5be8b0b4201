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
#endif
