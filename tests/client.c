/*
 * client — a raw TCP client for the tests: sends exactly the bytes it is
 * given, the way the test asks, and prints exactly the bytes it gets back.
 *
 *     client [-c BYTES] [-d MS] [-w] [-r] [-n] [-t SECONDS] PORT < request > response
 *
 *   -c BYTES    send the request in writes of BYTES bytes (default: one write)
 *   -d MS       wait MS milliseconds between two writes (default 0)
 *   -w          half-close after sending: shutdown(SHUT_WR), the client's FIN
 *   -r          reset after sending: close with SO_LINGER 0 (an RST), read nothing
 *   -n          close after sending and read nothing
 *   -t SECONDS  give up reading after SECONDS without a byte (default 5)
 *
 * Connects to 127.0.0.1:PORT. Exit status: 0 the server closed the
 * connection (EOF); 3 the read timed out; 4 the server reset the
 * connection; 1 any other error; 2 bad arguments. What arrived before a
 * timeout or reset is still printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX (64 << 20) /* bytes read from stdin at most */

enum { EXIT_EOF = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3, EXIT_RESET = 4 };

/* Read all of stdin into a new buffer; returns it (caller frees) or NULL. */
static char *read_stdin(size_t *len)
{
    size_t cap = 4096;
    char *buf = malloc(cap);

    *len = 0;
    while (buf != NULL) {
        size_t n = fread(buf + *len, 1, cap - *len, stdin);
        *len += n;
        if (n == 0)
            return ferror(stdin) ? (free(buf), NULL) : buf;
        if (*len == cap) {
            char *bigger = cap < REQUEST_MAX ? realloc(buf, cap * 2) : NULL;
            if (bigger == NULL)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    return NULL;
}

/* Connect to 127.0.0.1:port with Nagle off, so each write leaves at once. */
static int connect_to(long port)
{
    struct sockaddr_in addr;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send buf in pieces of chunk bytes, delay_ms apart. Returns 0 or -1. */
static int send_chunks(int fd, const char *buf, size_t len, size_t chunk, long delay_ms)
{
    struct timespec pause = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

    while (len > 0) {
        size_t piece = len < chunk ? len : chunk;
        ssize_t n = send(fd, buf, piece, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
        if (len > 0 && delay_ms > 0)
            nanosleep(&pause, NULL);
    }
    return 0;
}

/* Copy everything the server sends to stdout until EOF, a reset or
 * timeout_s seconds of silence. Returns an EXIT_ code. */
static int receive_all(int fd, int timeout_s)
{
    char buf[65536];

    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, timeout_s * 1000);
        ssize_t n;

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return EXIT_ERROR;
        if (r == 0)
            return EXIT_TIMEOUT;
        n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? EXIT_RESET : EXIT_ERROR;
        if (n == 0)
            return EXIT_EOF;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return EXIT_ERROR;
    }
}

int main(int argc, char **argv)
{
    long chunk = 0, delay_ms = 0, timeout_s = 5, port;
    int opt, half_close = 0, reset = 0, no_read = 0, fd, status;
    size_t len;
    char *req;

    signal(SIGPIPE, SIG_IGN);
    while ((opt = getopt(argc, argv, "c:d:wrnt:")) != -1) {
        switch (opt) {
        case 'c': chunk = atol(optarg); break;
        case 'd': delay_ms = atol(optarg); break;
        case 'w': half_close = 1; break;
        case 'r': reset = 1; break;
        case 'n': no_read = 1; break;
        case 't': timeout_s = atol(optarg); break;
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || (port = atol(argv[optind])) <= 0 || port > 65535 ||
        chunk < 0 || delay_ms < 0 || timeout_s <= 0) {
        fprintf(stderr, "usage: client [-c BYTES] [-d MS] [-w] [-r] [-n] [-t SECONDS] PORT\n");
        return EXIT_USAGE;
    }
    if ((req = read_stdin(&len)) == NULL) {
        fprintf(stderr, "client: reading stdin failed\n");
        return EXIT_ERROR;
    }
    if ((fd = connect_to(port)) < 0) {
        fprintf(stderr, "client: connect 127.0.0.1:%ld: %s\n", port, strerror(errno));
        free(req);
        return EXIT_ERROR;
    }
    status = EXIT_EOF;
    if (send_chunks(fd, req, len, chunk > 0 ? (size_t)chunk : len + 1, delay_ms) < 0) {
        /* The server may answer and close before reading everything (431):
         * what it sent is still worth reading. */
        if (errno != EPIPE && errno != ECONNRESET)
            status = EXIT_ERROR;
    }
    if (reset) {
        struct linger lin = { 1, 0 }; /* close() then sends RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    } else if (status == EXIT_EOF && !no_read) {
        if (half_close)
            shutdown(fd, SHUT_WR);
        status = receive_all(fd, (int)timeout_s);
    }
    fflush(stdout);
    close(fd);
    free(req);
    return status;
}
