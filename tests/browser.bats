#!/usr/bin/env bats
# steps: 04-
# A real browser: headless Chromium loads the fixture site, and the DOM it
# dumps after the page's script has run says the style sheet, the script
# and the image all arrived.

load helpers
load www
load chromium

@test "browser: headless Chromium loads the page, its CSS, script and image" {
    start_server -d "$WWW"
    dump_dom "http://127.0.0.1:$PORT/"
    [[ $output == *'<p id="status">script ran; css loaded; image loaded</p>'* ]] ||
        fail "the page's status:" "$(grep -o '<p id="status">[^<]*' <<<"$output")"
    for path in / /css/style.css /js/app.js /img/dot.png; do
        await_output "\"GET $path HTTP/1\\.1\" 200 "
    done
}

@test "browser: Chromium follows the redirect to a directory listing" {
    start_server -d "$WWW"
    dump_dom "http://127.0.0.1:$PORT/noindex"
    [[ $output == *'<h1>Index of /noindex/</h1>'* ]] || fail "$output"
    [[ $output == *'<a href="caf%C3%A9.txt">café.txt</a>'* ]] || fail "$output"
    await_output '"GET /noindex HTTP/1\.1" 301 '
}

@test "browser: Chromium browses the repository itself: .git hidden, C shown as text" {
    start_server -d "$ROOT"
    dump_dom "http://127.0.0.1:$PORT/"
    [[ $output == *'<a href="README.md">README.md</a>'* ]] || fail "$output"
    [[ $output == *'<a href="tests/">tests/</a>'* ]] || fail "$output"
    [[ $output != *'.git'* ]] || fail "a dotfile is listed: $output"
    # A line of the file, as the page shows it (text/plain).
    local line
    line=$(sed -n 2p "$ROOT/step04-static-files/files.c")
    dump_dom "http://127.0.0.1:$PORT/step04-static-files/files.c"
    [[ $output == *"$line"* ]] || fail "files.c is not shown as text: $output"
}
