#!/usr/bin/env bats
# steps: 04-
# Out of file descriptors, a file that exists is no "404 Not Found": the
# server answers 503 Service Unavailable (RFC 9110 §15.6.4), with
# Retry-After, and goes on once descriptors are free again.

load helpers
load www
load proc

# at_fd_limit: lower the running server's (soft) limit on descriptors
# with prlimit, so that it can open exactly one more: a descriptor's
# number must be below the limit, and a new one takes the lowest free
# number. The old limit is kept in SOFT_LIMIT.
at_fd_limit() {
    local free=0 line
    while [ -e "/proc/$SERVER_PID/fd/$free" ]; do free=$((free + 1)); done
    line=$(grep '^Max open files' "/proc/$SERVER_PID/limits")
    SOFT_LIMIT=$(set -- $line && echo "$4")
    "$TOOL" --pid "$SERVER_PID" --nofile=$((free + 1)): ||
        fail "prlimit could not lower the server's limit"
}

@test "fd-limit: a file or directory the server cannot open for want of descriptors gets 503" {
    need_proc
    need_tool "Debian: apt install util-linux" prlimit
    start_server -d "$WWW"
    at_fd_limit
    # accept() takes the last descriptor, so open() fails with EMFILE.
    get /notes.txt
    check_error "503 Service Unavailable" "too many files open"
    [ "$(header Retry-After)" = 1 ] || fail "Retry-After: $(header Retry-After)"
    # The same for the directory a listing must read.
    get /noindex/
    check_error "503 Service Unavailable" "too many files open"
    [ "$(header Retry-After)" = 1 ] || fail "Retry-After: $(header Retry-After)"
    # With descriptors to spare again, the same request succeeds.
    "$TOOL" --pid "$SERVER_PID" --nofile="$SOFT_LIMIT": || fail "prlimit could not restore the limit"
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/notes.txt" "$BODY"
    get /noindex/
    check_response "HTTP/1.1 200 OK"
}
