/*
 * request.c — parse an HTTP/1.1 request head (RFC 9112) in place.
 *
 * The parser allocates nothing and copies nothing but the decoded path: it
 * returns views (pointer + length) into the caller's buffer, the shape of
 * picohttpparser. It checks the request line as soon as it is complete,
 * then waits for the empty line that ends the head before it checks the
 * fields, in the order they came; 414 and 431 come as soon as a limit is
 * passed. Each decision needs only bytes that came before it, which is
 * why feeding it a request whole or in pieces gives the same answer.
 */

#include "request.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- character classes ---- */

/* tchar, the characters of a token (RFC 9110 §5.6.2): methods and field
 * names are tokens. */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* CTL: the control bytes 0x00-0x1f and DEL. */
static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Return the value of hex digit c, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ASCII lower case, whatever the locale. */
static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int http_equals_nocase(const char *p, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n && s[i] != '\0'; i++)
        if (lower(p[i]) != lower(s[i]))
            return 0;
    return i == n && s[i] == '\0';
}

static int is_method(const struct http_request *req, const char *m)
{
    return req->method_len == strlen(m) && memcmp(req->method, m, req->method_len) == 0;
}

/* ---- errors ---- */

/* Record the status to answer and one line on what was wrong (fmt is a
 * printf format). Returns HTTP_ERROR, so a check can end with
 * "return fail(...)". */
static int fail(struct http_request *req, int status, const char *fmt, ...)
{
    va_list ap;

    req->status = status;
    va_start(ap, fmt);
    vsnprintf(req->error, sizeof req->error, fmt, ap);
    va_end(ap);
    return HTTP_ERROR;
}

/* The same for the chunked-body decoder, which then refuses every later
 * byte: an error in a body is final. */
static int chunk_fail(struct http_chunked *dec, int status, const char *fmt, ...)
{
    va_list ap;

    dec->state = -1;
    dec->status = status;
    va_start(ap, fmt);
    vsnprintf(dec->error, sizeof dec->error, fmt, ap);
    va_end(ap);
    return HTTP_ERROR;
}

/* ---- finding the head ---- */

/* Search buf[from..limit) for the empty line that ends the head. Returns
 * the head's length, up to and including that line, or 0. A line ends in
 * LF or CRLF (RFC 9112 §2.2: a bare LF is accepted as a line end). */
static size_t find_head_end(const char *buf, size_t limit, size_t from)
{
    for (size_t i = from; i < limit; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < limit && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < limit && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Split the next line off [*p, end), which holds an LF: set *line and *n to
 * it without its line end, and move *p past it. Returns 0, or HTTP_ERROR if
 * the line holds a CR that is not part of its CRLF: a bare CR, which some
 * parsers take as a line end and others not (RFC 9112 §2.2). */
static int next_line(const char **p, const char *end, const char **line, size_t *n)
{
    const char *lf = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = lf > *p && lf[-1] == '\r' ? lf - 1 : lf;

    *line = *p;
    *n = (size_t)(stop - *p);
    *p = lf + 1;
    return memchr(*line, '\r', *n) != NULL ? HTTP_ERROR : 0;
}

/* ---- the request line ---- */

/* Percent-decode the path p[0..n) into req->path_buf (RFC 3986 §2.1).
 * Returns 0, or HTTP_ERROR for a malformed %-escape or %00, a NUL that
 * would cut the path short wherever it is used as a C string. */
static int decode_path(struct http_request *req, const char *p, size_t n)
{
    size_t out = 0;

    if (n > req->path_size)
        return fail(req, 414, "the path is longer than %zu bytes", req->path_size);
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            req->path_buf[out++] = p[i];
            continue;
        }
        int hi = i + 2 < n ? hex_value(p[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(p[i + 2]) : -1;
        if (lo < 0)
            return fail(req, 400, "a malformed %%-escape in the path (want %%XX, two hex digits)");
        if (hi == 0 && lo == 0)
            return fail(req, 400, "%%00 (a NUL byte) in the path");
        req->path_buf[out++] = (char)(hi * 16 + lo);
        i += 2;
    }
    req->path = req->path_buf;
    req->path_len = out;
    return 0;
}

static int valid_host(const char *p, size_t n);

/* Split the request-target into path and query, and decode the path
 * (RFC 9112 §3.2). Forms: origin "/path?query"; absolute
 * "http://host/path?query", whose path is used and Host ignored (§3.2.2);
 * "*" for OPTIONS alone (§3.2.4); anything for CONNECT, which gets 501. */
static int parse_target(struct http_request *req)
{
    const char *t = req->target, *end = t + req->target_len, *path = t, *q;

    for (const char *c = t; c < end; c++)
        if (is_ctl((unsigned char)*c) || *c == '#')
            return fail(req, 400, "%s in the request target",
                        *c == '#' ? "a '#' (fragments stay in the client)" : "a control byte");
    if (req->target_len == 1 && t[0] == '*') {
        if (!is_method(req, "OPTIONS"))
            return fail(req, 400, "the target * is only for OPTIONS");
    } else if (req->target_len > 7 && http_equals_nocase(t, 7, "http://")) {
        const char *host = t + 7;
        for (path = host; path < end && *path != '/' && *path != '?'; path++)
            ;
        if (path == host || !valid_host(host, (size_t)(path - host)))
            return fail(req, 400, "an invalid host in the absolute-form target");
    } else if (t[0] != '/' && !is_method(req, "CONNECT")) {
        return fail(req, 400, "the target must start with / (or be an http:// URL)");
    }
    q = memchr(path, '?', (size_t)(end - path));
    req->query = q != NULL ? q + 1 : NULL;
    req->query_len = q != NULL ? (size_t)(end - q - 1) : 0;
    if (q == NULL)
        q = end;
    if (q == path) /* "http://host" or "http://host?x": the path is "/" */
        return decode_path(req, "/", 1);
    return decode_path(req, path, (size_t)(q - path));
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
 * Every 1.x is served (1.2 and up as 1.1); other majors get 505. */
static int parse_version(struct http_request *req, const char *v, size_t n)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || !is_digit(v[5]) || v[6] != '.' ||
        !is_digit(v[7]))
        return fail(req, 400, "an invalid HTTP version (want HTTP/1.1 or HTTP/1.0)");
    req->version_major = v[5] - '0';
    req->version_minor = v[7] - '0';
    if (req->version_major != 1)
        return fail(req, 505, "HTTP/%d.%d is not supported: this server speaks HTTP/1.1",
                    req->version_major, req->version_minor);
    return 0;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3),
 * exactly one SP between the parts: a parser that allows more (or tabs)
 * and one that doesn't would see different requests in the same bytes. */
static int parse_request_line(struct http_request *req, const char *line, size_t n)
{
    const char *end = line + n;
    const char *sp1 = memchr(line, ' ', n);
    const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;

    if (n == 0)
        return fail(req, 400, "an empty request line");
    if (sp2 == NULL)
        return fail(req, 400, "the request line is not METHOD SP TARGET SP HTTP-VERSION");
    req->method = line;
    req->method_len = (size_t)(sp1 - line);
    req->target = sp1 + 1;
    req->target_len = (size_t)(sp2 - sp1 - 1);
    if (req->method_len == 0 || req->target_len == 0)
        return fail(req, 400, "more than one space between the parts of the request line");
    for (const char *c = line; c < sp1; c++)
        if (!is_tchar((unsigned char)*c))
            return fail(req, 400, "an invalid character in the method");
    if (parse_target(req) < 0)
        return HTTP_ERROR;
    return parse_version(req, sp2 + 1, (size_t)(end - sp2 - 1));
}

/* ---- header fields ---- */

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). line_no
 * counts the field lines from 1, for the error messages. */
static int parse_field_line(struct http_request *req, const char *line, size_t n,
                            size_t line_no)
{
    const char *colon = memchr(line, ':', n), *value, *end = line + n;
    struct http_header *h;

    if (line[0] == ' ' || line[0] == '\t') /* obs-fold, §5.2 */
        return fail(req, 400, "header line %zu starts with whitespace (obsolete line folding)", line_no);
    if (colon == NULL)
        return fail(req, 400, "no colon in header line %zu", line_no);
    if (colon == line)
        return fail(req, 400, "an empty field name in header line %zu", line_no);
    if (colon[-1] == ' ' || colon[-1] == '\t') /* §5.1: reject, never strip */
        return fail(req, 400, "whitespace before the colon in header line %zu", line_no);
    for (const char *c = line; c < colon; c++)
        if (!is_tchar((unsigned char)*c))
            return fail(req, 400, "an invalid character in the field name of header line %zu", line_no);
    for (value = colon + 1; value < end && (*value == ' ' || *value == '\t'); value++)
        ;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    for (const char *c = value; c < end; c++)
        if (is_ctl((unsigned char)*c) && *c != '\t')
            return fail(req, 400, "a control byte in the value of header line %zu", line_no);
    if (req->num_headers == req->max_headers)
        return fail(req, 431, "more than %zu header fields", req->max_headers);
    h = &req->headers[req->num_headers++];
    h->name = line;
    h->name_len = (size_t)(colon - line);
    h->value = value;
    h->value_len = (size_t)(end - value);
    return 0;
}

/* Parse the field lines in [p, end), which ends with the empty line. */
static int parse_fields(struct http_request *req, const char *p, const char *end)
{
    const char *line;
    size_t n;

    for (size_t line_no = 1;; line_no++) {
        if (next_line(&p, end, &line, &n) < 0)
            return fail(req, 400, "a bare CR (not followed by LF) in header line %zu", line_no);
        if (n == 0)
            return 0;
        if (parse_field_line(req, line, n, line_no) < 0)
            return HTTP_ERROR;
    }
}

/* ---- what the fields mean ---- */

/* The characters of a reg-name (RFC 3986 §3.2.2) but ',', which would
 * make a list out of two Hosts. */
static int is_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr("-._~%!$&'()*+;=", c));
}

/* Whether p[0..n) is uri-host [":" port] (RFC 9110 §7.2), or empty, which
 * RFC 9112 §3.2 allows. Whitespace, '/', '@', ',' and bad ports are not. */
static int valid_host(const char *p, size_t n)
{
    size_t i = 0, digits = 0;
    long port = 0;

    if (n > 0 && p[0] == '[') { /* IP-literal: an IPv6 address */
        for (i = 1; i < n && p[i] != ']'; i++)
            if (hex_value(p[i]) < 0 && p[i] != ':' && p[i] != '.')
                return 0;
        if (i == n || i == 1)
            return 0;
        i++;
    } else {
        while (i < n && is_host_char((unsigned char)p[i]))
            i++;
    }
    if (i == n)
        return 1;
    if (p[i] != ':')
        return 0;
    for (i++; i < n; i++, digits++) {
        if (!is_digit(p[i]) || digits == 5)
            return 0;
        port = port * 10 + (p[i] - '0');
    }
    return digits > 0 && port <= 65535;
}

/* Host (RFC 9112 §3.2): exactly one in HTTP/1.1, at most one in 1.0. Two
 * could name two sites, and two servers in a chain could each pick one. */
static int check_host(struct http_request *req)
{
    const struct http_header *host = NULL;

    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        if (!http_equals_nocase(h->name, h->name_len, "Host"))
            continue;
        if (host != NULL)
            return fail(req, 400, "more than one Host header");
        host = h;
    }
    if (host == NULL)
        return req->version_minor >= 1 ? fail(req, 400, "no Host header (HTTP/1.1 requires one)") : 0;
    if (!valid_host(host->value, host->value_len))
        return fail(req, 400, "an invalid Host header (want host or host:port)");
    return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6): decimal even with leading
 * zeros, never a list; repeats must agree; overflow is an error. */
static int parse_content_length(struct http_request *req)
{
    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        long long value = 0;

        if (!http_equals_nocase(h->name, h->name_len, "Content-Length"))
            continue;
        if (memchr(h->value, ',', h->value_len) != NULL)
            return fail(req, 400, "a list in Content-Length");
        if (h->value_len == 0)
            return fail(req, 400, "an empty Content-Length");
        for (size_t j = 0; j < h->value_len; j++) {
            int digit = h->value[j] - '0';
            if (!is_digit(h->value[j]))
                return fail(req, 400, "Content-Length is not a decimal number");
            if (value > (LLONG_MAX - digit) / 10)
                return fail(req, 400, "Content-Length is too large");
            value = value * 10 + digit;
        }
        if (req->content_length >= 0 && req->content_length != value)
            return fail(req, 400, "two different Content-Length values");
        req->content_length = value;
    }
    return 0;
}

/* Find the next element of a comma-separated list in [*p, end) (RFC 9110
 * §5.6.1), without the whitespace around it, skipping empty elements.
 * Returns 0 with *item and *n set and *p moved past it, or -1 at the end. */
static int next_item(const char **p, const char *end, const char **item, size_t *n)
{
    const char *s = *p, *e;

    while (s < end && (*s == ',' || *s == ' ' || *s == '\t'))
        s++;
    if (s == end)
        return -1;
    e = memchr(s, ',', (size_t)(end - s));
    *p = e != NULL ? e : end;
    e = *p;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *item = s;
    *n = (size_t)(e - s);
    return 0;
}

/* Transfer-Encoding lists the codings applied to the body, in order (RFC
 * 9112 §6.1). This server decodes one, chunked, which must come last: only
 * then does the body have a known end (§6.3). */
static int check_transfer_coding(struct http_request *req)
{
    size_t chunked = 0, n, other_len = 0;
    const char *item, *other = NULL;
    int last_is_chunked = 0;

    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];
        const char *p = h->value, *end = h->value + h->value_len;

        if (!http_equals_nocase(h->name, h->name_len, "Transfer-Encoding"))
            continue;
        while (next_item(&p, end, &item, &n) == 0) {
            last_is_chunked = http_equals_nocase(item, n, "chunked");
            chunked += (size_t)last_is_chunked;
            if (!last_is_chunked && other == NULL) {
                other = item;
                other_len = n > 32 ? 32 : n;
            }
        }
    }
    if (!last_is_chunked)
        return fail(req, 400, "chunked is not the last transfer coding");
    if (chunked > 1)
        return fail(req, 400, "chunked more than once in Transfer-Encoding");
    if (other != NULL)
        return fail(req, 501, "the transfer coding %.*s is not implemented (only chunked)",
                    (int)other_len, other);
    req->chunked = 1;
    return 0;
}

/* How the body is delimited (RFC 9112 §6): Content-Length, or chunked.
 * With both, the length is ambiguous, the classic way to smuggle a request
 * past a proxy (§6.1, §11.2); an HTTP/1.0 message has no transfer codings,
 * so Transfer-Encoding there means its framing cannot be trusted (§6.1). */
static int check_framing(struct http_request *req)
{
    if (parse_content_length(req) < 0)
        return HTTP_ERROR;
    if (http_find_header(req, "Transfer-Encoding") != NULL) {
        if (req->content_length >= 0)
            return fail(req, 400, "both Transfer-Encoding and Content-Length");
        if (req->version_minor == 0)
            return fail(req, 400, "Transfer-Encoding in an HTTP/1.0 request");
        return check_transfer_coding(req);
    }
    if (req->content_length > HTTP_BODY_MAX)
        return fail(req, 413, "the body is larger than %d bytes", HTTP_BODY_MAX);
    return 0;
}

/* The methods this server implements; other tokens get 501 (RFC 9110 §9.1). */
static int check_method(struct http_request *req)
{
    static const char *const implemented[] = { "GET", "HEAD", "POST", "PUT", "DELETE" };

    for (size_t i = 0; i < sizeof implemented / sizeof implemented[0]; i++)
        if (is_method(req, implemented[i]))
            return 0;
    return fail(req, 501, "the method %.*s is not implemented",
                (int)(req->method_len > 32 ? 32 : req->method_len), req->method);
}

/* ---- the parser ---- */

int http_parse_request(const char *buf, size_t len, size_t last_len,
                       struct http_request *req)
{
    size_t start = 0, have, head_len, from;
    const char *lf, *stop, *p, *line;

    req->num_headers = 0;
    req->content_length = -1;
    req->chunked = 0;
    req->query = NULL;
    req->status = 0;
    req->error[0] = '\0';
    /* §2.2: ignore one empty line before the request line. */
    if (len > 0 && buf[0] == '\n')
        start = 1;
    else if (len > 1 && buf[0] == '\r' && buf[1] == '\n')
        start = 2;
    /* The request line must end within HTTP_LINE_MAX bytes and a CRLF. */
    have = len - start < HTTP_LINE_MAX + 2 ? len - start : HTTP_LINE_MAX + 2;
    lf = memchr(buf + start, '\n', have);
    stop = lf != NULL ? lf : buf + start + have;
    if (stop > buf + start && stop[-1] == '\r') /* the CR of a CRLF, maybe */
        stop--;
    if ((size_t)(stop - buf) - start > HTTP_LINE_MAX)
        return fail(req, 414, "the request line is longer than %d bytes", HTTP_LINE_MAX);
    if (lf == NULL)
        return HTTP_INCOMPLETE;
    /* A complete request line is checked at once: no need to wait for the
     * rest of a request that is already wrong. */
    p = buf + start;
    if (next_line(&p, lf + 1, &line, &have) < 0)
        return fail(req, 400, "a bare CR (not followed by LF) in the request line");
    if (parse_request_line(req, line, have) < 0)
        return HTTP_ERROR;
    /* The head must end within HTTP_HEAD_MAX bytes; resume the search
     * 2 bytes before the old end, as the empty line may straddle it. */
    from = (size_t)(lf - buf);
    if (last_len >= from + 2)
        from = last_len - 2;
    head_len = find_head_end(buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, from);
    if (head_len == 0)
        return len >= HTTP_HEAD_MAX
                   ? fail(req, 431, "the request head is larger than %d bytes", HTTP_HEAD_MAX)
                   : HTTP_INCOMPLETE;
    /* The whole head is here: check the fields in the order they came. */
    if (parse_fields(req, p, buf + head_len) < 0 || check_host(req) < 0 ||
        check_framing(req) < 0 || check_method(req) < 0)
        return HTTP_ERROR;
    return (int)head_len;
}

/* ---- chunked bodies ---- */

/* The decoder's states, in the order a chunked body (RFC 9112 §7.1) goes
 * through them; a chunk of size 0 ends the data:
 *     5;name=value\r\n   SIZE, SIZE_MORE, EXT_ states (ext_next), SIZE_LF
 *     hello\r\n           DATA, DATA_CR, DATA_LF, then SIZE again
 *     0\r\n               SIZE, SIZE_MORE, SIZE_LF
 *     Trailer: x\r\n     TRAILER, TRAILER_LINE, TRAILER_LF
 *     \r\n                TRAILER, END_LF, then DONE
 * -1 is the state after an error. */
enum {
    CHUNK_SIZE, CHUNK_SIZE_MORE,
    CHUNK_EXT_SEMI,      /* BWS, then ";" */
    CHUNK_EXT_NAME,      /* BWS, then a name */
    CHUNK_EXT_NAME_MORE, /* the rest of the name */
    CHUNK_EXT_EQ,        /* BWS after the name, then "=" or ";" */
    CHUNK_EXT_VALUE,     /* BWS, then a token or a quoted-string */
    CHUNK_EXT_TOKEN,     /* the rest of the token */
    CHUNK_EXT_QUOTED,    /* the rest of the quoted-string */
    CHUNK_EXT_PAIR,      /* the byte after a backslash in it */
    CHUNK_EXT_END,       /* after the quoted-string */
    CHUNK_SIZE_LF,
    CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF,
    CHUNK_TRAILER, CHUNK_TRAILER_LINE, CHUNK_TRAILER_LF, CHUNK_END_LF, CHUNK_DONE
};

void http_chunked_init(struct http_chunked *dec)
{
    memset(dec, 0, sizeof *dec);
    dec->state = CHUNK_SIZE;
}

/* After a size, a name or a value: BWS before the next ";", that ";", or
 * the CR that ends the line. Returns the next state, or -1. */
static int item_end(unsigned char c)
{
    if (c == ' ' || c == '\t')
        return CHUNK_EXT_SEMI;
    return c == ';' ? CHUNK_EXT_NAME : c == '\r' ? CHUNK_SIZE_LF : -1;
}

/* Follow byte c of the chunk extensions (RFC 9112 §7.1.1), strictly:
 *     *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
 * Returns the next state, or -1 if c cannot come there. */
static int ext_next(int state, unsigned char c)
{
    int ws = c == ' ' || c == '\t';

    switch (state) {
    case CHUNK_EXT_SEMI:
        return ws ? state : c == ';' ? CHUNK_EXT_NAME : -1;
    case CHUNK_EXT_NAME:
        return ws ? state : is_tchar(c) ? CHUNK_EXT_NAME_MORE : -1;
    case CHUNK_EXT_NAME_MORE:
        if (c == '=' || ws)
            return c == '=' ? CHUNK_EXT_VALUE : CHUNK_EXT_EQ;
        return is_tchar(c) ? state : item_end(c);
    case CHUNK_EXT_EQ:
        return ws ? state : c == '=' ? CHUNK_EXT_VALUE : c == ';' ? CHUNK_EXT_NAME : -1;
    case CHUNK_EXT_VALUE:
        if (ws)
            return state;
        return c == '"' ? CHUNK_EXT_QUOTED : is_tchar(c) ? CHUNK_EXT_TOKEN : -1;
    case CHUNK_EXT_TOKEN:
        return is_tchar(c) ? state : item_end(c);
    case CHUNK_EXT_QUOTED: /* qdtext is HTAB, SP, visible ASCII, obs-text */
        if (c == '"')
            return CHUNK_EXT_END;
        if (c == '\\')
            return CHUNK_EXT_PAIR;
        return c == '\t' || !is_ctl(c) ? state : -1;
    case CHUNK_EXT_PAIR:
        return c == '\t' || !is_ctl(c) ? CHUNK_EXT_QUOTED : -1;
    default: /* SIZE_MORE after its digits, or EXT_END */
        return item_end(c);
    }
}

/* Say why byte c cannot come where it is in a size line. Returns
 * HTTP_ERROR. */
static int size_line_fail(struct http_chunked *dec, unsigned char c)
{
    if (dec->state == CHUNK_SIZE_MORE) /* "5g": no extension began */
        return chunk_fail(dec, 400, "an invalid byte 0x%02x in a chunk-size line", c);
    /* BWS may only come before ";" or "=": "5 \r\n" is no valid line */
    if (c == '\r' && (dec->state == CHUNK_EXT_SEMI || dec->state == CHUNK_EXT_EQ))
        return chunk_fail(dec, 400, "whitespace at the end of a chunk-size line");
    if (c != '\r' && is_ctl(c))
        return chunk_fail(dec, 400, "a control byte 0x%02x in a chunk extension", c);
    return chunk_fail(dec, 400, "a chunk extension that is not ;name or ;name=value "
                      "(at byte 0x%02x)", c);
}

/* One more byte of a size line: hex digits, then extensions (ext_next),
 * then CRLF. Extensions must follow their grammar, then are skipped; the
 * line is bounded. Returns 0, or HTTP_ERROR. */
static int size_line_byte(struct http_chunked *dec, char c)
{
    int digit = hex_value(c), next;

    if (c != '\r' && ++dec->line_len > HTTP_CHUNK_LINE_MAX)
        return chunk_fail(dec, 400, "a chunk-size line longer than %d bytes", HTTP_CHUNK_LINE_MAX);
    if (dec->state == CHUNK_SIZE || (dec->state == CHUNK_SIZE_MORE && digit >= 0)) {
        if (digit < 0)
            return chunk_fail(dec, 400, "a chunk size that is not a hex number");
        /* Checked digit by digit, so a long size cannot overflow. */
        dec->left = dec->left * 16 + (unsigned)digit;
        if (dec->left > (unsigned long long)(HTTP_BODY_MAX - dec->body_len))
            return chunk_fail(dec, 413, "the body is larger than %d bytes", HTTP_BODY_MAX);
        dec->state = CHUNK_SIZE_MORE;
        return 0;
    }
    /* A lenient reading of what follows the size is how smuggling starts:
     * a proxy that frames the body another way sees other requests. */
    next = ext_next(dec->state, (unsigned char)c);
    if (next < 0)
        return size_line_fail(dec, (unsigned char)c);
    dec->state = next;
    return 0;
}

/* The CR or LF of a line end: if c is want, go to state next; else fail,
 * saying what was wrong. Returns 0, or HTTP_ERROR. */
static int expect(struct http_chunked *dec, char c, char want, int next)
{
    if (c == want) {
        dec->state = next;
        return 0;
    }
    /* Checked first: in "5\r\nhell\r\n" the CR is the fifth data byte, so
     * the LF only looks bare; after data, the size is what to suspect. */
    if (dec->state == CHUNK_DATA_CR || dec->state == CHUNK_DATA_LF)
        return chunk_fail(dec, 400,
                          "chunk data longer or shorter than its size (no CRLF after it)");
    if (c == '\n')
        return chunk_fail(dec, 400, "a bare LF in a chunked body (want CRLF)");
    return chunk_fail(dec, 400, "a CR without its LF in a chunked body");
}

/* Feed one byte that is not chunk data to the decoder. Returns 0, or
 * HTTP_ERROR. */
static int chunk_byte(struct http_chunked *dec, char c)
{
    if (dec->state >= CHUNK_TRAILER && ++dec->trailer_len > HTTP_HEAD_MAX)
        return chunk_fail(dec, 431, "the trailer section is larger than %d bytes", HTTP_HEAD_MAX);
    /* Counted over the whole body, since each line alone is short: else a
     * client could send a gigabyte of extensions around a few bytes of data
     * and keep the server busy for free (Node.js's CVE-2024-22019). Many
     * small chunks are fine: only framing beyond the data counts. */
    if (++dec->framing_len > HTTP_CHUNK_FRAMING_MAX + (unsigned long long)dec->body_len)
        return chunk_fail(dec, 400, "the chunked framing (size lines, extensions, trailers) "
                          "exceeds the data by more than %d bytes", HTTP_CHUNK_FRAMING_MAX);
    switch (dec->state) {
    case CHUNK_SIZE_LF:
        dec->line_len = 0;
        return expect(dec, c, '\n', dec->left > 0 ? CHUNK_DATA : CHUNK_TRAILER);
    case CHUNK_DATA_CR:
        return expect(dec, c, '\r', CHUNK_DATA_LF);
    case CHUNK_DATA_LF:
        return expect(dec, c, '\n', CHUNK_SIZE);
    case CHUNK_TRAILER: /* a field line, or the empty line that ends all */
        if (c == '\r' || c == '\n')
            return expect(dec, c, '\r', CHUNK_END_LF);
        dec->state = CHUNK_TRAILER_LINE;
        return 0;
    case CHUNK_TRAILER_LINE: /* discarded, whatever it holds, up to CR */
        if (c == '\r' || c == '\n')
            return expect(dec, c, '\r', CHUNK_TRAILER_LF);
        return 0;
    case CHUNK_TRAILER_LF:
        return expect(dec, c, '\n', CHUNK_TRAILER);
    case CHUNK_END_LF:
        return expect(dec, c, '\n', CHUNK_DONE);
    default: /* the size line */
        if (c == '\n')
            return expect(dec, c, '\r', dec->state);
        return size_line_byte(dec, c);
    }
}

int http_decode_chunked(struct http_chunked *dec, char *buf, size_t *len)
{
    size_t in = 0, out = 0, n;

    while (in < *len && dec->state != CHUNK_DONE) {
        if (dec->state == CHUNK_DATA) { /* a run of data: moved at once */
            n = *len - in < dec->left ? *len - in : (size_t)dec->left;
            memmove(buf + out, buf + in, n);
            in += n;
            out += n;
            dec->left -= n;
            dec->body_len += (long long)n;
            if (dec->left == 0)
                dec->state = CHUNK_DATA_CR;
        } else if (dec->state < 0 || chunk_byte(dec, buf[in++]) < 0) {
            return HTTP_ERROR;
        }
    }
    if (dec->state != CHUNK_DONE) {
        *len = out;
        return HTTP_INCOMPLETE;
    }
    n = *len - in; /* what came after the body: the next request, maybe */
    memmove(buf + out, buf + in, n);
    *len = out;
    return (int)n;
}

/* Whether the list in one field value holds token, ignoring case. */
static int list_has(const char *p, size_t len, const char *token)
{
    const char *end = p + len, *item;
    size_t n;

    while (next_item(&p, end, &item, &n) == 0)
        if (http_equals_nocase(item, n, token))
            return 1;
    return 0;
}

int http_has_token(const struct http_request *req, const char *name, const char *token)
{
    for (size_t i = 0; i < req->num_headers; i++) {
        const struct http_header *h = &req->headers[i];

        if (http_equals_nocase(h->name, h->name_len, name) && list_has(h->value, h->value_len, token))
            return 1;
    }
    return 0;
}

const struct http_header *http_find_header(const struct http_request *req,
                                           const char *name)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (http_equals_nocase(req->headers[i].name, req->headers[i].name_len, name))
            return &req->headers[i];
    return NULL;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
