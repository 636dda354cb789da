#!/usr/bin/env bats
# steps: 04-
# The check-then-open race (issue 9): while a file in the root is swapped,
# again and again, for a symlink to a file outside the root, no request for
# it is ever answered with the outside file. tests/race.c (build/race) does
# the swapping and the asking; a server that checks a path and then opens it
# again by name, following symlinks, leaks within a few thousand requests.

load helpers
load www

setup_file() {
    make_www
    export WWW
    make_outside 'SECRET-OUTSIDE-THE-ROOT'
}

teardown_file() {
    remove_outside
    remove_www
}

@test "race: a file swapped for a symlink out of the root is never served through it" {
    local race=$ROOT/build/race out status=0
    [ -x "$race" ] || fail "$race is not built (make build/race)" || return 1
    start_server -d "$WWW"
    out=$("$race" -p "$PORT" -d "$WWW" -n race.txt -o "$OUTSIDE/secret.txt" -s 3 2>&1) || status=$?
    [ "$status" -ne 1 ] || fail "the file outside the root was served:" "$out" || return 1
    [ "$status" -eq 0 ] || fail "build/race failed (exit status $status):" "$out" || return 1
    # It cannot pass without racing: the server looked the name up, again
    # and again, both while it was the file (served) and while it was the
    # symlink (refused); a cache that hid the swaps would fail here.
    [[ $out =~ ^race:\ [0-9]+\ requests,\ ([0-9]+)\ served\ inside,\ ([0-9]+)\ refused,\ 0\ leaked,\ ([0-9]+)\ swaps$ ]] ||
        fail "unexpected output from build/race:" "$out" || return 1
    [ "${BASH_REMATCH[1]}" -ge 100 ] && [ "${BASH_REMATCH[2]}" -ge 100 ] && [ "${BASH_REMATCH[3]}" -ge 100 ] ||
        fail "too little raced to tell (100 served, 100 refused and 100 swaps at least):" "$out"
}
