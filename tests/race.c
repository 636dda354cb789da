/*
 * race — the check-then-open race of issue 9: while a child process swaps
 * ROOTDIR/NAME between a regular file and a symlink to a file outside the
 * root, ask the server for NAME again and again; it must never serve a byte
 * of the outside file.
 *
 *     race -p PORT -d ROOTDIR -n NAME -o OUTSIDEFILE [-s SECONDS] [-N COUNT] [-c CLIENTS]
 *
 *   -p PORT         the server under test, on 127.0.0.1, serving ROOTDIR
 *   -d ROOTDIR      its document root
 *   -n NAME         the name raced on, made in ROOTDIR (letters, digits,
 *                   '.', '-', '_', not starting with '.'); it must not exist
 *   -o OUTSIDEFILE  an absolute path outside the root; its first bytes (256
 *                   at most) are what a response must never hold
 *   -s SECONDS      how long to run (default 3)
 *   -N COUNT        stop after COUNT requests in all (default 1000000)
 *   -c CLIENTS      processes sending requests at the same time (default 3)
 *
 * The swapper child keeps NAME existing at every moment with rename(): it
 * makes the symlink ROOTDIR/.race-link to OUTSIDEFILE and renames it over
 * NAME, then links ROOTDIR/.race-keep (a regular file holding "inside\n")
 * to .race-file and renames that over NAME, over and over. The server hides
 * dot names. Meanwhile each client sends "GET /NAME", "GET //NAME", ... (up
 * to SLASHES_MAX slashes), and one time in eight "GET /./NAME" or
 * "GET /x/../NAME", each with Connection: close on its own connection, and
 * reads the whole response. A response leaks when it holds the outside
 * bytes, or is a 200 whose body is not "inside\n"; a client stops at its
 * first leak.
 *
 * A server that keeps files open must still look NAME up again and again:
 * one that caches by the request path sees a new spelling each time, and
 * one that caches by the cleaned path, while fstat() shows the file
 * unchanged, sees its modification time change: the swapper sets it one
 * second earlier each round.
 *
 * Prints "race: N requests, I served inside, R refused, L leaked, S swaps"
 * (refused: any status but 200) and, after a leak, the first leaked
 * response's status line and request target ("/{17}NAME": 17 slashes).
 * Removes NAME and the dot names at the end.
 * Exit status: 0 nothing leaked; 1 something leaked; 2 bad arguments, a
 * setup failure, or a connection that failed or a read that timed out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"

#define INSIDE "inside\n"     /* the regular file's content */
#define NEEDLE_MAX 256        /* bytes of OUTSIDEFILE searched for */
#define SLASHES_MAX 999       /* odd, so all 8 kinds of spelling meet each count */
#define RESPONSE_MAX 65536    /* bytes of a response kept; a longer one is an error */
#define READ_TIMEOUT_S 5      /* seconds a read waits for a byte */
#define CLIENTS_MAX 16

enum { EXIT_CLEAN = 0, EXIT_LEAKED = 1, EXIT_SETUP = 2 };
enum { ANSWER_INSIDE, ANSWER_REFUSED, ANSWER_LEAKED, ANSWER_BAD };

/* What one child reports to the parent through a pipe; smaller than
 * PIPE_BUF (512 at least), so each write arrives whole. */
struct result {
    int is_swapper;
    int failed;     /* 1: what says why the child stopped early */
    long requests, inside, refused, leaked, swaps;
    char what[200]; /* the failure, or the first leak */
};

struct names {
    char name[4096], keep[4096], file[4096], link[4096]; /* paths in ROOTDIR */
};

static volatile sig_atomic_t stop_swapping;

/* ---- time ---- */

/* The monotonic time in milliseconds (POSIX.1-2008 leaves that clock
 * optional: without it, the calendar time in whole seconds). */
static long long now_ms(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_MONOTONIC, &t) < 0)
        return (long long)time(NULL) * 1000;
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the swapper ---- */

static void on_term(int sig)
{
    (void)sig;
    stop_swapping = 1;
}

/* Swap NAME between the file and the symlink until SIGTERM or end_ms.
 * Returns 0, or -1 after writing the failed call into r->what. */
static int swap_until(const struct names *n, const char *outside, long long end_ms,
                      struct result *r)
{
    time_t mtime = time(NULL);

    while (!stop_swapping && now_ms() < end_ms) {
        /* The file's modification time goes one second back each round:
         * a server that keeps the file open and trusts it while fstat()
         * shows it unchanged (step05's cache) must look it up anew. */
        struct timespec times[2] = { { 0, UTIME_OMIT }, { --mtime, 0 } };
        const char *call = NULL;

        /* The symlink first: NAME starts as a link to .race-keep, and
         * renaming a link to the same file over it does nothing (POSIX). */
        if (symlink(outside, n->link) < 0)
            call = "symlink";
        else if (rename(n->link, n->name) < 0)
            call = "rename";
        else if (utimensat(AT_FDCWD, n->keep, times, 0) < 0)
            call = "utimensat";
        else if (link(n->keep, n->file) < 0)
            call = "link";
        else if (rename(n->file, n->name) < 0)
            call = "rename";
        if (call != NULL) {
            snprintf(r->what, sizeof r->what, "swapper: %s: %s", call, strerror(errno));
            return -1;
        }
        r->swaps += 2;
    }
    return 0;
}

/* The swapper child: swap, then report to fd. Never returns. */
static void swapper(const struct names *n, const char *outside, long long end_ms, int fd)
{
    struct result r = { .is_swapper = 1 };
    struct sigaction sa;
    sigset_t term;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    /* SIGTERM stays blocked (since before fork) until the handler is set,
     * so the parent's SIGTERM always ends the loop and never the process. */
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &term, NULL) < 0) {
        snprintf(r.what, sizeof r.what, "swapper: sigaction: %s", strerror(errno));
        r.failed = 1;
    } else if (swap_until(n, outside, end_ms, &r) < 0) {
        r.failed = 1;
    }
    while (write(fd, &r, sizeof r) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* ---- one request ---- */

/* Where needle[0..k) first occurs in p[0..n), or NULL. */
static const char *find(const char *p, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; k > 0 && i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return p + i;
    return NULL;
}

/* Write request i's target into out[0..size): 1 to SLASHES_MAX slashes,
 * then "./" or "x/../" one time in eight each, then name. Returns its
 * length, or 0 if it does not fit. */
static size_t spell(char *out, size_t size, const char *name, long i)
{
    long slashes = 1 + i % SLASHES_MAX;
    const char *via = i % 8 == 6 ? "./" : i % 8 == 7 ? "x/../" : "";
    size_t need = (size_t)slashes + strlen(via) + strlen(name);

    if (need >= size)
        return 0;
    memset(out, '/', (size_t)slashes);
    snprintf(out + slashes, size - (size_t)slashes, "%s%s", via, name);
    return need;
}

/* Send req[0..len) on a new connection and read the response until the
 * server closes. Returns its length in resp[0..cap), or -1 after writing
 * what failed into r->what. */
static long exchange(long port, const char *req, size_t len, char *resp, size_t cap,
                     struct result *r)
{
    const char *call = "connect";
    size_t got = 0;
    ssize_t n = 0;
    int fd = loopback_connect(port);

    if (fd < 0)
        goto fail;
    call = "send";
    for (size_t sent = 0; sent < len; sent += n > 0 ? (size_t)n : 0)
        if ((n = send(fd, req + sent, len - sent, 0)) < 0 && errno != EINTR)
            goto fail;
    call = "recv";
    while ((n = loopback_recv(fd, resp + got, cap - got, READ_TIMEOUT_S)) > 0)
        if ((got += (size_t)n) == cap) {
            errno = EFBIG; /* a response longer than RESPONSE_MAX */
            goto fail;
        }
    if (n == 0) {
        close(fd);
        return (long)got;
    }
fail:
    snprintf(r->what, sizeof r->what, "%s 127.0.0.1:%ld: %s", call, port, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* What the response resp[0..n) was: ANSWER_LEAKED if it holds the needle
 * or is a 200 with another body than INSIDE, ANSWER_BAD if it has no
 * status line and head. */
static int judge(const char *resp, size_t n, const char *needle, size_t k)
{
    const char *end = find(resp, n, "\r\n\r\n", 4), *body;

    if (find(resp, n, needle, k) != NULL)
        return ANSWER_LEAKED;
    if (end == NULL || n < 13 || memcmp(resp, "HTTP/1.", 7) != 0 || resp[12] != ' ')
        return ANSWER_BAD;
    if (memcmp(resp + 8, " 200", 4) != 0)
        return ANSWER_REFUSED;
    body = end + 4;
    if ((size_t)(resp + n - body) == strlen(INSIDE) && memcmp(body, INSIDE, strlen(INSIDE)) == 0)
        return ANSWER_INSIDE;
    return ANSWER_LEAKED;
}

/* ---- a client ---- */

struct client_args {
    long port, first, step, count; /* requests first, first + step, ... */
    const char *name, *needle;
    size_t needle_len;
    long long end_ms;
};

/* Say in r->what which response to request i (resp[0..n)) was judged. */
static void describe(struct result *r, const char *what, const char *resp, size_t n,
                     const char *name, long i)
{
    const char *eol = find(resp, n, "\r\n", 2);
    int line = (int)(eol != NULL ? eol - resp : (long)(n < 80 ? n : 80));
    char target[SLASHES_MAX + 300];
    size_t t = spell(target, sizeof target, name, i);
    long slashes = 1 + i % SLASHES_MAX;

    snprintf(r->what, sizeof r->what, "%s: %.*s, for GET /{%ld}%.*s", what,
             line > 100 ? 100 : line, resp, slashes, (int)(t - (size_t)slashes),
             target + slashes);
}

/* Send requests until the time or the count is up, or one leaks. */
static void run_client(const struct client_args *a, struct result *r)
{
    static char resp[RESPONSE_MAX];
    char target[SLASHES_MAX + 300], req[SLASHES_MAX + 400];

    for (long i = a->first, done = 0; done < a->count && now_ms() < a->end_ms; i += a->step, done++) {
        size_t t = spell(target, sizeof target, a->name, i);
        int len = snprintf(req, sizeof req, "GET %.*s HTTP/1.1\r\nHost: localhost\r\n"
                           "Connection: close\r\n\r\n", (int)t, target);
        long n = exchange(a->port, req, (size_t)len, resp, sizeof resp, r);

        if (n < 0) {
            r->failed = 1;
            return;
        }
        r->requests++;
        switch (judge(resp, (size_t)n, a->needle, a->needle_len)) {
        case ANSWER_INSIDE: r->inside++; break;
        case ANSWER_REFUSED: r->refused++; break;
        case ANSWER_LEAKED:
            r->leaked++;
            describe(r, "first leak", resp, (size_t)n, a->name, i);
            return;
        default:
            r->failed = 1;
            describe(r, "not an HTTP response", resp, (size_t)n, a->name, i);
            return;
        }
    }
}

/* The client child: run, then report to fd. Never returns. */
static void client(const struct client_args *a, int fd)
{
    struct result r = { .is_swapper = 0 };

    run_client(a, &r);
    while (write(fd, &r, sizeof r) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* ---- setup and the parent ---- */

/* Make the paths of n in root for name. Returns 0, or -1 if too long. */
static int make_names(struct names *n, const char *root, const char *name)
{
    int a = snprintf(n->name, sizeof n->name, "%s/%s", root, name);
    int b = snprintf(n->keep, sizeof n->keep, "%s/.race-keep", root);
    int c = snprintf(n->file, sizeof n->file, "%s/.race-file", root);
    int d = snprintf(n->link, sizeof n->link, "%s/.race-link", root);

    /* The three dot names are as long as each other. */
    return a < 0 || b < 0 || c < 0 || d < 0 || (size_t)a >= sizeof n->name ||
           (size_t)d >= sizeof n->link ? -1 : 0;
}

/* Remove what the race makes (all but name when keep_name). */
static void remove_names(const struct names *n, int keep_name)
{
    if (!keep_name)
        unlink(n->name);
    unlink(n->keep);
    unlink(n->file);
    unlink(n->link);
}

/* Read the first bytes (NEEDLE_MAX at most) of path into buf. Returns
 * their count, or -1 after a message. */
static long read_needle(const char *path, char *buf)
{
    long got = 0;
    ssize_t n = 0;
    int fd = open(path, O_RDONLY);

    while (fd >= 0 && got < NEEDLE_MAX && (n = read(fd, buf + got, (size_t)(NEEDLE_MAX - got))) != 0) {
        if (n < 0 && errno != EINTR)
            break;
        got += n > 0 ? n : 0;
    }
    if (fd < 0 || n < 0) {
        fprintf(stderr, "race: reading %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (got == 0 || find(INSIDE, strlen(INSIDE), buf, (size_t)got) != NULL) {
        fprintf(stderr, "race: %s is empty, or part of \"inside\\n\"\n", path);
        return -1;
    }
    return got;
}

/* Make the regular file .race-keep and NAME (a link to it), after
 * checking that NAME does not exist. Returns 0, or -1 after a message. */
static int make_inside(const struct names *n)
{
    struct stat st;
    const char *call = "open";
    int fd;

    if (lstat(n->name, &st) == 0) {
        fprintf(stderr, "race: %s exists already; choose another NAME\n", n->name);
        return -1;
    }
    remove_names(n, 1); /* a killed run's leftovers */
    fd = open(n->keep, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
        ssize_t w;
        call = "write";
        do
            w = write(fd, INSIDE, strlen(INSIDE));
        while (w < 0 && errno == EINTR);
        if (w >= 0 && w < (ssize_t)strlen(INSIDE))
            errno = EIO; /* short write */
        if (close(fd) == 0 && w == (ssize_t)strlen(INSIDE) &&
            (call = "link", link(n->keep, n->name) == 0))
            return 0;
    }
    fprintf(stderr, "race: %s %s: %s\n", call, n->keep, strerror(errno));
    return -1;
}

/* Fork a child that runs swapper() or client(). Returns its pid, or -1. */
static pid_t spawn(const struct names *n, const char *outside, const struct client_args *a,
                   long long end_ms, int fd)
{
    pid_t pid;

    fflush(NULL); /* nothing buffered is written twice */
    if ((pid = fork()) < 0)
        perror("race: fork");
    if (pid == 0 && a == NULL)
        swapper(n, outside, end_ms, fd);
    if (pid == 0)
        client(a, fd);
    return pid;
}

/* Read one result from fd into r, waiting until deadline_ms at most.
 * Returns 0, or -1 after a message. */
static int read_result(int fd, struct result *r, long long deadline_ms)
{
    size_t got = 0;

    while (got < sizeof *r) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        long long left = deadline_ms - now_ms();
        int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
        ssize_t n;

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            fprintf(stderr, "race: %s\n",
                    ready == 0 ? "a child did not report in time" : strerror(errno));
            return -1;
        }
        if ((n = read(fd, (char *)r + got, sizeof *r - got)) < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "race: reading a child's report: %s\n",
                    n == 0 ? "end of file" : strerror(errno));
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* Stop (SIGTERM, or SIGKILL when hard) and reap the children pids[0..n). */
static void reap(const pid_t *pids, int n, int hard)
{
    for (int i = 0; i < n; i++) {
        if (kill(pids[i], hard ? SIGKILL : SIGTERM) < 0 && errno != ESRCH)
            perror("race: kill");
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

/* Collect a report from each of the clients pids[1..n) and then from the
 * swapper pids[0], which is told to stop once the clients are done, into
 * *sum. Returns 0, or -1 after a message. */
static int collect(int fd, const pid_t *pids, int n, long long deadline_ms, struct result *sum)
{
    int clients = 0, swapper_done = 0, told = 0;
    struct result r;

    while (clients < n - 1 || !swapper_done) {
        if (clients == n - 1 && !told++ && kill(pids[0], SIGTERM) < 0 && errno != ESRCH)
            perror("race: kill");
        if (read_result(fd, &r, deadline_ms) < 0)
            return -1;
        if (r.is_swapper)
            swapper_done = 1;
        else
            clients++;
        if ((r.failed || r.leaked > 0) && sum->what[0] == '\0')
            memcpy(sum->what, r.what, sizeof sum->what);
        sum->failed |= r.failed;
        sum->requests += r.requests;
        sum->inside += r.inside;
        sum->refused += r.refused;
        sum->leaked += r.leaked;
        sum->swaps += r.swaps;
    }
    return 0;
}

/* Check the name (see the top comment). Returns 0 or -1. */
static int check_name(const char *name)
{
    if (name[0] == '\0' || name[0] == '.' || strlen(name) > 200)
        return -1;
    for (const char *p = name; *p != '\0'; p++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p) == NULL)
            return -1;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: race -p PORT -d ROOTDIR -n NAME -o OUTSIDEFILE"
                    " [-s SECONDS] [-N COUNT] [-c CLIENTS]\n");
    return EXIT_SETUP;
}

/* Start the swapper and the clients, collect their reports and print the
 * sum. Returns an EXIT_ code. */
static int race(const struct names *names, const char *outside, struct client_args *a,
                long clients, long seconds)
{
    struct result sum = { .is_swapper = 0 };
    pid_t pids[CLIENTS_MAX + 1];
    int fds[2], n = 0, status = EXIT_SETUP;
    long total = a->count;
    sigset_t term, old;

    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    if (pipe(fds) < 0) {
        perror("race: pipe");
        return EXIT_SETUP;
    }
    a->end_ms = now_ms() + seconds * 1000;
    if (sigprocmask(SIG_BLOCK, &term, &old) < 0) { /* see swapper() */
        perror("race: sigprocmask");
    } else {
        if ((pids[n] = spawn(names, outside, NULL, a->end_ms + 1000, fds[1])) > 0)
            n++;
        if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
            perror("race: sigprocmask");
    }
    for (long i = 0; i < clients && n == i + 1; i++) { /* stop at a failed fork */
        a->first = i; /* client i sends requests i, i + clients, ... */
        a->step = clients;
        a->count = total / clients + (i < total % clients);
        if ((pids[n] = spawn(names, outside, a, a->end_ms, fds[1])) > 0)
            n++;
    }
    /* A client's last request may wait READ_TIMEOUT_S for a byte; one
     * that waits much longer (a connect() that hangs) fails the run. */
    if (n == clients + 1 &&
        collect(fds[0], pids, n, a->end_ms + 3000 + 2000L * READ_TIMEOUT_S, &sum) == 0) {
        printf("race: %ld requests, %ld served inside, %ld refused, %ld leaked, %ld swaps\n",
               sum.requests, sum.inside, sum.refused, sum.leaked, sum.swaps);
        if (sum.what[0] != '\0')
            printf("race: %s\n", sum.what);
        status = sum.failed ? EXIT_SETUP : sum.leaked > 0 ? EXIT_LEAKED : EXIT_CLEAN;
    }
    reap(pids, n, status == EXIT_SETUP);
    close(fds[0]);
    close(fds[1]);
    return status;
}

int main(int argc, char **argv)
{
    struct client_args a = { .count = 1000000 };
    const char *root = NULL, *outside = NULL;
    long seconds = 3, clients = 3, k;
    char needle[NEEDLE_MAX];
    struct names names;
    int opt, status;

    while ((opt = getopt(argc, argv, "p:d:n:o:s:N:c:")) != -1) {
        switch (opt) {
        case 'p': a.port = atol(optarg); break;
        case 'd': root = optarg; break;
        case 'n': a.name = optarg; break;
        case 'o': outside = optarg; break;
        case 's': seconds = atol(optarg); break;
        case 'N': a.count = atol(optarg); break;
        case 'c': clients = atol(optarg); break;
        default: return usage();
        }
    }
    if (optind != argc || a.port <= 0 || a.port > 65535 || root == NULL || a.name == NULL ||
        check_name(a.name) < 0 || outside == NULL || outside[0] != '/' || seconds <= 0 ||
        seconds > 3600 || a.count <= 0 || clients <= 0 || clients > CLIENTS_MAX)
        return usage();
    if (make_names(&names, root, a.name) < 0) {
        fprintf(stderr, "race: %s: the path is too long\n", root);
        return EXIT_SETUP;
    }
    if ((k = read_needle(outside, needle)) < 0 || make_inside(&names) < 0)
        return EXIT_SETUP;
    a.needle = needle;
    a.needle_len = (size_t)k;
    signal(SIGPIPE, SIG_IGN); /* a send to a closed connection fails with EPIPE */
    status = race(&names, outside, &a, clients, seconds);
    remove_names(&names, 0);
    return status;
}
