/*
 * step05-keepalive — step04 plus persistent connections: many clients at
 * once in one thread, each connection a small state machine driven by a
 * poll() loop over non-blocking sockets; pipelined requests answered in
 * order; request bodies (Content-Length or chunked) read and discarded so
 * the next request starts in the right place; slow clients timed out.
 *
 * Build by hand, inside this directory:
 *     cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -o server server.c request.c files.c cache.c
 * Run:
 *     ./server [-b ADDR] [-d DIR] [-t SECONDS] [PORT]   (127.0.0.1, the current directory, 5, 8000)
 *
 * Each connection: accepted, then read a request (head, then body), write
 * the response (the file piece by piece as the socket drains), and again,
 * until the client or a timeout ends it. poll() says which socket is ready.
 */

/* ---- includes and constants ---- */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "files.h"
#include "request.h"

#define DEFAULT_PORT 8000
#define DEFAULT_ADDR "127.0.0.1" /* this machine only, unless -b says otherwise */
#define LISTEN_BACKLOG 128 /* connections the kernel queues before accept() */
#define RESPONSE_HEAD_MAX (4 * HTTP_LINE_MAX) /* bytes in a response's status
                           line and headers: a Location holds a %-encoded path */
#define FILE_CHUNK 65536   /* bytes of a file read and sent at a time */
#define LINGER_SECONDS 2   /* how long to wait for a client to close */
#define LINGER_MAX (1 << 20) /* bytes discarded while waiting for it */
#define SERVER_NAME "http-from-scratch/step05"
#define LOG_LINE_MAX 200 /* bytes of a request line shown in the log */
#define DEFAULT_TIMEOUT 5  /* seconds for a request to arrive, or a write to progress */
#define TIMEOUT_MAX 86400  /* the largest -t: a day */
#define IN_SIZE (2 * HTTP_HEAD_MAX) /* bytes of a connection's input buffer: a
                           whole head, and room to read its body after it */
#define REQUESTS_MAX 1000  /* requests on one connection, then it closes */
#define CONN_MAX 10000     /* connections at once, whatever the fd limit */
#define FD_RESERVE (16 + CACHE_SLOTS) /* fds kept for stdio, the listener,
                              the signal pipe, listings and the file cache */
#define STOP_SECONDS 2     /* on SIGTERM: how long responses may still run */
#define CONN_FEW 64        /* fewer connections than this at once: say so */

/* A connection's states (drawn in docs/step05-keepalive.md):
 *   CONN_FREE    the slot holds no connection
 *   CONN_HEAD    reading a request head (idle when no byte has come yet)
 *   CONN_BODY    reading the request's body, to throw it away
 *   CONN_WRITE   sending the response: its head, then the file piece by piece;
 *                or a "100 Continue" (interim), then back to CONN_BODY
 *   CONN_LINGER  our side closed (shutdown), waiting for the client's close */
enum conn_state { CONN_FREE, CONN_HEAD, CONN_BODY, CONN_WRITE, CONN_LINGER };

/* One client's connection. Buffers are allocated only while they hold
 * something, so an idle keep-alive connection costs this struct alone. */
struct conn {
    enum conn_state state;
    int fd;                  /* the client's socket */
    char ip[INET6_ADDRSTRLEN]; /* the client's address, for the log */
    long long deadline;      /* ms (now_ms()) when the connection times out */
    size_t poll_index;       /* its entry in the pollfd array this round */

    char *in;                /* IN_SIZE bytes of request, or NULL when empty */
    size_t in_len;           /* bytes in in */
    size_t parsed;           /* in_len when the parser last looked at it */
    size_t head_len;         /* CONN_BODY: bytes of the head at the start of in */
    long long body_left;     /* CONN_BODY: Content-Length bytes still to come */
    int chunked;             /* CONN_BODY: the body is chunked, dec decodes it */
    struct http_chunked dec;

    char *pending;           /* response bytes the socket has not taken yet */
    size_t pending_len, pending_sent; /* bytes in pending; bytes of them sent */
    int file;                /* the file being sent, or -1 */
    off_t file_pos, file_left; /* where its next byte is; bytes still to send */
    size_t head_bytes;       /* bytes of the response's head */
    long long out_total;     /* bytes of the response sent so far */
    int failed;              /* the response could not be sent: close */
    int status;              /* the response's status */
    int keep_alive;          /* read another request after this response */
    int interim;             /* CONN_WRITE: sending "100 Continue", then CONN_BODY */
    long requests;           /* responses finished on this connection */
    char line[LOG_LINE_MAX]; /* the request line, for the log */
    size_t line_len;
    size_t lingered;         /* CONN_LINGER: bytes discarded */
};

/* What the command line asks for. */
struct options {
    const char *addr;    /* the address to listen on, e.g. "127.0.0.1", "::1" */
    long port;           /* 0-65535 */
    int root_fd;         /* the directory served, open */
    long timeout;        /* seconds: -t */
};

static struct options opts; /* set once by main(), read by the handlers */

/* ---- command line ---- */

/* Print how to call the program to out (stdout for -h, stderr on error). */
static void usage(FILE *out, const char *prog)
{
    fprintf(out, "usage: %s [-b ADDR] [-d DIR] [-t SECONDS] [PORT]\n"
                 "  -b ADDR     IPv4 or IPv6 address to listen on (default %s; 0.0.0.0 = every one)\n"
                 "  -d DIR      directory to serve (default: the current directory)\n"
                 "  -t SECONDS  how long a request may take to arrive, and an idle connection\n"
                 "              may stay open, 1-%d (default %d)\n"
                 "  PORT        TCP port to listen on, 0-65535 (default %d; 0 = any free port)\n",
            prog, DEFAULT_ADDR, TIMEOUT_MAX, DEFAULT_TIMEOUT, DEFAULT_PORT);
}

/* Parse a decimal number 0-max from s (a port, a number of seconds).
 * Returns it, or -1 if s is empty, not all digits, or too large. */
static long parse_number(const char *s, long max)
{
    long n = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        n = n * 10 + (*s - '0');
        if (n > max)
            return -1;
    }
    return n;
}

/* ---- socket setup ---- */

/* Write "addr:port" to buf, with an IPv6 address in brackets ("[::1]:80"). */
static void format_host_port(char *buf, size_t size, const char *addr, long port)
{
    int v6 = strchr(addr, ':') != NULL;

    snprintf(buf, size, "%s%s%s:%ld", v6 ? "[" : "", addr, v6 ? "]" : "", port);
}

/* Create a TCP socket listening on addr:port. addr is an IPv4 or IPv6
 * literal; getaddrinfo() turns it into a socket address of its family.
 * Returns the socket, or -1 after printing which call failed and why. */
static int listen_on(const char *addr, long port)
{
    struct addrinfo hints, *ai;
    char service[8], where[INET6_ADDRSTRLEN + 16];
    int fd, one = 1, err;

    snprintf(service, sizeof service, "%ld", port);
    format_host_port(where, sizeof where, addr, port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    if ((err = getaddrinfo(addr, service, &hints, &ai)) != 0) {
        fprintf(stderr, "getaddrinfo %s: %s\n", where, gai_strerror(err));
        return -1;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        fprintf(stderr, "socket %s: %s\n", where, strerror(errno));
        goto fail;
    }
    /* Without SO_REUSEADDR, restarting the server fails with "Address
     * already in use" for a minute or two: the old connections linger in
     * TIME_WAIT and still hold the port. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        fprintf(stderr, "setsockopt SO_REUSEADDR: %s\n", strerror(errno));
        goto fail;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        fprintf(stderr, "bind %s: %s\n", where, strerror(errno));
        goto fail;
    }
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        fprintf(stderr, "listen %s: %s\n", where, strerror(errno));
        goto fail;
    }
    freeaddrinfo(ai);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return -1;
}

/* Return the port a bound socket really listens on (useful after port 0),
 * or -1 with errno set. */
static long bound_port(int fd)
{
    struct sockaddr_storage addr; /* room for IPv4 and IPv6 alike */
    socklen_t len = sizeof addr;

    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    if (addr.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

/* ---- sending ---- */

/* Make fd non-blocking: recv(), send() and accept() on it then return at
 * once (failing with EAGAIN) instead of waiting. Returns 0, or -1 with
 * errno set. */
static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* The time in milliseconds on a clock that only goes forward (the wall
 * clock may be set back, which must not stretch a timeout). */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* send() on a non-blocking socket: as many bytes of buf as the socket
 * takes now. Returns how many, 0 when it is full (EAGAIN), or -1 with
 * errno set (EPIPE or ECONNRESET when the client has gone). */
static ssize_t send_some(int fd, const char *buf, size_t len)
{
    ssize_t n;

    do
        n = send(fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    return n;
}

/* Count n more bytes of the response sent: any progress moves the
 * connection's deadline, so only a client that stops reading times out. */
static void progress(struct conn *c, size_t n)
{
    c->out_total += (long long)n;
    if (n > 0)
        c->deadline = now_ms() + opts.timeout * 1000;
}

/* Note that a response could not be sent or made (the client has gone,
 * no memory, no descriptor, the file could not be read): the connection
 * will close. A client that went away is no error of the server's (the
 * access log shows what it got), so only the others are printed. */
static void send_failed(struct conn *c)
{
    if (errno != EPIPE && errno != ECONNRESET)
        fprintf(stderr, "response to %s cut short: %s\n", c->ip, strerror(errno));
    c->failed = 1;
}

/* Send buf: mem_len bytes that exist nowhere else (a head, a body in
 * memory), then piece_len bytes of c->file from c->file_pos. What the
 * socket does not take now is kept for conn_write(): the memory bytes in
 * c->pending, while the file bytes are simply read again. Returns 0, or
 * -1 with errno set (the client has gone, or no memory). */
static int transmit(struct conn *c, const char *buf, size_t mem_len, size_t piece_len)
{
    ssize_t n = send_some(c->fd, buf, mem_len + piece_len);

    if (n < 0)
        return -1;
    progress(c, (size_t)n);
    if ((size_t)n < mem_len) {
        c->pending_len = mem_len - (size_t)n;
        c->pending_sent = 0;
        if ((c->pending = malloc(c->pending_len)) == NULL)
            return -1;
        memcpy(c->pending, buf + n, c->pending_len);
    } else {
        c->file_pos += (off_t)((size_t)n - mem_len);
        c->file_left -= (off_t)((size_t)n - mem_len);
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

/* Read what has arrived on c into its input buffer, allocated now if the
 * connection was idle. Returns the bytes read, 0 when the client has
 * closed, or -1 with errno set (EAGAIN: nothing has arrived after all). */
static ssize_t conn_recv(struct conn *c)
{
    ssize_t n;

    if (c->in == NULL && (c->in = malloc(IN_SIZE)) == NULL)
        return -1;
    if (c->in_len == IN_SIZE) { /* cannot happen: the parser stops at 431 */
        errno = ENOBUFS;
        return -1;
    }
    n = recv_retry(c->fd, c->in + c->in_len, IN_SIZE - c->in_len);
    if (n > 0)
        c->in_len += (size_t)n;
    return n;
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

/* Find the request line at the start of buf[0..len), after the empty line
 * a request may start with. Returns it, without its line end, in *n bytes. */
static const char *request_line(const char *buf, size_t len, size_t *n)
{
    size_t start = 0, stop;
    const char *lf;

    if (start < len && buf[start] == '\r')
        start++;
    if (start < len && buf[start] == '\n')
        start++;
    lf = memchr(buf + start, '\n', len - start);
    stop = lf != NULL ? (size_t)(lf - buf) : len;
    if (stop > start && buf[stop - 1] == '\r')
        stop--;
    *n = stop - start;
    return buf + start;
}

/* Print one access-log line per response, in the Common Log Format:
 *     127.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /a.txt HTTP/1.1" 200 10
 * the client, the time, the request line (escaped), the status, and the
 * body bytes sent ("-" for none). */
static void log_access(const char *ip, const char *line, size_t len, int status,
                       long long sent)
{
    static char when[64];
    static time_t when_of = -1;
    time_t now = time(NULL);
    struct tm tm;

    if (now != when_of) { /* one strftime() a second, however many lines */
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
        when_of = now;
    }
    printf("%s - - [%s] \"", ip, when);
    log_escaped(line, len);
    if (sent > 0)
        printf("\" %d %lld\n", status, sent);
    else
        printf("\" %d -\n", status);
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

/* Every response is built here, the head and then the start of the body,
 * and sent at once: a small response leaves in a single send. All the
 * connections share it; what a socket does not take stays with its
 * connection (see transmit()). */
static char out[RESPONSE_HEAD_MAX + FILE_CHUNK];

/* Whether a connection can go on after a response with this status. Not
 * when the request was malformed or cut short (400, 408, 413, 414, 431,
 * 501, 505): where the next request starts is then unknown. */
static int status_keeps_connection(int status)
{
    return status != 400 && status != 408 && status != 413 && status != 414 &&
           status != 431 && status != 501 && status != 505;
}

/* Format a response head into out: status line, Date, Server, the extra
 * header lines (each ending in CRLF), Content-Length unless length < 0,
 * Connection (keep-alive, with Keep-Alive: timeout, or close), the empty
 * line. Decides c->keep_alive for good. Returns its length, or -1 (errno
 * EMSGSIZE) if it does not fit. */
static int format_head(struct conn *c, int status, const char *extra, long long length)
{
    static char date[64];
    static time_t date_of = -1;
    char content_length[48] = "", connection[64];
    time_t now = time(NULL);
    int n;

    if (now != date_of) { /* one strftime() a second, however many responses */
        format_http_date(date, sizeof date, now);
        date_of = now;
    }
    if (length >= 0)
        snprintf(content_length, sizeof content_length, "Content-Length: %lld\r\n", length);
    c->keep_alive = c->keep_alive && status_keeps_connection(status);
    if (c->keep_alive)
        snprintf(connection, sizeof connection,
                 "Connection: keep-alive\r\nKeep-Alive: timeout=%ld\r\n", opts.timeout);
    else
        snprintf(connection, sizeof connection, "Connection: close\r\n");
    n = snprintf(out, RESPONSE_HEAD_MAX,
                 "HTTP/1.1 %d %s\r\n"
                 "Date: %s\r\n"
                 "Server: " SERVER_NAME "\r\n"
                 "%s%s%s"
                 "\r\n",
                 status, http_reason(status), date, extra, content_length, connection);
    if (n < 0 || n >= RESPONSE_HEAD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    c->status = status;
    c->head_bytes = (size_t)n;
    return n;
}

/* Send the head formatted into out (head_len bytes) and body[0..len) after
 * it, in one piece. Returns 0, or -1 with errno set. */
static int send_with_body(struct conn *c, int head_len, const char *body, size_t len)
{
    size_t total = (size_t)head_len + len;

    if (total <= sizeof out) {
        memcpy(out + head_len, body, len);
        return transmit(c, out, total, 0);
    }
    /* Larger than out (a long listing): into a buffer of its own. */
    if ((c->pending = malloc(total)) == NULL)
        return -1;
    memcpy(c->pending, out, (size_t)head_len);
    memcpy(c->pending + head_len, body, len);
    c->pending_len = total;
    c->pending_sent = 0;
    return 0;
}

/* Send a response with its body in memory. For HEAD (head_only) the head
 * is GET's, Content-Length too, without the body. Returns 0, or -1 with
 * errno set. */
static int send_response(struct conn *c, int status, const char *extra, const char *body,
                         size_t body_len, int head_only)
{
    int n = format_head(c, status, extra, (long long)body_len);

    if (n < 0)
        return -1;
    return send_with_body(c, n, body, head_only ? 0 : body_len);
}

/* Send body[0..len) with chunked framing (RFC 9112 §7.1) after the head in
 * out (head_len bytes): one chunk, "size in hex CRLF data CRLF", then the
 * last chunk "0 CRLF" and the empty line. Returns 0, or -1 with errno set. */
static int send_chunked(struct conn *c, int head_len, const char *body, size_t len,
                        int head_only)
{
    char *framed;
    int n;

    if (head_only || len == 0) /* no data: the last chunk alone */
        return send_with_body(c, head_len, "0\r\n\r\n", head_only ? 0 : 5);
    if ((framed = malloc(len + 32)) == NULL)
        return -1;
    n = sprintf(framed, "%zx\r\n", len);
    memcpy(framed + n, body, len);
    memcpy(framed + n + len, "\r\n0\r\n\r\n", 7);
    n = send_with_body(c, head_len, framed, (size_t)n + len + 7);
    free(framed);
    return n;
}

/* Read the next piece of c's file, at most FILE_CHUNK bytes from
 * c->file_pos, into buf. Returns the bytes read, or -1 with errno set
 * (EIO when the file has shrunk since fstat()). */
static ssize_t read_piece(struct conn *c, char *buf)
{
    size_t want = c->file_left < FILE_CHUNK ? (size_t)c->file_left : FILE_CHUNK;
    ssize_t got;

    do
        got = pread(c->file, buf, want, c->file_pos);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        errno = EIO;
    return got > 0 ? got : -1;
}

/* Start sending bytes [first, first + count) of an open file: the head
 * leaves with the first piece, and the connection keeps the file for
 * conn_write() to send the rest as the socket drains, so a 2 GiB file
 * costs no more memory than a small one. count < 0 sends a head without
 * Content-Length or body (304). Returns 0, or -1 with errno set: the
 * client has gone, or the file could not be read. */
static int send_file(struct conn *c, int status, const char *extra, int file, off_t first,
                     off_t count, int head_only)
{
    int n = format_head(c, status, extra, (long long)count);
    ssize_t got = 0;

    if (n < 0)
        return -1;
    if (!head_only && count > 0) {
        c->file = file;
        c->file_pos = first;
        c->file_left = count;
        if ((got = read_piece(c, out + n)) < 0)
            return -1;
    }
    return transmit(c, out, (size_t)n, (size_t)got);
}

/* Send a text response: "CODE Reason" and one line saying why, with the
 * extra header lines (Allow, Location, Content-Range). Returns status. */
static int reply_text(struct conn *c, int status, const char *extra, const char *why,
                      int head_only)
{
    static char headers[RESPONSE_HEAD_MAX];
    char body[512];
    int n = snprintf(body, sizeof body, "%d %s\n%s\n", status, http_reason(status), why);

    if (n < 0)
        return status;
    if ((size_t)n >= sizeof body)
        n = (int)sizeof body - 1; /* a long reason is cut, never overflowed */
    snprintf(headers, sizeof headers, "Content-Type: text/plain; charset=utf-8\r\n%s", extra);
    if (send_response(c, status, headers, body, (size_t)n, head_only) < 0)
        send_failed(c);
    return status;
}

/* ---- serving files ---- */

/* Whether the request's method is method; methods are case-sensitive. */
static int method_is(const struct http_request *req, const char *method)
{
    return req->method_len == strlen(method) && memcmp(req->method, method, req->method_len) == 0;
}

/* Whether the client's copy is current (RFC 9110 §13.2.2): If-None-Match
 * decides when present; otherwise If-Modified-Since, if its date parses. */
static int not_modified(const struct http_request *req, const char *etag, time_t mtime)
{
    const struct http_header *inm = http_find_header(req, "If-None-Match");
    const struct http_header *ims = http_find_header(req, "If-Modified-Since");
    time_t since;

    if (inm != NULL)
        return files_none_match(inm->value, inm->value_len, etag);
    return ims != NULL && files_parse_date(ims->value, ims->value_len, &since) == 0 &&
           mtime <= since;
}

/* Which part of the file to send: RANGE_OK with *first and *last, RANGE_NONE
 * for all of it, or RANGE_UNSATISFIABLE. If-Range sends all of it when the
 * client's copy is not this one (RFC 9110 §13.1.5). */
static int choose_range(const struct http_request *req, off_t size, const char *etag,
                        time_t mtime, off_t *first, off_t *last)
{
    const struct http_header *range = http_find_header(req, "Range");
    const struct http_header *if_range = http_find_header(req, "If-Range");

    if (range == NULL ||
        (if_range != NULL && !files_if_range(if_range->value, if_range->value_len, etag, mtime)))
        return RANGE_NONE;
    return files_parse_range(range->value, range->value_len, size, first, last);
}

/* Answer with the open file: 304 when the client's copy is current, 416 or
 * 206 for a range, else 200. coding and vary are extra header lines.
 * Returns the status. */
static int send_opened_file(struct conn *c, const struct http_request *req, int file,
                            const struct stat *st, const char *type, const char *coding,
                            const char *vary, int head_only)
{
    char etag[64], modified[64], headers[1024];
    time_t now = time(NULL), mtime = st->st_mtime < now ? st->st_mtime : now;
    off_t first = 0, last = st->st_size - 1;
    int kind, status, n;

    files_etag(etag, sizeof etag, st->st_size, st->st_mtime);
    format_http_date(modified, sizeof modified, mtime); /* never later than Date */
    n = snprintf(headers, sizeof headers,
                 "Last-Modified: %s\r\nETag: %s\r\nCache-Control: no-cache\r\n%s",
                 modified, etag, vary);
    if (not_modified(req, etag, mtime)) {
        if (send_file(c, 304, headers, file, 0, -1, 1) < 0)
            send_failed(c);
        return 304;
    }
    /* GET is the only method with ranges (RFC 9110 §14.2): HEAD gets 200. */
    kind = head_only ? RANGE_NONE : choose_range(req, st->st_size, etag, mtime, &first, &last);
    if (kind == RANGE_UNSATISFIABLE) {
        snprintf(headers + n, sizeof headers - (size_t)n, "Content-Range: bytes */%lld\r\n",
                 (long long)st->st_size);
        return reply_text(c, 416, headers + n, "the range starts past the end of the file",
                          head_only);
    }
    status = kind == RANGE_OK ? 206 : 200;
    n += snprintf(headers + n, sizeof headers - (size_t)n,
                  "Content-Type: %s\r\n%sAccept-Ranges: bytes\r\n", type, coding);
    if (status == 206)
        snprintf(headers + n, sizeof headers - (size_t)n, "Content-Range: bytes %lld-%lld/%lld\r\n",
                 (long long)first, (long long)last, (long long)st->st_size);
    if (send_file(c, status, headers, file, first, last - first + 1, head_only) < 0)
        send_failed(c);
    return status;
}

/* Whether the client accepts gzip (its Accept-Encoding header says so). */
static int accepts_gzip(const struct http_request *req)
{
    const struct http_header *h = http_find_header(req, "Accept-Encoding");

    return h != NULL && files_accepts_gzip(h->value, h->value_len);
}

/* After the first piece of file has gone: while more is to be sent, the
 * connection keeps a file descriptor of its own (dup() of the cache's,
 * which the cache may close at any time); a file no longer needed is
 * closed, unless the cache holds it. */
static void settle_file(struct conn *c, int file, int cached)
{
    if (c->file == file && c->file_left > 0 && !c->failed) {
        if (cached && (c->file = dup(file)) < 0)
            send_failed(c);
        return;
    }
    if (c->file == file)
        c->file = -1;
    if (!cached)
        close(file);
}

/* Send the file a lookup found (e), for the request req. cached: the
 * cache owns e->fd. Returns the status sent. */
static int send_found(struct conn *c, const struct http_request *req,
                      const struct cache_entry *e, int cached, int head_only)
{
    int status = send_opened_file(c, req, e->fd, &e->st, e->type,
                                  e->is_gz ? "Content-Encoding: gzip\r\n" : "",
                                  e->has_gz ? "Vary: Accept-Encoding\r\n" : "", head_only);

    settle_file(c, e->fd, cached);
    return status;
}

/* Answer for a file, or a directory to list, that could not be opened
 * (errno says why): 403 when it may not be read, 503 when the server has
 * too many files open (a moment later it may work), 404 when it has gone
 * since it was found, 500 for anything else. Returns the status sent. */
static int reply_open_failed(struct conn *c, int directory, int head_only)
{
    if (errno == EACCES)
        return reply_text(c, 403, "",
                          directory ? "the directory may not be read" : "the file may not be read",
                          head_only);
    if (errno == EMFILE || errno == ENFILE)
        return reply_text(c, 503, "Retry-After: 1\r\n",
                          "the server has too many files open: try again", head_only);
    if (errno == ENOENT || errno == ENOTDIR)
        return reply_text(c, 404, "", "no such file", head_only);
    return reply_text(c, 500, "",
                      directory ? "the directory could not be listed"
                                : "the file could not be opened",
                      head_only);
}

/* Answer for a path files_normalize() or files_resolve() refused with
 * status (st: what files_resolve() found, for FILES_OPEN_FAILED). Returns
 * the status sent. */
static int reply_not_resolved(struct conn *c, int status, const struct stat *st, int head_only)
{
    switch (status) {
    case FILES_BAD_PATH:
        return reply_text(c, 400, "", "a backslash in the path", head_only);
    case FILES_ABOVE_ROOT:
        return reply_text(c, 400, "", "the path climbs above the root with ..", head_only);
    case FILES_FORBIDDEN:
        return reply_text(c, 403, "", "a directory on the way may not be read", head_only);
    case FILES_OPEN_FAILED:
        if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) /* a socket: no open() */
            return reply_text(c, 403, "", "not a regular file", head_only);
        return reply_open_failed(c, S_ISDIR(st->st_mode), head_only);
    }
    return reply_text(c, 404, "", "no such file", head_only);
}

/* Serve the regular file file, open at real (from files_resolve()), or
 * FILE.gz beside it when the client accepts gzip, as type, the Content-Type
 * of the name requested; and keep it open in the cache under key, the
 * cleaned request path, for the rest of the second. Takes file: the cache
 * keeps it, or it is closed. Returns the status sent. */
static int serve_file(struct conn *c, const struct http_request *req, const char *key,
                      const char *real, int file, const struct stat *st, const char *type,
                      int head_only)
{
    struct cache_entry e = { .gzip = accepts_gzip(req), .when = time(NULL), .type = type,
                             .fd = file, .st = *st };
    struct stat gz_st;
    int gz = files_gz_sibling(opts.root_fd, real, &gz_st);

    if (gz >= 0) {
        e.has_gz = 1; /* Vary on both variants, for caches */
        if (e.gzip) {
            close(e.fd);
            e.fd = gz;
            e.st = gz_st;
            e.is_gz = 1;
        } else {
            close(gz);
        }
    }
    return send_found(c, req, &e, cache_store(key, strlen(key), &e) == 0, head_only);
}

/* Send the HTML listing of the open directory dir: to an HTTP/1.1 client
 * as one chunk of a chunked body, the way a page generated on the fly ends
 * when its length is not known in advance; HTTP/1.0 knows no chunks and
 * gets Content-Length. Returns the status sent. */
static int serve_listing(struct conn *c, const struct http_request *req, int dir, int head_only)
{
    static const char html[] = "Content-Type: text/html; charset=utf-8\r\n"
                               "Cache-Control: no-cache\r\n";
    char chunked[sizeof html + 32];
    size_t len;
    char *page = files_listing(dir, req->path, req->path_len, &len);
    int n;

    if (page == NULL)
        return reply_open_failed(c, 1, head_only);
    snprintf(chunked, sizeof chunked, "%sTransfer-Encoding: chunked\r\n", html);
    if (req->version_minor == 0)
        n = send_response(c, 200, html, page, len, head_only);
    else if ((n = format_head(c, 200, chunked, -1)) >= 0)
        n = send_chunked(c, n, page, len, head_only);
    if (n < 0)
        send_failed(c);
    free(page);
    return 200;
}

/* A directory, open as dir at real, asked for as key (the cleaned path):
 * /dir gets 301 to /dir/ (so relative links in it resolve inside it),
 * /dir/ its index.html if there is one, else a listing. Returns the status
 * sent. */
static int serve_directory(struct conn *c, const struct http_request *req, const char *key,
                           const char *real, int dir, int head_only)
{
    static char location[RESPONSE_HEAD_MAX];
    char index[PATH_MAX], index_real[PATH_MAX];
    struct stat st;
    size_t n = req->path_len;
    int file, status;

    if (real[strlen(real) - 1] != '/') {
        const char *p = req->path;
        size_t len;
        /* "//host/dir/" would send the client to another host: one slash.
         * The decoded path is encoded again: it may hold CR LF, which must
         * never reach a header. The query was checked by the parser. */
        while (n > 1 && p[1] == '/') {
            p++;
            n--;
        }
        len = (size_t)sprintf(location, "Location: ");
        len += files_url_encode(location + len, p, n);
        sprintf(location + len, "/%s%.*s\r\n", req->query != NULL ? "?" : "",
                (int)req->query_len, req->query != NULL ? req->query : "");
        return reply_text(c, 301, location, "a directory's URL ends with a slash", head_only);
    }
    /* real ends with '/' here; too long a name has no index.html. */
    if ((size_t)snprintf(index, sizeof index, "%sindex.html", real) >= sizeof index)
        return serve_listing(c, req, dir, head_only);
    status = files_resolve(opts.root_fd, index, index_real, sizeof index_real, &file, &st);
    if (status == FILES_NOT_FOUND) /* no index.html: list the directory */
        return serve_listing(c, req, dir, head_only);
    if (status != FILES_OK)
        return reply_not_resolved(c, status, &st, head_only);
    if (S_ISREG(st.st_mode))
        return serve_file(c, req, key, index_real, file, &st, files_mime_type("index.html", 10),
                          head_only);
    close(file);
    return serve_listing(c, req, dir, head_only);
}

/* Answer a valid request from the files under the root. Returns the
 * status sent. */
static int serve(struct conn *c, const struct http_request *req)
{
    const struct cache_entry *hit;
    char path[PATH_MAX], real[PATH_MAX];
    struct stat st;
    int head_only = method_is(req, "HEAD"), file, status;
    long len;

    if (!head_only && !method_is(req, "GET"))
        return reply_text(c, 405, "Allow: GET, HEAD\r\n",
                          "this server only reads files: use GET or HEAD", 0);
    len = files_normalize(req->path, req->path_len, path, sizeof path);
    if (len < 0)
        return reply_not_resolved(c, (int)len, &st, head_only);
    /* Asked for during this second already, by any spelling of the same
     * path: no lookup, no open(). */
    hit = cache_find(path, (size_t)len, accepts_gzip(req), time(NULL));
    if (hit != NULL)
        return send_found(c, req, hit, 1, head_only);
    /* Checked and opened in one walk: what was checked is what is served. */
    status = files_resolve(opts.root_fd, path, real, sizeof real, &file, &st);
    if (status != FILES_OK)
        return reply_not_resolved(c, status, &st, head_only);
    if (S_ISREG(st.st_mode))
        return serve_file(c, req, path, real, file, &st, files_mime_type(req->path, req->path_len),
                          head_only);
    if (S_ISDIR(st.st_mode))
        status = serve_directory(c, req, path, real, file, head_only);
    else /* a FIFO or a device */
        status = reply_text(c, 403, "", "not a regular file", head_only);
    close(file);
    return status;
}

/* ---- closing ---- */

/* The connections: conn_max slots, conn_count of them in use, all below
 * conn_high. Counted for the summary at exit: connections accepted and
 * requests answered (logged), if only in part. */
static struct conn *conns;
static size_t conn_max, conn_count, conn_high;
static long long total_connections, total_requests;
static long long accept_paused_until; /* ms: after accept() ran out of fds */

/* Log the response of c, with the body bytes that really left, once per
 * request; the summary counts it. */
static void log_response(struct conn *c)
{
    long long body = c->out_total - (long long)c->head_bytes;

    total_requests++;
    log_access(c->ip, c->line, c->line_len, c->status, body > 0 ? body : 0);
}

/* Close the connection and free what it holds; its slot becomes free. A
 * response cut short is logged with the bytes that left. */
static void conn_close(struct conn *c)
{
    if (c->state == CONN_WRITE && !c->interim) /* a response was under way */
        log_response(c);
    if (c->file >= 0)
        close(c->file);
    free(c->in);
    free(c->pending);
    close(c->fd);
    memset(c, 0, sizeof *c); /* state CONN_FREE */
    conn_count--;
    accept_paused_until = 0; /* an fd is free again: accept() may work */
}

/* Close our side without losing the response. If request bytes we never
 * read are still queued, close() makes the kernel send a reset (RST), and
 * the client may throw away the response it had not read yet. So:
 * shutdown() sends our FIN ("no more data from us"), and the connection
 * waits (CONN_LINGER) for the client to close too, discarding what it
 * sends, for LINGER_SECONDS and LINGER_MAX bytes at most. */
static void start_linger(struct conn *c)
{
    c->state = CONN_LINGER; /* the response is logged: conn_close must not log it again */
    if (shutdown(c->fd, SHUT_WR) < 0) { /* the client is already gone */
        conn_close(c);
        return;
    }
    c->deadline = now_ms() + LINGER_SECONDS * 1000;
    free(c->in);
    c->in = NULL;
    c->in_len = 0;
}

/* CONN_LINGER: discard what the client sends; close when it closes. */
static void linger_read(struct conn *c)
{
    ssize_t n = recv_retry(c->fd, out, sizeof out);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0 || (c->lingered += (size_t)n) >= LINGER_MAX)
        conn_close(c); /* closed, reset, or too much: done either way */
}

/* ---- connection handling ---- */

/* The request being answered. Parsing is quick, so it is not kept between
 * poll() rounds: a head waiting for its body is parsed again once the body
 * has been read. Every view in req points into a connection's in buffer. */
static struct http_header headers[HTTP_FIELDS_MAX];
static char path_buf[HTTP_LINE_MAX];
static struct http_request req = { .path_buf = path_buf, .path_size = sizeof path_buf,
                                   .headers = headers, .max_headers = HTTP_FIELDS_MAX };

/* Whether the client wants the connection to stay open (RFC 9112 §9.3):
 * HTTP/1.1 unless it says "Connection: close"; HTTP/1.0 only if it says
 * "Connection: keep-alive". */
static int wants_keep_alive(const struct http_request *r)
{
    if (http_has_token(r, "Connection", "close")) /* close wins, in any version */
        return 0;
    return r->version_minor >= 1 || http_has_token(r, "Connection", "keep-alive");
}

/* Keep the start of the request line in the buffer for the log. */
static void note_request_line(struct conn *c)
{
    size_t n;
    const char *line = request_line(c->in, c->in_len, &n);

    c->line_len = n < sizeof c->line ? n : sizeof c->line;
    memcpy(c->line, line, c->line_len);
}

/* Start a response on c: it is written from now on (CONN_WRITE). */
static void start_response(struct conn *c)
{
    c->state = CONN_WRITE;
    c->out_total = 0;
    c->head_bytes = 0;
    c->deadline = now_ms() + opts.timeout * 1000;
}

/* Answer the request in req, whose head starts c->in (its body, if any,
 * has been read): serve it, then drop the head from the buffer, so that
 * what follows it, the next request, starts the buffer. */
static void answer(struct conn *c)
{
    c->keep_alive = wants_keep_alive(&req) && c->requests + 1 < REQUESTS_MAX;
    start_response(c);
    serve(c, &req); /* format_head() may still choose to close */
    c->in_len -= c->head_len;
    memmove(c->in, c->in + c->head_len, c->in_len);
    c->parsed = 0;
    c->head_len = 0;
}

/* Answer with an error after which the connection closes. */
static void answer_error(struct conn *c, int status, const char *why)
{
    c->keep_alive = 0;
    start_response(c);
    reply_text(c, status, "", why, 0);
}

/* CONN_HEAD: parse what has arrived. A complete head is answered at once,
 * or after its body (CONN_BODY). Returns 1 when the connection has moved
 * on, 0 when it waits for more bytes. */
static int take_head(struct conn *c)
{
    static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
    int head_len = HTTP_INCOMPLETE;
    size_t have;

    if (c->in_len > 0)
        head_len = http_parse_request(c->in, c->in_len, c->parsed, &req);
    if (head_len == HTTP_INCOMPLETE) {
        c->parsed = c->in_len;
        return 0;
    }
    note_request_line(c);
    if (head_len == HTTP_ERROR) {
        answer_error(c, req.status, req.error);
        return 1;
    }
    c->head_len = (size_t)head_len;
    c->chunked = req.chunked;
    c->body_left = req.content_length > 0 ? req.content_length : 0;
    if (!c->chunked && c->body_left == 0) {
        answer(c);
        return 1;
    }
    http_chunked_init(&c->dec);
    c->state = CONN_BODY;
    have = c->in_len - c->head_len;
    if (expects_continue(&req) && (c->chunked ? have == 0 : have < (size_t)c->body_left)) {
        /* The interim response is output like any other: the socket may
         * still be full of the response before it. Once it has gone,
         * conn_write() moves on to the body. */
        c->state = CONN_WRITE;
        c->interim = 1;
        if (transmit(c, go_on, sizeof go_on - 1, 0) < 0)
            send_failed(c);
    }
    return 1;
}

/* CONN_BODY: throw away the body bytes that have arrived (decoding them
 * if chunked), keeping what follows the body: the next request. At the
 * body's end, answer. Returns 1 when the connection has moved on, 0 when
 * it waits for more bytes. */
static int take_body(struct conn *c)
{
    char *body = c->in + c->head_len;
    size_t len = c->in_len - c->head_len, used;
    int rest;

    if (c->chunked) {
        rest = http_decode_chunked(&c->dec, body, &len); /* data body[0..len): dropped */
        if (rest == HTTP_ERROR) {
            answer_error(c, c->dec.status, c->dec.error);
            return 1;
        }
        if (rest == HTTP_INCOMPLETE) {
            c->in_len = c->head_len;
            return 0;
        }
        memmove(body, body + len, (size_t)rest); /* the next request */
        c->in_len = c->head_len + (size_t)rest;
    } else {
        used = (long long)len < c->body_left ? len : (size_t)c->body_left;
        memmove(body, body + used, len - used);
        c->in_len -= used;
        c->body_left -= (long long)used;
        if (c->body_left > 0)
            return 0;
    }
    http_parse_request(c->in, c->head_len, 0, &req); /* the head again */
    answer(c);
    return 1;
}

/* The response is sent: log it; then wait for the next request, or close
 * our side. */
static void finish_response(struct conn *c)
{
    log_response(c);
    c->requests++;
    if (c->file >= 0) {
        close(c->file);
        c->file = -1;
    }
    if (!c->keep_alive) {
        start_linger(c);
        return;
    }
    c->state = CONN_HEAD; /* idle until a byte of the next request arrives */
    c->deadline = now_ms() + opts.timeout * 1000;
    if (c->in_len == 0) {
        free(c->in);
        c->in = NULL;
    }
}

/* CONN_WRITE: send what the response still has to send, until the socket
 * is full or the response is done. Returns 0, or -1 when the connection
 * is lost. */
static int conn_write(struct conn *c)
{
    while (c->state == CONN_WRITE && !c->failed) {
        if (c->pending != NULL) {
            ssize_t n = send_some(c->fd, c->pending + c->pending_sent,
                                  c->pending_len - c->pending_sent);
            if (n < 0) {
                send_failed(c);
                return -1;
            }
            progress(c, (size_t)n);
            c->pending_sent += (size_t)n;
            if (c->pending_sent < c->pending_len)
                return 0; /* the socket is full: wait for POLLOUT */
            free(c->pending);
            c->pending = NULL;
        } else if (c->file_left > 0) {
            off_t before = c->file_left;
            ssize_t got = read_piece(c, out);

            if (got < 0) {
                fprintf(stderr, "pread: %s\n", strerror(errno));
                return -1;
            }
            if (transmit(c, out, 0, (size_t)got) < 0) {
                send_failed(c);
                return -1;
            }
            if (before - c->file_left < got)
                return 0; /* the socket is full: wait for POLLOUT */
        } else if (c->interim) { /* "100 Continue" has gone: read the body */
            c->interim = 0;
            c->state = CONN_BODY;
        } else {
            finish_response(c);
        }
    }
    return c->failed ? -1 : 0;
}

/* Move the connection on as far as it goes without waiting: answer the
 * complete requests in its buffer, in order (pipelining), writing each
 * response until the socket is full. */
static void conn_advance(struct conn *c)
{
    for (;;) {
        int moved;

        if (c->state == CONN_WRITE) {
            if (conn_write(c) < 0) {
                conn_close(c);
                return;
            }
            if (c->state == CONN_WRITE)
                return; /* the socket is full */
            continue;
        }
        if (c->state == CONN_HEAD)
            moved = take_head(c);
        else if (c->state == CONN_BODY)
            moved = take_body(c);
        else
            return; /* CONN_LINGER, or closed */
        if (!moved)
            return;
    }
}

/* poll() says c is ready: readable (a request, or the client closing) or,
 * in CONN_WRITE, writable. */
static void conn_ready(struct conn *c)
{
    ssize_t n;

    if (c->state == CONN_LINGER) {
        linger_read(c);
        return;
    }
    if (c->state == CONN_WRITE) {
        conn_advance(c);
        return;
    }
    n = conn_recv(c);
    if (n > 0)
        conn_advance(c);
    else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        conn_close(c); /* closed or reset: nobody left to answer */
}

/* c's deadline has passed: a request that did not arrive in time gets 408
 * (an idle connection just closes), a response that made no progress is
 * abandoned, a lingering close ends. */
static void conn_expire(struct conn *c)
{
    char why[80];

    if ((c->state == CONN_HEAD && c->in_len > 0) || c->state == CONN_BODY) {
        if (c->state == CONN_HEAD)
            note_request_line(c);
        snprintf(why, sizeof why, "the request did not arrive within %ld seconds", opts.timeout);
        answer_error(c, 408, why);
        conn_advance(c);
    } else {
        conn_close(c);
    }
}

/* Take the connection fd from peer into a free slot. */
static void conn_open(int fd, const struct sockaddr *peer, socklen_t peer_len)
{
    struct conn *c = conns;

    while (c->state != CONN_FREE) /* conn_count < conn_max: there is one */
        c++;
    c->state = CONN_HEAD;
    c->fd = fd;
    c->file = -1;
    c->deadline = now_ms() + opts.timeout * 1000;
    if (getnameinfo(peer, peer_len, c->ip, sizeof c->ip, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(c->ip, sizeof c->ip, "-");
    conn_count++;
    total_connections++;
    if ((size_t)(c - conns) >= conn_high)
        conn_high = (size_t)(c - conns) + 1;
}

/* Accept the connections waiting on the listener while there are free
 * slots. Returns 0, or -1 when accept() failed otherwise, mostly for want
 * of fds or memory (EMFILE, ENFILE, ENOBUFS): the caller then stops
 * polling the listener for a while, or poll() would wake it for the same
 * error at once, again and again, a busy loop. */
static int accept_clients(int listen_fd)
{
    while (conn_count < conn_max) {
        struct sockaddr_storage peer; /* room for IPv4 and IPv6 alike */
        socklen_t peer_len = sizeof peer;
        int one = 1, fd = accept(listen_fd, (struct sockaddr *)&peer, &peer_len);

        if (fd < 0) {
            /* EINTR (a signal), ECONNABORTED (the client gave up while
             * queued): nothing is wrong with the server, accept again. */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0; /* no one else is waiting */
            fprintf(stderr, "accept: %s\n", strerror(errno));
            return -1;
        }
        if (set_nonblocking(fd) < 0) {
            fprintf(stderr, "fcntl: %s\n", strerror(errno));
            close(fd);
            continue;
        }
        /* A response leaves in as few sends as possible: Nagle's algorithm
         * (hold back a small segment until the last one is acknowledged)
         * would only delay the end of one. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_open(fd, (struct sockaddr *)&peer, peer_len);
    }
    return 0;
}

/* The self-pipe: the signal handler writes a byte, which wakes poll(). A
 * flag alone could be set just before poll() starts to wait, and missed. */
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    char b = (char)sig;

    if (write(wake_pipe[1], &b, 1) < 0) {
        /* full: poll() has a byte to wake up for already */
    }
    errno = saved;
}

/* Set up the self-pipe and SIGINT/SIGTERM. Returns 0, or -1 after
 * printing which call failed. */
static int catch_signals(void)
{
    struct sigaction sa;

    if (pipe(wake_pipe) < 0 || set_nonblocking(wake_pipe[0]) < 0 ||
        set_nonblocking(wake_pipe[1]) < 0) {
        fprintf(stderr, "pipe: %s\n", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
        fprintf(stderr, "sigaction: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* Raise the soft limit on open files (often 1024, or 256 on macOS) as far
 * as CONN_MAX needs and the system allows (macOS refuses more than its own
 * maximum: each refusal halves the request). Returns the soft limit in
 * force, 0 if it is unknown. */
static rlim_t open_files_limit(void)
{
    rlim_t want = 2 * CONN_MAX + FD_RESERVE;
    struct rlimit rl, raised;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        want = rl.rlim_max;
    for (raised = rl; rl.rlim_cur != RLIM_INFINITY && want > rl.rlim_cur; want /= 2) {
        raised.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            rl = raised;
            break;
        }
    }
    return rl.rlim_cur;
}

/* How many connections to hold at once: each may use two fds (its socket
 * and the file it sends), and FD_RESERVE stay free, or half the limit when
 * it is low, so that a low limit still holds many connections. */
static size_t connection_limit(void)
{
    rlim_t limit = open_files_limit(), reserve;
    size_t n;

    if (limit == RLIM_INFINITY || limit >= 2 * CONN_MAX + FD_RESERVE)
        return CONN_MAX;
    reserve = limit < 2 * FD_RESERVE ? limit / 2 : FD_RESERVE;
    n = limit > reserve + 1 ? (size_t)(limit - reserve) / 2 : 1;
    if (n < CONN_FEW) /* the server works, but a browser or two fill it */
        fprintf(stderr, "note: %zu connections at once: the limit on open files is %lu "
                        "(ulimit -n)\n", n, (unsigned long)limit);
    return n;
}

/* Fill pfds for this round: the self-pipe, the listener when listening,
 * then every connection, waiting to read or, in CONN_WRITE, to write.
 * Returns how many entries. */
static nfds_t fill_pollfds(struct pollfd *pfds, int listen_fd, int listening)
{
    nfds_t n = 0;

    pfds[n++] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
    if (listening)
        pfds[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
    for (size_t i = 0; i < conn_high; i++) {
        struct conn *c = &conns[i];

        if (c->state == CONN_FREE)
            continue;
        c->poll_index = n;
        pfds[n++] = (struct pollfd){ .fd = c->fd,
                                     .events = c->state == CONN_WRITE ? POLLOUT : POLLIN };
    }
    return n;
}

/* The poll() timeout: milliseconds until the first deadline, or -1. While
 * the cache holds files, a second at most: they are to be closed then. */
static int next_timeout(long long stop_at, size_t cached)
{
    long long now = now_ms(), first = cached > 0 ? now + 1000 : -1;

    if (stop_at >= 0 && (first < 0 || stop_at < first))
        first = stop_at;
    if (accept_paused_until > 0 && (first < 0 || accept_paused_until < first))
        first = accept_paused_until;
    for (size_t i = 0; i < conn_high; i++)
        if (conns[i].state != CONN_FREE && (first < 0 || conns[i].deadline < first))
            first = conns[i].deadline;
    if (first < 0)
        return -1;
    return first <= now ? 0 : first - now > INT_MAX ? INT_MAX : (int)(first - now);
}

/* SIGINT or SIGTERM: stop accepting and close the connections that have
 * no response in flight; the others may finish. Returns when to give up
 * on them (ms). */
static long long begin_stop(int listen_fd)
{
    close(listen_fd);
    for (size_t i = 0; i < conn_high; i++) {
        if (conns[i].state == CONN_HEAD || conns[i].state == CONN_BODY)
            conn_close(&conns[i]);
        else
            conns[i].keep_alive = 0; /* close after this response */
    }
    return now_ms() + STOP_SECONDS * 1000;
}

/* One round: wait until a socket is ready or a deadline passes, then
 * accept, read, write and time out what is due. */
static void poll_round(struct pollfd *pfds, int listen_fd, long long *stop_at)
{
    static size_t cached; /* files the cache holds open */
    int listening = *stop_at < 0 && conn_count < conn_max && accept_paused_until == 0;
    nfds_t n = fill_pollfds(pfds, listen_fd, listening);
    long long now;
    char drain[64];

    if (poll(pfds, n, next_timeout(*stop_at, cached)) < 0) {
        if (errno != EINTR)
            fprintf(stderr, "poll: %s\n", strerror(errno));
        return;
    }
    if (pfds[0].revents != 0) {
        while (read(wake_pipe[0], drain, sizeof drain) > 0)
            ;
        if (*stop_at < 0)
            *stop_at = begin_stop(listen_fd);
    }
    if (listening && *stop_at < 0 && pfds[1].revents != 0 && accept_clients(listen_fd) < 0)
        accept_paused_until = now_ms() + 1000;
    for (size_t i = 0; i < conn_high; i++) {
        struct conn *c = &conns[i];

        /* poll_index 0 (the pipe): accepted after poll(), not polled yet */
        if (c->state != CONN_FREE && c->poll_index > 0 && pfds[c->poll_index].revents != 0)
            conn_ready(c);
    }
    cached = cache_expire(time(NULL));
    now = now_ms();
    if (accept_paused_until > 0 && accept_paused_until <= now)
        accept_paused_until = 0;
    for (size_t i = 0; i < conn_high; i++)
        if (conns[i].state != CONN_FREE && conns[i].deadline <= now)
            conn_expire(&conns[i]);
    while (conn_high > 0 && conns[conn_high - 1].state == CONN_FREE)
        conn_high--;
}

/* ---- main ---- */

/* Get ready for the loop: the listener non-blocking, SIGINT and SIGTERM
 * caught, the connection table and *pfds sized by connection_limit().
 * Returns 0, or -1 after printing which call failed. */
static int loop_setup(int listen_fd, struct pollfd **pfds)
{
    if (set_nonblocking(listen_fd) < 0) {
        fprintf(stderr, "fcntl O_NONBLOCK: %s\n", strerror(errno));
        return -1;
    }
    if (catch_signals() < 0)
        return -1;
    conn_max = connection_limit();
    conns = calloc(conn_max, sizeof *conns);
    *pfds = calloc(conn_max + 2, sizeof **pfds);
    if (conns == NULL || *pfds == NULL) {
        fprintf(stderr, "calloc: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* After the loop: close what is still open, free the tables, and print
 * the summary line. */
static void loop_end(struct pollfd *pfds)
{
    for (size_t i = 0; i < conn_high; i++)
        if (conns[i].state != CONN_FREE)
            conn_close(&conns[i]);
    cache_expire(-1);
    free(conns);
    free(pfds);
    printf("stopped: %lld connections, %lld requests\n", total_connections, total_requests);
}

/* Print the usage on stderr; returns 2, the exit status for a mistake. */
static int usage_error(const char *prog)
{
    usage(stderr, prog);
    return 2;
}

/* Read the command line into opts. Returns -1 when the server should
 * start, or else the status to exit with (0 after -h, 2 for a mistake). */
static int parse_options(int argc, char **argv)
{
    const char *dir = ".";
    unsigned char addr[sizeof(struct in6_addr)];
    int opt;

    opts.addr = DEFAULT_ADDR;
    opts.port = DEFAULT_PORT;
    opts.timeout = DEFAULT_TIMEOUT;
    while ((opt = getopt(argc, argv, "b:d:t:h")) != -1) {
        if (opt == 'b') {
            opts.addr = optarg;
        } else if (opt == 'd') {
            dir = optarg;
        } else if (opt == 't') {
            if ((opts.timeout = parse_number(optarg, TIMEOUT_MAX)) < 1) {
                fprintf(stderr, "%s: invalid timeout '%s' (want 1-%d seconds)\n", argv[0], optarg,
                        TIMEOUT_MAX);
                return usage_error(argv[0]);
            }
        } else if (opt == 'h') {
            usage(stdout, argv[0]);
            return 0;
        } else {
            return usage_error(argv[0]);
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: too many arguments\n", argv[0]);
        return usage_error(argv[0]);
    }
    if (argc - optind == 1 && (opts.port = parse_number(argv[optind], 65535)) < 0) {
        fprintf(stderr, "%s: invalid port '%s' (want 0-65535)\n", argv[0], argv[optind]);
        return usage_error(argv[0]);
    }
    if (inet_pton(AF_INET, opts.addr, addr) != 1 && inet_pton(AF_INET6, opts.addr, addr) != 1) {
        fprintf(stderr, "%s: invalid address '%s' (want IPv4 or IPv6, e.g. 0.0.0.0 or ::1)\n",
                argv[0], opts.addr);
        return usage_error(argv[0]);
    }
    /* Every file is opened relative to the root's descriptor: renaming
     * the root, or a symlink to it, changes nothing once it is open. */
    if ((opts.root_fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
        fprintf(stderr, "%s: -d %s: %s\n", argv[0], dir,
                errno == ENOTDIR ? "not a directory" : strerror(errno));
        return usage_error(argv[0]);
    }
    return -1;
}

int main(int argc, char **argv)
{
    char where[INET6_ADDRSTRLEN + 16];
    struct pollfd *pfds;
    long long stop_at = -1;
    int status, listen_fd;
    long port;

    /* stdout is flushed once per poll() round: one write for many log
     * lines, and still no line waits long. */
    setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
    /* Writing to a socket whose peer has gone raises SIGPIPE, which kills
     * the process by default. Ignored, send() fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    if ((status = parse_options(argc, argv)) >= 0)
        return status;

    listen_fd = listen_on(opts.addr, opts.port);
    if (listen_fd < 0)
        return 1;
    if ((port = bound_port(listen_fd)) < 0) {
        fprintf(stderr, "getsockname: %s\n", strerror(errno));
        return 1;
    }
    if (loop_setup(listen_fd, &pfds) < 0)
        return 1;
    format_host_port(where, sizeof where, opts.addr, port);
    printf("Serving HTTP on %s port %ld (http://%s/) ...\n", opts.addr, port, where);
    fflush(stdout);

    while (stop_at < 0 || (conn_count > 0 && now_ms() < stop_at)) {
        poll_round(pfds, listen_fd, &stop_at);
        fflush(stdout);
    }
    loop_end(pfds);
    return 0;
}
