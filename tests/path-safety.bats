#!/usr/bin/env bats
# steps: 04-
# No request reads a byte outside the document root: traversal payloads,
# dotfiles, symlinks out of the root, FIFOs and unreadable files. What git
# cannot hold is made here, in a copy of the fixture site.

load helpers
load www

setup_file() {
    make_www
    export WWW
    make_outside 'SECRET outside the root'
    mkdir -p "$WWW/.git"
    printf 'ref: refs/heads/main\n' >"$WWW/.git/HEAD"
    ln -s "$OUTSIDE/secret.txt" "$WWW/link-out.txt"
    ln -s "$OUTSIDE" "$WWW/dir-out"
    ln -s notes.txt "$WWW/link-in.txt"
    ln -s docs "$WWW/link-dir"
    ln -s /dev/zero "$WWW/zero"
    mkfifo "$WWW/fifo.txt"
    printf 'not for you\n' >"$WWW/unreadable.txt"
    chmod 000 "$WWW/unreadable.txt"
    # A sibling directory whose name starts with the root's name.
    mkdir -p "$WWW-secret"
    printf 'SECRET beside the root\n' >"$WWW-secret/file.txt"
    ln -s "$WWW-secret/file.txt" "$WWW/link-sibling.txt"
    # A .gz beside a file, leading out of the root.
    printf 'plain inside the root\n' >"$WWW/plain.txt"
    printf 'SECRET outside the root\n' | gzip >"$OUTSIDE/secret.txt.gz"
    ln -s "$OUTSIDE/secret.txt.gz" "$WWW/plain.txt.gz"
    ln -s ../"${OUTSIDE##*/}"/secret.txt.gz "$WWW/relative-out.txt.gz"
    printf 'relative inside the root\n' >"$WWW/relative-out.txt"
}

teardown_file() {
    rm -rf "$WWW-secret"
    remove_outside
    remove_www
}

# refused: the response is 400 or 404 and shows no secret.
refused() {
    split_response || return 1
    [[ $(status_line) =~ ^HTTP/1\.1\ (400|404)\  ]] || fail "status: $(status_line)" || return 1
    ! grep -q 'SECRET\|root:' "$BODY" || fail "a secret was served:" "$(cat "$BODY")"
}

@test "path-safety: 25 traversal payloads, sent as raw bytes, are refused" {
    start_server -d "$WWW"
    local name=${WWW##*/} payload
    while IFS= read -r payload; do
        request "GET $payload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        refused || fail "GET $payload"
    done <<LIST
/../../../../../../etc/passwd
/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd
/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd
/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd
/..%2F..%2F..%2F..%2Fetc/passwd
/%252e%252e/%252e%252e/etc/passwd
/%252e%252e%252f%252e%252e%252fetc%252fpasswd
/..\\\\..\\\\..\\\\etc\\\\passwd
/%5c..%5c..%5c..%5cetc%5cpasswd
/docs/../../../../etc/passwd
/docs/..%2f..%2f..%2f..%2fetc/passwd
/./../../../../etc/passwd
/.%2e/.%2e/.%2e/.%2e/etc/passwd
/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd
/....//....//....//etc/passwd
/..;/..;/..;/etc/passwd
/../$name-secret/file.txt
/%2e%2e/$name-secret/file.txt
http://localhost/../../../../etc/passwd
http://localhost/%2e%2e/%2e%2e/%2e%2e/etc/passwd
/link-out.txt
/dir-out/secret.txt
/dir-out/
/zero
/link-sibling.txt
LIST
}

@test "path-safety: a .gz beside a file that leads out of the root is never sent" {
    start_server -d "$WWW"
    for name in plain.txt relative-out.txt; do
        get "/$name" 'Accept-Encoding: gzip'
        check_response "HTTP/1.1 200 OK" || fail "GET /$name"
        ! has_header Content-Encoding || fail "/$name: Content-Encoding: $(header Content-Encoding)"
        cmp "$WWW/$name" "$BODY" || fail "/$name: not the file itself"
    done
}

@test "path-safety: dot segments are removed (RFC 3986 §5.2.4), never above the root" {
    start_server -d "$WWW"
    for path in /./notes.txt /docs/../notes.txt /docs/%2e%2e/notes.txt /docs/.%2E/notes.txt \
        /docs/nested/../../notes.txt //docs//..//notes.txt; do
        request "GET $path HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        check_response "HTTP/1.1 200 OK" || fail "GET $path"
        cmp "$WWW/notes.txt" "$BODY" || fail "GET $path: not notes.txt"
    done
    # A path to a directory: "/docs/." is "/docs/", so no redirect.
    request 'GET /docs/. HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/docs/index.html" "$BODY"
    for path in /../notes.txt /docs/../../notes.txt /%2e%2e/notes.txt /..; do
        request "GET $path HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        check_error "400 Bad Request" "above the root" || fail "GET $path"
    done
    # What is left after them is checked as ever: a dot-segment is no way
    # to a dotfile, nor to "/file/".
    for path in /docs/../.git/HEAD /.git/../.git/HEAD /notes.txt/ /notes.txt/. /docs/../notes.txt/; do
        request "GET $path HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        check_error "404 Not Found" "no such file" || fail "GET $path"
    done
}

@test "path-safety: //etc/passwd and %2fetc%2fpasswd stay inside the root" {
    start_server -d "$WWW"
    for payload in //etc/passwd /%2fetc%2fpasswd ///etc//passwd; do
        request "GET $payload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        check_error "404 Not Found" "no such file" || fail "GET $payload"
    done
}

@test "path-safety: NUL and backslashes get 400" {
    start_server -d "$WWW"
    rejected() {
        request "GET $1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        check_error "400 Bad Request" "$2"
    }
    rejected '/notes.txt%00.png' '%00'
    rejected '/a\\\\b' 'backslash'
    rejected '/a%5cb' 'backslash'
}

@test "path-safety: the Host header cannot choose the files" {
    start_server -d "$WWW"
    request 'GET /notes.txt HTTP/1.1\r\nHost: ../../etc\r\nConnection: close\r\n\r\n'
    check_error "400 Bad Request" "Host"
    request 'GET http://elsewhere/notes.txt HTTP/1.1\r\nHost: ../x\r\nConnection: close\r\n\r\n'
    check_error "400 Bad Request" "Host"
    request 'GET http://elsewhere/notes.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/notes.txt" "$BODY"
}

@test "path-safety: dotfiles and dot-directories get 404, and are not listed" {
    start_server -d "$WWW"
    for path in /.env /.git/HEAD /.git/ /.git /noindex/.hidden /%2eenv /empty-dir/.keep; do
        get "$path"
        check_error "404 Not Found" "no such file" || fail "GET $path"
    done
    get /empty-dir/
    check_response "HTTP/1.1 200 OK"
    ! grep -q 'keep' "$BODY" || fail "a dotfile is listed"
}

@test "path-safety: a symlink inside the root is served, and a path through one" {
    start_server -d "$WWW"
    get /link-in.txt
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/notes.txt" "$BODY"
    # The components after a symlink count too: a file in the directory
    # it points to, and nothing "inside" a file.
    get /link-dir/readme.md
    check_response "HTTP/1.1 200 OK"
    cmp "$WWW/docs/readme.md" "$BODY"
    get /link-in.txt/x
    check_error "404 Not Found" "no such file"
    get /link-in.txt/
    check_error "404 Not Found" "no such file"
}

@test "path-safety: a FIFO gets 403 and never blocks the server" {
    start_server -d "$WWW"
    get /fifo.txt
    check_error "403 Forbidden" "not a regular file"
    request 'HEAD /fifo.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
    check_head "HTTP/1.1 403 Forbidden"
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
}

@test "path-safety: a UNIX socket gets 403, like a FIFO" {
    command -v python3 >/dev/null || skip "python3 makes the socket file (Debian: apt install python3)"
    python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$WWW/sock.txt"
    start_server -d "$WWW"
    get /sock.txt
    check_error "403 Forbidden" "not a regular file"
}

@test "path-safety: an unreadable file gets 403" {
    if [ "$(id -u)" -eq 0 ]; then
        # root reads any file: run the server as nobody instead.
        command -v setpriv >/dev/null || skip "running as root without setpriv (util-linux)"
        SERVER_WRAPPER="setpriv --reuid=nobody --regid=$(id -gn nobody) --clear-groups"
    fi
    start_server -d "$WWW"
    get /unreadable.txt
    check_error "403 Forbidden" "may not be read"
}
