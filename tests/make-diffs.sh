#!/usr/bin/env bash
# Write docs/diffs/stepNN.diff: what each step adds to the one before it.
# Only files git tracks or would track (not ignored) are compared, and git's
# own diff options are fixed, so a fresh clone makes the same bytes.
#
#     bash tests/make-diffs.sh step01-socket step02-http-format ...
set -eu
cd "$(dirname "$0")/.."
mkdir -p docs/diffs

# The files of step directory $1, relative to it, one a line, sorted.
step_files() {
    git ls-files --cached --others --exclude-standard -- "$1" | sed "s|^$1/||" | sort -u
}

diff_file() { # diff_file OLD NEW: one file's diff (either may be /dev/null)
    git -c core.quotepath=false diff --no-index --no-color --no-ext-diff \
        --no-textconv --full-index --src-prefix=a/ --dst-prefix=b/ -- "$1" "$2" || [ $? -eq 1 ]
}

prev=
for dir in "$@"; do
    if [ -n "$prev" ]; then
        n=${dir#step}
        n=${n%%-*}
        out=docs/diffs/step$n.diff
        for f in $( (step_files "$prev"; step_files "$dir") | sort -u); do
            old=$prev/$f new=$dir/$f
            [ -e "$old" ] || old=/dev/null
            [ -e "$new" ] || new=/dev/null
            diff_file "$old" "$new"
        done >"$out.tmp"
        mv "$out.tmp" "$out"
        echo "diffs: $out ($(grep -c '^[-+][^-+]' "$out" || true) lines changed)"
    fi
    prev=$dir
done
