/*
 * step01-socket — the classic first server: a bare TCP socket that answers
 * every connection with one fixed HTTP response.
 *
 * Build by hand, inside this directory:
 *     cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -o server server.c
 * Run:
 *     ./server [PORT]        (PORT 8000 by default; 0 lets the kernel choose)
 *
 * The socket calls, one by one: socket, setsockopt, bind, listen, then
 * forever: accept, recv once, send the response, close.
 */

/* ---- includes and constants ---- */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define DEFAULT_PORT 8000
#define LISTEN_BACKLOG 128 /* connections the kernel queues before accept() */
#define RECV_SIZE 1024     /* bytes read from each request, in one recv() */

/* One valid HTTP/1.1 message: CRLF line ends, a length, and "close". */
static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello, World!";

/* ---- command line ---- */

/* Print how to call the program to out (stdout for -h, stderr on error). */
static void usage(FILE *out, const char *prog)
{
    fprintf(out, "usage: %s [PORT]\n"
                 "  PORT  TCP port to listen on, 0-65535 (default %d; 0 = any free port)\n",
            prog, DEFAULT_PORT);
}

/* Parse a decimal port number 0-65535 from s.
 * Returns the port, or -1 if s is empty, not all digits, or too large. */
static long parse_port(const char *s)
{
    long port = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        port = port * 10 + (*s - '0');
        if (port > 65535)
            return -1;
    }
    return port;
}

/* ---- socket setup ---- */

/* Create a TCP socket listening on 127.0.0.1:port.
 * Returns the socket, or -1 after printing which call failed and why. */
static int listen_on(unsigned short port)
{
    struct sockaddr_in addr;
    int fd, one = 1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "socket: %s\n", strerror(errno));
        return -1;
    }
    /* Without SO_REUSEADDR, restarting the server fails with "Address
     * already in use" for a minute or two: the old connections linger in
     * TIME_WAIT and still hold the port. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        fprintf(stderr, "setsockopt SO_REUSEADDR: %s\n", strerror(errno));
        goto fail;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);                   /* network byte order */
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fprintf(stderr, "bind 127.0.0.1:%u: %s\n", (unsigned)port, strerror(errno));
        goto fail;
    }
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        fprintf(stderr, "listen 127.0.0.1:%u: %s\n", (unsigned)port, strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Return the port a bound socket really listens on (useful after port 0),
 * or -1 with errno set. */
static long bound_port(int fd)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;

    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    return ntohs(addr.sin_port);
}

/* ---- sending ---- */

/* Send all len bytes of buf: send() may write fewer bytes than asked, or
 * be interrupted by a signal, so loop. Returns 0, or -1 with errno set
 * (EPIPE or ECONNRESET when the client has gone). */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- connection handling ---- */

/* Answer one connection: read once, send the fixed response, close.
 * Errors end only this connection; the server goes on. */
static void handle_client(int fd, const struct sockaddr_in *peer)
{
    char ip[INET_ADDRSTRLEN];
    char buf[RECV_SIZE];
    ssize_t n;

    inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof ip);
    printf("Connection from %s:%u\n", ip, (unsigned)ntohs(peer->sin_port));

    do
        n = recv(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        fprintf(stderr, "recv from %s: %s\n", ip, strerror(errno));
        goto done;
    }
    if (n == 0) { /* the client closed without sending anything */
        printf("  %s closed the connection without a request\n", ip);
        goto done;
    }
    printf("  received %zd bytes\n", n);
    if (send_all(fd, RESPONSE, sizeof RESPONSE - 1) < 0)
        fprintf(stderr, "send to %s: %s\n", ip, strerror(errno));
done:
    close(fd);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    long port = DEFAULT_PORT;
    int opt, listen_fd;

    /* Line-buffer stdout so each line reaches a pipe or file at once. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Writing to a socket whose peer has gone raises SIGPIPE, which kills
     * the process by default. Ignored, send() fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);

    while ((opt = getopt(argc, argv, "h")) != -1) {
        if (opt == 'h') {
            usage(stdout, argv[0]);
            return 0;
        }
        usage(stderr, argv[0]);
        return 2;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: too many arguments\n", argv[0]);
        usage(stderr, argv[0]);
        return 2;
    }
    if (argc - optind == 1 && (port = parse_port(argv[optind])) < 0) {
        fprintf(stderr, "%s: invalid port '%s' (want 0-65535)\n", argv[0], argv[optind]);
        usage(stderr, argv[0]);
        return 2;
    }

    listen_fd = listen_on((unsigned short)port);
    if (listen_fd < 0)
        return 1;
    if ((port = bound_port(listen_fd)) < 0) {
        fprintf(stderr, "getsockname: %s\n", strerror(errno));
        return 1;
    }
    printf("Serving HTTP on port %ld (http://127.0.0.1:%ld/) ...\n", port, port);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept(listen_fd, (struct sockaddr *)&peer, &peer_len);

        if (fd < 0) {
            /* EINTR (a signal), ECONNABORTED (the client gave up while
             * queued): nothing is wrong with the server, accept again. */
            if (errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, "accept: %s\n", strerror(errno));
            continue;
        }
        handle_client(fd, &peer);
    }
}
