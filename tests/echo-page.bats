#!/usr/bin/env bats
# steps: 02-02
# step02's page: Hello, World! and the client's own request head, escaped;
# and the request printed on stdout part by part.

load helpers

# html_escape: stdin with & < > " ' written as HTML character references.
html_escape() {
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
        -e 's/"/\&quot;/g' -e "s/'/\\&#39;/g"
}

@test "echo-page: an HTML5 page, UTF-8, saying Hello, World!" {
    start_server
    get /
    check_response "HTTP/1.1 200 OK"
    [ "$(header Content-Type)" = "text/html; charset=utf-8" ]
    [ "$(head -n 1 "$BODY")" = "<!DOCTYPE html>" ]
    grep -q '<meta charset="utf-8">' "$BODY"
    grep -q '<h1>Hello, World!</h1>' "$BODY"
    [ "$(tail -n 1 "$BODY")" = "</html>" ]
}

@test "echo-page: the page shows the request head byte for byte, HTML-escaped" {
    start_server
    local req='GET /a?b=<i>&c="d"'"'"'e'"'"' HTTP/1.1\r\nHost: localhost\r\nX-Q: a & b\r\nConnection: close\r\n\r\n'
    request "$req"
    check_response "HTTP/1.1 200 OK"
    printf '%b' "$req" | html_escape >"$T/expected"
    # The <pre> holds the escaped head: from just after "<pre>" to "</pre>".
    sed -n '/<pre>/,/<\/pre>/p' "$BODY" | sed -e '1s/^.*<pre>//' -e '$d' >"$T/shown"
    cmp "$T/expected" "$T/shown" || fail "shown:" "$(od -c "$T/shown" | head -n 20)"
}

@test "echo-page: <script> in the target is shown as text, never run" {
    start_server
    get '/<script>alert(1)</script>'
    check_response "HTTP/1.1 200 OK"
    grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$BODY"
    ! grep -qF '<script>' "$BODY" || fail "raw <script> in the page"
}

@test "echo-page: a 16 KiB head of characters to escape fits the page" {
    start_server
    {
        printf 'GET / HTTP/1.1\r\nX: '
        head -c $((16384 - 23)) /dev/zero | tr '\0' '"'
        printf '\r\n\r\n'
    } >"$T/req"
    [ "$(wc -c <"$T/req")" -eq 16384 ]
    send <"$T/req"
    check_response "HTTP/1.1 200 OK"
    [ "$(grep -o '&quot;' "$BODY" | wc -l | tr -d ' ')" -eq $((16384 - 23)) ]
}

@test "echo-page: stdout shows the request's parts and the body bytes that came along" {
    start_server
    request 'POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'
    check_response "HTTP/1.1 200 OK"
    await_output '^  request line \| POST /form HTTP/1\.1\\r\\n$'
    await_output '^  header       \| Host: localhost\\r\\n$'
    await_output '^  header       \| Content-Length: 5\\r\\n$'
    await_output '^  blank line   \| \\r\\n$'
    await_output '^  body bytes   \| 5 arrived with the head$'
}

@test "echo-page: control bytes are escaped on stdout, never sent to the terminal" {
    start_server
    request 'GET / HTTP/1.1\r\nX-Evil: \x1b[31mred\x07\r\nConnection: close\r\n\r\n'
    await_output '^  header       \| X-Evil: \\x1b\[31mred\\x07\\r\\n$'
    ! grep -q $'\x1b' "$T/stdout" || fail "a raw ESC reached stdout"
}
