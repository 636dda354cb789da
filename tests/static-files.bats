#!/usr/bin/env bats
# steps: 04-
# Serving a document root: the command line, files with their headers and
# types, HEAD, methods, directories and listings, the access log.

load helpers
load www
bats_require_minimum_version 1.5.0

@test "static-files: the banner names the address, port and URL" {
    start_server -d "$WWW"
    [[ $BANNER =~ ^Serving\ HTTP\ on\ 127\.0\.0\.1\ port\ ([0-9]+)\ \(http://127\.0\.0\.1:([0-9]+)/\)\ \.\.\.$ ]] ||
        fail "banner: $BANNER"
    [ "${BASH_REMATCH[1]}" = "$PORT" ] && [ "${BASH_REMATCH[2]}" = "$PORT" ]
}

@test "static-files: -b takes an IPv6 literal (::1)" {
    if ! start_server -b ::1 -d "$WWW"; then
        grep -q 'Cannot assign requested address\|Address family not supported' "$T/stderr" &&
            skip "no IPv6 loopback on this machine"
        return 1
    fi
    [[ $BANNER == "Serving HTTP on ::1 port $PORT (http://[::1]:$PORT/) ..." ]] || fail "banner: $BANNER"
    run curl -sS -g --max-time 5 "http://[::1]:$PORT/notes.txt"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$WWW/notes.txt")" ]
}

@test "static-files: -b 0.0.0.0 listens on every IPv4 address" {
    start_server -b 0.0.0.0 -d "$WWW"
    [[ $BANNER == "Serving HTTP on 0.0.0.0 port $PORT (http://0.0.0.0:$PORT/) ..." ]] || fail "banner: $BANNER"
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
}

@test "static-files: a bad -b or -d gets a message and the usage, exit 2" {
    for args in "-b localhost" "-b 1.2.3.999" "-b" "-d $WWW/missing" "-d $WWW/notes.txt"; do
        run --separate-stderr "$SERVER_BIN" $args 0
        [ "$status" -eq 2 ] || fail "$args: exit $status"
        [[ $stderr == *usage:* ]] || fail "$args: stderr: $stderr"
    done
    run --separate-stderr "$SERVER_BIN" -d "$WWW/notes.txt" 0
    [[ $stderr == *"not a directory"* ]] || fail "stderr: $stderr"
    run --separate-stderr "$SERVER_BIN" -h
    [ "$status" -eq 0 ]
    [[ $output == *"-b ADDR"*"-d DIR"*PORT* ]] || fail "usage: $output"
}

@test "static-files: a file: its bytes, type, length and validators" {
    start_server -d "$WWW"
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/notes.txt" "$BODY"
    [ "$(header Content-Type)" = "text/plain; charset=utf-8" ]
    [ "$(header Last-Modified)" = "$(http_date "$(mtime "$WWW/notes.txt")")" ]
    [[ $(header ETag) =~ ^\"[0-9a-f]+-[0-9a-f]+\"$ ]] || fail "ETag: $(header ETag)"
    [ "$(header Accept-Ranges)" = bytes ]
    [ "$(header Cache-Control)" = no-cache ]
    [ "$(header Connection)" = close ]
}

@test "static-files: the ETag changes when the file does" {
    start_server -d "$WWW"
    printf 'one\n' >"$WWW/changing.txt"
    touch -t 202001010000 "$WWW/changing.txt"
    get /changing.txt
    split_response
    local first
    first=$(header ETag)
    touch -t 202001010001 "$WWW/changing.txt"
    get /changing.txt
    split_response
    [ "$(header ETag)" != "$first" ] || fail "same ETag after a new mtime: $first"
}

@test "static-files: Last-Modified is never later than Date" {
    start_server -d "$WWW"
    printf 'from the future\n' >"$WWW/future.txt"
    touch -t 203001010000 "$WWW/future.txt"
    get /future.txt
    check_response "HTTP/1.1 200 OK"
    [ "$(header Last-Modified)" = "$(header Date)" ] || fail "Last-Modified $(header Last-Modified), Date $(header Date)"
}

@test "static-files: Content-Type by extension, any case; others octet-stream" {
    start_server -d "$WWW"
    while read -r path type; do
        get "$path"
        split_response
        [ "$(header Content-Type)" = "$type" ] || fail "$path: $(header Content-Type), want $type"
    done <<'LIST'
/index.html text/html; charset=utf-8
/css/style.css text/css; charset=utf-8
/js/app.js text/javascript; charset=utf-8
/data.json application/json
/notes.txt text/plain; charset=utf-8
/SHOUT.TXT text/plain; charset=utf-8
/docs/readme.md text/markdown; charset=utf-8
/noindex/sub/file.c text/plain; charset=utf-8
/logo.svg image/svg+xml
/img/dot.png image/png
/media/tone.wav audio/wav
/big.txt.gz application/octet-stream
LIST
}

@test "static-files: HEAD gets exactly GET's headers and no body" {
    start_server -d "$WWW"
    get /css/style.css
    split_response
    grep -v '^Date: ' "$HEAD" >"$T/get-head"
    request 'HEAD /css/style.css HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
    check_head "HTTP/1.1 200 OK"
    [ ! -s "$BODY" ] || fail "HEAD got a body"
    diff <(grep -v '^Date: ' "$HEAD") "$T/get-head"
}

@test "static-files: POST, PUT and DELETE get 405 with Allow; other methods 501" {
    start_server -d "$WWW"
    for method in POST PUT DELETE; do
        request "$method /notes.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        check_error "405 Method Not Allowed" "GET or HEAD"
        [ "$(header Allow)" = "GET, HEAD" ] || fail "$method: Allow: $(header Allow)"
    done
    request 'BREW /notes.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
    check_error "501 Not Implemented" "BREW"
}

@test "static-files: a missing file gets 404 text/plain" {
    start_server -d "$WWW"
    get /no-such-file.txt
    check_error "404 Not Found" "no such file"
    request 'HEAD /no-such-file.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
    check_head "HTTP/1.1 404 Not Found"
    [ ! -s "$BODY" ] || fail "HEAD got a body"
}

@test "static-files: a directory without its slash gets 301, query kept" {
    start_server -d "$WWW"
    get /noindex
    check_response "HTTP/1.1 301 Moved Permanently"
    [ "$(header Location)" = /noindex/ ]
    get '/no%69ndex/sub?a=1&b=%20'
    check_response "HTTP/1.1 301 Moved Permanently"
    [ "$(header Location)" = '/noindex/sub/?a=1&b=%20' ]
}

@test "static-files: //dir gets Location /dir/, never //dir/ (another host)" {
    start_server -d "$WWW"
    for target in //noindex ///noindex /%2fnoindex; do
        get "$target"
        check_response "HTTP/1.1 301 Moved Permanently"
        [ "$(header Location)" = /noindex/ ] || fail "$target: Location: $(header Location)"
    done
}

@test "static-files: Content-Type comes from the requested name, not a symlink's target" {
    start_server -d "$WWW"
    ln -s notes.txt "$WWW/notes-link.json"
    get /notes-link.json
    check_response "HTTP/1.1 200 OK"
    [ "$(header Content-Type)" = application/json ]
}

@test "static-files: the Location is encoded again: no CR LF from %0d%0a" {
    start_server -d "$WWW"
    mkdir -p "$WWW/a"$'\r\n'"Set-Cookie: x=1"
    get '/a%0d%0aSet-Cookie:%20x=1'
    check_response "HTTP/1.1 301 Moved Permanently"
    [ "$(header Location)" = '/a%0D%0ASet-Cookie%3A%20x%3D1/' ] || fail "Location: $(header Location)"
    ! has_header Set-Cookie || fail "a header was injected"
}

@test "static-files: a directory with index.html gets it" {
    start_server -d "$WWW"
    get /docs/
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/docs/index.html" "$BODY"
    get /
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/index.html" "$BODY"
}

@test "static-files: a listing: sorted, escaped, encoded, no dotfiles, a parent link" {
    start_server -d "$WWW"
    get /noindex/
    check_response "HTTP/1.1 200 OK"
    [ "$(header Content-Type)" = "text/html; charset=utf-8" ]
    # Names sorted bytewise; & < > escaped in text and %-encoded in links.
    sed -n '/<ul>/,/<\/ul>/p' "$BODY" >"$T/list"
    cat >"$T/expected" <<'HTML'
<ul>
<li><a href="../">../</a></li>
<li><a href="a%26b%3Cc%3E.txt">a&amp;b&lt;c&gt;.txt</a></li>
<li><a href="caf%C3%A9.txt">café.txt</a></li>
<li><a href="sub/">sub/</a></li>
<li><a href="with%20space.txt">with space.txt</a></li>
</ul>
HTML
    diff "$T/expected" "$T/list"
    grep -q '<title>Index of /noindex/</title>' "$BODY"
    [ "$(head -n 1 "$BODY")" = "<!DOCTYPE html>" ]
}

@test "static-files: the listing of an empty directory, and of a name to escape" {
    start_server -d "$WWW"
    mkdir -p "$WWW/<b>"
    get /%3Cb%3E/
    check_response "HTTP/1.1 200 OK"
    grep -q '<h1>Index of /&lt;b&gt;/</h1>' "$BODY" || fail "$(cat "$BODY")"
    [ "$(grep -c '<li>' "$BODY")" -eq 1 ] # the parent link alone
}

@test "static-files: one Common Log Format line per request" {
    start_server -d "$WWW"
    get /notes.txt
    get /missing
    await_output '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000\] "GET /notes\.txt HTTP/1\.1" 200 31$'
    await_output '^127\.0\.0\.1 - - \[.*\] "GET /missing HTTP/1\.1" 404 [0-9]+$'
}

@test "static-files: a 64 MiB file streams through a fixed buffer" {
    [ -r /proc/self/status ] || skip "needs /proc/PID/status (Linux) to read the peak memory"
    start_server -d "$WWW"
    head -c $((64 << 20)) /dev/zero >"$WWW/big.bin"
    local before after
    before=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVER_PID/status")
    run curl -sS --max-time 30 -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$PORT/big.bin"
    [ "$output" = "200 $((64 << 20))" ] || fail "curl: $output"
    after=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVER_PID/status")
    [ $((after - before)) -lt 8192 ] || fail "peak memory grew by $((after - before)) kB"
}

@test "static-files: a client that leaves mid-file ends only its own transfer" {
    start_server -d "$WWW"
    head -c $((64 << 20)) /dev/zero >"$WWW/big.bin"
    printf 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n' | send -r
    curl -sS --max-time 10 "http://127.0.0.1:$PORT/big.bin" | head -c 1000 >/dev/null || true
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
}
