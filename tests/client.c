/*
 * client — a raw TCP client for the tests: sends exactly the bytes it is
 * given, the way the test asks, and prints exactly the bytes it gets back.
 *
 *     client [-c BYTES] [-d MS] [-w] [-r] [-n] [-t SECONDS] [-s SEP] [-N COUNT] PORT
 *            < request > response
 *     client -S PREFIX [-H LIST] < responses
 *
 *   -c BYTES    send the request in writes of BYTES bytes (default: one write)
 *   -d MS       wait MS milliseconds between two writes (default 0)
 *   -w          half-close after sending: shutdown(SHUT_WR), the client's FIN
 *   -r          reset after sending: close with SO_LINGER 0 (an RST), read nothing
 *   -n          close after sending and read nothing
 *   -t SECONDS  give up reading after SECONDS without a byte (default 5)
 *   -s SEP      stdin holds several requests separated by the string SEP (not
 *               sent): send each one only when a response to the one before
 *               has arrived whole (a 100 Continue counts: then send the body
 *               as the next part), so they share one connection without
 *               pipelining; then read as usual
 *   -N COUNT    do all of it COUNT times, one connection after another
 *               (the exit status is the first one that is not 0, if any)
 *   -S PREFIX   connect nowhere: split the responses on stdin into the files
 *               PREFIX1, PREFIX2, ... and print how many there are. Exit
 *               status 1 if bytes are left that are no complete response
 *               (they go to one more file).
 *   -H LIST     with -S: the responses numbered in the comma-separated LIST
 *               (e.g. 2,5) answer HEAD requests, so they have no body
 *
 * A response ends after Content-Length bytes of body or its last chunk and
 * trailers (Transfer-Encoding: chunked); 1xx, 204 and 304 responses, and
 * responses to HEAD (-s: the request says HEAD; -S: -H), have no body; any
 * other runs to the close.
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
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"

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

/* Wait up to timeout_s seconds for bytes, then read some into buf[0..cap)
 * and copy them to stdout. Returns -1 with *got > 0, or an EXIT_ code:
 * EXIT_EOF at the end of the stream. */
static int receive_some(int fd, int timeout_s, char *buf, size_t cap, size_t *got)
{
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
        n = recv(fd, buf, cap, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? EXIT_RESET : EXIT_ERROR;
        if (n == 0)
            return EXIT_EOF;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return EXIT_ERROR;
        *got = (size_t)n;
        return -1;
    }
}

/* Copy everything the server sends to stdout until EOF, a reset or
 * timeout_s seconds of silence. Returns an EXIT_ code. */
static int receive_all(int fd, int timeout_s)
{
    char buf[65536];
    size_t got;
    int r;

    while ((r = receive_some(fd, timeout_s, buf, sizeof buf, &got)) < 0)
        ;
    return r;
}

/* ---- where a response ends ---- */

/* Where the NUL-terminated s first occurs in p[0..n), or NULL. */
static const char *find(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);

    for (size_t i = 0; k > 0 && i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            return p + i;
    return NULL;
}

/* Whether p[0..n) is the NUL-terminated s, ignoring ASCII case. */
static int equals_nocase(const char *p, size_t n, const char *s)
{
    return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/* The value of the first field called name in the head h[0..n), spaces
 * around it removed, or NULL; its length goes to *len. */
static const char *field(const char *h, size_t n, const char *name, size_t *len)
{
    const char *line = find(h, n, "\r\n"), *end = h + n;

    while (line != NULL && line + 2 < end) {
        const char *p = line + 2, *eol = find(p, (size_t)(end - p), "\r\n"), *colon;

        if (eol == NULL)
            return NULL;
        colon = memchr(p, ':', (size_t)(eol - p));
        if (colon != NULL && equals_nocase(p, (size_t)(colon - p), name)) {
            const char *v = colon + 1, *e = eol;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *len = (size_t)(e - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

/* The length of the chunked body at b[0..n), trailers included, or 0 if it
 * has not all arrived (a malformed one never arrives; nor does a chunk
 * larger than n, so its size stops growing before it could wrap). */
static size_t chunked_len(const char *b, size_t n)
{
    size_t pos = 0;

    for (;;) {
        const char *lf = memchr(b + pos, '\n', n - pos);
        unsigned long long size = 0;
        size_t i;

        if (lf == NULL)
            return 0;
        for (i = pos; strchr("0123456789abcdefABCDEF", b[i]) != NULL && b[i] != '\0'; i++) {
            if (size > n / 16)
                return 0;
            size = size * 16 + (unsigned long long)(b[i] <= '9' ? b[i] - '0' : (b[i] | 0x20) - 'a' + 10);
        }
        if (i == pos || size > n)
            return 0;
        pos = (size_t)(lf - b) + 1;
        if (size == 0)
            break;
        if (n - pos < size + 2)
            return 0;
        pos += size + 2;
    }
    for (;;) { /* the trailer section: lines up to an empty one */
        const char *lf = memchr(b + pos, '\n', n - pos);
        size_t line;

        if (lf == NULL)
            return 0;
        line = (size_t)(lf - (b + pos)) + 1;
        pos += line;
        if (line <= 2)
            return pos;
    }
}

/* The status code of the status line at r[0..n): three digits 100-599
 * after "HTTP/x.y " and before a space, or -1. */
static int status_code(const char *r, size_t n)
{
    if (n < 13 || r[9] < '1' || r[9] > '5' || r[10] < '0' || r[10] > '9' ||
        r[11] < '0' || r[11] > '9' || r[12] != ' ')
        return -1;
    return (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
}

/* The length of the response at the start of r[0..n), or 0 if it has not
 * all arrived (one without a valid status code never arrives). *to_close:
 * its body runs to the close (no Content-Length, not chunked). head_only:
 * it answers HEAD. */
static size_t response_len(const char *r, size_t n, int head_only, int *to_close)
{
    const char *end = find(r, n, "\r\n\r\n"), *v;
    size_t head, vlen, body;
    int status;

    *to_close = 0;
    if (end == NULL)
        return 0;
    head = (size_t)(end - r) + 4;
    if ((status = status_code(r, head)) < 0)
        return 0;
    if (status < 200 || status == 204 || status == 304 || head_only)
        return head;
    if ((v = field(r, head - 2, "Transfer-Encoding", &vlen)) != NULL && equals_nocase(v, vlen, "chunked")) {
        body = chunked_len(r + head, n - head);
        return body > 0 ? head + body : 0;
    }
    if ((v = field(r, head - 2, "Content-Length", &vlen)) != NULL) {
        body = (size_t)strtoull(v, NULL, 10);
        return n - head >= body ? head + body : 0;
    }
    *to_close = 1;
    return 0;
}

/* ---- talking ---- */

/* Send the requests in req[0..len), separated by sep, each one once the
 * response to the one before has arrived whole. Returns -1 when the last
 * one is sent, or an EXIT_ code if the connection ended before. */
static int converse(int fd, const char *req, size_t len, const char *sep,
                    size_t chunk, long delay_ms, int timeout_s)
{
    static char rx[REQUEST_MAX / 4]; /* what arrived; responses seen are dropped */
    size_t have = 0, n, got, k = strlen(sep);
    const char *end = req + len, *next;
    int to_close, r;

    for (;;) {
        int head_only = end - req >= 5 && memcmp(req, "HEAD ", 5) == 0;

        next = find(req, (size_t)(end - req), sep);
        if (send_chunks(fd, req, next != NULL ? (size_t)(next - req) : (size_t)(end - req), chunk, delay_ms) < 0)
            return errno == EPIPE || errno == ECONNRESET ? EXIT_EOF : EXIT_ERROR;
        if (next == NULL)
            return -1;
        req = next + k;
        while ((n = response_len(rx, have, head_only, &to_close)) == 0) {
            if (have == sizeof rx)
                return EXIT_ERROR;
            if ((r = receive_some(fd, timeout_s, rx + have, sizeof rx - have, &got)) >= 0)
                return r;
            have += got;
        }
        memmove(rx, rx + n, have - n);
        have -= n;
    }
}

/* Whether the comma-separated list of numbers holds n. */
static int listed(const char *list, size_t n)
{
    char *end;

    while (list != NULL && *list != '\0') {
        if (strtoul(list, &end, 10) == n)
            return 1;
        list = *end == ',' ? end + 1 : NULL;
    }
    return 0;
}

/* Split the responses on stdin into prefix1, prefix2, ...; those numbered
 * in heads answer HEAD. Print how many. Returns an EXIT_ code: EXIT_ERROR
 * if bytes are left over. */
static int split(const char *prefix, const char *heads)
{
    size_t len, n, count = 0;
    char *in = read_stdin(&len), name[4096];
    const char *p = in;
    int to_close, status = EXIT_EOF;

    if (in == NULL)
        return EXIT_ERROR;
    while (len > 0) {
        FILE *f;

        n = response_len(p, len, listed(heads, count + 1), &to_close);
        if (n == 0 && !to_close) {
            fprintf(stderr, "client: %zu bytes at the end are no complete response\n", len);
            status = EXIT_ERROR;
        }
        if (n == 0)
            n = len;
        snprintf(name, sizeof name, "%s%zu", prefix, ++count);
        if ((f = fopen(name, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
            fprintf(stderr, "client: writing %s: %s\n", name, strerror(errno));
            status = EXIT_ERROR;
            break;
        }
        p += n;
        len -= n;
    }
    printf("%zu\n", count);
    free(in);
    return status;
}

/* One connection: send req as the options say, read the answer. Returns an
 * EXIT_ code. */
static int talk(long port, const char *req, size_t len, const char *sep, size_t chunk,
                long delay_ms, int timeout_s, int how)
{
    int fd = loopback_connect(port), status = EXIT_EOF, r;

    if (fd < 0) {
        fprintf(stderr, "client: connect 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return EXIT_ERROR;
    }
    if (sep != NULL) {
        if ((r = converse(fd, req, len, sep, chunk, delay_ms, timeout_s)) >= 0) {
            close(fd);
            return r;
        }
    } else if (send_chunks(fd, req, len, chunk, delay_ms) < 0) {
        /* The server may answer and close before reading everything (431):
         * what it sent is still worth reading. */
        if (errno != EPIPE && errno != ECONNRESET)
            status = EXIT_ERROR;
    }
    if (how == 'r') {
        struct linger lin = { 1, 0 }; /* close() then sends RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    } else if (status == EXIT_EOF && how != 'n') {
        if (how == 'w')
            shutdown(fd, SHUT_WR);
        status = receive_all(fd, timeout_s);
    }
    fflush(stdout);
    close(fd);
    return status;
}

int main(int argc, char **argv)
{
    long chunk = 0, delay_ms = 0, timeout_s = 5, port, count = 1;
    int opt, how = 0, status = EXIT_EOF;
    const char *sep = NULL, *split_prefix = NULL, *heads = NULL;
    size_t len;
    char *req;

    signal(SIGPIPE, SIG_IGN);
    while ((opt = getopt(argc, argv, "c:d:wrnt:s:N:S:H:")) != -1) {
        switch (opt) {
        case 'c': chunk = atol(optarg); break;
        case 'd': delay_ms = atol(optarg); break;
        case 'w': case 'r': case 'n': how = opt; break;
        case 't': timeout_s = atol(optarg); break;
        case 's': sep = optarg; break;
        case 'N': count = atol(optarg); break;
        case 'S': split_prefix = optarg; break;
        case 'H': heads = optarg; break;
        default: return EXIT_USAGE;
        }
    }
    if (split_prefix != NULL && argc == optind)
        return split(split_prefix, heads);
    if (argc - optind != 1 || (port = atol(argv[optind])) <= 0 || port > 65535 ||
        chunk < 0 || delay_ms < 0 || timeout_s <= 0 || count <= 0 || (sep != NULL && *sep == '\0')) {
        fprintf(stderr, "usage: client [-c BYTES] [-d MS] [-w] [-r] [-n] [-t SECONDS] [-s SEP] [-N COUNT] PORT\n"
                        "       client -S PREFIX [-H LIST]\n");
        return EXIT_USAGE;
    }
    if ((req = read_stdin(&len)) == NULL) {
        fprintf(stderr, "client: reading stdin failed\n");
        return EXIT_ERROR;
    }
    for (long i = 0; i < count; i++) {
        int r = talk(port, req, len, sep, chunk > 0 ? (size_t)chunk : len + 1, delay_ms,
                     (int)timeout_s, how);
        if (status == EXIT_EOF)
            status = r; /* the first failure is the one to explain */
    }
    free(req);
    return status;
}
