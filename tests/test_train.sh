#!/usr/bin/env bash
# test_train.sh: srres-train end to end on clips made here: a tiny model learns (loss falls,
# it beats bicubic on frames it never saw), a finished run's checkpoint carries it on exactly
# as an uninterrupted run (the weights' average too) and a compact checkpoint nearly so, a
# resumed run keeps its options and output, Ctrl-C leaves a checkpoint, and bad input gets one
# clear line.
# Usage: tests/test_train.sh [BUILD_DIR]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
train=$build/srres-train
. "$root/tests/damage.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
gain() { # model, then images: its mean PSNR-Y gain over bicubic
    local model=$1
    shift
    "$build/srres-eval" -m "$model" --csv "$@" | awk -F, '$1 == "mean" { print $6 - $2 }'
}

# Training and held-out material: the same kind of picture, different frames.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=25" -t 4 -c:v libx264 -crf 10 train.mp4
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=25" -ss 7 -frames:v 1 held1.png
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=25" -ss 9.5 -frames:v 1 held2.png
tiny=(--scale 2 --blocks 2 --channels 16 --image-skip nearest --batch 8 --patch 16
    --threads 1 --seed 3 --lr 1e-3 --warmup 20 --log-every 10)

# 1. It learns: loss falls and the model beats bicubic on the held-out frames.
"$train" train.mp4 "${tiny[@]}" --steps 300 --val held1.png --val held2.png --val-every 300 \
    --log learn.csv -o learn.safetensors -q || fail "training failed"
first=$(awk -F, 'NR == 2 { print $2 }' learn.csv)
last=$(awk -F, 'END { print $2 }' learn.csv)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.7 * a) }' ||
    fail "loss did not fall enough: $first -> $last"
# The log's patches/s is the run's, not the first step's (which waits for the loaders): the
# last row's is within a factor of a few of the patches over the seconds so far.
awk -F, 'END { r = $7 * $8 / ($1 * 8); exit !(r > 0.5 && r < 5) }' learn.csv ||
    fail "patches/s in the log: $(tail -n 1 learn.csv)"
gain=$(gain learn.safetensors held1.png held2.png)
awk -v g="$gain" 'BEGIN { exit !(g > 0.3) }' || fail "only $gain dB over bicubic on held-out frames"

# The model in F16 (srres-model convert) scores the same to a hundredth of a dB.
"$build/srres-model" convert learn.safetensors learn16.safetensors --dtype f16 \
    --description "a test model" --meta trained_on=train.mp4 --meta licence=CC0 ||
    fail "srres-model convert failed"
[ "$(stat -c %s learn16.safetensors)" -lt "$(stat -c %s learn.safetensors)" ] ||
    fail "the F16 file is not smaller"
gain16=$(gain learn16.safetensors held1.png held2.png)
awk -v a="$gain" -v b="$gain16" 'BEGIN { d = a - b; exit !(d < 0.01 && d > -0.01) }' ||
    fail "F16 model gains $gain16 dB, F32 $gain dB"
"$build/srres-model" info learn16.safetensors | grep -q "x2, 2 blocks x 16 channels" ||
    fail "srres-model info"
"$build/srres-model" info learn16.safetensors | grep -q "trained_on: train.mp4" ||
    fail "srres-model convert --meta"
"$build/srres-model" info learn16.safetensors | grep -q "^  licence: CC0$" ||
    fail "srres-model info does not show every key"

# srres-eval --csv quotes a name with a comma or a quote (RFC 4180): one field still.
cp held1.png 'a,"b".png'
"$build/srres-eval" -m learn.safetensors --csv 'a,"b".png' | grep -q '^"a,""b"".png",[0-9.]*,' ||
    fail "srres-eval --csv: $("$build/srres-eval" -m learn.safetensors --csv 'a,"b".png')"

# srres-eval names images of one name in different folders by as much of their path as tells
# them apart, as srres-train's trained_on does (two rows read "img.png").
mkdir -p setA setB && cp held1.png setA/img.png && cp held2.png setB/img.png
"$build/srres-eval" -m learn.safetensors setA setB >named.txt || fail "srres-eval setA setB"
grep -q '^setA/img.png  ' named.txt && grep -q '^setB/img.png  ' named.txt ||
    fail "srres-eval same-named images: $(cat named.txt)"
# The same file given again (here by a link) is scored once: it weighed twice in the mean.
ln -s held1.png again.png
"$build/srres-eval" -m learn.safetensors --csv held1.png held2.png again.png held1.png \
    >again.csv 2>again.log || fail "srres-eval with repeats failed"
"$build/srres-eval" -m learn.safetensors --csv held1.png held2.png >once.csv ||
    fail "srres-eval failed"
cmp -s again.csv once.csv && grep -q "srres-eval: 2 images given again (the same file) left out" \
    again.log || fail "srres-eval with repeats: $(cat again.log) $(diff again.csv once.csv)"
# srres-train says a training input given again (drawn as often as given, which may be
# meant) and validates a --val image given again once.
"$train" train.mp4 train.mp4 "${tiny[@]}" --val held1.png --val again.png --steps 1 \
    -o again.safetensors 2>again.log || fail "srres-train with repeats failed"
grep -q "1 input given again (the same file): drawn as often as given" again.log &&
    grep -q "1 --val image given again (the same file) left out" again.log ||
    fail "srres-train with repeats: $(cat again.log)"

# Its table shows control characters of a name as '?': a line break broke the table, an
# escape sequence reached the terminal. (--csv quotes the name whole, as RFC 4180 has it.)
cp held1.png $'new\nline\e[2J.png'
"$build/srres-eval" -m learn.safetensors $'new\nline\e[2J.png' >ctrl-eval.txt ||
    fail "srres-eval on a name with control characters"
grep -q '^new?line?\[2J.png  ' ctrl-eval.txt && ! grep -q $'\e' ctrl-eval.txt ||
    fail "srres-eval control characters: $(cat -v ctrl-eval.txt)"
# C1's CSI too (U+009B, an escape sequence's start as UTF-8 spells it), as srres-model info
# and the library's messages show it.
cp held1.png $'c1\xc2\x9b2J.png'
"$build/srres-eval" -m learn.safetensors $'c1\xc2\x9b2J.png' >c1-eval.txt ||
    fail "srres-eval on a name with a C1 control"
grep -q '^c1?2J.png  ' c1-eval.txt || fail "srres-eval C1 control: $(cat -v c1-eval.txt)"
# A name with an accent takes a column a character, not a byte: "café.png" was padded a
# column short of the rows of names of its length (the same picture: the same figures).
cp held1.png café.png && cp held1.png cafe.png
"$build/srres-eval" -m learn.safetensors café.png cafe.png >accent.txt ||
    fail "srres-eval on an accented name"
accented=$(grep '^café.png' accent.txt | wc -c) plain=$(grep '^cafe.png' accent.txt | wc -c)
[ "$accented" -eq $((plain + 1)) ] || fail "srres-eval accented name's column: $(cat accent.txt)"
# A wide (CJK) character takes two columns: "東京.png" (6 bytes, 4 columns) lines up with
# "abcd.png", where counted a column a character it was padded two short.
cp held1.png 東京.png && cp held1.png abcd.png
"$build/srres-eval" -m learn.safetensors 東京.png abcd.png >wide.txt || fail "srres-eval on a CJK name"
wide=$(grep '^東京.png' wide.txt | wc -c) plain=$(grep '^abcd.png' wide.txt | wc -c)
[ "$wide" -eq $((plain + 2)) ] || fail "srres-eval CJK name's column: $(cat wide.txt)"

# srres-eval refuses a crop the SSIM window does not fit in (it once averaged SSIM -1 in).
msg=$("$build/srres-eval" -m learn.safetensors --crop 12 held1.png 2>&1) &&
    fail "srres-eval scored a 12-pixel crop"
[[ $msg == *"--crop 12 is too small to score at x2: at least 16"* ]] ||
    fail "srres-eval --crop 12: '$msg'"

# A run killed while saving leaves the file it was writing beside the checkpoint, as
# NAME.tmp-PID-N, half written: the next run on that checkpoint removes it, its process gone,
# and keeps one a live process may be writing.
"$train" train.mp4 "${tiny[@]}" --steps 1 -o killed.safetensors -q || fail "1-step run failed"
bash -c 'exit 0' &
wait $!
dead=$!
head -c 1000 killed.safetensors.ckpt >"killed.safetensors.ckpt.tmp-$dead-0"
: >"killed.safetensors.tmp-$dead-1"
: >"killed.safetensors.ckpt.tmp-$$-0"
"$train" train.mp4 --steps 2 --resume killed.safetensors.ckpt -q ||
    fail "resume beside a killed run's temporary file failed"
[ ! -e "killed.safetensors.ckpt.tmp-$dead-0" ] && [ ! -e "killed.safetensors.tmp-$dead-1" ] ||
    fail "a killed run's temporary files are left: $(ls killed.*)"
[ -e "killed.safetensors.ckpt.tmp-$$-0" ] || fail "a live process's temporary file was removed"

# srres-model convert --average-with: a model averaged with itself is itself; averaged with
# another of its kind (one step from scratch) it is neither; another network is refused.
"$train" train.mp4 "${tiny[@]}" --steps 1 -o other.safetensors -q || fail "1-step run failed"
learn1=$(gain learn.safetensors held1.png)
"$build/srres-model" convert learn.safetensors self.safetensors --average-with learn.safetensors
[ "$(gain self.safetensors held1.png)" = "$learn1" ] || fail "a model averaged with itself changed"
"$build/srres-model" convert learn.safetensors mean.safetensors --average-with other.safetensors
mean=$(gain mean.safetensors held1.png)
[ -n "$mean" ] && [ "$mean" != "$learn1" ] &&
    [ "$mean" != "$(gain other.safetensors held1.png)" ] || fail "--average-with had no effect"
# The mean's card says it is one, of which models, trained how, on what (all their inputs,
# once each): it kept learn.safetensors' card alone. --description and --meta still win.
"$train" held2.png "${tiny[@]}" --steps 1 -o onheld.safetensors -q || fail "1-step run failed"
"$build/srres-model" convert learn.safetensors mean3.safetensors --average-with other.safetensors \
    --average-with onheld.safetensors
info=$("$build/srres-model" info mean3.safetensors)
grep -qx "  description: The mean of the weights of 3 models: learn.safetensors, \
other.safetensors, onheld.safetensors" <<<"$info" &&
    grep -qx "  trained_on: train.mp4, held2.png" <<<"$info" &&
    grep -qx "  training: the mean of the weights of 3 models. learn.safetensors: srres-train: \
300 steps.*. other.safetensors: srres-train: 1 step.*. onheld.safetensors: srres-train: 1 step.*" \
        <<<"$info" || fail "the card of a mean: $info"
"$build/srres-model" convert learn.safetensors mean3.safetensors -y --average-with other.safetensors \
    --description "a soup" --meta training=mine --meta trained_on=theirs
info=$("$build/srres-model" info mean3.safetensors)
grep -qx "  description: a soup" <<<"$info" && grep -qx "  training: mine" <<<"$info" &&
    grep -qx "  trained_on: theirs" <<<"$info" || fail "a mean's card as given: $info"
"$train" train.mp4 "${tiny[@]}" --channels 8 --steps 1 -o narrow.safetensors -q ||
    fail "narrow run failed"
msg=$("$build/srres-model" convert learn.safetensors bad.safetensors \
    --average-with narrow.safetensors 2>&1) && fail "averaging different networks succeeded"
[[ $msg == *"narrow.safetensors: not the same network as learn.safetensors"* ]] &&
    [ ! -e bad.safetensors ] || fail "averaging different networks: '$msg'"

# The model's trained_on names every input, however long the list (it was once cut at 2 KB).
many=()
for i in $(seq -w 1 40); do
    many+=("a-picture-whose-name-is-long-enough-to-fill-a-list-quickly-$i.png")
    ln -s held1.png "${many[-1]}"
done
"$train" "${many[@]}" "${tiny[@]}" --steps 1 -o many.safetensors -q || fail "40-input run failed"
"$build/srres-model" info many.safetensors | grep -q "quickly-01.png, .*, a-.*-quickly-40.png$" ||
    fail "trained_on does not name all 40 inputs"
# One of a thing is said in the singular: a one-step run of one block.
"$train" held1.png "${tiny[@]}" --blocks 1 --steps 1 -o one.safetensors -q ||
    fail "one-block run failed"
info=$("$build/srres-model" info one.safetensors | tr '\n' ' ')
[[ $info == *"x2, 1 block x 16 channels, "*"training: srres-train: 1 step, batch"* ]] ||
    fail "one block, one step: $info"
# Inputs that share a file name are named by as much of their path as tells them apart.
mkdir -p walls/a/contents walls/b/contents
ln -s ../../../held1.png walls/a/contents/2560x1600.png
ln -s ../../../held1.png walls/b/contents/2560x1600.png
"$train" walls/a/contents/2560x1600.png walls/b/contents/2560x1600.png held1.png \
    "${tiny[@]}" --steps 1 -o walls.safetensors -q || fail "same-name run failed"
"$build/srres-model" info walls.safetensors |
    grep -q "trained_on: a/contents/2560x1600.png, b/contents/2560x1600.png, held1.png$" ||
    fail "trained_on does not tell same-named inputs apart"

# Metadata is UTF-8 text: an input named in Latin-1 is named with U+FFFD (before, trained_on
# vanished from the model), and an output name checkpoints cannot record is refused at once.
ln -s held1.png $'caf\xe9.png'
"$train" $'caf\xe9.png' "${tiny[@]}" --steps 1 -o latin1.safetensors -q ||
    fail "Latin-1 input run failed"
"$build/srres-model" info latin1.safetensors | grep -q $'trained_on: caf\xef\xbf\xbd.png$' ||
    fail "trained_on does not name the Latin-1 input"
msg=$("$train" held1.png "${tiny[@]}" --steps 1 -o $'out\xe9.safetensors' 2>&1) &&
    fail "a Latin-1 output name was taken"
[[ $msg == *"checkpoints record the output's name as UTF-8 text"* ]] &&
    [ ! -e $'out\xe9.safetensors' ] || fail "Latin-1 output name: '$msg'"

# srres-model info shows a file's metadata, not its control characters: an escape sequence
# reached the terminal, and a line break faked a further key.
"$build/srres-model" convert "$root/samples/x2-fast.safetensors" ctrl.safetensors \
    --meta $'note=a\e[2Jb\n  licence: CC0 \\x0a' ||
    fail "srres-model convert --meta with controls"
"$build/srres-model" info ctrl.safetensors >ctrl.txt || fail "srres-model info ctrl.safetensors"
grep -q $'\e' ctrl.txt && fail "srres-model info sent an escape sequence to the terminal"
grep -q '^  licence:' ctrl.txt && fail "srres-model info printed a line break of a value"
# A backslash of the text is doubled, or "\x0a" written out would read as an escaped break.
grep -qF '  note: a\x1b[2Jb\x0a  licence: CC0 \\x0a' ctrl.txt ||
    fail "srres-model info: '$(grep note ctrl.txt)'"

# 2. Resume equals an uninterrupted run, bit for bit (one thread, same seed). At a constant
# rate the first 30 steps of a run of 60 are a run of 30, whose last step writes a checkpoint
# (none is due before it): given --steps 60, that checkpoint carries the run on.
const=("${tiny[@]}" --lr-schedule constant)
"$train" train.mp4 "${const[@]}" --steps 60 --log-every 10 --log whole.csv \
    -o full.safetensors -q || fail "full run failed"
"$train" train.mp4 "${const[@]}" --steps 30 --checkpoint-every 1000 --checkpoint part.ckpt \
    --log-every 10 --log pieced.csv -o unused.safetensors -q || fail "checkpointing run failed"
"$train" train.mp4 --steps 60 --resume part.ckpt --threads 1 --log-every 10 --log pieced.csv \
    -o resumed.safetensors -q || fail "resume failed"
tensors() { # the data section of a safetensors file (the header holds run times)
    local n
    n=$(od -An -tu8 -N8 "$1" | tr -d ' ')
    tail -c +$((9 + n)) "$1"
}
cmp -s <(tensors full.safetensors) <(tensors resumed.safetensors) ||
    fail "resumed model differs from the uninterrupted one"
# A model taken from the checkpoint names what its run trained on, as the run's model does.
"$build/srres-model" convert part.ckpt from-ckpt.safetensors || fail "convert of a checkpoint"
"$build/srres-model" info from-ckpt.safetensors | grep -q "^  trained_on: train.mp4$" ||
    fail "a model from a checkpoint has no trained_on: $("$build/srres-model" info from-ckpt.safetensors)"
# Its log goes on from the checkpoint's step: resumed from it again, as a run killed between
# checkpoints is, it cuts what the first resume logged, so the log reads as the
# uninterrupted run's.
"$train" train.mp4 --steps 60 --resume part.ckpt --threads 1 --log-every 10 --log pieced.csv \
    -o unused.safetensors -q -y || fail "second resume failed"
cmp -s <(cut -d, -f1-4 whole.csv) <(cut -d, -f1-4 pieced.csv) ||
    fail "the resumed log is not the uninterrupted one: $(cut -d, -f1 pieced.csv | xargs)"
# stdio writes a log by the buffer, so a kill can cut its last line short: that goes too.
{ head -n 4 pieced.csv; printf 4; } >torn.csv
"$train" train.mp4 --steps 60 --resume part.ckpt --threads 1 --log-every 10 --log torn.csv \
    -o unused.safetensors -q -y || fail "resume after a cut log line failed"
cmp -s <(cut -d, -f1-4 whole.csv) <(cut -d, -f1-4 torn.csv) ||
    fail "a cut log line survives the resume: $(cut -d, -f1 torn.csv | xargs)"
# The log's rows are on disk before the checkpoint of their step is: they waited in stdio's
# buffer until after it, so a run killed once the checkpoint was written had a gap in its log
# when resumed. The checkpoint is a FIFO, which the run writes only once it is read: meanwhile
# the log must hold step 4; then, killed (-9) while writing step 8's, the run is resumed from
# step 4's, and its log holds each step once.
rm -f sync.fifo sync.csv && mkfifo sync.fifo
"$train" train.mp4 "${const[@]}" --steps 8 --checkpoint-every 4 --log-every 1 --log sync.csv \
    --checkpoint sync.fifo -o sync.safetensors -q 2>/dev/null &
pid=$!
for _ in $(seq 300); do # a slow start-up: at most 30 s for the first checkpoint
    grep -q "^4," sync.csv 2>/dev/null && break
    sleep 0.1
done
sleep 1
sync_rows=$(cut -d, -f1 sync.csv | xargs)
timeout 60 cat sync.fifo >sync.ckpt
sleep 3
kill -9 $pid
wait $pid 2>/dev/null
[ "$sync_rows" = "step 1 2 3 4" ] ||
    fail "log during step 4's checkpoint: '$sync_rows', not 'step 1 2 3 4'"
"$train" train.mp4 --resume sync.ckpt --threads 1 --log sync.csv --checkpoint sync2.ckpt \
    -o sync.safetensors -q || fail "resume of sync.ckpt failed"
[ "$(cut -d, -f1 sync.csv | xargs)" = "step 1 2 3 4 5 6 7 8" ] ||
    fail "log resumed after a kill past a checkpoint: $(cut -d, -f1 sync.csv | xargs)"
# A log that is a pipe is written on, not read back (which waited for input forever).
timeout 120 "$train" train.mp4 --steps 60 --resume part.ckpt --threads 1 --log-every 10 \
    --log /dev/stdout -o unused.safetensors -q -y | cat >piped.csv ||
    fail "resume logging to a pipe failed"
[ "$(cut -d, -f1 piped.csv | xargs)" = "step 40 50 60" ] ||
    fail "resumed log through a pipe: $(cut -d, -f1 piped.csv | xargs)"
# A pipe's reader that goes (| head, | true) makes the log's writes fail, which the run
# survives as it does a full disk: said, its model written, status 1. SIGPIPE killed it
# without a word, losing the steps since its last checkpoint.
timeout 120 "$train" train.mp4 "${tiny[@]}" --steps 20 --log-every 1 --log /dev/stdout \
    -o piped.safetensors 2>piped.err | true
status=${PIPESTATUS[0]}
[ "$status" = 1 ] && [ -s piped.safetensors ] &&
    grep -q "/dev/stdout: cannot write the log: Broken pipe; training goes on" piped.err ||
    fail "log to a closed pipe: status $status: $(cat piped.err)"
# A resumed run keeps its options: given again, the same ones are taken, and --resume alone
# goes on writing the run's output, in its dtype, and its checkpoint.
"$train" train.mp4 "${const[@]}" --steps 60 --resume part.ckpt -o same.safetensors -q ||
    fail "resume with the run's own options failed"
cmp -s <(tensors full.safetensors) <(tensors same.safetensors) ||
    fail "resumed with the run's own options, the model differs"
"$train" train.mp4 "${const[@]}" --steps 10 --dtype f16 -o half.safetensors -q ||
    fail "F16 run failed"
rm -f half.safetensors
"$train" train.mp4 --steps 20 --resume half.safetensors.ckpt --threads 1 -q ||
    fail "resume with no output given failed"
head -c 4096 half.safetensors 2>/dev/null | grep -q '"F16"' ||
    fail "resumed with no output given, the run's F16 model was not written"
"$train" train.mp4 --steps 19 --resume half.safetensors.ckpt -q 2>err.log &&
    fail "half.safetensors.ckpt was not carried on to step 20"
grep -q "at step 20" err.log || fail "half.safetensors.ckpt: $(cat err.log)"

# A cosine run carried on to a larger --steps says that its schedule is stretched, and where
# its rate goes (back up from --lr-min, at once); at a constant rate, or at the run's own
# --steps, nothing is said.
"$train" train.mp4 "${tiny[@]}" --steps 10 --warmup 0 -o cosine.safetensors -q ||
    fail "cosine run failed"
"$train" train.mp4 --steps 20 --resume cosine.safetensors.ckpt 2>err.log ||
    fail "cosine run carried on failed"
grep -q "cosine.safetensors.ckpt: its cosine schedule ran to step 10; over 20 steps, the rate \
at step 10 goes from 1e-06 to 0.000501$" err.log || fail "stretched cosine: $(cat err.log)"
"$train" train.mp4 --steps 30 --resume half.safetensors.ckpt 2>err.log ||
    fail "constant run carried on failed"
! grep -q "schedule" err.log || fail "a constant schedule said to stretch: $(cat err.log)"
# ... and its checkpoint file, when it was given one (not the output's name plus .ckpt).
"$train" train.mp4 "${const[@]}" --steps 10 --checkpoint named.ckpt -o named.safetensors -q ||
    fail "run with a named checkpoint failed"
"$train" train.mp4 --steps 20 --resume named.ckpt -q || fail "resume of named.ckpt failed"
[ -e named.safetensors.ckpt ] && fail "resumed alone, the run checkpointed beside its output"
"$train" train.mp4 --steps 19 --resume named.ckpt -q 2>/dev/null &&
    fail "resumed alone, named.ckpt was not carried on to step 20"
# ... and its log: a run stopped (Ctrl-C) and resumed alone logged nothing past the stop.
"$train" train.mp4 "${const[@]}" --steps 10 --log-every 5 --log alone.csv -o alone.safetensors \
    -q || fail "run with a log failed"
"$train" train.mp4 --steps 20 --resume alone.safetensors.ckpt --log-every 5 -q ||
    fail "resume of alone.safetensors.ckpt failed"
[ "$(cut -d, -f1 alone.csv | xargs)" = "step 5 10 15 20" ] ||
    fail "resumed alone, the run's log: $(cut -d, -f1 alone.csv | xargs)"
# ... and its validation images, how often it logs, validates and checkpoints, and its
# validation crop: resumed alone, it logged every 100 steps and validated whole images, or
# none (--val was not kept), figures unlike its own.
every=("${const[@]}" --log-every 5 --val held1.png --val-every 5 --val-crop 64)
"$train" train.mp4 "${every[@]}" --steps 20 --log every-whole.csv -o every-whole.safetensors -q ||
    fail "a run validated every 5 steps failed"
"$train" train.mp4 "${every[@]}" --steps 10 --log every.csv -o every.safetensors -q ||
    fail "a run validated every 5 steps failed"
"$train" train.mp4 --steps 20 --resume every.safetensors.ckpt -q ||
    fail "resume of every.safetensors.ckpt failed"
cmp -s <(cut -d, -f1-6 every-whole.csv) <(cut -d, -f1-6 every.csv) ||
    fail "resumed alone, the log and validation: $(cut -d, -f1,5 every.csv | xargs)"
# One of its validation images gone, it goes on without validation, said in one line as a log
# gone is: figures on part of the set would not compare with its own.
cp held2.png away.png
"$train" train.mp4 "${every[@]}" --val away.png --steps 10 --log away.csv -o away.safetensors \
    -q || fail "a run validated on away.png failed"
rm away.png
"$train" train.mp4 --steps 15 --resume away.safetensors.ckpt -q 2>err.log ||
    fail "a resume whose validation image is gone: $(cat err.log)"
[ "$(cat err.log)" = "srres-train: away.safetensors.ckpt: its run validated on $(pwd -P)/\
away.png: No such file or directory; it goes on without validation (give --val FILE to \
validate)" ] && [ "$(tail -n 1 away.csv | cut -d, -f1,5)" = "15,nan" ] ||
    fail "a resume whose validation image is gone: $(cat err.log) $(tail -n 1 away.csv)"
# Resumed with other inputs, the run says so (the stream of patches is then another).
"$train" train.mp4 --steps 25 --resume named.ckpt 2>err.log || fail "resume to 25 failed"
! grep -q "other inputs" err.log || fail "same inputs said to differ: $(cat err.log)"
"$train" train.mp4 held1.png --steps 30 --resume named.ckpt 2>err.log || fail "resume to 30 failed"
grep -q "named.ckpt: its run had other inputs (1 then, 2 now)" err.log ||
    fail "other inputs not said: $(cat err.log)"
# The model names the inputs of every session, each once: it named the last session's only, so
# a run carried on with other pictures lost the inputs of its first hours.
"$train" held2.png held1.png --steps 35 --resume named.ckpt -o sessions.safetensors -q ||
    fail "resume to 35 failed"
"$build/srres-model" info sessions.safetensors | grep -q "^  trained_on: train.mp4, held1.png, held2.png$" ||
    fail "trained_on after three sessions: $("$build/srres-model" info sessions.safetensors | grep trained_on)"

# A new run does not write over an earlier run's files unless -y says so: its checkpoint is
# named with the way to carry it on, its model and its log are refused too, and nothing is
# touched. An empty file (mktemp's) holds nothing to lose.
cp named.ckpt named-before.ckpt
"$train" train.mp4 "${const[@]}" --steps 10 --checkpoint named.ckpt -o named.safetensors -q \
    2>err.log
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.log)" -eq 1 ] && cmp -s named.ckpt named-before.ckpt &&
    grep -q "^srres-train: named.ckpt: already exists (an earlier run's checkpoint: --resume \
named.ckpt carries that run on); use -y to start this one over it$" err.log ||
    fail "a new run over named.ckpt: status $rc, $(cat err.log)"
"$train" train.mp4 "${const[@]}" --steps 10 --checkpoint new.ckpt -o named.safetensors -q \
    2>err.log && fail "a new run over named.safetensors was not refused"
grep -q "named.safetensors: already exists; use -y to write this run's model over it" err.log &&
    [ ! -e new.ckpt ] || fail "a new run over named.safetensors: $(cat err.log)"
cp learn.csv old.csv
"$train" train.mp4 "${const[@]}" --steps 10 --log old.csv -o new.safetensors -q 2>err.log &&
    fail "a new run over old.csv was not refused"
grep -q "old.csv: already exists; use -y to write this run's log over it" err.log &&
    cmp -s learn.csv old.csv || fail "a new run over old.csv: $(cat err.log)"
: >empty.safetensors
"$train" train.mp4 "${const[@]}" --steps 10 -o empty.safetensors -q 2>err.log &&
    [ -s empty.safetensors ] || fail "a run into an empty file: $(cat err.log)"
"$train" train.mp4 "${const[@]}" --steps 10 --checkpoint named.ckpt -o named.safetensors \
    --log old.csv -q -y || fail "-y: the run failed"
cmp -s named.ckpt named-before.ckpt && fail "-y: named.ckpt was not written over"
[ "$(cut -d, -f1 old.csv | xargs)" = "step 10" ] ||
    fail "-y: old.csv: $(cut -d, -f1 old.csv | xargs)"
# A resumed run writes its own log (named.ckpt's is old.csv now), not another run's, which
# it would cut to its step: learn.csv is refused.
cp learn.csv other.csv
"$train" train.mp4 --steps 12 --resume named.ckpt --log other.csv -q 2>err.log &&
    fail "a resume into another run's log was not refused"
grep -q "other.csv: already exists; use -y to write this run's log over it" err.log &&
    cmp -s learn.csv other.csv || fail "a resume into another run's log: $(cat err.log)"
"$train" train.mp4 --steps 12 --resume named.ckpt --log old.csv -q ||
    fail "a resume into its own log failed"
# Resumed from another folder, the run carries on where it wrote (checkpoints recorded the
# names as given, which the new folder took as its own: the model went there).
mkdir -p elsewhere
before=$(stat -c %Y.%s named.ckpt)
sleep 1
(cd elsewhere && "$train" ../train.mp4 --steps 14 --resume ../named.ckpt -q) ||
    fail "a resume from another folder failed"
[ ! -e elsewhere/named.safetensors ] && [ ! -e elsewhere/named.ckpt ] &&
    [ "$(stat -c %Y.%s named.ckpt)" != "$before" ] ||
    fail "resumed from another folder, the run wrote: $(ls elsewhere | xargs)"
# A checkpoint carried away from its run's folder (moved, or to another machine) says that
# the folder it recorded is not here and how to write elsewhere ("cannot write there" named a
# folder the user never gave); given -o, it goes on.
mkdir -p gone && "$train" train.mp4 "${const[@]}" --steps 10 -o gone/g.safetensors -q ||
    fail "run into gone/ failed"
mv gone/g.safetensors.ckpt carried.ckpt && rm -r gone
msg=$("$train" train.mp4 --steps 20 --resume carried.ckpt 2>&1) &&
    fail "a resume into a folder that is gone succeeded"
[[ $msg == "srres-train: carried.ckpt: its run wrote $(pwd -P)/gone/g.safetensors, in a folder that \
is not here (the run moved, or came from another machine); give -o FILE" ]] ||
    fail "a resume into a folder that is gone: '$msg'"
"$train" train.mp4 --steps 20 --resume carried.ckpt -o carried.safetensors -q &&
    [ -s carried.safetensors ] || fail "a carried checkpoint given -o did not go on"
# A log whose folder is gone (a log folder cleared) is worth less than the run: resumed alone,
# the run goes on without one and says so in one line, even under -q (it was refused, and went
# on only given --log /dev/null). Its checkpoints then record no log: a second resume is silent.
mkdir -p logs && "$train" train.mp4 "${const[@]}" --steps 10 --log logs/gone.csv \
    -o logless.safetensors -q || fail "run logging into logs/ failed"
rm -r logs
"$train" train.mp4 --steps 20 --resume logless.safetensors.ckpt -q 2>err.log ||
    fail "a resume whose log's folder is gone: $(cat err.log)"
[ "$(cat err.log)" = "srres-train: logless.safetensors.ckpt: its run logged to $(pwd -P)/logs/\
gone.csv, in a folder that is not here; it goes on without a log (give --log FILE for one)" ] &&
    [ ! -e logs ] || fail "a resume whose log's folder is gone: $(cat err.log)"
"$train" train.mp4 --steps 30 --resume logless.safetensors.ckpt -q 2>err.log && [ ! -s err.log ] ||
    fail "a second resume without a log: $(cat err.log)"

# A checkpoint at a round's last patch resumes exactly too: the sampler then starts the next
# round (it once planned the buffer it was still loading, so later rounds took stale or
# half-loaded patches, differently from run to run). Rounds of 64 patches, 8 steps each; a
# slowly seeking clip (one keyframe) keeps the loader busy when the buffer is planned anew.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=640x360:rate=25" -t 6 -c:v libx264 \
    -g 250 slow.mp4
rounds=("${const[@]}" --patches-per-frame 8 --frames-per-round 8 --log-every 1)
"$train" slow.mp4 "${rounds[@]}" --steps 48 --log rounds-whole.csv -o rounds.safetensors -q ||
    fail "48-step run failed"
"$train" slow.mp4 "${rounds[@]}" --steps 32 --log rounds-part.csv --checkpoint rounds.ckpt \
    -o unused.safetensors -q -y || fail "32-step run failed"
for i in 1 2; do
    cp rounds-part.csv "rounds-$i.csv"
    "$train" slow.mp4 --steps 48 --resume rounds.ckpt --log "rounds-$i.csv" --log-every 1 -y \
        -o "rounds-$i.safetensors" -q || fail "resume at a round's end failed"
    cmp -s <(cut -d, -f1-2 rounds-whole.csv) <(cut -d, -f1-2 "rounds-$i.csv") ||
        fail "resumed at a round's end, the losses differ from step $(diff \
            <(cut -d, -f1-2 rounds-whole.csv) <(cut -d, -f1-2 "rounds-$i.csv") |
            awk -F'[ ,]' '/^</ { print $2; exit }')"
done

# With --average the model written is the weights' average, which a checkpoint carries: a
# resumed run writes the same one as an uninterrupted run, and it is not the weights. The
# runs validate (the average, swapped in and out) at different steps, which must not show.
"$train" train.mp4 "${const[@]}" --steps 60 --average 0.9 --val held1.png --val-every 20 \
    -o avg.safetensors -q || fail "averaging run failed"
"$train" train.mp4 "${const[@]}" --steps 30 --average 0.9 --val held1.png --val-every 15 \
    --checkpoint-every 25 --checkpoint avg.ckpt -o unused.safetensors -q -y ||
    fail "averaging checkpoint run failed"
"$train" train.mp4 --steps 60 --resume avg.ckpt --threads 1 --val held1.png --val-every 7 \
    -o avg-resumed.safetensors -q || fail "averaging resume failed"
cmp -s <(tensors avg.safetensors) <(tensors avg-resumed.safetensors) ||
    fail "resumed average differs from the uninterrupted one"
cmp -s <(tensors avg.safetensors) <(tensors full.safetensors) &&
    fail "the averaging run wrote the weights, not their average"
# srres-model compact halves a checkpoint; a run resumed from it goes on with the options
# and state it holds, to within their rounding: its model scores what the exact one does
# within 0.002 dB (seen: 0.0001; with the moments zeroed in the compact file, 0.0067).
"$build/srres-model" compact avg.ckpt avg-compact.ckpt || fail "srres-model compact failed"
full_size=$(stat -c %s avg.ckpt 2>/dev/null || echo 0)
compact_size=$(stat -c %s avg-compact.ckpt 2>/dev/null || echo 0)
[ "$compact_size" -gt 0 ] && [ $((2 * compact_size)) -lt $((full_size + 8192)) ] ||
    fail "the compact checkpoint ($compact_size bytes) is not half the size ($full_size)"
"$train" train.mp4 --steps 60 --resume avg-compact.ckpt --threads 1 \
    -o avg-compact.safetensors -q || fail "resume from a compact checkpoint failed"
gain_exact=$(gain avg.safetensors held1.png)
gain_compact=$(gain avg-compact.safetensors held1.png)
awk -v a="$gain_exact" -v b="$gain_compact" 'BEGIN { d = a - b; exit !(d < 0.002 && d > -0.002) }' ||
    fail "resumed from the compact checkpoint: +$gain_compact dB, exactly: +$gain_exact dB"
"$build/srres-model" compact full.safetensors x.ckpt 2>err.log &&
    fail "srres-model compact took a model file"
grep -q "full.safetensors: .*optimizer" err.log || fail "no file and problem in: $(cat err.log)"
# A checkpoint stands for its average: srres-model convert and srres-eval take it, and a
# run's last checkpoint holds the model it wrote.
"$train" train.mp4 "${tiny[@]}" --steps 50 --average 0.9 --checkpoint avg50.ckpt \
    -o avg50.safetensors -q || fail "averaging run of 50 steps failed"
"$build/srres-model" convert avg50.ckpt avg-ckpt.safetensors || fail "convert of a checkpoint failed"
cmp -s <(tensors avg50.safetensors) <(tensors avg-ckpt.safetensors) ||
    fail "srres-model convert did not take the checkpoint's average"
[ "$("$build/srres-eval" -m avg50.ckpt --csv held1.png | grep ^mean)" = \
    "$("$build/srres-eval" -m avg50.safetensors --csv held1.png | grep ^mean)" ] ||
    fail "srres-eval did not take the checkpoint's average"
# srres-model info says a checkpoint is one, and where its run stands (it read as a model).
grep -qx "  checkpoint: srres-train's, at step 50 of 50; the weights are their moving average.*" \
    <<<"$("$build/srres-model" info avg50.ckpt)" || fail "info on a checkpoint: no step"
# info shows every file it can, an unreadable one said, and exits 1 (it stopped at the first).
"$build/srres-model" info trunc-missing.safetensors x7 avg50.safetensors >info.log 2>err.log &&
    fail "info on a missing file exited 0"
grep -q "^avg50.safetensors: x" info.log && grep -q "trunc-missing.safetensors" err.log &&
    grep -q "info x7: no such file, nor a model of that name" err.log ||
    fail "info past an unreadable file: $(cat info.log err.log)"
# A checkpoint at exactly --steps is a finished run: resuming it writes that run's model
# without a step more.
"$train" train.mp4 --resume avg50.ckpt --steps 50 -o finished.safetensors -q ||
    fail "resuming a checkpoint at its last step failed"
cmp -s <(tensors avg50.safetensors) <(tensors finished.safetensors) ||
    fail "resuming a checkpoint at its last step did not write that run's model"
# Given on resuming a checkpoint without one, --average starts one there.
"$train" train.mp4 --steps 60 --resume part.ckpt --average 0.9 --threads 1 \
    -o late-avg.safetensors -q || fail "resume with --average failed"
cmp -s <(tensors late-avg.safetensors) <(tensors resumed.safetensors) &&
    fail "--average on resume was ignored"

# 3. SIGINT writes a checkpoint and exits 130; the checkpoint resumes.
stopped_by() { # signal, the exit status it gives, checkpoint
    # SIGHUP as a terminal's, not as ignored by a nohup the tests may run under
    env --default-signal=HUP "$train" train.mp4 "${tiny[@]}" --steps 100000 --checkpoint "$3" \
        -o "${3%.ckpt}.safetensors" -q &
    local pid=$! rc
    sleep 3
    kill -"$1" $pid
    wait $pid
    rc=$?
    [ $rc -eq "$2" ] || fail "exit status $rc after SIG$1"
    [ -f "$3" ] || fail "no checkpoint after SIG$1"
}
stopped_by INT 130 sig.ckpt
"$train" train.mp4 --resume sig.ckpt --steps 1 -o x.safetensors -q 2>err.log &&
    fail "resuming past the requested steps should say so"
grep -q "step" err.log || fail "no step count in: $(cat err.log)"
# SIGHUP (a closed terminal, a dropped ssh session) stops the run as SIGINT does: it once
# killed it, losing the steps since the last checkpoint.
stopped_by HUP 129 hup.ckpt
# ... unless started under nohup, which asks it to outlive its terminal: it goes on (it
# stopped), and SIGINT still stops it.
nohup "$train" train.mp4 "${tiny[@]}" --steps 100000 --checkpoint nohup.ckpt \
    -o nohup.safetensors -q </dev/null >/dev/null 2>&1 &
pid=$!
sleep 3
kill -HUP $pid
sleep 1
kill -0 $pid 2>/dev/null || fail "a run under nohup stopped at SIGHUP"
kill -INT $pid
wait $pid
[ $? -eq 130 ] && [ -f nohup.ckpt ] || fail "a run under nohup did not stop at SIGINT"
# A second signal aborts at once, unsaved (the first waits for the step or validation in
# progress, which can take minutes): two delivered back to back, as a stopped process
# receives them when it goes on.
"$train" train.mp4 "${tiny[@]}" --steps 100000 --checkpoint-every 100000 --checkpoint twice.ckpt \
    -o twice.safetensors -q 2>twice.log &
pid=$!
sleep 2
kill -STOP $pid
kill -INT $pid
kill -TERM $pid
kill -CONT $pid
wait $pid
rc=$?
[ $rc -gt 128 ] && [ ! -e twice.ckpt ] &&
    grep -q "aborted by a second signal: nothing saved since the last checkpoint" twice.log ||
    fail "two signals: status $rc, $(ls twice.ckpt 2>/dev/null) $(cat twice.log)"
# A signal while a checkpoint's file is being opened or written (a FIFO here, which waits for
# its reader; a FUSE or network mount likewise) does not fail it: the call was cut short
# (EINTR), the run ended with 'cannot open: Interrupted system call', status 1, and no model.
# Signalled while its last step's checkpoint waits, the run is done: checkpoint and model.
rm -f intr.fifo && mkfifo intr.fifo
"$train" train.mp4 "${tiny[@]}" --steps 4 --log-every 1 --log intr.csv --checkpoint intr.fifo \
    -o intr.safetensors -q 2>intr.log &
pid=$!
for _ in $(seq 600); do # the log holds step 4 before its checkpoint is opened
    grep -q "^4," intr.csv 2>/dev/null && break
    sleep 0.1
done
sleep 1
kill -TERM $pid
sleep 1
timeout 60 cat intr.fifo >intr.ckpt
wait $pid
rc=$?
[ $rc -eq 0 ] && [ -s intr.safetensors ] && [ ! -s intr.log ] &&
    "$build/srres-model" info intr.ckpt >/dev/null 2>&1 ||
    fail "a signal during a checkpoint's open: status $rc, $(cat intr.log)"
# A signal during a periodic checkpoint (step 4 of 8, its FIFO waiting for a reader) stops
# the run at that checkpoint, as one mid-training stops at its step with one checkpoint: the
# run trained a fifth step and wrote a second checkpoint (here: waited for a second reader).
rm -f mid.fifo && mkfifo mid.fifo
"$train" train.mp4 "${tiny[@]}" --steps 8 --checkpoint-every 4 --log-every 1 --log mid.csv \
    --checkpoint mid.fifo -o mid.safetensors -q 2>mid.log &
pid=$!
for _ in $(seq 600); do
    grep -q "^4," mid.csv 2>/dev/null && break
    sleep 0.1
done
sleep 1
kill -TERM $pid
sleep 1
timeout 60 cat mid.fifo >mid.ckpt
for _ in $(seq 300); do
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -0 $pid 2>/dev/null && timeout 60 cat mid.fifo >mid2.ckpt && echo "a second checkpoint" >>mid.log
wait $pid
rc=$?
[ $rc -eq 143 ] && [ ! -e mid.safetensors ] && [ "$(tail -n 1 mid.csv | cut -d, -f1)" = 4 ] &&
    grep -qx "srres-train: stopped by signal at step 4; checkpoint mid.fifo (continue with \
--resume mid.fifo)" mid.log && [ "$(wc -l <mid.log)" -eq 1 ] &&
    head -c 4096 mid.ckpt | grep -qa '"optimizer.step":"4"' ||
    fail "a signal during a periodic checkpoint: status $rc, $(cat mid.log), log to $(tail -n 1 mid.csv)"
# A signal during a validation on a step that writes no checkpoint (step 4 of 12, validated
# on a 1920x1080 picture, about a second) stops the run at that step, with a checkpoint of
# it: the run trained a fifth step first.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=1920x1080:rate=25" -frames:v 1 val-big.png
"$train" train.mp4 "${tiny[@]}" --steps 12 --val val-big.png --val-crop 0 --val-every 4 \
    --log-every 1 --log vsig.csv --checkpoint vsig.ckpt -o vsig.safetensors 2>vsig.log &
pid=$!
for _ in $(seq 600); do
    grep -q "^step 3/12" vsig.log && break
    sleep 0.1
done
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] && [ ! -e vsig.safetensors ] && [ "$(tail -n 1 vsig.csv | cut -d, -f1)" = 4 ] &&
    grep -qx "srres-train: stopped by signal at step 4; checkpoint vsig.ckpt (continue with \
--resume vsig.ckpt)" vsig.log &&
    head -c 4096 vsig.ckpt | grep -qa '"optimizer.step":"4"' ||
    fail "a signal during a validation: status $rc, $(tail -n 2 vsig.log), log to \
$(tail -n 1 vsig.csv)"
# The checkpoint's folder removed mid-run (step 2's checkpoint fails) and made again: the run
# goes on, step 4's checkpoint is written, and the run ends well (status 0). Each step
# validates on the 1920x1080 picture, so that the folder goes between two checkpoints.
mkdir gone
"$train" train.mp4 "${tiny[@]}" --steps 4 --checkpoint-every 2 --val val-big.png --val-crop 0 \
    --val-every 1 --log-every 1 --checkpoint gone/r.ckpt -o gone.safetensors 2>gone.log &
pid=$!
for _ in $(seq 600); do
    grep -q "^step 1/4" gone.log && break
    sleep 0.1
done
rm -r gone
for _ in $(seq 600); do
    grep -q "tries again at step 4" gone.log || ! kill -0 $pid 2>/dev/null && break
    sleep 0.1
done
mkdir gone
wait $pid
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c "^srres-train: gone/r.ckpt" gone.log)" -eq 1 ] &&
    [ -s gone.safetensors ] && head -c 4096 gone/r.ckpt | grep -qa '"optimizer.step":"4"' ||
    fail "a checkpoint folder gone and back: status $rc, $(grep -v "^step" gone.log)"
# A signal before the first step (here while the log's FIFO waits for a reader: inputs can
# take minutes to probe) ends the run at once, saying so: it was killed without a word. It
# dies by the signal, not with a status of 128 + it, which a shell running a script takes for
# a program that handled Ctrl-C itself, and goes on with the script (perl, which is in every
# Debian, tells the two apart; bash's wait does not).
rm -f start.fifo start.pid && mkfifo start.fifo
perl -e '$p = fork; if (!$p) { exec @ARGV or die } open(F, ">start.pid"); print F $p; close F;
    waitpid($p, 0); print $? & 127 ? "signal " . ($? & 127) : "status " . ($? >> 8)' \
    "$train" train.mp4 "${tiny[@]}" --steps 8 --log start.fifo -o start.safetensors -q \
    2>start.log >start.how &
wrapper=$!
for _ in $(seq 300); do
    [ -s start.pid ] && break
    sleep 0.1
done
pid=$(cat start.pid)
for _ in $(seq 300); do
    [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ] && break
    sleep 0.1
done
kill -TERM $pid
for _ in $(seq 300); do
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -0 $pid 2>/dev/null && kill -KILL $pid && echo "still waiting 30 s after the signal" >>start.log
wait $wrapper
rc=$(cat start.how)
[ "$rc" = "signal 15" ] && [ ! -e start.safetensors ] && [ ! -e start.safetensors.ckpt ] &&
    grep -qx "srres-train: stopped by signal before the first step: nothing trained, nothing saved" \
        start.log ||
    fail "a signal during start-up: status $rc, $(cat start.log)"

# An input that fails mid-run (here frames too small for a patch, found when a round first
# draws one: at step 7 with seed 2) leaves a checkpoint at the batch that failed, as a signal
# does: the steps since the last one were lost. Resumed with the file mended, the run is the
# uninterrupted run on the mended file, bit for bit.
for part in 1:192x128:0 2:32x24:2 3:192x128:4 4:192x128:2; do
    IFS=: read -r n size offset <<<"$part"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=$size:rate=25" -t 1 -c:v libx264 \
        -output_ts_offset "$offset" "part$n.ts"
done
cat part1.ts part2.ts part3.ts >mended.ts
cat part1.ts part4.ts part3.ts >mended-whole.ts
one=("${const[@]}" --seed 2 --frames-per-round 1 --checkpoint-every 1000)
"$train" mended.ts "${one[@]}" --steps 30 -o mended.safetensors 2>err.log &&
    fail "frames too small for a patch were trained on"
grep -q "mended.ts: frame 33 is 32x24, smaller than a 40x40 HR patch with margin; checkpoint \
mended.safetensors.ckpt at step 7 (continue with --resume mended.safetensors.ckpt once" err.log ||
    fail "an input failing mid-run: $(cat err.log)"
# Failing right after a checkpoint (written at the step that failed, or resumed from), the
# line names that checkpoint all the same.
"$train" mended.ts "${const[@]}" --seed 2 --frames-per-round 1 --checkpoint-every 7 \
    --steps 30 -o just.safetensors 2>err.log && fail "frames too small for a patch were trained on"
grep -q "smaller than a 40x40 HR patch with margin; checkpoint just.safetensors.ckpt at step 7 \
(continue with --resume just.safetensors.ckpt once" err.log ||
    fail "an input failing right after a checkpoint: $(cat err.log)"
"$train" mended.ts --steps 30 --resume just.safetensors.ckpt 2>err.log &&
    fail "resumed, frames too small for a patch were trained on"
grep -q "smaller than a 40x40 HR patch with margin; checkpoint just.safetensors.ckpt at step 7 \
(continue with --resume just.safetensors.ckpt once" err.log ||
    fail "an input failing right after a resume: $(cat err.log)"
cp mended-whole.ts mended.ts
"$train" mended.ts --steps 30 --resume mended.safetensors.ckpt -q || fail "resume once mended failed"
"$train" mended-whole.ts "${one[@]}" --steps 30 -o mended-whole.safetensors -q ||
    fail "run on the mended file failed"
cmp -s <(tensors mended.safetensors) <(tensors mended-whole.safetensors) ||
    fail "resumed once mended, the model differs from the uninterrupted run's"

# A full disk (/dev/full, written in place) fails a save with one line that names the
# checkpoint holding the run: the last step's, beside a model that could not be written, or
# the one before a checkpoint that could not be, which the failed write left as it was. A
# checkpoint that fails does not stop the run, which would lose the steps since the last one
# for sure: the run trains on and tries again at the next, and the model is written; the last
# step's failing, the status is 1. The run stopped at the first (step 6), without a model.
"$train" train.mp4 "${const[@]}" --steps 4 -o /dev/full --checkpoint nospace.ckpt -q 2>err.log &&
    fail "a model written to /dev/full"
grep -q "^srres-train: /dev/full: write failed: No space left on device; checkpoint nospace.ckpt \
at step 4 holds the run (--resume nospace.ckpt writes the model)$" err.log ||
    fail "the model's save failing: $(cat err.log)"
"$train" train.mp4 --steps 8 --resume nospace.ckpt --checkpoint /dev/full --checkpoint-every 2 \
    -o nospace.safetensors -q 2>err.log
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.log)" -eq 2 ] &&
    grep -qx "srres-train: /dev/full: write failed: No space left on device; training goes on \
and tries again at step 8 (checkpoint nospace.ckpt at step 4 is as it was)" err.log &&
    grep -qx "srres-train: /dev/full: write failed: No space left on device; the model is \
written without it (checkpoint nospace.ckpt at step 4 is as it was) and the run will exit \
with status 1" err.log && "$build/srres-model" info nospace.safetensors >/dev/null 2>&1 ||
    fail "a checkpoint's save failing: status $rc, $(cat err.log)"

# --kernel picks the trainer's layers as srres-video's picks the network's: each path trains,
# to the same losses within float rounding. On a CPU with AVX-512, auto, avx2 and baseline
# sum in three orders, so their models differ in their last bits: the option was taken.
# Without AVX2 and FMA, avx2 is refused in one line.
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    for k in auto avx2 baseline; do
        "$train" train.mp4 "${const[@]}" --steps 6 --log-every 2 --log "kernel-$k.csv" \
            --kernel $k -o "kernel-$k.safetensors" -q || fail "--kernel $k: the run failed"
    done
    for k in avx2 baseline; do
        paste -d, kernel-auto.csv "kernel-$k.csv" | awk -F, 'NR > 1 {
            d = $2 - $10; if (d < 0) d = -d; if (d > 1e-4 * $2) bad = 1 } END { exit bad }' ||
            fail "--kernel $k: losses not those of auto: $(cut -d, -f2 kernel-$k.csv | tr '\n' ' ')"
    done
    if grep -qw avx512f /proc/cpuinfo; then
        for k in avx2 baseline; do
            cmp -s <(tensors kernel-auto.safetensors) <(tensors "kernel-$k.safetensors") &&
                fail "--kernel $k trained the same bits as auto's AVX-512 layers"
        done
    fi
else
    "$train" train.mp4 "${const[@]}" --steps 2 --kernel avx2 -o kernel.safetensors 2>err.log &&
        fail "--kernel avx2 ran without AVX2"
    grep -qx "srres-train: the AVX2 kernels need a CPU with AVX2 and FMA" err.log ||
        fail "--kernel avx2 without AVX2: $(cat err.log)"
fi

# 4. Bad input: one line naming the problem, non-zero exit, no crash.
expect_error() { # pattern, command...
    local pattern=$1
    shift
    "$@" >out.log 2>err.log
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -lt 128 ] || fail "status $rc for: $*"
    grep -q -- "$pattern" err.log || fail "no '$pattern' in: $(cat err.log)"
    [ "$(grep -c . err.log)" -le 2 ] || fail "more than a line or two: $(cat err.log)"
}
expect_error "no inputs" "$train" --steps 1
expect_error "^srres-train: --kernel: 'avx512' is not auto, avx2 or baseline$" \
    "$train" train.mp4 --steps 1 --kernel avx512
expect_error "nothere.mp4" "$train" nothere.mp4 --steps 1
echo "not a video" >text.mp4
expect_error "text.mp4" "$train" text.mp4 --steps 1
mkdir empty
expect_error "empty" "$train" empty --steps 1
# An animated WebP, whose frames FFmpeg's decoder does not read, is named as one (it was "no
# frame size: Invalid data", which read as a damaged file), by srres-eval too.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=10" -t 1 -c:v libwebp_anim \
    -loop 0 anim.webp
expect_error "anim.webp: an animated WebP, whose frames FFmpeg's WebP decoder does not read" \
    "$train" anim.webp --steps 1
expect_error "anim.webp: an animated WebP" "$build/srres-eval" -m learn.safetensors anim.webp
# A video that opens but whose frames do not decode is refused before training, not hours
# in when a round first draws it (its frames zeroed: the index says 100 frames, none decode).
cp train.mp4 zeroed.mp4
mdat=$(grep -obUaP "mdat" zeroed.mp4 | head -n 1 | cut -d: -f1)
mdat_size=$(od -An -tu4 --endian=big -j $((mdat - 4)) -N4 zeroed.mp4 | tr -d ' ')
dd if=/dev/zero of=zeroed.mp4 bs=1 seek=$((mdat + 4)) count=$((mdat_size - 8)) conv=notrunc \
    status=none
expect_error "zeroed.mp4: no frame decodes" "$train" train.mp4 zeroed.mp4 "${tiny[@]}" --steps 1
# A JPEG cut short (a copy or download interrupted) is refused as one: FFmpeg's decoder filled
# its missing part grey without a word, and the run trained on it. Baseline (FFmpeg's) and
# progressive (jpegtran's, tests/fixtures) alike, by srres-eval too; whole, or missing only
# its end marker (no data lost), they are taken.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=25" -ss 8 -frames:v 1 held3.jpg
cp "$root/tests/fixtures/progressive.jpg" .
for jpg in held3.jpg progressive.jpg; do
    size=$(stat -c %s "$jpg")
    head -c $((size / 2)) "$jpg" >"cut-$jpg"
    head -c $((size - 2)) "$jpg" >"no-eoi-$jpg"
    expect_error "cut-$jpg: no frame decodes (truncated or damaged?)" \
        "$train" train.mp4 "cut-$jpg" "${tiny[@]}" --steps 1 -o "cut-$jpg.safetensors"
done
expect_error "cut-held3.jpg: no frame decodes" "$build/srres-eval" -m learn.safetensors cut-held3.jpg
"$train" held3.jpg progressive.jpg no-eoi-held3.jpg no-eoi-progressive.jpg "${tiny[@]}" \
    --steps 1 -o jpeg.safetensors -q 2>err.log || fail "whole JPEGs refused: $(cat err.log)"
# Frames that fit a patch only before --hr-scale shrinks them are drawn from the scale at
# which one fits, and the run says so (it refused them, so small videos could not train
# beside large photographs); frames too small at full size are refused.
"$train" held1.png "${tiny[@]}" --steps 1 --hr-scale 0.2 -o small.safetensors -v 2>err.log ||
    fail "a frame small for --hr-scale: $(cat err.log)"
grep -q "inputs too small for a patch at --hr-scale 0.2: 1 of 1, drawn from the scale that \
holds one (up to 0.312; -v names them)" err.log &&
    grep -q "srres-train: held1.png: 192x128, 1 frame, drawn at scale 0.312$" err.log ||
    fail "scale floor not said: $(cat err.log)"
# Below --hr-scale's maximum the floor starts a range; at or above it, it is the one scale
# drawn ("from scale 0.312 up" was said of --hr-scale 0.2, which draws 0.312 alone).
"$train" held1.png "${tiny[@]}" --steps 1 --hr-scale 0.2:0.5 -o small.safetensors -y -v \
    2>err.log || fail "a frame small for --hr-scale: $(cat err.log)"
grep -q "srres-train: held1.png: 192x128, 1 frame, drawn from scale 0.312 up$" err.log ||
    fail "scale floor's range not said: $(cat err.log)"
expect_error "held1.png: 192x128 cannot hold a 168x168 HR patch with its margin; use a smaller" \
    "$train" held1.png "${tiny[@]}" --patch 80 --steps 1
# A picture too small for a patch among others (a thumbnail in a folder of photographs) is
# left out, said in one line that names it, and is not in the model's trained_on: it refused
# the whole run. Past three, the rest are counted; only when none holds a patch is the run
# refused, naming the largest.
mkdir thumbs && cp held1.png held2.png thumbs/
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=32x24:rate=25" -frames:v 1 thumbs/thumb.png
"$train" thumbs "${tiny[@]}" --steps 1 -v -o thumbs.safetensors 2>err.log ||
    fail "a folder with a thumbnail: $(cat err.log)"
grep -q "^srres-train: inputs too small for a 40x40 HR patch with its margin: 1 of 3, left out \
(thumb.png; a smaller --patch takes them)$" err.log &&
    grep -q "^srres-train: thumb.png: 32x24, 1 frame, too small for a patch: left out$" err.log &&
    grep -q "; 2 inputs; from step 0 of 1$" err.log || fail "a thumbnail left out: $(cat err.log)"
"$build/srres-model" info thumbs.safetensors | grep -q "trained_on: held1.png, held2.png$" ||
    fail "trained_on of a folder with a thumbnail: $("$build/srres-model" info thumbs.safetensors)"
for i in 2 3 4 5; do cp thumbs/thumb.png "thumbs/thumb$i.png"; done
"$train" thumbs "${tiny[@]}" --steps 1 -o thumbs5.safetensors 2>err.log ||
    fail "a folder with five thumbnails: $(cat err.log)"
grep -q "5 of 7, left out (thumb.png, thumb2.png, thumb3.png and 2 more; -v names them; a" \
    err.log || fail "five thumbnails left out: $(cat err.log)"
expect_error "thumbs/held1.png: 192x128 cannot hold a 168x168 HR patch with its margin (nor can \
the 6 others); use a smaller --patch" "$train" thumbs "${tiny[@]}" --patch 80 --steps 1
# A run starved by its loaders says so: a network of 8 channels takes a fraction of the time
# a 1000x1000 photograph of noise takes to decode, one for every 4 steps.
ffmpeg -nostdin -v error -f lavfi -i "nullsrc=s=1000x1000,geq=random(1)*255:128:128" \
    -frames:v 1 -pix_fmt rgb24 noise.png
"$train" noise.png --scale 2 --blocks 1 --channels 8 --batch 8 --patch 16 \
    --frames-per-round 4 --steps 60 -o starved.safetensors 2>err.log || fail "starved run failed"
grep -q "training waited for decoded frames [0-9]*% of the time; more --loader-threads (now 1)" \
    err.log || fail "a starved run not said: $(cat err.log)"
# On a terminal the progress line shows the last validation's PSNR once there is one, and
# nothing of it before or without --val (it showed "val nan dB"). script(1) gives the tty.
script -qec "'$train' train.mp4 ${tiny[*]} --steps 4 --val held1.png --val-every 2 \
    -o tty.safetensors" /dev/null >tty.log </dev/null || fail "run on a terminal failed"
tr '\r' '\n' <tty.log | grep -q "^.\[Kstep 3/4 .*  val [0-9.]* dB$" &&
    ! grep -q "nan" tty.log || fail "progress line on a terminal: $(tr '\r' '\n' <tty.log)"
# An interlaced clip is said to be one, as srres-video says it: its patches hold both fields,
# and the network learns their combing (it was taken silently). A progressive one is not.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=25" -t 1 -c:v libx264 \
    -flags +ildct+ilme -x264-params tff=1 inter.mp4
"$train" inter.mp4 train.mp4 "${tiny[@]}" --steps 1 -o inter.safetensors 2>err.log ||
    fail "interlaced run failed"
grep -q "srres-train: inter.mp4: interlaced frames, .*deinterlace it first" err.log &&
    ! grep -q "train.mp4: interlaced" err.log || fail "interlaced input: $(cat err.log)"
# A video whose frame size changes part way (programmes spliced: 192x128, then 96x64, then
# 192x128 again) trains on each frame at its own size, the smaller ones scaled no smaller
# than a patch allows: the run stopped the first time a round drew a frame past the change.
for part in 1:192x128:0 2:96x64:2 3:192x128:4; do
    IFS=: read -r n size offset <<<"$part"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=$size:rate=25" -t 1 -c:v libx264 \
        -output_ts_offset "$offset" "size$n.ts"
done
cat size1.ts size2.ts size3.ts >sizes.ts
"$train" sizes.ts "${tiny[@]}" --steps 2 --hr-scale 0.3 -o sizes.safetensors 2>err.log ||
    fail "a video whose frame size changes: $(cat err.log)"
# --verbose names every input with its size and frame count.
"$train" train.mp4 held1.png "${tiny[@]}" --steps 1 -v -o verbose.safetensors 2>err.log ||
    fail "verbose run failed"
grep -q "srres-train: train.mp4: 192x128, 100 frames" err.log &&
    grep -q "srres-train: held1.png: 192x128, 1 frame$" err.log ||
    fail "--verbose: $(cat err.log)"
# A validation image that is also a training input (here through a folder) is said to be no
# held-out one; it was taken silently.
mkdir -p seen && cp held1.png seen/
"$train" seen "${tiny[@]}" --steps 1 --val seen/held1.png --val held2.png -o seen.safetensors \
    2>err.log || fail "validating on a training input failed"
grep -q "srres-train: seen/held1.png: also a training input (seen/held1.png)" err.log &&
    ! grep -q "held2.png: also" err.log || fail "validation on a training input: $(cat err.log)"
# One of a thing is said as one ("1 inputs", "after 1 steps" before).
grep -q "; 1 input; from step 0 of 1$" err.log && grep -q "after 1 step in" err.log ||
    fail "plurals of one: $(cat err.log)"
# Files of a folder that are no video or image are counted out loud, not skipped silently.
mkdir mixed && cp held1.png mixed/ && echo notes >mixed/readme.txt
"$train" mixed "${tiny[@]}" --steps 1 -o mixed.safetensors 2>err.log || fail "mixed folder failed"
grep -q "1 file in the folders given has no video or image extension: skipped" err.log ||
    fail "skipped file not said: $(cat err.log)"
"$build/srres-eval" -m learn.safetensors mixed >/dev/null 2>err.log || fail "srres-eval mixed failed"
grep -q "srres-eval: 1 file in the folders given has no video or image extension: skipped" \
    err.log || fail "srres-eval: skipped file not said: $(cat err.log)"
# So are its subfolders, which are not read (a run on part of a dataset looked whole), and a
# folder whose pictures are all in subfolders says where they are.
mkdir -p mixed/part2 only-sub/part1 && cp held2.png mixed/part2/ && cp held2.png only-sub/part1/
"$train" mixed "${tiny[@]}" --steps 1 -o mixed.safetensors -y 2>err.log ||
    fail "a folder with a subfolder failed"
grep -q "srres-train: 1 subfolder in the folders given: not read (folders are read one level \
deep: give subfolders as inputs too)" err.log || fail "subfolder not said: $(cat err.log)"
expect_error "only-sub: no video or image files in this folder (its subfolders are not read" \
    "$build/srres-eval" -m learn.safetensors only-sub
# Loaders keep a few videos open, not every one they have read: 40 clips, 2 loaders, 48
# descriptors (it once kept all 80 open: "Too many open files").
mkdir clips
for i in $(seq -w 1 40); do ln -s ../train.mp4 "clips/v$i.mp4"; done
(ulimit -n 48 && "$train" clips "${tiny[@]}" --steps 16 --patches-per-frame 1 --loader-threads 2 \
    -o clips.safetensors -q) 2>err.log || fail "40 clips under 48 descriptors: $(cat err.log)"
# Damaged videos (coded frames, then the mp4 index at the end): the trainer trains on what
# decodes or stops with one line naming the file; never a crash.
for damage in "frames 15 25 35 45" "index 55 70 85"; do
    set -- $damage
    damaged_copy train.mp4 "$1.mp4" "${@:2}"
    "$train" "$1.mp4" "${tiny[@]}" --steps 3 -o "$1.safetensors" -q 2>err.log
    rc=$?
    if [ $rc -eq 0 ]; then
        [ -s "$1.safetensors" ] || fail "no model after training on damaged $1"
    else
        [ $rc -lt 128 ] || fail "status $rc on damaged $1"
        grep -q "$1.mp4" err.log || fail "error does not name $1.mp4: $(cat err.log)"
    fi
done
# Frames of a damaged clip that do not decode whole, or are predicted from one that does not
# (H.264's decoder hides the damage, and the frames to the next keyframe carry it), are left
# out and said once, at the end of the run: it went on without a word, training on them. Here
# 16 bytes 60% into a clip with a keyframe every 10 frames damage frames 30 to 39, any of
# which, drawn, is read with the rest.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x128:rate=25" -t 2 -g 10 -c:v libx264 \
    -crf 10 gop.mp4
damaged_copy gop.mp4 gop-damaged.mp4 60
"$train" gop-damaged.mp4 "${tiny[@]}" --steps 8 -o gop.safetensors 2>err.log ||
    fail "training on a damaged clip: $(cat err.log)"
if [ "$(grep -c "frames damaged" err.log)" != 1 ] || ! grep -qxF "srres-train: gop-damaged.mp4: \
10 of 50 frames damaged, left out (not decoded whole, or predicted from one that was not); \
counted among the frames read, there may be more" err.log; then
    fail "damaged frames not said once: $(cat err.log)"
fi
expect_error "smaller\|cannot hold" "$train" train.mp4 --scale 4 --patch 64 --steps 1
expect_error "--scale" "$train" train.mp4 --scale 5
expect_error "--lr" "$train" train.mp4 --lr banana
expect_error "--batch" "$train" train.mp4 --batch 0
expect_error "--average" "$train" train.mp4 --average 1
# One that rounds to 0 as the float it is kept in is named as 1 is (the library's "average
# decay 0 is not in (0, 1)" named neither the option nor the value given).
expect_error "--average: '1e-300' is not a decay in (0, 1)" "$train" train.mp4 --average 1e-300
# A mistyped option, a missing value or command is one line naming it (the usage after it hid it).
expect_error "--stpes: not an option" "$train" train.mp4 --stpes 3
expect_error "--crpo: not an option" "$build/srres-eval" -m learn.safetensors --crpo 3 held1.png
expect_error "-m: needs a value" "$build/srres-eval" held1.png -m
expect_error "infoo: not a command" "$build/srres-model" infoo learn.safetensors
version=$(sed -n 's/^#define SRRES_VERSION_MAJOR \([0-9]*\)$/\1/p' "$root/core/srres.h").$(
    sed -n 's/^#define SRRES_VERSION_MINOR \([0-9]*\)$/\1/p' "$root/core/srres.h")
# The four tools agree on the status, for scripts: 2 for a word that is no option, 1 with one
# line for what is missing (srres-model had them the other way round, its usage for the line).
for tool in srres-video srres-train srres-eval srres-model; do
    "$build/$tool" --bogus >/dev/null 2>&1
    rc=$?
    [ $rc = 2 ] || fail "$tool --bogus: status $rc, not 2"
    "$build/$tool" >/dev/null 2>err.log
    rc=$?
    [ $rc = 1 ] && [ "$(wc -l <err.log)" = 1 ] ||
        fail "$tool without arguments: status $rc and $(wc -l <err.log) lines, not 1 and 1"
    # --version: srres.h's version, then the libraries' (a bug report's first lines).
    "$build/$tool" --version >out.log 2>err.log || fail "$tool --version: status $?"
    [ "$(head -1 out.log)" = "$tool $version" ] && grep -q "^libavformat .* (FFmpeg " out.log &&
        grep -q "^OpenBLAS " out.log && [ ! -s err.log ] || fail "$tool --version: $(cat out.log)"
    # What never reaches standard output fails the run (srres-model info > file on a full
    # disk said nothing).
    "$build/$tool" --version >/dev/full 2>err.log
    rc=$?
    [ $rc = 1 ] && grep -q "^$tool: standard output: No space left on device$" err.log ||
        fail "$tool --version >/dev/full: status $rc: $(cat err.log)"
done
# --init without the network's options goes on training its model's network (it built the
# default 16x64 x4 without the image skip and took one tensor of x2-fast); one given wins.
for scale in "" 4; do
    "$train" train.mp4 --init x2-fast ${scale:+--scale $scale} --batch 8 --patch 16 \
        --threads 1 --steps 1 -o init.safetensors -y 2>err.log || fail "--init: $(tail -1 err.log)"
    grep -q "^srres-train: 46 tensors initialised from .*x2-fast.safetensors$" err.log ||
        fail "--init x2-fast ${scale:+--scale $scale}: $(head -1 err.log)"
    net=$("$build/srres-model" info init.safetensors | head -1)
    [[ $net == "init.safetensors: x${scale:-2}, 6 blocks x 32 channels, image skip nearest,"* ]] ||
        fail "--init x2-fast ${scale:+--scale $scale} trained $net"
done
expect_error "convert: give the model to read and the file to write" \
    "$build/srres-model" convert learn.safetensors
# -- ends the options, as for the other tools (info took it for a file's name).
"$build/srres-model" info -- learn.safetensors >out.log 2>err.log &&
    grep -q "^learn.safetensors: " out.log || fail "info -- learn.safetensors: $(cat err.log)"
# A train.* key is srres-train's run state, which a model loaded drops: refused, not unseen.
expect_error "convert: --meta train.x: train.\* keys are srres-train's run state" \
    "$build/srres-model" convert "$root/samples/x2-fast.safetensors" t.safetensors --meta train.x=1
[ ! -e t.safetensors ] || fail "a refused convert wrote t.safetensors"
# A log that cannot be written (a full disk) is said once; the run goes on, writes its
# model and exits 1.
"$train" train.mp4 "${tiny[@]}" --steps 3 --log-every 1 --log /dev/full -o full.safetensors -y \
    -q 2>err.log
rc=$?
[ $rc -eq 1 ] && [ -s full.safetensors ] || fail "status $rc, or no model, with --log /dev/full"
[ "$(grep -c "/dev/full: cannot write the log: No space left on device" err.log)" = 1 ] ||
    fail "--log /dev/full: $(cat err.log)"
expect_error "--lr-min 0.01 is above --lr 0.001" "$train" train.mp4 "${tiny[@]}" --steps 1 \
    --lr 1e-3 --lr-min 1e-2 -o climb.safetensors
# A loss that explodes but stays finite (1e14 at step 1 here) stops the run before anything
# is written, as a NaN does.
expect_error "the run diverged; lower --lr or set --clip" "$train" train.mp4 "${tiny[@]}" \
    --lr 1 --lr-schedule constant --steps 3 -o diverged.safetensors
[ ! -e diverged.safetensors ] && [ ! -e diverged.safetensors.ckpt ] ||
    fail "a diverged run wrote its model"
head -c 1000 learn.safetensors >trunc.safetensors
expect_error "trunc.safetensors" "$train" train.mp4 --resume trunc.safetensors
expect_error "learn.safetensors" "$train" train.mp4 --resume learn.safetensors
expect_error "nodir" "$train" train.mp4 --steps 2 -o nodir/m.safetensors
# A name the folder cannot take is refused at once, the default checkpoint's (the model's
# plus .ckpt) too: a model name of 252 bytes trained until its first checkpoint failed.
long=$(printf 'm%.0s' $(seq 1 240)).safetensors
expect_error "$long.ckpt: cannot write there: File name too long" \
    "$train" train.mp4 "${tiny[@]}" --steps 3 -o "$long"
[ ! -e "$long" ] || fail "a refused long name left the model"
# An empty name (an unset variable: -o "$OUT") is refused at once: -o '' trained the whole
# run, then failed to write ("srres-train: : write failed"), its checkpoint left as ".ckpt".
expect_error "-o: an empty file name" "$train" train.mp4 "${tiny[@]}" --steps 3 -o ''
[ ! -e .ckpt ] || fail "-o '' left .ckpt"
expect_error "an input is an empty file name" "$build/srres-eval" -m learn.safetensors ''
expect_error "convert: an empty file name" "$build/srres-model" convert learn.safetensors ''
# An existing output is written over only with -y: convert in place turned a checkpoint into
# a model without a word, its optimizer state lost and the run not resumable.
cp avg50.ckpt keep.ckpt
expect_error "keep.ckpt: already exists; use -y to overwrite" \
    "$build/srres-model" convert keep.ckpt keep.ckpt --dtype f16
expect_error "keep.ckpt: already exists; use -y to overwrite" \
    "$build/srres-model" compact avg50.ckpt keep.ckpt
cmp -s avg50.ckpt keep.ckpt || fail "a refused convert or compact changed keep.ckpt"
"$build/srres-model" convert keep.ckpt keep.ckpt -y || fail "convert -y in place failed"
cmp -s <(tensors avg50.safetensors) <(tensors keep.ckpt) || fail "convert -y did not write"
"$build/srres-model" compact avg50.ckpt keep.ckpt -y || fail "compact -y failed"
# A value missing at the end is said as missing (it was an "unexpected argument").
expect_error "convert: --dtype needs a value" "$build/srres-model" convert keep.ckpt k.st --dtype
# A model or checkpoint path that saving would refuse (a folder, a link to one, a link that
# leads nowhere) is refused at the start: it was found only when the run, or its first
# checkpoint, was written.
mkdir -p outdir && ln -s outdir outdir-link && ln -s nowhere/m.safetensors dangling.out
expect_error "outdir: a folder" "$train" train.mp4 "${tiny[@]}" --steps 20 -o outdir \
    --checkpoint folder.ckpt
expect_error "outdir-link: a folder" "$train" train.mp4 "${tiny[@]}" --steps 20 \
    -o outdir-link --checkpoint folder.ckpt
expect_error "outdir: a folder" "$train" train.mp4 "${tiny[@]}" --steps 20 \
    -o folder.safetensors --checkpoint outdir
expect_error "dangling.out: cannot follow the link" "$train" train.mp4 "${tiny[@]}" \
    --steps 20 -o dangling.out --checkpoint folder.ckpt
[ ! -e folder.ckpt ] && [ ! -e folder.safetensors ] && [ -z "$(ls outdir)" ] ||
    fail "a run with a folder for its model or checkpoint trained"
expect_error "part.ckpt: its run has --lr 0.001, not 0.002" \
    "$train" train.mp4 --resume part.ckpt --lr 2e-3 --steps 60
expect_error "part.ckpt: its run flips and turns its patches, so --no-augment cannot be given" \
    "$train" train.mp4 --resume part.ckpt --no-augment --steps 60
expect_error "part.ckpt: its run has --hr-scale minimum 1, not 0.5" \
    "$train" train.mp4 --resume part.ckpt --hr-scale 0.5:1 --steps 60
expect_error "part.ckpt: its model is x2, 2 blocks x 16 channels" \
    "$train" train.mp4 --resume part.ckpt --blocks 4 --steps 60
# --prelu given again is checked against the slopes the checkpoint holds (per channel here).
"$train" train.mp4 --resume part.ckpt --prelu channel --steps 30 -o prelu.safetensors -q ||
    fail "resuming with the checkpoint's own --prelu channel failed"
expect_error "part.ckpt: its model is .* channel PReLU slopes, not the one given" \
    "$train" train.mp4 --resume part.ckpt --prelu shared --steps 30
expect_error "too many patches" "$train" train.mp4 --patches-per-frame 4096 \
    --frames-per-round 1048576 --steps 1
[ ! -e nodir ] || fail "nodir appeared"
# The model, checkpoint and log never write over an input (a link to one, a file of an
# input folder, a validation image) or over each other: refused before anything is written.
mkdir -p apart && cp train.mp4 apart/clip.mp4 && ln -sf apart/clip.mp4 clip-link.mp4
sum=$(cksum <apart/clip.mp4)
expect_error "clip.mp4: --log names the input file" \
    "$train" apart/clip.mp4 "${tiny[@]}" --steps 1 --log apart/clip.mp4
expect_error "clip-link.mp4: --checkpoint names the input file" \
    "$train" apart "${tiny[@]}" --steps 1 --checkpoint clip-link.mp4
expect_error "clip.mp4: -o names the input file" \
    "$train" apart "${tiny[@]}" --steps 1 -o apart/../apart/clip.mp4
expect_error "held1.png: -o names the validation file" \
    "$train" apart "${tiny[@]}" --steps 1 --val held1.png -o held1.png
expect_error "same.out: -o and --checkpoint name the same file" \
    "$train" apart "${tiny[@]}" --steps 1 -o same.out --checkpoint ./same.out
expect_error "same.out: --checkpoint and --log name the same file" \
    "$train" apart "${tiny[@]}" --steps 1 --checkpoint same.out --log same.out
# -o /dev/null (a link to it here: an old trainer made /dev/null.ckpt) has no checkpoint
# beside it.
ln -s /dev/null null.out
expect_error "null.out: not a regular file.*give --checkpoint FILE" \
    "$train" apart "${tiny[@]}" --steps 1 -o null.out
[ "$(cksum <apart/clip.mp4)" = "$sum" ] || fail "an input was written over"
[ ! -e same.out ] || fail "same.out was written"

# srres-eval leaves out, in one line each, an image it cannot score (one colour, too small),
# and scores the rest of the folder (it ended the run); a file it cannot read is left out too
# (tests/test_eval.sh).
mkdir unscorable
cp held1.png unscorable/a.png
ffmpeg -nostdin -v error -f lavfi -i "color=c=red:size=64x64" -frames:v 1 unscorable/b.png
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=12x12" -frames:v 1 unscorable/c.png
"$build/srres-eval" -m learn.safetensors --csv unscorable >unscorable.csv 2>unscorable.log ||
    fail "srres-eval on a folder with a one-colour image: $(cat unscorable.log)"
"$build/srres-eval" -m learn.safetensors --csv held1.png >held1.csv
[ "$(cut -d, -f2- unscorable.csv)" = "$(cut -d, -f2- held1.csv)" ] &&
    grep -q "unscorable/b.png: the image is one colour: PSNR cannot score it; left out" \
        unscorable.log && grep -q "unscorable/c.png: 12x12 is too small" unscorable.log ||
    fail "srres-eval left-out images: $(cat unscorable.log unscorable.csv)"
expect_error "no image scored (of 1 given)" "$build/srres-eval" -m learn.safetensors \
    unscorable/b.png

# Fully transparent pixels are not scored by srres-eval nor by --val (their colours mean
# nothing): two pictures that differ only under them, far from the rest, score the same.
clear_right="a='if(gt(X,64),0,255)'"
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=128x96" -frames:v 1 \
    -vf "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':$clear_right" clear1.png
magenta="r='if(gt(X,90),255,r(X,Y))':g='if(gt(X,90),0,g(X,Y))'"
magenta+=":b='if(gt(X,90),255,b(X,Y))'"
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=128x96" -frames:v 1 \
    -vf "format=rgba,geq=$magenta:$clear_right" clear2.png
"$build/srres-eval" -m learn.safetensors --csv clear1.png clear2.png >clear.csv ||
    fail "srres-eval on pictures with transparency"
[ "$(sed -n 2p clear.csv | cut -d, -f2-)" = "$(sed -n 3p clear.csv | cut -d, -f2-)" ] ||
    fail "colours under transparent pixels scored: $(cat clear.csv)"
for i in 1 2; do
    "$train" train.mp4 "${tiny[@]}" --steps 1 --val clear$i.png -o clear$i.safetensors \
        --log clear$i.log 2>/dev/null || fail "--val on a picture with transparency"
done
[ "$(cut -d, -f5,6 clear1.log)" = "$(cut -d, -f5,6 clear2.log)" ] ||
    fail "--val scored colours under transparent pixels: $(cat clear1.log clear2.log)"

# tools/plot_training.py draws what a log holds at any point of a run: a last line cut short
# (the run writing it, or killed), a resume's rows written through a pipe after the rows it
# redoes and its header again, one row; a log with no row yet (or none at all) is said, and with
# nothing to draw no PNG is written. Each of these raised a Python traceback, or drew nothing.
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    plot=("/usr/bin/python3" "$root/tools/plot_training.py")
    plotted() { # a log: the steps plot_training.py reads from it (-B: no __pycache__ in tools/)
        /usr/bin/python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import plot_training
print(*plot_training.read(sys.argv[2])[0])' "$root/tools" "$1"
    }
    { cat whole.csv; printf '70,0.00'; } >plot-torn.csv
    { cat whole.csv; sed -n '1p; 5,$p' whole.csv; } >plot-piped.csv
    head -n 2 whole.csv >plot-one.csv
    head -n 1 whole.csv >plot-header.csv
    : >plot-empty.csv
    [ "$(plotted plot-torn.csv)" = "10 20 30 40 50 60" ] ||
        fail "plot_training.py, a cut last line: $(plotted plot-torn.csv 2>&1 | tail -n 1)"
    [ "$(plotted plot-piped.csv)" = "10 20 30 40 50 60" ] ||
        fail "plot_training.py, a resume through a pipe: $(plotted plot-piped.csv 2>&1 | tail -n 1)"
    "${plot[@]}" plot.png plot-torn.csv plot-piped.csv=piped plot-one.csv plot-header.csv \
        2>plot.err && [ -s plot.png ] &&
        [ "$(cat plot.err)" = "plot_training.py: plot-header.csv: no rows yet, not drawn" ] ||
        fail "plot_training.py on logs cut, resumed, of one row: $(tail -n 1 plot.err)"
    "${plot[@]}" none.png plot-empty.csv 2>plot.err
    [ $? = 1 ] && [ ! -e none.png ] && [ "$(tail -n 1 plot.err)" = \
        "plot_training.py: no log has a row to draw; none.png not written" ] ||
        fail "plot_training.py on an empty log: $(tail -n 1 plot.err)"
    "${plot[@]}" none.png gone.csv 2>plot.err
    [ $? = 1 ] && [ "$(cat plot.err)" = "plot_training.py: gone.csv: No such file or directory" ] ||
        fail "plot_training.py on a missing log: $(tail -n 1 plot.err)"
else
    echo "test_train.sh: no matplotlib for /usr/bin/python3: tools/plot_training.py not tested"
fi

echo "test_train.sh: $failures failures (held-out gain $gain dB, loss $first -> $last)"
[ $failures -eq 0 ]
