#!/usr/bin/env bash
# Run every tests/*.bats file against every step it applies to, and print
# one summary line for the whole run. A file names its steps in a line
# "# steps: 02-" (step02 and every later step) or "# steps: 01-01".
#
#     bash tests/run.sh 01 02        (make test and make test-stepNN call it)
set -u
cd "$(dirname "$0")/.." || exit 1

# Print the path of a bats-core >= 1.5: from PATH, or fetched into build/.
find_bats() {
    local v
    for b in bats build/bats/node_modules/bats/bin/bats build/bats-core/bin/bats; do
        command -v "$b" >/dev/null 2>&1 || continue
        v=$("$b" --version 2>/dev/null | sed -n 's/^Bats \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
        set -- $v
        if [ "${1:-0}" -gt 1 ] || { [ "${1:-0}" -eq 1 ] && [ "${2:-0}" -ge 5 ]; }; then
            command -v "$b"
            return 0
        fi
    done
    echo "tests: bats-core >= 1.5 not found; fetching it into build/ ..." >&2
    if command -v npm >/dev/null 2>&1 &&
        npm install --silent --no-audit --no-fund --prefix build/bats bats >&2; then
        echo build/bats/node_modules/bats/bin/bats
        return 0
    fi
    if command -v git >/dev/null 2>&1 &&
        git clone -q --depth 1 https://github.com/bats-core/bats-core build/bats-core >&2; then
        echo build/bats-core/bin/bats
        return 0
    fi
    echo "tests: could not fetch bats-core. Install it and run make test again:" >&2
    echo "    Debian/Ubuntu: sudo apt install bats curl     macOS: brew install bats-core" >&2
    return 1
}

# Print the test files whose range includes step $1.
files_for_step() {
    local f range first last
    for f in tests/*.bats; do
        range=$(sed -n 's/^# steps: *\([0-9]*-[0-9]*\).*/\1/p' "$f" | head -n 1)
        if [ -z "$range" ]; then
            echo "tests: $f has no '# steps: NN-' line" >&2
            return 1
        fi
        first=${range%-*} last=${range#*-}
        [ $((10#$1)) -ge $((10#$first)) ] || continue
        [ -z "$last" ] || [ $((10#$1)) -le $((10#$last)) ] || continue
        echo "$f"
    done
}

bats=$(find_bats) || exit 1
passed=0 failed=0 skipped=0 status=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
for step in "$@"; do
    if [ ! -x "./step$step" ]; then
        echo "tests: ./step$step is not built (run make step$step)" >&2
        exit 1
    fi
    files=$(files_for_step "$step") || exit 1
    for unit in build/test-*-step"$step"; do
        [ -x "$unit" ] || continue
        echo "== step$step: $unit"
        if "$unit"; then passed=$((passed + 1)); else failed=$((failed + 1)) status=1; fi
    done
    echo "== step$step: $(echo $files)"
    # shellcheck disable=SC2086
    STEP=$step "$bats" --formatter tap $files | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    passed=$((passed + $(grep -E '^ok ' "$log" | grep -vc ' # skip')))
    skipped=$((skipped + $(grep -Ec '^ok .* # skip' "$log")))
    failed=$((failed + $(grep -c '^not ok ' "$log")))
done
[ "$failed" -eq 0 ] || status=1
[ $((passed + failed)) -gt 0 ] || { echo "tests: no test ran" >&2; status=1; }
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
