/*
 * step04-static-files — step03 plus files from a document root (files.c):
 * Content-Type by extension, directory listings, validators and 304,
 * ranges, precompressed .gz files, and no way out of the root.
 *
 * Build by hand, inside this directory:
 *     cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -o server server.c request.c files.c
 * Run:
 *     ./server [-b ADDR] [-d DIR] [PORT]   (127.0.0.1, the current directory, 8000)
 *
 * Each connection: accept, recv and parse until the head is complete,
 * read the body, find the file, send it (or the error), log a line, close.
 */

/* ---- includes and constants ---- */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

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
#define SERVER_NAME "http-from-scratch/step04"
#define LOG_LINE_MAX 200 /* bytes of a request line shown in the log */

/* What read_request() returns when there is no complete, valid request. */
enum { READ_ERROR = -1, READ_CLOSED = -2, READ_INVALID = -3 };

/* What the command line asks for. */
struct options {
    const char *addr;    /* the address to listen on, e.g. "127.0.0.1", "::1" */
    long port;           /* 0-65535 */
    int root_fd;         /* the directory served, open */
};

static struct options opts; /* set once by main(), read by the handlers */

/* ---- command line ---- */

/* Print how to call the program to out (stdout for -h, stderr on error). */
static void usage(FILE *out, const char *prog)
{
    fprintf(out, "usage: %s [-b ADDR] [-d DIR] [PORT]\n"
                 "  -b ADDR  IPv4 or IPv6 address to listen on (default %s; 0.0.0.0 = every one)\n"
                 "  -d DIR   directory to serve (default: the current directory)\n"
                 "  PORT     TCP port to listen on, 0-65535 (default %d; 0 = any free port)\n",
            prog, DEFAULT_ADDR, DEFAULT_PORT);
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

/* Print one access-log line per request, in the Common Log Format:
 *     127.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /a.txt HTTP/1.1" 200 10
 * the client, the time, the request line (escaped, at most LOG_LINE_MAX
 * bytes), the status, and the body bytes sent ("-" for none). */
static void log_access(const char *ip, const char *buf, size_t len, int status,
                       long long sent)
{
    const char *p = buf, *end = buf + len, *stop;
    char when[64];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    if (p < end && *p == '\r') /* the empty line a request may start with */
        p++;
    if (p < end && *p == '\n')
        p++;
    stop = memchr(p, '\n', (size_t)(end - p));
    if (stop == NULL)
        stop = end;
    if (stop > p && stop[-1] == '\r')
        stop--;
    printf("%s - - [%s] \"", ip, when);
    log_escaped(p, (size_t)(stop - p) < LOG_LINE_MAX ? (size_t)(stop - p) : LOG_LINE_MAX);
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

/* Every response is built here: the head, then the start of the body, so
 * a small response leaves in a single send (no small packets for Nagle to
 * delay). One client at a time. */
static char out[RESPONSE_HEAD_MAX + FILE_CHUNK];

/* Format a response head into out: status line, Date, Server, the extra
 * header lines (each ending in CRLF), Content-Length unless length < 0,
 * Connection: close, the empty line. Returns its length, or -1 (errno
 * EMSGSIZE) if it does not fit. */
static int format_head(int status, const char *extra, long long length)
{
    char date[64], content_length[48] = "";
    int n;

    format_http_date(date, sizeof date, time(NULL));
    if (length >= 0)
        snprintf(content_length, sizeof content_length, "Content-Length: %lld\r\n", length);
    n = snprintf(out, RESPONSE_HEAD_MAX,
                 "HTTP/1.1 %d %s\r\n"
                 "Date: %s\r\n"
                 "Server: " SERVER_NAME "\r\n"
                 "%s%s"
                 "Connection: close\r\n"
                 "\r\n",
                 status, http_reason(status), date, extra, content_length);
    if (n < 0 || n >= RESPONSE_HEAD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}

/* Send a response with its body in memory. For HEAD (head_only) the head
 * is GET's, Content-Length too, without the body. Returns 0, or -1 with
 * errno set. */
static int send_response(int fd, int status, const char *extra, const char *body,
                         size_t body_len, int head_only)
{
    int n = format_head(status, extra, (long long)body_len);

    if (n < 0)
        return -1;
    if (head_only)
        return send_all(fd, out, (size_t)n);
    if (body_len <= FILE_CHUNK) {
        memcpy(out + n, body, body_len);
        return send_all(fd, out, (size_t)n + body_len);
    }
    return send_all(fd, out, (size_t)n) < 0 ? -1 : send_all(fd, body, body_len);
}

/* Send bytes [first, first + count) of an open file: the head leaves with
 * the first piece, then piece after piece through the one fixed buffer, so
 * a 2 GiB file costs no more memory than a small one. count < 0 sends a
 * head without Content-Length or body (304). Returns 0, or -1 with errno
 * set: the client has gone, or the file could not be read to the end. */
static int send_file(int fd, int status, const char *extra, int file, off_t first,
                     off_t count, int head_only)
{
    int n = format_head(status, extra, (long long)count);
    size_t used;

    if (n < 0)
        return -1;
    used = (size_t)n;
    while (!head_only && count > 0) {
        size_t want = count < FILE_CHUNK ? (size_t)count : FILE_CHUNK;
        ssize_t got = pread(file, out + used, want, first);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) { /* an error, or the file shrank since fstat() */
            errno = got == 0 ? EIO : errno;
            return -1;
        }
        if (send_all(fd, out, used + (size_t)got) < 0)
            return -1;
        used = 0;
        first += got;
        count -= got;
    }
    return used > 0 ? send_all(fd, out, used) : 0;
}

/* Send a text response: "CODE Reason" and one line saying why, with the
 * extra header lines (Allow, Location, Content-Range). Returns status; adds
 * the body bytes sent to *sent. */
static int reply_text(int fd, int status, const char *extra, const char *why,
                      int head_only, long long *sent)
{
    static char headers[RESPONSE_HEAD_MAX];
    char body[512];
    int n = snprintf(body, sizeof body, "%d %s\n%s\n", status, http_reason(status), why);

    if (n < 0)
        return status;
    if ((size_t)n >= sizeof body)
        n = (int)sizeof body - 1; /* a long reason is cut, never overflowed */
    snprintf(headers, sizeof headers, "Content-Type: text/plain; charset=utf-8\r\n%s", extra);
    if (send_response(fd, status, headers, body, (size_t)n, head_only) < 0)
        fprintf(stderr, "send: %s\n", strerror(errno));
    else if (!head_only)
        *sent += n;
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
 * Returns the status; adds the body bytes sent to *sent. */
static int send_opened_file(int fd, const struct http_request *req, int file,
                            const struct stat *st, const char *type, const char *coding,
                            const char *vary, int head_only, long long *sent)
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
        if (send_file(fd, 304, headers, file, 0, -1, 1) < 0)
            fprintf(stderr, "send: %s\n", strerror(errno));
        return 304;
    }
    /* GET is the only method with ranges (RFC 9110 §14.2): HEAD gets 200. */
    kind = head_only ? RANGE_NONE : choose_range(req, st->st_size, etag, mtime, &first, &last);
    if (kind == RANGE_UNSATISFIABLE) {
        snprintf(headers + n, sizeof headers - (size_t)n, "Content-Range: bytes */%lld\r\n",
                 (long long)st->st_size);
        return reply_text(fd, 416, headers + n, "the range starts past the end of the file",
                          head_only, sent);
    }
    status = kind == RANGE_OK ? 206 : 200;
    n += snprintf(headers + n, sizeof headers - (size_t)n,
                  "Content-Type: %s\r\n%sAccept-Ranges: bytes\r\n", type, coding);
    if (status == 206)
        snprintf(headers + n, sizeof headers - (size_t)n, "Content-Range: bytes %lld-%lld/%lld\r\n",
                 (long long)first, (long long)last, (long long)st->st_size);
    if (send_file(fd, status, headers, file, first, last - first + 1, head_only) < 0)
        fprintf(stderr, "send: %s\n", strerror(errno));
    else if (!head_only)
        *sent += last - first + 1;
    return status;
}

/* Answer for a file, or a directory to list, that could not be opened
 * (errno says why): 403 when it may not be read, 503 when the server has
 * too many files open (a moment later it may work), 404 when it has gone
 * since it was found, 500 for anything else. Returns the status sent. */
static int reply_open_failed(int fd, int directory, int head_only, long long *sent)
{
    if (errno == EACCES)
        return reply_text(fd, 403, "",
                          directory ? "the directory may not be read" : "the file may not be read",
                          head_only, sent);
    if (errno == EMFILE || errno == ENFILE)
        return reply_text(fd, 503, "Retry-After: 1\r\n",
                          "the server has too many files open: try again", head_only, sent);
    if (errno == ENOENT || errno == ENOTDIR)
        return reply_text(fd, 404, "", "no such file", head_only, sent);
    return reply_text(fd, 500, "",
                      directory ? "the directory could not be listed"
                                : "the file could not be opened",
                      head_only, sent);
}

/* Answer for a path files_normalize() or files_resolve() refused with
 * status (st: what files_resolve() found, for FILES_OPEN_FAILED). Returns
 * the status sent. */
static int reply_not_resolved(int fd, int status, const struct stat *st, int head_only,
                              long long *sent)
{
    switch (status) {
    case FILES_BAD_PATH:
        return reply_text(fd, 400, "", "a backslash in the path", head_only, sent);
    case FILES_ABOVE_ROOT:
        return reply_text(fd, 400, "", "the path climbs above the root with ..", head_only, sent);
    case FILES_FORBIDDEN:
        return reply_text(fd, 403, "", "a directory on the way may not be read", head_only, sent);
    case FILES_OPEN_FAILED:
        if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) /* a socket: no open() */
            return reply_text(fd, 403, "", "not a regular file", head_only, sent);
        return reply_open_failed(fd, S_ISDIR(st->st_mode), head_only, sent);
    }
    return reply_text(fd, 404, "", "no such file", head_only, sent);
}

/* Serve the regular file file, open at real (from files_resolve()), or
 * FILE.gz beside it when the client accepts gzip, as type, the Content-Type
 * of the name requested. file stays the caller's. Returns the status sent. */
static int serve_file(int fd, const struct http_request *req, const char *real, int file,
                      const struct stat *st, const char *type, int head_only, long long *sent)
{
    const struct http_header *accept = http_find_header(req, "Accept-Encoding");
    struct stat gz_st;
    int gz = files_gz_sibling(opts.root_fd, real, &gz_st), status;

    if (gz < 0)
        return send_opened_file(fd, req, file, st, type, "", "", head_only, sent);
    /* Vary on both variants, for caches. */
    if (accept != NULL && files_accepts_gzip(accept->value, accept->value_len))
        status = send_opened_file(fd, req, gz, &gz_st, type, "Content-Encoding: gzip\r\n",
                                  "Vary: Accept-Encoding\r\n", head_only, sent);
    else
        status = send_opened_file(fd, req, file, st, type, "", "Vary: Accept-Encoding\r\n",
                                  head_only, sent);
    close(gz);
    return status;
}

/* Send the HTML listing of the open directory dir. Returns the status sent. */
static int serve_listing(int fd, const struct http_request *req, int dir, int head_only,
                         long long *sent)
{
    size_t len;
    char *page = files_listing(dir, req->path, req->path_len, &len);

    if (page == NULL)
        return reply_open_failed(fd, 1, head_only, sent);
    if (send_response(fd, 200, "Content-Type: text/html; charset=utf-8\r\n"
                               "Cache-Control: no-cache\r\n", page, len, head_only) < 0)
        fprintf(stderr, "send: %s\n", strerror(errno));
    else if (!head_only)
        *sent += (long long)len;
    free(page);
    return 200;
}

/* A directory, open as dir at real: /dir gets 301 to /dir/ (so relative
 * links in it resolve inside it), /dir/ its index.html if there is one,
 * else a listing. Returns the status sent. */
static int serve_directory(int fd, const struct http_request *req, const char *real, int dir,
                           int head_only, long long *sent)
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
        return reply_text(fd, 301, location, "a directory's URL ends with a slash", head_only, sent);
    }
    /* real ends with '/' here; too long a name has no index.html. */
    if ((size_t)snprintf(index, sizeof index, "%sindex.html", real) >= sizeof index)
        return serve_listing(fd, req, dir, head_only, sent);
    status = files_resolve(opts.root_fd, index, index_real, sizeof index_real, &file, &st);
    if (status == FILES_NOT_FOUND) /* no index.html: list the directory */
        return serve_listing(fd, req, dir, head_only, sent);
    if (status != FILES_OK)
        return reply_not_resolved(fd, status, &st, head_only, sent);
    if (S_ISREG(st.st_mode))
        status = serve_file(fd, req, index_real, file, &st, files_mime_type("index.html", 10),
                            head_only, sent);
    else
        status = serve_listing(fd, req, dir, head_only, sent);
    close(file);
    return status;
}

/* Answer a valid request from the files under the root. Returns the
 * status sent; adds the body bytes sent to *sent. */
static int serve(int fd, const struct http_request *req, long long *sent)
{
    char path[PATH_MAX], real[PATH_MAX];
    struct stat st;
    int head_only = method_is(req, "HEAD"), file, status;
    long len;

    if (!head_only && !method_is(req, "GET"))
        return reply_text(fd, 405, "Allow: GET, HEAD\r\n",
                          "this server only reads files: use GET or HEAD", 0, sent);
    /* Checked and opened in one walk: what was checked is what is served. */
    len = files_normalize(req->path, req->path_len, path, sizeof path);
    status = len < 0 ? (int)len : files_resolve(opts.root_fd, path, real, sizeof real, &file, &st);
    if (status != FILES_OK)
        return reply_not_resolved(fd, status, &st, head_only, sent);
    if (S_ISDIR(st.st_mode))
        status = serve_directory(fd, req, real, file, head_only, sent);
    else if (!S_ISREG(st.st_mode)) /* a FIFO or a device */
        status = reply_text(fd, 403, "", "not a regular file", head_only, sent);
    else
        status = serve_file(fd, req, real, file, &st, files_mime_type(req->path, req->path_len),
                            head_only, sent);
    close(file);
    return status;
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

/* Answer one connection: read and parse a request, serve it (or send the
 * error it deserves), log a line, close. Errors end only this connection;
 * the server goes on. */
static void handle_client(int fd, const struct sockaddr *peer, socklen_t peer_len)
{
    static char buf[HTTP_HEAD_MAX + HTTP_BODY_MAX]; /* one client at a time */
    static char path[HTTP_LINE_MAX];
    struct http_header headers[HTTP_FIELDS_MAX];
    struct http_request req = { .path_buf = path, .path_size = sizeof path,
                                .headers = headers, .max_headers = HTTP_FIELDS_MAX };
    char ip[INET6_ADDRSTRLEN];
    size_t len;
    ssize_t head_len;
    long long sent = 0;
    int status;

    if (getnameinfo(peer, peer_len, ip, sizeof ip, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(ip, sizeof ip, "-");
    head_len = read_request(fd, buf, sizeof buf, &len, &req);
    if (head_len == READ_ERROR || head_len == READ_CLOSED) { /* nobody to answer */
        if (head_len == READ_ERROR)
            fprintf(stderr, "recv from %s: %s\n", ip, strerror(errno));
        close(fd);
        return;
    }
    if (head_len == READ_INVALID)
        status = reply_text(fd, req.status, "", req.error, 0, &sent);
    else
        status = serve(fd, &req, &sent);
    log_access(ip, buf, len, status, sent);
    close_gracefully(fd);
}

/* ---- main ---- */

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
    while ((opt = getopt(argc, argv, "b:d:h")) != -1) {
        if (opt == 'b') {
            opts.addr = optarg;
        } else if (opt == 'd') {
            dir = optarg;
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
    if (argc - optind == 1 && (opts.port = parse_port(argv[optind])) < 0) {
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
    int status, listen_fd;
    long port;

    /* Line-buffer stdout so each line reaches a pipe or file at once. */
    setvbuf(stdout, NULL, _IOLBF, 0);
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
    format_host_port(where, sizeof where, opts.addr, port);
    printf("Serving HTTP on %s port %ld (http://%s/) ...\n", opts.addr, port, where);

    for (;;) {
        struct sockaddr_storage peer; /* room for IPv4 and IPv6 alike */
        socklen_t peer_len = sizeof peer;
        int fd = accept(listen_fd, (struct sockaddr *)&peer, &peer_len);

        if (fd < 0) {
            /* EINTR (a signal), ECONNABORTED (the client gave up while
             * queued): nothing is wrong with the server, accept again. */
            if (errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, "accept: %s\n", strerror(errno));
            continue;
        }
        handle_client(fd, (struct sockaddr *)&peer, peer_len);
    }
}
