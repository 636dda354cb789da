# Loaded by every tests/*.bats file: start and stop the step under test,
# send it raw bytes, and check responses byte by byte.
#
# STEP (e.g. 02) names the step; make test sets it. By hand:
#     make step02 build/client && STEP=02 bats tests/http-format.bats

export LC_ALL=C # byte semantics for ${#var}, grep and sort; English dates
ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${STEP:?set STEP to the step to test, e.g. STEP=02 (make test does)}"
SERVER_BIN=$ROOT/step$STEP
CLIENT=$ROOT/build/client
SERVER_NAME=http-from-scratch/step$STEP

# Every test gets its own files in its own temporary directory.
setup() {
    T=$BATS_TEST_TMPDIR
    RESPONSE=$T/response HEAD=$T/head BODY=$T/body
    SERVER_PID=
}

teardown() {
    stop_server
}

fail() {
    printf '%s\n' "$*" >&2
    return 1
}

# ---- the server ----

# start_server [ARGS...]: run the step with ARGS and port 0, read the real
# port from the banner (its first stdout line) into PORT and the banner into
# BANNER. The rest of its stdout goes to $T/stdout, its stderr to $T/stderr.
# SERVER_WRAPPER, if set, runs it (e.g. setpriv, to drop root).
start_server() {
    start_server_args "$@" 0
}

# start_server_args ARGS...: the same with ARGS alone (no port added).
start_server_args() {
    local fifo=$T/stdout.fifo line out
    rm -f "$fifo"
    mkfifo "$fifo"
    # shellcheck disable=SC2086 # SERVER_WRAPPER is a command and its words
    ${SERVER_WRAPPER:-} "$SERVER_BIN" "$@" >"$fifo" 2>"$T/stderr" 3>&- &
    SERVER_PID=$!
    exec {out}<"$fifo"
    if ! IFS= read -r -t 10 line <&"$out"; then
        exec {out}<&-
        fail "no banner from ./step$STEP $*; stderr: $(cat "$T/stderr")"
        return 1
    fi
    BANNER=$line
    printf '%s\n' "$line" >"$T/stdout"
    # Drain the rest, so the server never blocks on a full pipe.
    cat <&"$out" >>"$T/stdout" 3>&- &
    DRAIN_PID=$!
    exec {out}<&-
    [[ $line =~ port\ ([0-9]+) ]] || fail "no 'port N' in the banner: $line" || return 1
    PORT=${BASH_REMATCH[1]}
}

# stop_server: fail if the server died on its own, or if a sanitizer
# reported anything; otherwise stop it with SIGTERM (reap_server).
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    local pid=$SERVER_PID alive=1
    SERVER_PID=
    kill -0 "$pid" 2>/dev/null || alive=
    kill "$pid" 2>/dev/null
    reap_server "$pid" || return 1
    [ -n "$alive" ] || fail "./step$STEP exited during the test; stderr: $(cat "$T/stderr")"
}

# reap_server PID: wait until the server PID has exited, and set
# STOP_STATUS to its exit status; fail if a sanitizer reported anything.
reap_server() {
    STOP_STATUS=0
    wait "$1" 2>/dev/null || STOP_STATUS=$?
    wait "$DRAIN_PID" 2>/dev/null
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/stderr"; then
        fail "sanitizer report from ./step$STEP:" "$(cat "$T/stderr")"
        return 1
    fi
}

# stop_summary [PID]: stop the server (stop_server), or wait for the server
# PID that the test sent SIGTERM (reap_server). It must exit 0 with the
# line "stopped: N connections, M requests" last (step05 on), which sets
# CONNECTIONS and REQUESTS.
stop_summary() {
    if [ -n "${1:-}" ]; then reap_server "$1"; else stop_server; fi || return 1
    [ "$STOP_STATUS" -eq 0 ] || fail "exit status $STOP_STATUS after SIGTERM; stderr: $(cat "$T/stderr")" || return 1
    local last
    last=$(tail -n 1 "$T/stdout")
    [[ $last =~ ^stopped:\ ([0-9]+)\ connections,\ ([0-9]+)\ requests$ ]] ||
        fail "the server's last line is not 'stopped: N connections, M requests': $last" || return 1
    CONNECTIONS=${BASH_REMATCH[1]} REQUESTS=${BASH_REMATCH[2]}
}

# server_alive: the server process still runs.
server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null
}

# await_output REGEX: wait (5 s at most) until the server's stdout has a
# line matching the extended REGEX.
await_output() {
    timeout 5 tail -n +1 -f "$T/stdout" | grep -qE -m 1 -- "$1" ||
        fail "no line matching '$1' in the server's stdout:" "$(cat "$T/stdout")"
}

# need_tool HINT COMMAND...: set TOOL to the path of the first COMMAND
# installed, looking in the sbin directories too (Debian keeps nginx there,
# out of a user's PATH). None: skip the test with HINT (how to install
# one), except under CI (CI=true), where .ci/run installs them: fail.
need_tool() {
    local hint=$1 cmd
    shift
    for cmd in "$@"; do
        TOOL=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v "$cmd") && return 0
    done
    [ "${CI:-}" != true ] || fail "no $1, and CI=true: .ci/run should install it ($hint)" || return 1
    skip "no $1 ($hint)"
}

# ---- talking to it ----

# send [CLIENT-OPTIONS...]: send stdin to the server with tests/client.c
# and keep the reply in $RESPONSE. Sets CLIENT_STATUS (0: the server closed
# the connection) and T0/T1, the seconds before and after; these are lost
# when send runs at the end of a pipe (a subshell).
send() {
    printf -v T0 '%(%s)T' -1
    CLIENT_STATUS=0
    "$CLIENT" "$@" "$PORT" >"$RESPONSE" || CLIENT_STATUS=$?
    printf -v T1 '%(%s)T' -1
}

# request TEXT [CLIENT-OPTIONS...]: send TEXT with its backslash escapes
# (\r \n \xHH) expanded; expect the server to answer and close.
request() {
    local text=$1
    shift
    send "$@" < <(printf '%b' "$text")
    [ "$CLIENT_STATUS" -eq 0 ] || fail "client exit status $CLIENT_STATUS (3: timeout, 4: reset)"
}

# req METHOD TARGET [HEADER-LINE...]: an HTTP/1.1 request with Host and the
# extra header lines, as printf %b text (\r\n escapes) for request().
req() {
    local text="$1 $2 HTTP/1.1\r\nHost: localhost\r\n" h
    shift 2
    for h in "$@"; do text+="$h\r\n"; done
    printf '%s' "$text\r\n"
}

# get [TARGET [HEADER-LINE...]]: GET TARGET (default /) with the extra
# header lines. It asks to close, so every step ends the connection after it.
get() {
    local target=${1:-/}
    [ $# -eq 0 ] || shift
    request "$(req GET "$target" 'Connection: close' "$@")"
}

# ---- reading the response ----

# split_response: $RESPONSE into $HEAD (status line, header lines and the
# empty line, CRLFs kept) and $BODY (the bytes after the empty line). Sets
# NO_CRLF to the first head line that does not end in CRLF, if any.
split_response() {
    local line head="" n=0
    NO_CRLF=
    while IFS= read -r line; do
        n=$((n + ${#line} + 1))
        head+=$line$'\n'
        [[ $line == *$'\r' ]] || NO_CRLF=${NO_CRLF:-${line:-(an empty line)}}
        if [ "$line" = $'\r' ] || [ -z "$line" ]; then
            printf '%s' "$head" >"$HEAD"
            tail -c +$((n + 1)) "$RESPONSE" >"$BODY"
            return 0
        fi
    done <"$RESPONSE"
    fail "the response has no empty line ending its head:" "$(od -c "$RESPONSE" | head -n 20)"
}

# status_line: the response's first line, without its CRLF.
status_line() {
    local line=
    IFS= read -r line <"$RESPONSE"
    printf '%s\n' "${line%$'\r'}"
}

# header NAME: the value of the first header field NAME (any case) in $HEAD,
# without surrounding whitespace or the CR; fails if there is none.
header() {
    local want=${1,,} line name
    {
        read -r line # the status line
        while IFS= read -r line; do
            line=${line%$'\r'}
            name=${line%%:*}
            [ "$name" != "$line" ] && [ "${name,,}" = "$want" ] || continue
            line=${line#*:}
            line=${line#"${line%%[! $'\t']*}"}
            printf '%s\n' "${line%"${line##*[! $'\t']}"}"
            return 0
        done
    } <"$HEAD"
    fail "no $1 header in:" "$(cat "$HEAD")"
}

# has_header NAME: whether $HEAD has a field NAME (any case).
has_header() {
    tail -n +2 "$HEAD" | grep -qi "^$1:"
}

# utc_date FORMAT EPOCH: EPOCH in UTC as strftime() FORMAT gives it, by
# bash's own printf (no date(1): GNU and BSD differ).
utc_date() {
    TZ=UTC0 printf "%($1)T\n" "$2"
}

# The three HTTP date formats (RFC 9110 §5.6.7).
IMF_FIXDATE='%a, %d %b %Y %H:%M:%S GMT'
RFC850_DATE='%A, %d-%b-%y %H:%M:%S GMT'
ASCTIME_DATE='%a %b %e %H:%M:%S %Y'

# http_date EPOCH: EPOCH as an IMF-fixdate.
http_date() {
    utc_date "$IMF_FIXDATE" "$1"
}

# check_date: the Date header is an IMF-fixdate (RFC 9110 §5.6.7) naming a
# second between T0 and T1, when the request was sent and answered.
check_date() {
    local date t want
    date=$(header Date) || return 1
    [[ $date =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-9]{2}\ (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] ||
        fail "Date is not an IMF-fixdate: '$date'" || return 1
    for ((t = T0; t <= T1; t++)); do
        TZ=UTC0 printf -v want "%($IMF_FIXDATE)T" "$t"
        [ "$date" = "$want" ] && return 0
    done
    fail "Date '$date' is not the time of the request ($(http_date "$T0"))"
}

# check_head STATUS-LINE: the status line is STATUS-LINE, every head line
# ends in CRLF, Date is right and Server names the step.
check_head() {
    split_response || return 1
    [ "$(status_line)" = "$1" ] || fail "status line '$(status_line)', want '$1'" || return 1
    [ -z "$NO_CRLF" ] || fail "a head line does not end in CRLF: $NO_CRLF" || return 1
    check_date || return 1
    [ "$(header Server)" = "$SERVER_NAME" ] || fail "Server: $(header Server)"
}

# check_response STATUS-LINE: check_head, and Content-Length equals the
# body's size in bytes, which it leaves in BODY_SIZE. A chunked response
# (step05's listings for HTTP/1.1) has no Content-Length: its body must
# decode (dechunk), and $BODY becomes the decoded body.
check_response() {
    check_head "$1" || return 1
    local length chunked=
    if [ "$(header Transfer-Encoding 2>/dev/null)" = chunked ]; then
        chunked=1
        ! has_header Content-Length || fail "both Content-Length and Transfer-Encoding" || return 1
        dechunk "$BODY" "$T/dechunked" || return 1
        mv "$T/dechunked" "$BODY"
    else
        length=$(header Content-Length) || return 1
    fi
    BODY_SIZE=$(wc -c <"$BODY")
    BODY_SIZE=${BODY_SIZE//[!0-9]/}
    [ -n "$chunked" ] || [ "$length" = "$BODY_SIZE" ] ||
        fail "Content-Length $length, but the body has $BODY_SIZE bytes"
}

# dechunk IN OUT: decode the chunked body in file IN into OUT, strictly
# (RFC 9112 §7.1): hex sizes, every line ending in CRLF, CRLF after each
# chunk's data, no trailer, nothing after the end. For text bodies (bash
# drops NUL bytes).
dechunk() {
    local fd line size data out=""
    exec {fd}<"$1"
    while :; do
        IFS= read -r line <&"$fd" || { exec {fd}<&-; fail "the chunked body ends early"; return 1; }
        [[ $line =~ ^([0-9a-fA-F]{1,8})$'\r'$ ]] || { exec {fd}<&-; fail "a bad chunk-size line: '$line'"; return 1; }
        size=$((16#${BASH_REMATCH[1]}))
        [ "$size" -gt 0 ] || break
        IFS= read -r -N "$size" data <&"$fd"
        out+=$data
        IFS= read -r -N 2 line <&"$fd"
        [ "${#data}" -eq "$size" ] && [ "$line" = $'\r\n' ] ||
            { exec {fd}<&-; fail "chunk data of $size bytes not followed by CRLF"; return 1; }
    done
    IFS= read -r line <&"$fd"
    [ "$line" = $'\r' ] || { exec {fd}<&-; fail "no empty line after the last chunk: '$line'"; return 1; }
    if IFS= read -r -N 1 line <&"$fd"; then
        exec {fd}<&-
        fail "bytes after the chunked body"
        return 1
    fi
    exec {fd}<&-
    printf '%s' "$out" >"$2"
}

# check_error STATUS-LINE WHAT: an error response as COURSE.md defines it:
# text/plain, the connection closed, the body "CODE Reason" and a line
# saying what was wrong, matching the extended regex WHAT.
check_error() {
    local lines
    check_response "HTTP/1.1 $1" || return 1
    [ "$(header Content-Type)" = "text/plain; charset=utf-8" ] || fail "Content-Type: $(header Content-Type)" || return 1
    closes_connection || return 1
    mapfile -t lines <"$BODY"
    [ "${#lines[@]}" = 2 ] && [ $((${#lines[0]} + ${#lines[1]} + 2)) = "$BODY_SIZE" ] ||
        fail "the body is not two lines, each ending in LF:" "$(cat "$BODY")" || return 1
    [ "${lines[0]}" = "$1" ] || fail "body's first line: ${lines[0]}" || return 1
    [[ ${lines[1]} =~ $2 ]] || fail "body's second line: ${lines[1]}, want /$2/"
}

# closes_connection: the response announces the close: Connection: close,
# and no Keep-Alive.
closes_connection() {
    [ "$(header Connection)" = close ] || fail "Connection: $(header Connection)" || return 1
    ! has_header Keep-Alive || fail "Keep-Alive on a closing response: $(header Keep-Alive)"
}

# mtime FILE: the file's modification time in seconds (GNU, then BSD stat).
mtime() {
    stat -c %Y "$1" 2>/dev/null || stat -f %m "$1"
}
