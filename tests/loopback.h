/*
 * loopback.h — shared by the test tools (client.c, idle.c): a TCP
 * connection to the server under test on 127.0.0.1.
 */
#ifndef LOOPBACK_H
#define LOOPBACK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connect to 127.0.0.1:port with Nagle off, so each write leaves at once.
 * Returns the socket, or -1 with errno set. One connect() call: after EINTR
 * it goes on in the background and a second call fails (POSIX). */
static int loopback_connect(long port)
{
    struct sockaddr_in addr;
    int one = 1, saved, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
        connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
        return fd;
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* Wait up to timeout_s seconds for fd to be readable, then recv into
 * buf[0..len). Returns the bytes read (0: the peer closed), or -1 with
 * errno set (ETIMEDOUT when nothing came in time). inline: not every
 * program that includes this file reads with a timeout. */
static inline ssize_t loopback_recv(int fd, char *buf, size_t len, int timeout_s)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ssize_t n;
    int ready;

    do
        ready = poll(&p, 1, timeout_s * 1000);
    while (ready < 0 && errno == EINTR);
    if (ready == 0)
        errno = ETIMEDOUT;
    if (ready <= 0)
        return -1;
    do
        n = recv(fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    return n;
}

#endif
