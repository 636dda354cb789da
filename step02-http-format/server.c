/*
 * step02-http-format — step01 plus the HTTP message format: read a whole
 * request head, however it is split, and build a well-formed response
 * (status line, headers, blank line, body) for every answer.
 *
 * Build by hand, inside this directory:
 *     cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -o server server.c
 * Run:
 *     ./server [PORT]        (PORT 8000 by default; 0 lets the kernel choose)
 *
 * Each connection: accept, recv until the empty line that ends the request
 * head, print the head, send a page that shows it, close gracefully.
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
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT 8000
#define LISTEN_BACKLOG 128 /* connections the kernel queues before accept() */
#define HEAD_MAX 16384     /* bytes in a request head; more gets 431 */
#define BODY_MAX (7 * HEAD_MAX) /* bytes in a response body: the page
                                   with a head whose every byte is escaped */
#define RESPONSE_HEAD_MAX 1024 /* bytes in a response's status line and headers */
#define LINGER_SECONDS 2   /* how long to wait for a client to close */
#define LINGER_MAX (1 << 20) /* bytes discarded while waiting for it */
#define SERVER_NAME "http-from-scratch/step02"

/* What read_head() returns when there is no complete head. */
enum { READ_ERROR = -1, READ_CLOSED = -2, READ_TOO_LARGE = -3 };

/* The page around the request head, which goes between them escaped. */
static const char PAGE_TOP[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>Hello, World!</title>\n"
    "</head>\n"
    "<body>\n"
    "<h1>Hello, World!</h1>\n"
    "<p>This is the request head your client sent:</p>\n"
    "<pre>";
static const char PAGE_BOTTOM[] =
    "</pre>\n"
    "</body>\n"
    "</html>\n";

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

/* Return the length of the request head in buf[0..len), up to and including
 * the empty line that ends it, or 0 if that line has not arrived yet. The
 * search starts at from. Lines end in CRLF; a bare LF is accepted as a line
 * end too (RFC 9112 §2.2), so "\n\n" and "\r\n\n" also end a head. */
static size_t find_head_end(const char *buf, size_t len, size_t from)
{
    for (size_t i = from; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Read from fd into buf until the empty line that ends the request head.
 * TCP is a byte stream: the head may arrive in any number of pieces.
 * Returns the head's length and sets *len to all bytes read (the head and
 * any body bytes that came with it); or READ_ERROR (errno set), READ_CLOSED
 * (the client closed first) or READ_TOO_LARGE (buf filled first). */
static ssize_t read_head(int fd, char *buf, size_t size, size_t *len)
{
    size_t head_len;
    ssize_t n;

    *len = 0;
    while (*len < size) {
        n = recv(fd, buf + *len, size - *len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return READ_ERROR;
        if (n == 0)
            return READ_CLOSED;
        /* The empty line may straddle two reads: look back 2 bytes. */
        head_len = find_head_end(buf, *len + (size_t)n, *len >= 2 ? *len - 2 : 0);
        *len += (size_t)n;
        if (head_len > 0)
            return (ssize_t)head_len;
    }
    return READ_TOO_LARGE;
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

/* Print the request head line by line, naming each part: the request line,
 * the header lines, the empty line; then how many body bytes came with it. */
static void log_request(const char *head, size_t head_len, size_t body_len)
{
    const char *p = head, *end = head + head_len;

    for (int line = 0; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p) + 1; /* a head always ends in \n */

        printf("  %-12s | ", line == 0 ? "request line"
                             : p + n == end ? "blank line" : "header");
        log_escaped(p, n);
        putchar('\n');
        p += n;
    }
    printf("  %-12s | %zu arrived with the head\n", "body bytes", body_len);
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
 * leaves in a single send (no small packets for Nagle to delay).
 * Returns 0, or -1 with errno set. */
static int send_response(int fd, int status, const char *reason,
                         const char *type, const char *body, size_t body_len)
{
    static char out[RESPONSE_HEAD_MAX + BODY_MAX]; /* one client at a time */
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
                 status, reason, date, type, body_len);
    if (n < 0 || (size_t)n >= RESPONSE_HEAD_MAX || body_len > BODY_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    memcpy(out + n, body, body_len);
    return send_all(fd, out, (size_t)n + body_len);
}

/* Send an error response: the status, and a text body that repeats it and
 * says in one line what was wrong. Returns 0, or -1 with errno set. */
static int send_error(int fd, int status, const char *reason, const char *why)
{
    char body[512];
    int n = snprintf(body, sizeof body, "%d %s\n%s\n", status, reason, why);

    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof body)
        n = (int)sizeof body - 1; /* a long reason is cut, never overflowed */
    return send_response(fd, status, reason, "text/plain; charset=utf-8",
                         body, (size_t)n);
}

/* Copy len bytes of src to dst, writing & < > " ' as HTML character
 * references so the browser shows the client's bytes as text and never runs
 * them as markup. dst must have room for 6 * len bytes (every byte "&quot;").
 * Returns the bytes written. */
static size_t html_escape(char *dst, const char *src, size_t len)
{
    char *d = dst;

    for (size_t i = 0; i < len; i++) {
        const char *ref = NULL;

        switch (src[i]) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: *d++ = src[i]; continue;
        }
        memcpy(d, ref, strlen(ref));
        d += strlen(ref);
    }
    return (size_t)(d - dst);
}

/* Send the Hello, World! page with the request head in it, escaped.
 * Returns 0, or -1 with errno set. */
static int send_page(int fd, const char *head, size_t head_len)
{
    static char page[BODY_MAX]; /* one client at a time */
    size_t n = 0;

    memcpy(page, PAGE_TOP, sizeof PAGE_TOP - 1);
    n += sizeof PAGE_TOP - 1;
    n += html_escape(page + n, head, head_len);
    memcpy(page + n, PAGE_BOTTOM, sizeof PAGE_BOTTOM - 1);
    n += sizeof PAGE_BOTTOM - 1;
    return send_response(fd, 200, "OK", "text/html; charset=utf-8", page, n);
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

/* Answer one connection: read the request head, print it, send the page
 * (or 431 if the head is too large), close. Errors end only this
 * connection; the server goes on. */
static void handle_client(int fd, const struct sockaddr_in *peer)
{
    static char buf[HEAD_MAX]; /* one client at a time */
    char ip[INET_ADDRSTRLEN], why[128];
    size_t len;
    ssize_t head_len;

    inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof ip);
    printf("Connection from %s:%u\n", ip, (unsigned)ntohs(peer->sin_port));

    head_len = read_head(fd, buf, sizeof buf, &len);
    if (head_len == READ_ERROR) {
        fprintf(stderr, "recv from %s: %s\n", ip, strerror(errno));
        close(fd);
        return;
    }
    if (head_len == READ_CLOSED) { /* nobody is left to answer */
        printf("  %s closed the connection before the end of a request head\n", ip);
        close(fd);
        return;
    }
    if (head_len == READ_TOO_LARGE) {
        snprintf(why, sizeof why, "the request head is larger than %d bytes", HEAD_MAX);
        printf("  431 Request Header Fields Too Large: %s\n", why);
        if (send_error(fd, 431, "Request Header Fields Too Large", why) < 0)
            fprintf(stderr, "send to %s: %s\n", ip, strerror(errno));
        close_gracefully(fd);
        return;
    }
    log_request(buf, (size_t)head_len, len - (size_t)head_len);
    if (send_page(fd, buf, (size_t)head_len) < 0)
        fprintf(stderr, "send to %s: %s\n", ip, strerror(errno));
    else
        printf("  200 OK\n");
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
