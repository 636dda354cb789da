#!/usr/bin/env bats
# steps: 01-
# No client can kill the server: each hostile client below is followed by
# a normal request, which must still be answered. (teardown also fails the
# test if the server died or a sanitizer spoke.)

load helpers

setup_file() {
    # 4096 bytes: every byte value 0-255, sixteen times; no empty line in it.
    for _ in $(seq 16); do
        for i in $(seq 0 255); do printf "\\x$(printf %02x "$i")"; done
    done >"$BATS_FILE_TMPDIR/garbage"
}

still_answers() {
    server_alive || fail "the server died"
    get /
    [ "$(status_line)" = "HTTP/1.1 200 OK" ] || fail "then: $(status_line)"
}

@test "robustness: a client that connects and closes without sending" {
    start_server
    printf '' | send -n
    still_answers
}

@test "robustness: a client that resets, before and after sending a request" {
    start_server
    printf '' | send -r
    printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n' | send -r
    still_answers
}

@test "robustness: clients that reset right after sending a request" {
    start_server
    for _ in $(seq 20); do
        printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n' | send -r
    done
    still_answers
}

@test "robustness: the server ignores SIGPIPE (writing to a gone client)" {
    [ -r /proc/self/status ] || skip "needs /proc/PID/status (Linux) to read the signal mask"
    start_server
    # SigIgn is a hex mask of ignored signals; SIGPIPE is signal 13, bit 12.
    local mask
    mask=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$SERVER_PID/status")
    [ -n "$mask" ] || fail "no SigIgn line in /proc/$SERVER_PID/status"
    (( (16#$mask >> 12) & 1 )) || fail "SIGPIPE is not ignored (SigIgn: $mask)"
}

@test "robustness: a 64 KiB request" {
    start_server
    head -c 65536 /dev/zero | tr '\0' a | send -w
    still_answers
}

@test "robustness: binary garbage, with and without an empty line" {
    start_server
    send -w <"$BATS_FILE_TMPDIR/garbage"
    { cat "$BATS_FILE_TMPDIR/garbage"; printf '\r\n\r\n'; } | send -w
    still_answers
}

@test "robustness: a request in 1-byte writes" {
    start_server
    printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' | send -c 1
    still_answers
}

@test "robustness: 100 clients in a row" {
    start_server
    for i in $(seq 100); do
        get / || fail "request $i"
        [ "$(status_line)" = "HTTP/1.1 200 OK" ] || fail "request $i: $(status_line)"
    done
}
