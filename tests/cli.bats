#!/usr/bin/env bats
# steps: 01-
# The command line every step shares: the banner, the port, usage and
# startup errors (COURSE.md, "Command line and output").

load helpers
bats_require_minimum_version 1.5.0

@test "cli: the banner is the first stdout line and names the real port" {
    start_server
    [[ $BANNER =~ ^Serving\ HTTP\ on\ (127\.0\.0\.1\ )?port\ [0-9]+\ .*\.\.\.$ ]] ||
        fail "banner: $BANNER"
    [ "$PORT" -gt 0 ] || fail "port 0 in the banner: $BANNER"
    get /
    [[ $(status_line) == "HTTP/1.1 200 OK" ]] || fail "status line: $(status_line)"
}

@test "cli: without a PORT the server listens on 8000" {
    if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then
        skip "port 8000 is in use on this machine"
    fi
    start_server_args
    [ "$PORT" = 8000 ] || fail "banner: $BANNER"
    get /
    [[ $(status_line) == "HTTP/1.1 200 OK" ]]
}

@test "cli: -h prints the usage on stdout and exits 0" {
    run --separate-stderr "$SERVER_BIN" -h
    [ "$status" -eq 0 ]
    [[ $output == usage:* ]] || fail "stdout: $output"
    [[ $output == *PORT* ]]
    [ -z "$stderr" ]
}

@test "cli: a bad PORT gets a message and the usage on stderr, exit 2" {
    for port in abc 80x '' ' 80' +80 65536 99999999999999999999 -1; do
        run --separate-stderr "$SERVER_BIN" "$port"
        [ "$status" -eq 2 ] || fail "PORT '$port': exit $status"
        [[ $stderr == *usage:* ]] || fail "PORT '$port': stderr: $stderr"
        [ -z "$output" ] || fail "PORT '$port': stdout: $output"
    done
}

@test "cli: an unknown option or a second argument exits 2 with the usage" {
    run --separate-stderr "$SERVER_BIN" -x
    [ "$status" -eq 2 ]
    [[ $stderr == *usage:* ]]
    run --separate-stderr "$SERVER_BIN" 8000 8001
    [ "$status" -eq 2 ]
    [[ $stderr == *usage:* ]]
}

@test "cli: a port in use fails at bind: one line naming call, address, port and error; exit 1" {
    start_server
    run --separate-stderr "$SERVER_BIN" "$PORT"
    [ "$status" -eq 1 ] || fail "exit $status"
    [ -z "$output" ] || fail "stdout: $output"
    [ "${#stderr_lines[@]}" -eq 1 ] || fail "stderr: $stderr"
    [[ $stderr =~ bind.*127\.0\.0\.1:$PORT.*Address\ already\ in\ use ]] || fail "stderr: $stderr"
}
