# Loaded, after helpers, by the test files that serve a document root
# (step04 on): each file gets its own copy of the fixture site in $WWW.

# make_www: copy tests/fixtures/www to $WWW, a fresh directory that other
# users may read (a test may run the server as nobody), so a test can add
# what git cannot hold: symlinks, FIFOs, unreadable files, huge files.
make_www() {
    WWW=$(mktemp -d "${TMPDIR:-/tmp}/www.XXXXXX")
    chmod 755 "$WWW"
    cp -R "$ROOT/tests/fixtures/www/." "$WWW/"
}

remove_www() {
    [ -z "${WWW:-}" ] || rm -rf "$WWW"
}

# make_outside TEXT: a directory beside the copy, $OUTSIDE (exported),
# holding secret.txt with TEXT: what no request may ever read.
make_outside() {
    OUTSIDE=$(mktemp -d "${TMPDIR:-/tmp}/outside.XXXXXX")
    export OUTSIDE
    chmod 755 "$OUTSIDE"
    printf '%s\n' "$1" >"$OUTSIDE/secret.txt"
}

remove_outside() {
    [ -z "${OUTSIDE:-}" ] || rm -rf "$OUTSIDE"
}

setup_file() {
    make_www
    export WWW
}

teardown_file() {
    remove_www
}
