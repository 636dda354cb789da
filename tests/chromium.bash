# Loaded, after helpers, by the test files that drive headless Chromium.

# dump_dom URL: run headless Chromium on URL (a fresh profile, no network
# but this machine) and set output to the DOM after the page has loaded.
dump_dom() {
    need_tool "Debian: apt install chromium" chromium chromium-browser google-chrome || return 1
    run timeout 60 "$TOOL" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-quic --user-data-dir="$T/profile" --virtual-time-budget=5000 --dump-dom "$1"
    [ "$status" -eq 0 ] || fail "chromium exit $status: $output"
}
