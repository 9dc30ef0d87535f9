#!/usr/bin/env bash
# test_eval.sh: srres-eval end to end on pictures made here: which files it leaves out of the
# table and the means, what it says of each, and its exit status.
# Usage: tests/test_eval.sh [BUILD_DIR]   (default build); ONLY=PATTERN runs the tests it matches
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
eval=$build/srres-eval
m2=$root/tests/fixtures/x2_seed.safetensors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 count=0

fail() {
    echo "FAIL: $current: $*"
    failures=$((failures + 1))
}

run_test() { # each test in a folder of its own
    current=$1
    count=$((count + 1))
    mkdir "$tmp/$1" && cd "$tmp/$1" && "$1"
}

frame() { # output, seconds into testsrc2: one 96x64 picture
    ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=96x64:rate=25" -ss "$2" \
        -frames:v 1 "$1"
}

# A file that cannot be read (damaged, or not a picture at all) is named in one line and left
# out, and the rest is scored as without it: it ended the run, every score before it lost.
# The status is then 1, a mean without it being no benchmark's.
test_unreadable_files_are_left_out() {
    frame a.png 1
    frame b.png 2
    frame whole.jpg 3
    head -c $(($(stat -c %s whole.jpg) / 2)) whole.jpg >cut.jpg
    echo "not a picture" >text.png
    # a JPEG cut before its first scan: FFmpeg's decoder said "No JPEG data found in image"
    # as a fatal line of its own beside ours
    head -c 200 whole.jpg >head.jpg
    "$eval" -m "$m2" --csv a.png cut.jpg b.png text.png head.jpg >some.csv 2>some.log
    local rc=$?
    "$eval" -m "$m2" --csv a.png b.png >good.csv || fail "a.png b.png not scored"
    [ $rc -eq 1 ] || fail "status $rc with files that cannot be read"
    cmp -s some.csv good.csv || fail "table: $(diff some.csv good.csv)"
    grep -q "^srres-eval: cut.jpg: no frame decodes.*; left out of the table and the means$" \
        some.log && grep -q "^srres-eval: text.png: .*; left out of the table and the means$" \
        some.log && grep -q "^srres-eval: head.jpg: .*; left out of the table and the means$" \
        some.log && grep -q "^srres-eval: 3 of 5 files could not be read" some.log &&
        [ "$(grep -c . some.log)" -eq 4 ] || fail "messages: $(cat some.log)"
}

# A file without read permission is one it cannot read (root reads any: tested as nobody).
test_a_file_without_permission_is_left_out() {
    frame a.png 1
    cp a.png locked.png
    chmod 000 locked.png
    local as=()
    if [ "$(id -u)" -eq 0 ]; then
        command -v runuser >/dev/null || { echo "$current: not tested (root, no runuser)"; return; }
        cp "$m2" model.safetensors
        chmod 755 .
        as=(runuser -u nobody --)
    else
        cp "$m2" model.safetensors
    fi
    "${as[@]}" "$eval" -m model.safetensors --csv locked.png a.png >some.csv 2>some.log
    local rc=$?
    [ $rc -eq 1 ] && grep -q "^a.png," some.csv && ! grep -q "^locked.png" some.csv &&
        grep -q "locked.png: cannot open: Permission denied; left out" some.log ||
        fail "status $rc: $(cat some.csv some.log)"
}

# A file that cannot be scored (one colour) is left out as before, and the status stays 0:
# no mean could hold it.
test_unscorable_images_leave_the_status_0() {
    frame a.png 1
    ffmpeg -nostdin -v error -f lavfi -i "color=c=red:size=64x64" -frames:v 1 red.png
    "$eval" -m "$m2" --csv a.png red.png >some.csv 2>some.log ||
        fail "status $? with a one-colour image: $(cat some.log)"
    grep -q "red.png: the image is one colour" some.log || fail "messages: $(cat some.log)"
}

# Nothing read: one line each, then that no image was scored, and status 1.
test_nothing_read_fails() {
    echo "not a picture" >text.png
    "$eval" -m "$m2" text.png >out.txt 2>err.log
    local rc=$?
    [ $rc -eq 1 ] && [ ! -s out.txt ] && grep -q "text.png: .*; left out" err.log &&
        grep -q "no image scored (of 1 given)" err.log || fail "status $rc: $(cat err.log)"
}

# Scores that never reach standard output fail the run: on a full disk, > results.csv was
# left empty with status 0.
test_lost_output_fails() {
    frame a.png 1
    "$eval" -m "$m2" --csv a.png >/dev/full 2>err.log
    local rc=$?
    [ $rc -eq 1 ] && grep -q "^srres-eval: standard output: No space left on device$" err.log ||
        fail "> /dev/full: status $rc: $(cat err.log)"
    "$eval" -m "$m2" a.png >&- 2>err.log
    rc=$?
    [ $rc -eq 1 ] && grep -q "^srres-eval: standard output: Bad file descriptor$" err.log ||
        fail ">&-: status $rc: $(cat err.log)"
}

for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -e "${ONLY:-.}"); do
    run_test "$t"
done
echo "test_eval.sh: $count tests, $failures failures"
[ $failures -eq 0 ]
