/*
 * step03-parser — step02 plus a real HTTP/1.1 request parser (request.c):
 * every request is checked against RFC 9112, every invalid one gets the
 * right error status, and every valid one a report of what was parsed.
 *
 * Build by hand, inside this directory:
 *     cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -o server server.c request.c
 * Run:
 *     ./server [PORT]        (PORT 8000 by default; 0 lets the kernel choose)
 *
 * Each connection: accept, recv and parse until the head is complete,
 * read the body, send the report (or the error), log a line, close.
 */

/* ---- includes and constants ---- */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "request.h"

#define DEFAULT_PORT 8000
#define LISTEN_BACKLOG 128 /* connections the kernel queues before accept() */
#define REPORT_MAX (3 * HTTP_HEAD_MAX + HTTP_BODY_MAX) /* bytes in a report:
                           target, path and query, the fields, the body */
#define RESPONSE_HEAD_MAX 1024 /* bytes in a response's status line and headers */
#define LINGER_SECONDS 2   /* how long to wait for a client to close */
#define LINGER_MAX (1 << 20) /* bytes discarded while waiting for it */
#define SERVER_NAME "http-from-scratch/step03"
#define LOG_LINE_MAX 200 /* bytes of a request line shown in the log */

/* What read_request() returns when there is no complete, valid request. */
enum { READ_ERROR = -1, READ_CLOSED = -2, READ_INVALID = -3 };

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

/* ---- reading the request ---- */

/* recv() that retries when a signal interrupts it. Returns the bytes read,
 * 0 when the client has closed, or -1 with errno set. */
static ssize_t recv_retry(int fd, char *buf, size_t size)
{
    ssize_t n;

    do
        n = recv(fd, buf, size, 0);
    while (n < 0 && errno == EINTR);
    return n;
}

/* Whether the client waits for "100 Continue" before sending its body
 * (RFC 9110 §10.1.1), as curl does for large uploads. An HTTP/1.0 client
 * never gets a 1xx response (§15.2), so its Expect is ignored. */
static int expects_continue(const struct http_request *req)
{
    const struct http_header *h = http_find_header(req, "Expect");

    return req->version_minor >= 1 && h != NULL && h->value_len == 12 &&
           strncasecmp(h->value, "100-continue", 12) == 0;
}

/* Read a request from fd into buf: recv and parse until the head is
 * complete, then recv its whole Content-Length body. Returns the head's
 * length and sets *len to the bytes read; or READ_ERROR (errno set),
 * READ_CLOSED (the client closed first) or READ_INVALID (req->status and
 * req->error say why). size must be HTTP_HEAD_MAX + HTTP_BODY_MAX. */
static ssize_t read_request(int fd, char *buf, size_t size, size_t *len,
                            struct http_request *req)
{
    static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
    int head_len = HTTP_INCOMPLETE;
    size_t need;
    ssize_t n;

    /* The parser answers 414 or 431 before *len reaches HTTP_HEAD_MAX, and
     * 413 for a body over HTTP_BODY_MAX, so buf never fills. */
    *len = 0;
    while (head_len == HTTP_INCOMPLETE) {
        n = recv_retry(fd, buf + *len, size - *len);
        if (n <= 0)
            return n == 0 ? READ_CLOSED : READ_ERROR;
        head_len = http_parse_request(buf, *len + (size_t)n, *len, req);
        *len += (size_t)n;
    }
    if (head_len == HTTP_ERROR)
        return READ_INVALID;
    need = (size_t)head_len + (req->content_length > 0 ? (size_t)req->content_length : 0);
    if (*len < need && expects_continue(req) && send_all(fd, go_on, sizeof go_on - 1) < 0)
        return READ_ERROR;
    while (*len < need) {
        n = recv_retry(fd, buf + *len, size - *len);
        if (n <= 0)
            return n == 0 ? READ_CLOSED : READ_ERROR;
        *len += (size_t)n;
    }
    return head_len;
}

/* Print len bytes from the network so that a terminal shows them all and
 * obeys none: \r \n \t \\ and \xNN for every byte that is not printable. */
static void log_escaped(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c == '\\')
            fputs("\\\\", stdout);
        else if (c < 0x20 || c > 0x7e)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

/* Print one line per request: the client, its request line (escaped, at
 * most LOG_LINE_MAX bytes), the status, and what was sent or wrong. */
static void log_request(const char *ip, const char *buf, size_t len, int status,
                        const char *note)
{
    const char *p = buf, *end = buf + len, *stop;

    if (p < end && *p == '\r') /* the empty line a request may start with */
        p++;
    if (p < end && *p == '\n')
        p++;
    stop = memchr(p, '\n', (size_t)(end - p));
    if (stop == NULL)
        stop = end;
    if (stop > p && stop[-1] == '\r')
        stop--;
    printf("%s \"", ip);
    log_escaped(p, (size_t)(stop - p) < LOG_LINE_MAX ? (size_t)(stop - p) : LOG_LINE_MAX);
    printf("\" %d %s\n", status, note);
}

/* ---- writing the response ---- */

/* Write t as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110
 * §5.6.7), into buf. The program never calls setlocale(), so strftime()
 * uses the C locale: English day and month names, whatever the machine. */
static void format_http_date(char *buf, size_t size, time_t t)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Send one whole response: status line, headers, blank line, body. Every
 * response goes through here, errors too, so each one is well formed and
 * leaves in a single send (no small packets for Nagle to delay). For HEAD
 * (head_only), the headers are GET's, Content-Length too, without the body.
 * Returns 0, or -1 with errno set. */
static int send_response(int fd, int status, const char *type, const char *body,
                         size_t body_len, int head_only)
{
    static char out[RESPONSE_HEAD_MAX + REPORT_MAX]; /* one client at a time */
    char date[64];
    int n;

    format_http_date(date, sizeof date, time(NULL));
    n = snprintf(out, sizeof out,
                 "HTTP/1.1 %d %s\r\n"
                 "Date: %s\r\n"
                 "Server: " SERVER_NAME "\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %zu\r\n"
                 "Connection: close\r\n"
                 "\r\n",
                 status, http_reason(status), date, type, body_len);
    if (n < 0 || (size_t)n >= RESPONSE_HEAD_MAX || body_len > REPORT_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (head_only)
        body_len = 0;
    memcpy(out + n, body, body_len);
    return send_all(fd, out, (size_t)n + body_len);
}

/* Send an error response: the status, and a text body that repeats it and
 * says in one line what was wrong. Returns 0, or -1 with errno set. */
static int send_error(int fd, int status, const char *why)
{
    char body[512];
    int n = snprintf(body, sizeof body, "%d %s\n%s\n", status, http_reason(status), why);

    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof body)
        n = (int)sizeof body - 1; /* a long reason is cut, never overflowed */
    return send_response(fd, status, "text/plain; charset=utf-8", body, (size_t)n, 0);
}

/* Append p[0..n) to out, which holds *len of its size bytes.
 * Returns 0, or -1 (and appends nothing) if it does not fit. */
static int append(char *out, size_t size, size_t *len, const char *p, size_t n)
{
    if (n > size - *len)
        return -1;
    memcpy(out + *len, p, n);
    *len += n;
    return 0;
}

/* Append one report line: label, p[0..n), a newline. Returns 0 or -1. */
static int report_line(char *out, size_t size, size_t *len, const char *label,
                       const char *p, size_t n)
{
    return append(out, size, len, label, strlen(label)) |
           append(out, size, len, p, n) | append(out, size, len, "\n", 1);
}

/* Write the report of req into out: one field a line, headers in the
 * order received, then the body after an empty line if there is one.
 * Returns its length, or -1 if it does not fit in size bytes. */
static ssize_t build_report(char *out, size_t size, const struct http_request *req,
                            const char *body, size_t body_len)
{
    char version[16], length[32];
    size_t len = 0;
    int failed = 0;

    snprintf(version, sizeof version, "HTTP/%d.%d", req->version_major, req->version_minor);
    snprintf(length, sizeof length, "%zu", body_len);
    failed |= report_line(out, size, &len, "method: ", req->method, req->method_len);
    failed |= report_line(out, size, &len, "target: ", req->target, req->target_len);
    failed |= report_line(out, size, &len, "path: ", req->path, req->path_len);
    if (req->query != NULL)
        failed |= report_line(out, size, &len, "query: ", req->query, req->query_len);
    failed |= report_line(out, size, &len, "version: ", version, strlen(version));
    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        failed |= append(out, size, &len, "header: ", 8);
        failed |= append(out, size, &len, h->name, h->name_len);
        failed |= report_line(out, size, &len, ": ", h->value, h->value_len);
    }
    failed |= report_line(out, size, &len, "body-length: ", length, strlen(length));
    if (body_len > 0)
        failed |= append(out, size, &len, "\n", 1) | append(out, size, &len, body, body_len);
    return failed ? -1 : (ssize_t)len;
}

/* ---- closing ---- */

/* Close a connection without losing the response. If request bytes we never
 * read are still queued, close() makes the kernel send a reset (RST), and the
 * client may throw away the response it had not read yet. So: shutdown()
 * sends our FIN ("no more data from us"), then read and discard until the
 * client closes too, for LINGER_SECONDS and LINGER_MAX bytes at most, and
 * only then close(). */
static void close_gracefully(int fd)
{
    struct timeval timeout = { LINGER_SECONDS, 0 };
    time_t deadline = time(NULL) + LINGER_SECONDS;
    char buf[4096];
    size_t discarded = 0;
    ssize_t n;

    if (shutdown(fd, SHUT_WR) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
        goto done; /* the client is already gone */
    /* The deadline stops a client that trickles a byte now and then. */
    while (discarded < LINGER_MAX && time(NULL) < deadline) {
        n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) /* closed, reset or timed out: done either way */
            break;
        discarded += (size_t)n;
    }
done:
    close(fd);
}

/* ---- connection handling ---- */

/* Send an error response and log it. */
static void answer_error(int fd, const char *ip, const char *buf, size_t len,
                         int status, const char *why)
{
    log_request(ip, buf, len, status, why);
    if (send_error(fd, status, why) < 0)
        fprintf(stderr, "send to %s: %s\n", ip, strerror(errno));
}

/* Send the report of a valid request (for HEAD, its headers alone) and
 * log it. buf holds the request, its head head_len bytes long. */
static void answer_report(int fd, const char *ip, const struct http_request *req,
                          const char *buf, size_t len, size_t head_len)
{
    static char report[REPORT_MAX]; /* one client at a time */
    size_t body_len = req->content_length > 0 ? (size_t)req->content_length : 0;
    ssize_t n = build_report(report, sizeof report, req, buf + head_len, body_len);
    int head_only = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
    char sent[32];

    if (n < 0) { /* cannot happen: REPORT_MAX holds the largest report */
        answer_error(fd, ip, buf, len, 500, "the report does not fit its buffer");
        return;
    }
    if (send_response(fd, 200, "text/plain; charset=utf-8", report, (size_t)n, head_only) < 0)
        fprintf(stderr, "send to %s: %s\n", ip, strerror(errno));
    snprintf(sent, sizeof sent, "%zd", head_only ? 0 : n);
    log_request(ip, buf, len, 200, sent);
}

/* Answer one connection: read and parse a request, send its report (or
 * the error it deserves), log a line, close. Errors end only this
 * connection; the server goes on. */
static void handle_client(int fd, const struct sockaddr_in *peer)
{
    static char buf[HTTP_HEAD_MAX + HTTP_BODY_MAX]; /* one client at a time */
    static char path[HTTP_LINE_MAX];
    struct http_header headers[HTTP_FIELDS_MAX];
    struct http_request req = { .path_buf = path, .path_size = sizeof path,
                                .headers = headers, .max_headers = HTTP_FIELDS_MAX };
    char ip[INET_ADDRSTRLEN + 8]; /* "127.0.0.1:54321" */
    size_t len;
    ssize_t head_len;

    inet_ntop(AF_INET, &peer->sin_addr, ip, INET_ADDRSTRLEN);
    snprintf(ip + strlen(ip), 8, ":%u", (unsigned)ntohs(peer->sin_port));
    head_len = read_request(fd, buf, sizeof buf, &len, &req);
    if (head_len == READ_ERROR) {
        fprintf(stderr, "recv from %s: %s\n", ip, strerror(errno));
        close(fd);
        return;
    }
    if (head_len == READ_CLOSED) { /* nobody is left to answer */
        if (len > 0)
            printf("%s closed the connection before the end of a request\n", ip);
        close(fd);
        return;
    }
    if (head_len == READ_INVALID)
        answer_error(fd, ip, buf, len, req.status, req.error);
    else
        answer_report(fd, ip, &req, buf, len, (size_t)head_len);
    close_gracefully(fd);
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
