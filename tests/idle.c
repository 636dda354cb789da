/*
 * idle — open N keep-alive connections to a server and hold them, for
 * make bench's peak-memory measurement (d).
 *
 *     idle [-n N] [-t SECONDS] PORT PATH
 *
 *   -n N        connections to open (default 1000)
 *   -t SECONDS  give up when the server does not answer for SECONDS (default 10)
 *
 * Connects to 127.0.0.1:PORT N times; on each connection sends one
 * "GET PATH HTTP/1.1" request and reads its whole response (the head and
 * Content-Length bytes of body), which must be a 200, and keeps the
 * connection open. Then it prints "ready N" on stdout and holds every
 * connection, idle, until its stdin reaches end of file; the caller
 * measures the server meanwhile.
 * Exit status: 0 every connection was answered and was still open at the
 * end; 1 the server failed to answer with a 200, or closed a connection
 * while it was held (that server does not keep connections); 2 bad
 * arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"

#define HEAD_MAX 16384 /* bytes of response head read at most */

/* Raise the soft RLIMIT_NOFILE to hold n sockets and a few more.
 * Returns 0, or -1 when the hard limit is too low. */
static int raise_fd_limit(long n)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)n + 16; /* stdio and friends */

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
            errno = EMFILE;
            return -1;
        }
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -1;
    }
    return 0;
}

/* The Content-Length of the response head head[0..len), or -1 if it has
 * none (then the response cannot be read to its end on a kept connection). */
static long content_length(const char *head, size_t len)
{
    static const char name[] = "\r\ncontent-length:";
    size_t n = sizeof name - 1;

    for (size_t i = 0; i + n <= len; i++) {
        if (strncasecmp(head + i, name, n) == 0) {
            char *end;
            long v = strtol(head + i + n, &end, 10);
            return end == head + i + n || v < 0 ? -1 : v;
        }
    }
    return -1;
}

/* Say why reading a response failed (n: what loopback_recv returned). */
static int read_failed(ssize_t n)
{
    fprintf(stderr, "idle: reading the response: %s\n",
            n == 0 ? "the server closed the connection" : strerror(errno));
    return -1;
}

/* Send the request and read the whole response: its head, then
 * Content-Length bytes of body, and not a byte more. Returns 0, or -1
 * after a message (also when the status is not 200). */
static int fetch(int fd, const char *req, size_t req_len, int timeout_s)
{
    char head[HEAD_MAX + 1], body[65536], *end = NULL;
    size_t got = 0;
    ssize_t n;

    for (size_t sent = 0; sent < req_len; sent += n > 0 ? (size_t)n : 0) {
        n = send(fd, req + sent, req_len - sent, 0);
        if (n < 0 && errno != EINTR) {
            perror("idle: send");
            return -1;
        }
    }
    while (end == NULL) {
        if (got == HEAD_MAX) {
            fprintf(stderr, "idle: the response head is over %d bytes\n", HEAD_MAX);
            return -1;
        }
        if ((n = loopback_recv(fd, head + got, HEAD_MAX - got, timeout_s)) <= 0)
            return read_failed(n);
        got += (size_t)n;
        head[got] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - head) + 4;
    if (strncmp(head, "HTTP/", 5) != 0 || strncmp(head + 8, " 200 ", 5) != 0) {
        fprintf(stderr, "idle: the status is not 200:\n%.*s", (int)head_len, head);
        return -1;
    }
    long length = content_length(head, head_len);
    long body_left = length - (long)(got - head_len);
    if (length < 0 || body_left < 0) {
        fprintf(stderr, "idle: no Content-Length, or more bytes than it says:\n%.*s",
                (int)head_len, head);
        return -1;
    }
    while (body_left > 0) { /* read it and drop it */
        size_t want = (size_t)body_left < sizeof body ? (size_t)body_left : sizeof body;
        if ((n = loopback_recv(fd, body, want, timeout_s)) <= 0)
            return read_failed(n);
        body_left -= n;
    }
    return 0;
}

/* Hold the n connections in fds until stdin ends. Returns how many the
 * server closed (or sent unasked-for bytes on) meanwhile, or -1. */
static long hold(const int *fds, long n)
{
    struct pollfd *p = calloc((size_t)n + 1, sizeof *p);
    long closed = 0;

    if (p == NULL)
        return -1;
    p[0].fd = STDIN_FILENO;
    p[0].events = POLLIN;
    for (long i = 0; i < n; i++) {
        p[i + 1].fd = fds[i];
        p[i + 1].events = POLLIN;
    }
    for (;;) {
        char buf[4096];
        if (poll(p, (nfds_t)n + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            closed = -1;
            break;
        }
        for (long i = 1; i <= n; i++) {
            if (p[i].fd >= 0 && p[i].revents != 0) {
                p[i].fd = -1; /* poll ignores it from now on */
                closed++;
            }
        }
        if (p[0].revents != 0) {
            ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
            if (got == 0 || (got < 0 && errno != EINTR))
                break; /* the caller is done measuring */
        }
    }
    free(p);
    return closed;
}

static int usage(void)
{
    fprintf(stderr, "usage: idle [-n N] [-t SECONDS] PORT PATH\n");
    return 2;
}

int main(int argc, char **argv)
{
    long n = 1000, port;
    int timeout_s = 10, opt, status = 1;
    char req[8192], *end;

    signal(SIGPIPE, SIG_IGN); /* a send to a closed connection fails with EPIPE instead */
    while ((opt = getopt(argc, argv, "n:t:")) != -1) {
        if (opt == 'n' && (n = strtol(optarg, &end, 10)) > 0 && *end == '\0' && n <= 1000000)
            continue;
        if (opt == 't' && (timeout_s = atoi(optarg)) > 0 && timeout_s <= 3600)
            continue;
        return usage();
    }
    if (argc - optind != 2)
        return usage();
    port = strtol(argv[optind], &end, 10);
    if (*end != '\0' || port < 1 || port > 65535 || argv[optind + 1][0] != '/')
        return usage();
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%ld\r\n\r\n",
                       argv[optind + 1], port);
    if (len < 0 || (size_t)len >= sizeof req)
        return usage();

    int *fds = malloc((size_t)n * sizeof *fds);
    long opened = 0;
    if (fds == NULL || raise_fd_limit(n) < 0) {
        fprintf(stderr, "idle: room for %ld connections: %s\n", n, strerror(errno));
        goto done;
    }
    for (; opened < n; opened++) {
        fds[opened] = loopback_connect(port);
        if (fds[opened] < 0) {
            fprintf(stderr, "idle: connection %ld: connect: %s\n", opened + 1, strerror(errno));
            goto done;
        }
        if (fetch(fds[opened], req, (size_t)len, timeout_s) < 0) {
            fprintf(stderr, "idle: connection %ld failed\n", opened + 1);
            opened++;
            goto done;
        }
    }
    printf("ready %ld\n", n);
    fflush(stdout);
    long closed = hold(fds, n);
    if (closed < 0)
        perror("idle: poll");
    else if (closed > 0)
        fprintf(stderr, "idle: %ld of %ld connections closed by the server while held\n", closed, n);
    status = closed == 0 ? 0 : 1;
done:
    for (long i = 0; i < opened; i++)
        close(fds[i]);
    free(fds);
    return status;
}
