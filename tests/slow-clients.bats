#!/usr/bin/env bats
# steps: 05-
# One poll() loop serves every client: slow, stalled and vanished clients
# never delay the others, every descriptor is released, and SIGTERM ends
# the server cleanly with a summary.

load helpers
load www
load keepalive
load proc

# open_idle N [TEXT]: open N connections from bash, each sending TEXT (or
# nothing), and keep them in the array IDLE.
open_idle() {
    local i fd
    for ((i = 0; i < $1; i++)); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        [ -z "${2:-}" ] || printf '%b' "$2" >&"$fd"
        IDLE+=("$fd")
    done
}

# close_idle: close the connections of open_idle.
close_idle() {
    local fd
    for fd in "${IDLE[@]}"; do exec {fd}>&-; done
    IDLE=()
}

# with_free_fds N COMMAND...: run COMMAND in place of this shell (as a
# SERVER_WRAPPER) under a limit of 100 descriptors with exactly N of them
# free. Whatever the tests left open below 100 is closed first, then
# /dev/null fills every number from 3 up to the N highest, and COMMAND
# inherits those. (A new descriptor takes the lowest free number, and
# that number must be below the limit.)
with_free_fds() {
    local n=$1 fd
    shift
    for ((fd = 3; fd < 100; fd++)); do eval "exec $fd>&-"; done
    for ((fd = 3; fd < 100 - n; fd++)); do eval "exec $fd</dev/null"; done
    with_fd_limit 100 "$@"
}

# with_fd_limit N COMMAND...: run COMMAND in place of this shell (as a
# SERVER_WRAPPER) under a limit of N open descriptors, soft and hard.
with_fd_limit() {
    ulimit -n "$1" || return 1
    shift
    exec "$@"
}

teardown() {
    close_idle
    stop_server
}

@test "slow-clients: 100 stalled connections do not delay a request" {
    start_server -d "$WWW"
    local base=
    [ ! -d "/proc/$SERVER_PID/fd" ] || base=$(server_fds)
    IDLE=()
    open_idle 50
    open_idle 50 'GET /notes.txt HTTP/1.1\r\nHost: a\r\nX-Slow:'
    # Where /proc shows it, wait until the server holds all 100.
    [ -z "$base" ] || await_fds $((base + 100))
    talk "$(req GET /data.json 'Connection: close')" -t 1
    check_file 1 data.json close
    server_alive
}

@test "slow-clients: a client that never reads a 50 MiB file blocks no one" {
    start_server -d "$WWW"
    dd if=/dev/zero of="$WWW/huge.bin" bs=1048576 count=0 seek=50 2>/dev/null
    IDLE=()
    open_idle 2 "$(req GET /huge.bin)"
    # Both responses have begun: the server is stuck writing to both.
    local fd line
    for fd in "${IDLE[@]}"; do
        IFS= read -r -t 5 line <&"$fd"
        [ "$line" = $'HTTP/1.1 200 OK\r' ] || fail "status line: '$line'"
    done
    talk "$(req GET /notes.txt)$(req GET /data.json 'Connection: close')" -t 1
    check_file 1 notes.txt
    check_file 2 data.json close
}

@test "slow-clients: SIGTERM exits 0 and counts connections and requests" {
    start_server -d "$WWW"
    talk "$(req GET /notes.txt)$NEXT$(req GET /data.json 'Connection: close')" -s "$NEXT"
    talk "$(req GET /notes.txt)$(req GET /missing)$(req GET /data.json 'Connection: close')"
    get /notes.txt
    stop_summary
    [ "$CONNECTIONS $REQUESTS" = "3 6" ] || fail "stopped: $CONNECTIONS connections, $REQUESTS requests; want 3, 6"
}

@test "slow-clients: clients that reset as they are answered: each request logged once, and counted" {
    start_server -d "$WWW"
    # Each client asks the server to close after its response and resets
    # at once: the reset arrives before, during or after the response.
    "$CLIENT" -N 2000 -r "$PORT" < <(printf '%b' "$(req GET /notes.txt 'Connection: close')") >/dev/null
    # Answered, so every connection before it was accepted and read.
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
    stop_summary
    local lines
    lines=$(grep -c '"GET /notes.txt HTTP/1.1"' "$T/stdout")
    [ "$lines" -le 2001 ] || fail "$lines access log lines for 2001 requests"
    [ "$REQUESTS" = "$lines" ] || fail "the summary counts $REQUESTS requests; the log has $lines"
    [ "$CONNECTIONS" = 2001 ] || fail "the summary counts $CONNECTIONS connections, not 2001"
}

@test "slow-clients: no descriptor or memory leaks after 2,000 connections" {
    need_proc
    start_server -d "$WWW"
    local before rss
    before=$(server_fds)
    # The first responses allocate what all later ones reuse (stdio's
    # buffer, the heap): the memory baseline is taken after them.
    get /big.txt
    get /notes.txt
    rss=$(server_rss)
    # 500 each: answered and closed; kept alive then dropped by the client;
    # a partial request then dropped; a request then a reset.
    "$CLIENT" -N 500 -t 5 "$PORT" < <(printf '%b' "$(req GET /notes.txt 'Connection: close')") >/dev/null
    "$CLIENT" -N 500 -n "$PORT" < <(printf '%b' "$(req GET /notes.txt)") >/dev/null
    "$CLIENT" -N 500 -n "$PORT" < <(printf 'GET /notes.txt HTTP/1.1\r\nHo') >/dev/null
    "$CLIENT" -N 500 -r "$PORT" < <(printf '%b' "$(req GET /big.txt)") >/dev/null
    # Answered, so every connection before it was accepted (accept takes
    # them in order); then all must be released.
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
    await_fds "$before"
    # A leak of one 32 KiB request buffer in ten connections would add
    # 6 MiB. (AddressSanitizer keeps freed memory in quarantine, and its
    # leak checker covers that build: SANITIZE=1 skips this one check.)
    [ "${SANITIZE:-}" = 1 ] || [ $(($(server_rss) - rss)) -le 512 ] ||
        fail "resident memory grew from $rss KiB to $(server_rss) KiB"
    # A client that goes away is no error of the server's: the access log
    # says what each one got.
    [ ! -s "$T/stderr" ] || fail "the server wrote to stderr:" "$(head -n 5 "$T/stderr")"
}

@test "slow-clients: a request trickling in byte by byte still times out at its deadline" {
    start_server -d "$WWW" -t 1
    local text line= sent=0 fd
    printf -v text '%b' "$(req GET /notes.txt "X-Pad: $(printf '%080d' 0)")"
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    # A byte every 0.1 s at most (the read's timeout paces it): the whole
    # request would take 10 s, and -t 1 counts from the connection's start,
    # however steadily bytes come.
    while ((sent < ${#text})); do
        printf '%s' "${text:sent:1}" >&"$fd" 2>/dev/null || break
        sent=$((sent + 1))
        ! IFS= read -r -t 0.1 line <&"$fd" || break
    done
    exec {fd}>&-
    [ "$line" = $'HTTP/1.1 408 Request Timeout\r' ] || fail "after $sent bytes: '$line'"
    ((sent < ${#text})) || fail "the whole request went out before any answer"
}

@test "slow-clients: SIGTERM lets a response in flight finish and closes idle connections" {
    start_server -d "$WWW"
    # 64 MiB: more than the socket buffers hold, so the server is still
    # sending it while this client does not read.
    dd if=/dev/zero of="$WWW/huge.bin" bs=1048576 count=0 seek=64 2>/dev/null
    local idle conn line pid=$SERVER_PID status=0
    exec {idle}<>"/dev/tcp/127.0.0.1/$PORT"
    exec {conn}<>"/dev/tcp/127.0.0.1/$PORT"
    printf '%b' "$(req GET /huge.bin)" >&"$conn"
    IFS= read -r -t 5 line <&"$conn"
    [ "$line" = $'HTTP/1.1 200 OK\r' ] || fail "status line: '$line'"
    SERVER_PID=
    kill -TERM "$pid"
    # The idle connection is closed at once (read sees its end: status 1),
    # while the server still runs, the response unfinished.
    IFS= read -r -t 5 _ <&"$idle" || status=$?
    [ "$status" -eq 1 ] || fail "the idle connection was not closed (read: $status)"
    kill -0 "$pid" || fail "the server exited with a response in flight"
    timeout 10 cat <&"$conn" >"$T/rest"
    exec {idle}>&- {conn}>&-
    tail -c 67108864 "$T/rest" | cmp -s - "$WWW/huge.bin" || fail "the response was cut short"
    stop_summary "$pid"
    [ "$CONNECTIONS $REQUESTS" = "2 1" ] || fail "stopped: $CONNECTIONS connections, $REQUESTS requests; want 2, 1"
}

@test "slow-clients: out of descriptors (EMFILE), the server pauses accept() and serves the queued clients later" {
    # Seven descriptors free: three for the listener and its signal pipe,
    # four for clients.
    SERVER_WRAPPER="with_free_fds 7" start_server -d "$WWW" -t 1
    local cpu=
    [ ! -d /proc/$SERVER_PID ] || cpu=$(server_cpu)
    # Eight idle clients: accept() runs out of descriptors at the fifth.
    # The request below waits in the queue until idle ones time out (-t 1).
    # It asks for a missing file, which takes no descriptor besides its
    # socket (a file to open could rightly get 503).
    IDLE=()
    open_idle 8
    get /missing.txt
    # Meanwhile, a second or more: a loop that retried accept() at once
    # would have spent most of it on the CPU; waiting, the server spends
    # hundredths. (Linux: /proc.)
    [ -z "$cpu" ] || [ $(($(server_cpu) - cpu)) -lt 30 ] ||
        fail "the server used $(($(server_cpu) - cpu)) clock ticks of CPU while out of descriptors"
    check_error "404 Not Found" "no such file"
    grep -q '^accept: Too many open files' "$T/stderr" ||
        fail "accept() never ran out of descriptors; stderr:" "$(cat "$T/stderr")"
}

@test "slow-clients: a low limit on open files still holds many connections, and the server says how many" {
    # Under 82 descriptors, a fixed reserve for the file cache would leave
    # room for one connection: the idle ones below would shut out the request.
    SERVER_WRAPPER="with_fd_limit 82" start_server -d "$WWW" -t 30
    grep -Eq '^note: [0-9]+ connections at once: the limit on open files is 82 \(ulimit -n\)$' \
        "$T/stderr" || fail "no note on stderr:" "$(cat "$T/stderr")"
    IDLE=()
    open_idle 10
    talk "$(req GET /data.json 'Connection: close')"
    check_file 1 data.json close
}
