/*
 * fuzz_conn — a libFuzzer harness for the newest step's whole connection:
 * its own connection code (server.c, included whole, its main() renamed)
 * serves each input, sent by a client over a socketpair, from a small
 * document root made at startup, and the harness checks every byte of
 * what comes back.
 *
 * An input: byte 0, flags (bit 0: a 4 KiB send buffer on the server's
 * socket, so responses fill it; bit 1: the client reads nothing, gives
 * up sending when neither side can go on, and hangs up at the end; else
 * it reads all, shuts down its side at the end and reads to the close);
 * byte 1, how many cut points follow (low 4 bits); one byte
 * each, v, for the length of the next piece the client writes (v bytes
 * if v < 192, else (v - 191) * 256: up to 16 KiB); then the bytes the
 * client sends, in those pieces and the rest in one. Between
 * pieces the server runs poll_round(), the poll loop's own round,
 * whenever its socket is ready (poll() with a zero timeout says so first:
 * the harness never blocks); at the end it runs until it closes.
 *
 * What comes back must be, response after response: "HTTP/1.1 NNN
 * Reason" (the phrase known), header lines ending in CRLF, Date and
 * Server, and a body of exactly Content-Length bytes or a well-formed
 * chunked body. Which requests were sent is found by parsing the input
 * the way the server does, with its parser; so a response to HEAD has no
 * body (nor has a 304), a 100 Continue answers only a request that
 * expects it and has a body, Connection says close exactly when it
 * should, with nothing after it, and there is a response to every
 * complete request and none more (of a client that reads). A known
 * file's ETag means its bytes (or the range Content-Range names); an
 * unknown ETag, or a listing that names anything but the root's entries,
 * means a file from outside the root was served. Errors found in a
 * request (HTTP_ERROR from the parser or the chunked decoder) are
 * answered with a body even to HEAD, as the server does. Every
 * descriptor opened for an input is closed after it.
 * FUZZ_CONN_VERBOSE=1 in the environment prints each response head.
 *
 *     make fuzz FUZZ_SECONDS=60    (needs clang with libFuzzer)
 */
#define main step05_main /* the step's main(): the harness runs its parts */
#include "server.c"
#undef main

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_INPUT_MAX (1 << 16)   /* bytes of request an input may hold */
#define FZ_OUT_MAX (1 << 20)     /* bytes of response kept until checked */
#define FZ_ROUNDS_MAX 100000     /* poll rounds without an end: a busy loop */
#define FZ_SNDBUF 4096           /* bit 0 of the flags: the server's send buffer */
#define FZ_FD_SCAN 256           /* descriptors counted for the leak check */

static int fz_verbose; /* FUZZ_CONN_VERBOSE set: each response head on stderr */
static void fz_remove_tree(void);

/* Stop with the broken rule on stderr; libFuzzer saves the input. The
 * document root goes first: abort() skips atexit(). */
static void fz_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz_conn: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fz_remove_tree();
    abort();
}

/* ---- the document root ---- */

/* The regular files under the root, with distinct sizes, so that an ETag
 * ("size-mtime") names one of them; mtime is set when they are made. */
struct fz_file {
    const char *name; /* relative to the root */
    char *data;
    size_t len;
    char etag[64];
};

static char fz_big[70000]; /* more than FILE_CHUNK: sent in two pieces */
static struct fz_file fz_files[] = {
    { "a.txt", "Hello from a.txt\n", 17, "" },
    { "a.txt.gz", "\x1f\x8b\x08 not really gzip\n", 20, "" },
    { "big.bin", fz_big, sizeof fz_big, "" },
    { "dir/index.html", "<!DOCTYPE html>\n<p>dir</p>\n", 27, "" },
    { "list/b c.txt", "b c\n", 4, "" },
    { "list/x&y.html", "<p>x&amp;y</p>\n", 15, "" },
};
/* Never to be served: a dotfile, and a file beside the root (reached by
 * the symlinks escape and escape-dir/outside.txt). Sizes differ from the
 * files above. */
static const char fz_hidden[] = "a dotfile: never served\n";      /* 24 bytes */
static const char fz_outside[] = "outside the document root\n"; /* 26 bytes */
/* What a listing may link to: the entries of the root's directories. */
static const char *const fz_hrefs[] = { "../", "a.txt", "a.txt.gz", "big.bin", "dir/", "list/",
                                        "link.txt", "escape", "escape-dir/", "index.html",
                                        "b%20c.txt", "x%26y.html", "sub/" };
static char fz_top[PATH_MAX], fz_root[PATH_MAX + 8];

/* Write len bytes of data to the file at path; exits on failure. */
static void fz_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "fuzz_conn: %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* path = top + "/" + name. */
static const char *fz_path(char *path, size_t size, const char *top, const char *name)
{
    snprintf(path, size, "%s/%s", top, name);
    return path;
}

/* Remove the tree made by fz_make_tree (at exit). */
static void fz_remove_tree(void)
{
    static const char *const names[] = { "www/a.txt", "www/a.txt.gz", "www/big.bin",
        "www/dir/index.html", "www/list/b c.txt", "www/list/x&y.html", "www/.hidden",
        "www/link.txt", "www/escape", "www/escape-dir", "outside.txt" };
    static const char *const dirs[] = { "www/list/sub", "www/list", "www/dir", "www" };
    char path[PATH_MAX + 32];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(fz_path(path, sizeof path, fz_top, names[i]));
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        rmdir(fz_path(path, sizeof path, fz_top, dirs[i]));
    rmdir(fz_top);
}

/* Make TMPDIR/fuzz-conn-XXXXXX/www, the root, with fz_files, a dotfile,
 * symlinks in and out of it, and outside.txt beside it. Exits on failure. */
static void fz_make_tree(void)
{
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX + 32];
    struct stat st;

    snprintf(fz_top, sizeof fz_top, "%s/fuzz-conn-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(fz_top) == NULL) {
        fprintf(stderr, "fuzz_conn: mkdtemp %s: %s\n", fz_top, strerror(errno));
        exit(1);
    }
    atexit(fz_remove_tree);
    snprintf(fz_root, sizeof fz_root, "%s/www", fz_top);
    mkdir(fz_root, 0755);
    mkdir(fz_path(path, sizeof path, fz_root, "dir"), 0755);
    mkdir(fz_path(path, sizeof path, fz_root, "list"), 0755);
    mkdir(fz_path(path, sizeof path, fz_root, "list/sub"), 0755);
    for (size_t i = 0; i < sizeof fz_big; i++)
        fz_big[i] = (char)('a' + i * 7 % 26);
    for (size_t i = 0; i < sizeof fz_files / sizeof fz_files[0]; i++) {
        struct fz_file *f = &fz_files[i];

        if (f->data != fz_big && f->len != strlen(f->data))
            fz_fail("the size of %s is wrong in fz_files", f->name);
        fz_write_file(fz_path(path, sizeof path, fz_root, f->name), f->data, f->len);
        if (stat(path, &st) < 0)
            fz_fail("stat %s: %s", path, strerror(errno));
        files_etag(f->etag, sizeof f->etag, st.st_size, st.st_mtime);
    }
    fz_write_file(fz_path(path, sizeof path, fz_root, ".hidden"), fz_hidden, sizeof fz_hidden - 1);
    fz_write_file(fz_path(path, sizeof path, fz_top, "outside.txt"), fz_outside,
                  sizeof fz_outside - 1);
    if (symlink("a.txt", fz_path(path, sizeof path, fz_root, "link.txt")) < 0 ||
        symlink("../outside.txt", fz_path(path, sizeof path, fz_root, "escape")) < 0 ||
        symlink("..", fz_path(path, sizeof path, fz_root, "escape-dir")) < 0)
        fz_fail("symlink: %s", strerror(errno));
}

/* ---- setting up the server ---- */

static int fz_cwd = -1, fz_server_cwd = -1; /* the fuzzer's working directory; the server's */
static int fz_listen[2] = { -1, -1 };       /* a pipe that never becomes readable */
static struct pollfd *fz_pfds;

/* Set the server up as main() does, with the root above, a timeout no
 * input reaches, and a pipe for a listener (never readable: no accept()).
 * The handlers the server sets for SIGINT and SIGTERM are taken back, so
 * that libFuzzer's stay. Log lines go to /dev/null. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *args[] = { "fuzz_conn", "-t", "3600", "-d", fz_root, "0", NULL };
    struct sigaction old_int, old_term;

    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    fz_verbose = getenv("FUZZ_CONN_VERBOSE") != NULL;
    if (freopen("/dev/null", "w", stdout) == NULL)
        fz_fail("freopen /dev/null: %s", strerror(errno));
    fz_make_tree();
    if ((fz_cwd = open(".", O_RDONLY)) < 0)
        fz_fail("open .: %s", strerror(errno));
    if (parse_options(6, args) >= 0)
        fz_fail("parse_options refused -d %s", fz_root);
    /* Where the server works from: the root, if parse_options went there. */
    if ((fz_server_cwd = open(".", O_RDONLY)) < 0 || fchdir(fz_cwd) < 0)
        fz_fail("open .: %s", strerror(errno));
    sigaction(SIGINT, NULL, &old_int);
    sigaction(SIGTERM, NULL, &old_term);
    if (pipe(fz_listen) < 0 || loop_setup(fz_listen[0], &fz_pfds) < 0)
        fz_fail("loop_setup failed");
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return 0;
}

/* How many descriptors below FZ_FD_SCAN are open: one poll() call, which
 * marks each closed one POLLNVAL. */
static int fz_count_fds(void)
{
    static struct pollfd p[FZ_FD_SCAN];
    int open_fds = 0;

    for (int i = 0; i < FZ_FD_SCAN; i++)
        p[i] = (struct pollfd){ .fd = i, .events = 0 };
    if (poll(p, FZ_FD_SCAN, 0) < 0)
        fz_fail("poll: %s", strerror(errno));
    for (int i = 0; i < FZ_FD_SCAN; i++)
        open_fds += !(p[i].revents & POLLNVAL);
    return open_fds;
}

/* ---- what the client sent: the requests, parsed as the server does ---- */

/* One request the server must answer, in order. */
struct fz_expect {
    int head_only;    /* HEAD, served: a response without a body */
    int may_continue; /* Expect: 100-continue and a body: 100 Continue allowed */
    int keep;         /* the connection may stay open after it */
};

static struct fz_expect fz_expects[REQUESTS_MAX];
static size_t fz_expect_count;
static struct http_header fz_headers[HTTP_FIELDS_MAX];
static char fz_path_buf[HTTP_LINE_MAX], fz_scratch[FZ_INPUT_MAX];

/* The length of the body of the request r (its head: head_len bytes at
 * in, have bytes in all), or -1 if it does not end in have, or -2 if the
 * chunked decoder finds an error in it. */
static long fz_body_length(const struct http_request *r, const char *in, size_t have,
                           size_t head_len)
{
    struct http_chunked dec;
    size_t len = have - head_len;
    int rest;

    if (!r->chunked) {
        long long want = r->content_length > 0 ? r->content_length : 0;
        return (long long)len < want ? -1 : (long)want;
    }
    memcpy(fz_scratch, in + head_len, len); /* decoded in place */
    http_chunked_init(&dec);
    rest = http_decode_chunked(&dec, fz_scratch, &len);
    if (rest == HTTP_ERROR)
        return -2;
    return rest == HTTP_INCOMPLETE ? -1 : (long)(have - head_len) - rest;
}

/* Fill fz_expects from the bytes the client sends, in[0..len): each
 * complete request, until one the server answers with an error, or after
 * which it closes. The entry after the last may allow a 100 Continue to
 * a request whose body was cut short. */
static void fz_model(const char *in, size_t len)
{
    struct http_request r;
    size_t pos = 0;

    memset(fz_expects, 0, sizeof fz_expects);
    fz_expect_count = 0;
    while (pos < len && fz_expect_count < REQUESTS_MAX) {
        struct fz_expect *e = &fz_expects[fz_expect_count];
        int head_len;
        long body = -2;

        memset(&r, 0, sizeof r);
        r.path_buf = fz_path_buf;
        r.path_size = sizeof fz_path_buf;
        r.headers = fz_headers;
        r.max_headers = HTTP_FIELDS_MAX;
        head_len = http_parse_request(in + pos, len - pos, 0, &r);
        if (head_len == HTTP_INCOMPLETE)
            return;
        if (head_len >= 0) {
            body = fz_body_length(&r, in + pos, len - pos, (size_t)head_len);
            e->may_continue = expects_continue(&r) && (r.chunked || r.content_length > 0);
        }
        if (body == -1)
            return; /* cut short: the client's close ends it unanswered */
        fz_expect_count++;
        if (body == -2)
            return; /* 4xx with a body, then close */
        e->head_only = method_is(&r, "HEAD");
        e->keep = wants_keep_alive(&r) && fz_expect_count < REQUESTS_MAX;
        if (!e->keep)
            return;
        pos += (size_t)head_len + (size_t)body;
    }
}

/* ---- what the server sent: the checks ---- */

/* What a response head says. */
struct fz_head {
    int status;
    size_t head_len;        /* bytes, up to and including the empty line */
    long long length;       /* Content-Length, or -1 */
    int chunked;            /* Transfer-Encoding: chunked */
    int keep, keep_alive;   /* Connection: keep-alive; a Keep-Alive field */
    int connections, dates; /* how many Connection and Date fields */
    int server, gzip, html, text;
    const char *etag, *range, *location; /* values (up to CRLF), or NULL */
    size_t etag_len, range_len;
};

static char fz_got[FZ_OUT_MAX]; /* what the server sent, not checked yet */
static size_t fz_got_len;
static size_t fz_answered;      /* final responses so far */
static int fz_continued;        /* a 100 Continue came for the next request */
static int fz_closed;           /* a response said Connection: close */

/* Whether p[0..n) is name ": " followed by anything: the value is then at
 * p + strlen(name) + 2. */
static int fz_field_is(const char *p, size_t n, const char *name)
{
    size_t k = strlen(name);

    return n >= k + 2 && strncasecmp(p, name, k) == 0 && p[k] == ':' && p[k + 1] == ' ';
}

/* Check the syntax of the header line p[0..n) (CRLF not included):
 * "Name: value", a token name and a value of visible characters, spaces,
 * tabs and obs-text (RFC 9110 §5.5: bytes 0x80-0xff, which a Location may
 * copy from the query). */
static void fz_check_field_syntax(const char *p, size_t n)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    size_t i = 0;

    while (i < n && (isalnum((unsigned char)p[i]) || strchr(tchar, p[i]) != NULL) && p[i] != 0)
        i++;
    if (i == 0 || i + 1 >= n || p[i] != ':' || p[i + 1] != ' ')
        fz_fail("bad header line '%.*s'", (int)n, p);
    for (i += 2; i < n; i++)
        if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || (unsigned char)p[i] == 0x7f)
            fz_fail("bad byte 0x%02x in header line '%.*s'", (unsigned char)p[i], (int)n, p);
}

/* Read one header line p[0..n) into h. */
static void fz_field(struct fz_head *h, const char *p, size_t n)
{
    const char *v;
    size_t v_len;

    fz_check_field_syntax(p, n); /* so it has ": " */
    v = (const char *)memchr(p, ':', n) + 2;
    v_len = n - (size_t)(v - p);
    if (fz_field_is(p, n, "Content-Length")) {
        if (h->length >= 0 || v_len == 0 || v_len > 18 || strspn(v, "0123456789") < v_len)
            fz_fail("bad or second Content-Length '%.*s'", (int)v_len, v);
        h->length = strtoll(v, NULL, 10);
    } else if (fz_field_is(p, n, "Transfer-Encoding")) {
        if (h->chunked || v_len != 7 || memcmp(v, "chunked", 7) != 0)
            fz_fail("bad Transfer-Encoding '%.*s'", (int)v_len, v);
        h->chunked = 1;
    } else if (fz_field_is(p, n, "Connection")) {
        h->connections++;
        h->keep = v_len == 10 && memcmp(v, "keep-alive", 10) == 0;
        if (!h->keep && (v_len != 5 || memcmp(v, "close", 5) != 0))
            fz_fail("bad Connection '%.*s'", (int)v_len, v);
    } else if (fz_field_is(p, n, "Date")) {
        time_t t;
        h->dates++;
        if (v_len != 29 || files_parse_date(v, v_len, &t) < 0)
            fz_fail("bad Date '%.*s'", (int)v_len, v);
    } else if (fz_field_is(p, n, "ETag")) {
        h->etag = v;
        h->etag_len = v_len;
    } else if (fz_field_is(p, n, "Content-Range")) {
        h->range = v;
        h->range_len = v_len;
    } else if (fz_field_is(p, n, "Location")) {
        h->location = v;
    } else {
        h->keep_alive |= fz_field_is(p, n, "Keep-Alive");
        h->server |= fz_field_is(p, n, "Server");
        h->gzip |= fz_field_is(p, n, "Content-Encoding") && v_len == 4 && !memcmp(v, "gzip", 4);
        h->html |= fz_field_is(p, n, "Content-Type") && v_len >= 9 && !memcmp(v, "text/html", 9);
        h->text |= fz_field_is(p, n, "Content-Type") && v_len >= 10 && !memcmp(v, "text/plain", 10);
    }
}

/* Check the status line p[0..n) (CRLF not included): HTTP/1.1, a status
 * 100-599 and its reason phrase. Returns the status. */
static int fz_status_line(const char *p, size_t n)
{
    const char *reason;
    int status;

    if (n < 14 || memcmp(p, "HTTP/1.1 ", 9) != 0 || strspn(p + 9, "0123456789") < 3 ||
        p[12] != ' ')
        fz_fail("bad status line '%.*s'", (int)(n < 80 ? n : 80), p);
    status = atoi(p + 9);
    reason = status == 100 ? "Continue" : http_reason(status); /* take_head() writes 100's */
    if (status < 100 || status > 599 || strcmp(reason, "Unknown") == 0 ||
        n - 13 != strlen(reason) || memcmp(p + 13, reason, n - 13) != 0)
        fz_fail("bad status or reason in '%.*s'", (int)n, p);
    return status;
}

/* Parse the response head at fz_got into h. Returns 0 if it has not all
 * come yet; fails on any line that is not well formed. */
static int fz_parse_head(struct fz_head *h)
{
    const char *p = fz_got, *end = fz_got + fz_got_len, *lf;
    int first = 1;

    memset(h, 0, sizeof *h);
    h->length = -1;
    for (;;) {
        if ((lf = memchr(p, '\n', (size_t)(end - p))) == NULL)
            return 0;
        if (lf == p || lf[-1] != '\r' || memchr(p, '\r', (size_t)(lf - 1 - p)) != NULL)
            fz_fail("a line not ending in CRLF: '%.*s'", (int)(lf - p < 80 ? lf - p : 80), p);
        if (first)
            h->status = fz_status_line(p, (size_t)(lf - 1 - p));
        else if (lf - 1 == p)
            break; /* the empty line */
        else
            fz_field(h, p, (size_t)(lf - 1 - p));
        first = 0;
        p = lf + 1;
    }
    h->head_len = (size_t)(lf + 1 - fz_got);
    return 1;
}

/* The length of the chunked body at b[0..n) as the server writes it
 * (hex size CRLF data CRLF ..., "0" CRLF CRLF, no extensions or trailer),
 * its data copied to data (*data_len bytes); 0 if it has not all come. */
static size_t fz_chunked_len(const char *b, size_t n, char *data, size_t *data_len)
{
    size_t pos = 0;

    *data_len = 0;
    for (;;) {
        size_t digits = 0, size = 0;

        while (pos + digits < n && isxdigit((unsigned char)b[pos + digits]) && digits < 8) {
            char c = b[pos + digits++];
            size = size * 16 + (size_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        if (pos + digits + 2 > n)
            return 0;
        if (digits == 0 || b[pos + digits] != '\r' || b[pos + digits + 1] != '\n')
            fz_fail("bad chunk-size line");
        pos += digits + 2;
        if (pos + size + 2 > n)
            return 0;
        if (b[pos + size] != '\r' || b[pos + size + 1] != '\n')
            fz_fail("chunk data not followed by CRLF");
        memcpy(data + *data_len, b + pos, size);
        *data_len += size;
        pos += size + 2;
        if (size == 0)
            return pos;
    }
}

/* The file whose ETag is etag[0..len), or NULL. */
static const struct fz_file *fz_file_of(const char *etag, size_t len)
{
    for (size_t i = 0; i < sizeof fz_files / sizeof fz_files[0]; i++)
        if (strlen(fz_files[i].etag) == len && memcmp(fz_files[i].etag, etag, len) == 0)
            return &fz_files[i];
    return NULL;
}

/* A response with a known file's ETag: its body (if body != NULL) is the
 * file's bytes, all of them (200) or the range Content-Range names (206). */
static void fz_check_file(const struct fz_head *h, const char *body, size_t len)
{
    const struct fz_file *f = fz_file_of(h->etag, h->etag_len);
    long long first = 0, last, total;
    char range[64] = "", tail;

    if (f == NULL)
        fz_fail("ETag %.*s is no file of the root", (int)h->etag_len, h->etag);
    if (h->status != 200 && h->status != 206) /* 304 */
        return;
    if (h->gzip && strstr(f->name, ".gz") == NULL) /* a .gz asked for by name has none */
        fz_fail("%s sent with Content-Encoding: gzip", f->name);
    last = (long long)f->len - 1;
    if (h->range != NULL && h->range_len < sizeof range) /* NUL-terminated, for sscanf */
        memcpy(range, h->range, h->range_len);
    if (h->status == 206 &&
        (sscanf(range, "bytes %lld-%lld/%lld%c", &first, &last, &total, &tail) != 3 ||
         total != (long long)f->len || first < 0 || first > last || last >= total))
        fz_fail("bad Content-Range '%s' for %s", range, f->name);
    if (h->length != last - first + 1)
        fz_fail("Content-Length %lld for %lld bytes of %s", h->length, last - first + 1, f->name);
    if (body != NULL && (len != (size_t)h->length || memcmp(body, f->data + first, len) != 0))
        fz_fail("the body is not bytes %lld-%lld of %s", first, last, f->name);
}

/* A listing links to the root's entries alone: a listing of any other
 * directory was served from outside the root. */
static void fz_check_listing(const char *page, size_t len)
{
    const char *p = page, *end = page + len, *q;

    while ((q = memchr(p, 'h', (size_t)(end - p))) != NULL) {
        const char *href = q + 6, *close;
        size_t i, n = sizeof fz_hrefs / sizeof fz_hrefs[0];

        p = q + 1;
        if (end - q < 6 || memcmp(q, "href=\"", 6) != 0)
            continue;
        if ((close = memchr(href, '"', (size_t)(end - href))) == NULL)
            fz_fail("unterminated href in a listing");
        for (i = 0; i < n; i++)
            if (strlen(fz_hrefs[i]) == (size_t)(close - href) &&
                memcmp(fz_hrefs[i], href, (size_t)(close - href)) == 0)
                break;
        if (i == n)
            fz_fail("a listing links to '%.*s': not in the root", (int)(close - href), href);
    }
}

/* Check the body of the response h (data: the decoded body, len bytes). */
static void fz_check_body(const struct fz_head *h, const char *data, size_t len, int head_only)
{
    char want[64];
    int n;

    if (h->etag != NULL)
        fz_check_file(h, head_only ? NULL : data, len);
    if (head_only)
        return;
    if (h->html && h->etag == NULL)
        fz_check_listing(data, len);
    if (h->text && h->etag == NULL) { /* reply_text: "CODE Reason\n", a line saying why */
        n = snprintf(want, sizeof want, "%d %s\n", h->status, http_reason(h->status));
        if (len < (size_t)n || memcmp(data, want, (size_t)n) != 0)
            fz_fail("a %d body that does not start '%d %s'", h->status, h->status,
                    http_reason(h->status));
    }
}

/* Check the final response h against the request it answers, e. */
static void fz_check_final(const struct fz_head *h, const struct fz_expect *e)
{
    int no_body = e->head_only || h->status == 304 || h->status == 204;

    if (h->status == 408 || h->status == 400 || h->status == 413 || h->status == 414 ||
        h->status == 431 || h->status == 501 || h->status == 505) {
        if (h->keep)
            fz_fail("%d keeps the connection open", h->status);
    }
    if (h->connections != 1 || h->dates != 1 || !h->server)
        fz_fail("%d: Connection, Date and Server must come once each", h->status);
    if (h->keep && !e->keep)
        fz_fail("keep-alive where the connection must close");
    if (!h->keep && e->keep && status_keeps_connection(h->status))
        fz_fail("%d closes a connection that should stay open", h->status);
    if (h->keep_alive != h->keep)
        fz_fail("Keep-Alive must come with Connection: keep-alive alone");
    if (h->length >= 0 && h->chunked)
        fz_fail("both Content-Length and Transfer-Encoding");
    if (!no_body && h->length < 0 && !h->chunked)
        fz_fail("%d with a body of no known length", h->status);
    /* "//host/x" would send the client to another host */
    if (h->status == 301 && (h->location == NULL || h->location[0] != '/' || h->location[1] == '/'))
        fz_fail("301 without a Location on this host");
}

static char fz_body[FZ_OUT_MAX];

/* Find the body of the response h in fz_got: *len bytes on the wire, its
 * data copied to fz_body (*data_len bytes). Returns 0 if it has not all
 * come yet, else 1. */
static int fz_find_body(const struct fz_head *h, size_t *len, size_t *data_len)
{
    const char *body = fz_got + h->head_len;
    size_t have = fz_got_len - h->head_len;

    if (h->chunked)
        return (*len = fz_chunked_len(body, have, fz_body, data_len)) > 0;
    if (h->length > (long long)(FZ_OUT_MAX - h->head_len))
        fz_fail("Content-Length %lld: larger than any file", h->length);
    if (have < (size_t)h->length)
        return 0;
    *len = *data_len = (size_t)h->length;
    memcpy(fz_body, body, *len);
    return 1;
}

/* Check and take the next response in fz_got if it has all come. Returns
 * 1 if it did, 0 if more is to come. */
static int fz_take_response(void)
{
    const struct fz_expect *e = &fz_expects[fz_answered];
    struct fz_head h;
    size_t body_len = 0, data_len = 0, total;

    if (fz_got_len == 0 || !fz_parse_head(&h))
        return 0;
    if (fz_closed)
        fz_fail("a response after Connection: close");
    if (h.status == 100) {
        if (fz_answered >= REQUESTS_MAX || !e->may_continue || fz_continued || h.head_len != 25)
            fz_fail("100 Continue to a request that did not expect it, or twice");
        fz_continued = 1;
        goto taken;
    }
    if (h.status < 200)
        fz_fail("interim response %d", h.status);
    if (fz_answered >= fz_expect_count)
        fz_fail("response %zu to %zu requests", fz_answered + 1, fz_expect_count);
    fz_check_final(&h, e);
    if (!e->head_only && h.status != 304 && h.status != 204 &&
        !fz_find_body(&h, &body_len, &data_len))
        return 0;
    fz_check_body(&h, fz_body, data_len, e->head_only);
    fz_answered++;
    fz_continued = 0;
    fz_closed = !h.keep;
taken:
    if (fz_verbose)
        fprintf(stderr, "fuzz_conn: %.*s", (int)h.head_len, fz_got);
    total = h.head_len + body_len;
    fz_got_len -= total;
    memmove(fz_got, fz_got + total, fz_got_len);
    return 1;
}

/* ---- driving the server ---- */

static int fz_client = -1; /* the client's end of the socketpair */
static int fz_reading;     /* the client reads the responses */

/* Read what the server has sent, and check each response as it ends.
 * Returns 1 when the server has closed, else 0. */
static int fz_drain(void)
{
    if (fz_client < 0) /* hung up */
        return 1;
    if (!fz_reading)
        return 0;
    for (;;) {
        ssize_t n = read(fz_client, fz_got + fz_got_len, sizeof fz_got - fz_got_len);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) /* 0: closed; ECONNRESET: closed with our bytes unread */
            return 1;
        fz_got_len += (size_t)n;
        while (fz_take_response())
            ;
        if (fz_got_len == sizeof fz_got)
            fz_fail("%zu bytes of response that do not end", fz_got_len);
    }
}

/* Run the server's poll loop while its connection is ready (poll() with a
 * timeout of 0 says so first, on the server's own pollfd array, so that
 * poll_round() never waits), reading what it sends. */
static void fz_drive(void)
{
    long long stop_at = -1;

    for (long i = 0; i < FZ_ROUNDS_MAX; i++) {
        fz_drain();
        if (conn_count == 0 || poll(fz_pfds, fill_pollfds(fz_pfds, fz_listen[0], 0), 0) <= 0)
            return;
        poll_round(fz_pfds, fz_listen[0], &stop_at);
        if (stop_at >= 0)
            fz_fail("the server began to stop");
    }
    fz_fail("%d poll rounds and the connection goes on", FZ_ROUNDS_MAX);
}

/* Write p[0..len) to the server, running it while its socket is full.
 * Returns -1 if the server has closed the connection, or the client gives
 * up (it reads nothing, and the server waits for it to), else 0. */
static int fz_send(const char *p, size_t len)
{
    int stuck = 0;

    while (len > 0) {
        ssize_t n = write(fz_client, p, len);

        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1; /* EPIPE: the server has closed */
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            stuck = 0;
        } else if (++stuck > (fz_reading ? 1000 : 1)) {
            if (fz_reading)
                fz_fail("the server takes no more request bytes");
            return -1;
        }
        fz_drive();
    }
    return 0;
}

/* Open a connection to the server, as accept_clients() does with a new
 * client, from 127.0.0.1. Returns the client's end, or -1. */
static int fz_connect(int small_buffer)
{
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000) };
    int sv[2], size = FZ_SNDBUF;

    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -1;
    if (set_nonblocking(sv[0]) < 0 || set_nonblocking(sv[1]) < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (small_buffer)
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    conn_open(sv[0], (struct sockaddr *)&peer, sizeof peer);
    return sv[1];
}

/* The last checks, once the server has closed: nothing is left half
 * sent, and every request was answered unless a response closed first. */
static void fz_finish(void)
{
    if (fz_verbose)
        fprintf(stderr, "fuzz_conn: %zu requests, %zu answered%s\n", fz_expect_count,
                fz_answered, fz_closed ? ", then Connection: close" : "");
    if (fz_got_len > 0)
        fz_fail("the connection closed in a response (%zu bytes left)", fz_got_len);
    if (!fz_closed && fz_answered != fz_expect_count)
        fz_fail("%zu responses to %zu requests", fz_answered, fz_expect_count);
}

/* Send the input's request bytes in its pieces, then shut down the
 * client's side, or hang up, and run the server until it closes. */
static void fz_converse(const uint8_t *cuts, size_t ncuts, const char *in, size_t len,
                        int hang_up)
{
    int gone = 0;

    for (size_t i = 0; i < ncuts && !gone; i++) {
        size_t n = cuts[i] < 192 ? cuts[i] : (size_t)(cuts[i] - 191) * 256;

        n = n < len ? n : len;
        gone = fz_send(in, n) < 0;
        in += n;
        len -= n;
    }
    if (!gone)
        fz_send(in, len);
    if (hang_up) {
        close(fz_client);
        fz_client = -1;
    } else {
        shutdown(fz_client, SHUT_WR);
    }
    fz_drive();
    if (conn_count != 0)
        fz_fail("the connection stays open after the client closed");
    if (fz_drain() != 1)
        fz_fail("the server's end is closed, its peer reads no end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t ncuts = size >= 2 ? data[1] % 16 : 0, len;
    const char *in = (const char *)data + 2 + ncuts;
    int fds;

    if (size < 2 + ncuts || size - 2 - ncuts > FZ_INPUT_MAX)
        return 0;
    len = size - 2 - ncuts;
    fds = fz_count_fds();
    if (fchdir(fz_server_cwd) < 0)
        fz_fail("fchdir: %s", strerror(errno));
    fz_model(in, len);
    fz_got_len = fz_answered = 0;
    fz_continued = fz_closed = 0;
    if ((fz_client = fz_connect(data[0] & 1)) < 0)
        fz_fail("socketpair: %s", strerror(errno));
    fz_reading = !(data[0] & 2);
    fz_converse(data + 2, ncuts, in, len, !fz_reading);
    if (fz_client >= 0) {
        fz_finish();
        close(fz_client);
    }
    cache_expire(-1); /* the files it keeps open for the second */
    if (fchdir(fz_cwd) < 0)
        fz_fail("fchdir: %s", strerror(errno));
    if (fz_count_fds() != fds)
        fz_fail("%d descriptors open before the input, %d after", fds, fz_count_fds());
    return 0;
}
