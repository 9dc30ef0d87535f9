#!/usr/bin/env bash
# test_video.sh: srres-video end to end on tiny clips made here with ffmpeg's lavfi sources:
# streams, timestamps and metadata carried over, pixel formats, sizes, signals, bad input.
# Usage: tests/test_video.sh [BUILD_DIR]   (default build); ONLY=PATTERN runs the tests it matches
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
video=$build/srres-video
m2=$root/tests/fixtures/x2_seed.safetensors
m4=$root/tests/fixtures/x4_skip_bf16.safetensors
. "$root/tests/damage.sh"
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

probe() { # file stream entries [ffprobe options]
    ffprobe -v error -select_streams "$2" -show_entries "stream=$3" -of default=nw=1:nk=1 "${@:4}" "$1"
}

lavfi() { # output, ffmpeg output options... (video: testsrc2 from $SRC, audio: sine)
    local out=$1
    shift
    ffmpeg -nostdin -v error -y -f lavfi -i "${SRC:-testsrc2=size=64x36:rate=25}" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" "$@" "$out"
}

expect_error() { # pattern, command...: one line naming the problem, non-zero exit
    local pattern=$1
    shift
    "$@" >out.log 2>err.log
    local rc=$?
    [ $rc -ne 0 ] || fail "exit 0 for: $*"
    [ $rc -lt 128 ] || fail "crashed (status $rc): $*"
    grep -q -- "$pattern" err.log || fail "no '$pattern' in: $(cat err.log)"
    # Progress lines aside: a run that fails after frames (a full disk) logs one every 10 s,
    # more than one where the machine is slow (under ASan, beside other work).
    [ "$(grep -v '^frame [0-9]*/' err.log | grep -c .)" -le 2 ] ||
        fail "more than a line or two of error: $(cat err.log)"
}

joins_as_one_run() { # joined file, whole run's file: the same frames, packet times and sound
    frames_of() { ffmpeg -v error -i "$1" -map 0:v -f framemd5 - | grep -v '^#'; }
    times_of() { ffprobe -v error -show_entries packet=stream_index,pts_time,dts_time \
        -of csv=p=0 "$1"; }
    sound_of() { ffmpeg -v error -i "$1" -map 0:a -f md5 - 2>&1; }
    cmp -s <(frames_of "$1") <(frames_of "$2") || fail "$1: frames differ from $2's"
    cmp -s <(times_of "$1") <(times_of "$2") || fail "$1: packet times differ from $2's"
    [ "$(sound_of "$1")" = "$(sound_of "$2")" ] || fail "$1: decoded audio differs from $2's"
}

# 6 s at 25 fps whose audio runs from 2.5 s to 4.1 s: the first of three segments holds none
late_audio() { # output
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -itsoffset 2.5 -f lavfi \
        -i sine=duration=1.6 -map 0:v -map 1:a -t 6 -c:v libx264 -g 25 -c:a aac "$1"
}

lossless=(-c:v libx264 -crf 0) # frames that compare between segments and the whole run

three_segments() { # input, segments' extension, options...: seg1..3.EXT
    local i
    for i in 1 2 3; do
        "$video" -q -i "$1" -o "seg$i.$2" -m "$m2" --segment $i/3 "${@:3}" ||
            fail "segment $i/3 into .$2 failed"
    done
}

cut_in_three() { # input, segments' extension: seg1..3.EXT, lossless
    three_segments "$1" "$2" "${lossless[@]}"
}

join_three_as_one_run() { # input, segments' extension, the joins' extensions...
    local in=$1 seg=$2 ext
    shift 2
    for ext; do
        "$video" -q --concat "joined.$ext" "seg1.$seg" "seg2.$seg" "seg3.$seg" ||
            { fail "--concat into .$ext failed"; continue; }
        "$video" -q -i "$in" -o "whole.$ext" -m "$m2" "${lossless[@]}" || fail "whole run failed"
        joins_as_one_run "joined.$ext" "whole.$ext"
    done
}

bf0=(-c:v libx264 -bf 0 -an)                       # H.264 whose frames come in order
ffv1=(-m "$m2" -c:v ffv1 -pix_fmt yuv444p)          # lossless output, frames that compare

size_change() { # output, b.ts's size, b.ts's options...: a.ts (64x48) then b.ts, 0.4 s each
    local out=$1 size=$2
    shift 2
    SRC="testsrc2=size=64x48:rate=25" lavfi a.ts -t 0.4 "${bf0[@]}"
    SRC="testsrc2=size=$size:rate=25" lavfi b.ts -t 0.4 "${bf0[@]}" -output_ts_offset 0.4 "$@"
    cat a.ts b.ts >"$out"
}

frame_sums() { # file, filter: the checksum of each frame the filter passes
    ffmpeg -v error -i "$1" -vf "$2" -f framemd5 - | grep -v '^#' | cut -d, -f6
}

# H.264 unless -c:v says in MP4, MOV, Matroska, MPEG-TS and FLV (the last two got ffmpeg's
# MPEG-2 and FLV1), a pipe's -f too; the format's own elsewhere.
test_default_encoders() {
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    local o want
    for o in a.mp4:h264 b.mov:h264 c.mkv:h264 d.ts:h264 e.m2ts:h264 f.flv:h264 g.webm:vp9 \
        h.avi:mpeg4; do
        want=${o#*:}
        o=${o%%:*}
        "$video" -q -i in.mkv -o "$o" -m "$m2" || { fail "$o failed"; continue; }
        [ "$(probe "$o" v:0 codec_name | head -n 1)" = "$want" ] ||
            fail "$o is $(probe "$o" v:0 codec_name | head -n 1), not $want"
    done
    "$video" -q -i in.mkv -o - -f mpegts -m "$m2" >piped.ts || fail "-f mpegts to a pipe failed"
    [ "$(probe piped.ts v:0 codec_name | head -n 1)" = h264 ] || fail "-f mpegts: not h264"
    "$video" -q -i in.mkv -o m2.ts -m "$m2" -c:v mpeg2video || fail "-c:v mpeg2video failed"
    [ "$(probe m2.ts v:0 codec_name | head -n 1)" = mpeg2video ] || fail "-c:v mpeg2video ignored"
    # That H.264 is 4:2:0, as RTMP and FLV players take it (an RGB source's was High 4:4:4);
    # .mka, Matroska's audio, has no video to make (it said matroska cannot hold h264).
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36 -frames:v 1 rgb.png
    for o in r.flv r.ts; do
        "$video" -q -i rgb.png -o $o -m "$m2" || { fail "$o failed"; continue; }
        [ "$(probe $o v:0 pix_fmt | head -n 1)" = yuv420p ] || fail "$o is $(probe $o v:0 pix_fmt | head -n 1)"
    done
    expect_error "^srres-video: x.mka: no video encoder for this format$" \
        "$video" -i in.mkv -o x.mka -m "$m2"
}

test_mp4_streams_and_timing() {
    lavfi in.mp4 -t 2 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest
    "$video" -q -i in.mp4 -o out.mp4 -m "$m2" || { fail "srres-video failed"; return; }
    [ "$(probe out.mp4 v:0 width)" = 128 ] || fail "width $(probe out.mp4 v:0 width)"
    [ "$(probe out.mp4 v:0 height)" = 72 ] || fail "height"
    [ "$(probe out.mp4 v:0 nb_frames)" = "$(probe in.mp4 v:0 nb_frames)" ] || fail "frame count"
    [ "$(probe out.mp4 v:0 r_frame_rate)" = 25/1 ] || fail "frame rate $(probe out.mp4 v:0 r_frame_rate)"
    [ "$(probe out.mp4 v:0 duration)" = "$(probe in.mp4 v:0 duration)" ] || fail "duration"
    [ "$(probe out.mp4 v:0 codec_name)" = h264 ] || fail "codec"
    a_in=$(ffmpeg -v error -i in.mp4 -map 0:a -c copy -f md5 -)
    a_out=$(ffmpeg -v error -i out.mp4 -map 0:a -c copy -f md5 -)
    [ "$a_in" = "$a_out" ] || fail "audio not bit-identical"
    ffmpeg -v error -i out.mp4 -f null - 2>dec.log || fail "output does not decode"
    [ ! -s dec.log ] || fail "decode errors: $(head -2 dec.log)"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left behind"
}

test_vfr_timestamps_kept() {
    # Variable frame rate: every frame's timestamp survives.
    lavfi vfr.mkv -t 2 -vf "setpts='if(eq(mod(N,3),0),PTS+0.02/TB,PTS)'" -fps_mode passthrough \
        -c:v libx264 -an
    "$video" -q -i vfr.mkv -o out.mkv -m "$m2" || { fail "srres-video failed"; return; }
    ffprobe -v error -select_streams v -show_entries frame=pts_time -of csv=p=0 vfr.mkv >a.txt
    ffprobe -v error -select_streams v -show_entries frame=pts_time -of csv=p=0 out.mkv >b.txt
    cmp -s a.txt b.txt || fail "frame timestamps differ"
}

test_missing_timestamps_made_up() {
    # Raw H.264 has no timestamps and this MPEG-PS file lacks some: a frame without one comes
    # a frame after the one before (the muxer refused both files before).
    lavfi raw.h264 -t 0.4 -c:v libx264 -an
    "$video" -q -i raw.h264 -o raw.mkv -m "$m2" || { fail "raw H.264 failed"; return; }
    ffprobe -v error -select_streams v -show_entries frame=pts_time -of default=nw=1:nk=1 raw.mkv >t.txt
    [ "$(xargs <t.txt)" = "$(seq -f %.6f 0 0.04 0.36 | xargs)" ] ||
        fail "raw H.264 timestamps: $(xargs <t.txt)"
    SRC=testsrc2=size=64x48:rate=25 lavfi ps.mpg -t 0.4 -c:v mpeg2video -bf 2 -c:a mp2
    ffprobe -v error -select_streams v -show_entries frame=pts_time -of default=nw=1:nk=1 ps.mpg >t.txt
    grep -q N/A t.txt || fail "ps.mpg has every timestamp: the test tests nothing"
    "$video" -q -i ps.mpg -o ps.mkv -m "$m2" || { fail "MPEG-PS failed"; return; }
    ffprobe -v error -select_streams v -show_entries frame=pts_time -of default=nw=1:nk=1 ps.mkv >t.txt
    [ "$(grep -c . t.txt)" = 10 ] && sort -c -g -u t.txt || fail "MPEG-PS timestamps: $(xargs <t.txt)"
}

test_mpeg_containers_default_encoders() {
    # MPEG-1/2 take one tick a frame and MPEG-4 no more than 65535 a second, not the mp4's
    # 1/12800; MPEG-TS keeps the AAC audio and MPEG-PS drops it (their muxers list no codecs).
    lavfi in.mp4 -t 0.4 -c:v libx264 -c:a aac -shortest
    local ext n
    for ext in ts mpg avi; do
        "$video" -q -i in.mp4 -o "out.$ext" -m "$m2" || { fail "out.$ext failed"; continue; }
        # (MPEG-TS lists each stream again under its program)
        n=$(probe "out.$ext" v:0 nb_read_frames -count_frames | head -n 1)
        [ "$n" = 10 ] || fail "out.$ext: $n frames"
    done
    # AVI has no timestamps: a tick is a frame slot (1/600 once gave 613 slots for 25 frames).
    [ "$(probe out.avi v:0 avg_frame_rate)" = 25/1 ] ||
        fail "out.avi runs at $(probe out.avi v:0 avg_frame_rate)"
    [ "$(probe out.ts a:0 codec_name | head -n 1)" = aac ] || fail "out.ts lost its audio"
    [ -z "$(probe out.mpg a:0 codec_name)" ] || fail "out.mpg has AAC"
}

test_fonts_and_cover_art() {
    # Matroska keeps a subtitle's fonts (its codec query knows none); cover art is dropped
    # with a message, not silently.
    lavfi in.mkv -t 0.4 -c:v libx264 -c:a aac -shortest
    printf 'a font' >font.ttf
    ffmpeg -nostdin -v error -i in.mkv -map 0 -c copy -attach font.ttf \
        -metadata:s:t mimetype=application/x-truetype-font fonts.mkv
    "$video" -q -i fonts.mkv -o out.mkv -m "$m2" || { fail "srres-video failed"; return; }
    [ "$(probe out.mkv t:0 codec_name)" = ttf ] || fail "the font was dropped"
    lavfi cover.png -frames:v 1 -map 0:v
    ffmpeg -nostdin -v error -i in.mkv -i cover.png -map 0 -map 1 -c copy \
        -disposition:v:1 attached_pic cover.mp4
    "$video" -i cover.mp4 -o out.mp4 -m "$m2" 2>err.log || { fail "cover art refused"; return; }
    grep -q "stream 2 (png) dropped: cover art" err.log || fail "no message: $(cat err.log)"
    # A song's cover art alone is upscaled as the one picture it is, and the progress line
    # says one: it expected 94041 frames from the picture's clock (ETA 2:40:54).
    ffmpeg -nostdin -v error -f lavfi -i sine=duration=1 -i cover.png -map 0 -map 1 \
        -c:a libmp3lame -c:v png -disposition:v attached_pic song.mp3
    "$video" -i song.mp3 -o song_x2.mp3 -m "$m2" 2>err.log || { fail "song.mp3 failed"; return; }
    # (Its first progress line may come before or after the picture, as fast as the build is.)
    grep -q "^frame [01]/1 " err.log && ! grep "^frame" err.log | grep -qv "^frame [01]/1 " ||
        fail "progress: $(grep '^frame' err.log | tail -n 1)"
    [ "$(probe song_x2.mp3 v:0 width)" = 128 ] || fail "the cover art is not upscaled"
}

# The video stream's encoder tag names ours, not the input's (it said mpeg4 over H.264).
# A song's cover art alone, upscaled, is cover art again where the format keeps it: MP4 and
# M4A take it as PNG (the H.264 it was coded as failed at the header); MOV and 3GP lose cover
# art, -c:v libx264 cannot be one, and there it is a video stream of one frame; Matroska's
# stays H.264.
test_cover_art_alone_into_mp4() {
    ffmpeg -nostdin -v error -f lavfi -i sine=d=1 -f lavfi -i "testsrc2=s=64x48,trim=end_frame=1" \
        -map 0 -map 1 -c:a aac -c:v png -disposition:v attached_pic cover.m4a
    local o got
    # x264's options given: H.264 as asked, a video stream (PNG refused -crf)
    for o in "up.mp4 png,1" "up.m4a png,1" "up.mov h264,0" "x264.mp4 h264,0 -c:v libx264" \
        "up.mkv h264,0" "crf.mp4 h264,0 -crf 20"; do
        set -- $o
        "$video" -q -i cover.m4a -o "$1" -m "$m2" "${@:3}" 2>err.log ||
            { fail "$1: $(cat err.log)"; continue; }
        got=$(probe "$1" v codec_name,width,height,nb_read_frames:stream_disposition=attached_pic \
            -count_frames | xargs | tr ' ' ,)
        [ "$got" = "${2%,*},128,96,1,${2#*,}" ] || fail "$1: video $got, not $2 at 128x96"
        [ "$(probe "$1" a codec_name)" = aac ] || fail "$1: the audio was lost"
    done
    # An encoder no build has is refused before the input is read: it came only once the
    # input (here a FIFO nobody writes) gave its first bytes.
    mkfifo stalled.mkv
    expect_error "no video encoder nosuch in this build" \
        timeout 20 "$video" -i stalled.mkv -o nosuch.mp4 -c:v nosuch -m "$m2"
}

test_encoder_tag_is_ours() {
    lavfi in.mkv -t 0.2 -c:v mpeg4 -an
    "$video" -q -i in.mkv -o out.mkv -m "$m2" || { fail "srres-video failed"; return; }
    local tag
    tag=$(ffprobe -v error -select_streams v:0 -show_entries stream_tags=encoder -of csv=p=0 out.mkv)
    [ "${tag##* }" = libx264 ] || fail "encoder tag '$tag'"
}

# RGB output says it is RGB (full range, GBR matrix), as ffmpeg's does: FFV1 and libx264rgb
# streams said "unknown".
test_rgb_output_tagged() {
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    "$video" -q -i in.mkv -o out.mkv -m "$m2" -c:v ffv1 -pix_fmt gbrp || {
        fail "srres-video failed"
        return
    }
    local tags
    tags=$(ffprobe -v error -show_entries stream=color_range,color_space -of csv=p=0 out.mkv)
    [ "$tags" = pc,gbr ] || fail "range and matrix '$tags', not pc,gbr"
}

# The source's chroma siting is read and kept (BT.2020's topleft, say): the output said
# "left" for any source and sited its chroma there.
test_chroma_location_kept() {
    local loc got sums=()
    for loc in topleft center; do
        lavfi "$loc.mkv" -t 0.2 -c:v libx264 -an -chroma_sample_location "$loc"
        "$video" -q -i "$loc.mkv" -o "out_$loc.mkv" -m "$m2" || { fail "srres-video failed"; return; }
        got=$(ffprobe -v error -show_entries stream=chroma_location -of csv=p=0 "out_$loc.mkv")
        [ "$got" = "$loc" ] || fail "chroma location $loc came out $got"
        sums+=("$(ffmpeg -nostdin -v error -i "out_$loc.mkv" -f rawvideo - | md5sum)")
    done
    [ "${sums[0]}" != "${sums[1]}" ] || fail "the same picture sited two ways gave the same planes"
}

# A MOV timecode track is the video stream's timecode tag, which the output keeps (and MOV
# and MP4 make the track anew from it): it was reported as a stream dropped, codec "none".
test_timecode_track_kept() {
    lavfi in.mov -t 0.2 -c:v libx264 -an -timecode 01:00:00:00
    local e tc
    for e in mov mkv; do
        "$video" -i in.mov -o "out.$e" -m "$m2" 2>err.log || { fail "srres-video failed"; return; }
        ! grep -q "dropped" err.log || fail "$e: $(grep -m 1 dropped err.log)"
        tc=$(ffprobe -v error -select_streams v:0 -show_entries stream_tags=timecode -of csv=p=0 \
            "out.$e")
        [ "$tc" = 01:00:00:00 ] || fail "$e: timecode '$tc'"
    done
}

# The input's coding buffer (CPB properties) is not the upscaled stream's: MPEG-PS sized its
# buffers by an MPEG-2 source's and underflowed at every frame.
test_source_buffer_not_kept() {
    SRC="testsrc2=size=160x90:rate=25" lavfi in.mpg -t 0.4 -c:v mpeg2video -b:v 250k -maxrate 300k \
        -bufsize 100k -an
    "$video" -v -i in.mpg -o out.mpg -m "$m2" -b:v 8M 2>err.log || { fail "srres-video failed"; return; }
    ! grep -q "buffer underflow" err.log || fail "$(grep -m 1 "buffer underflow" err.log)"
}

test_encoder_options_checked() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    expect_error "-crf: the encoder mpeg4" "$video" -i in.mp4 -o x.avi -m "$m2" -c:v mpeg4 -crf 2
    expect_error "-preset: the encoder mpeg4" "$video" -i in.mp4 -o x.avi -m "$m2" -c:v mpeg4 \
        -preset fast
    # A value the encoder refuses is not said to be an option it lacks.
    expect_error "-x264-params: the encoder libx264 does not take 'keyint'" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" -x264-params keyint
    # A key or value libx264 cannot parse, which it only warns of: refused (it was ignored).
    expect_error "-x264-params: libx264 cannot take 'keyintt = 48' (x264 --fullhelp" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" -x264-params keyint=48:keyintt=48
    # libx264rgb is libx264 too (its warning went unheard)
    expect_error "-x264-params: libx264 cannot take 'keyintt = 48'" \
        "$video" -i in.mp4 -o x.mkv -m "$m2" -c:v libx264rgb -x264-params keyintt=48
    [ ! -e x.avi ] && [ ! -e x.mp4 ] && [ ! -e x.mkv ] || fail "x.avi, x.mp4 or x.mkv left behind"
    "$video" -q -i in.mp4 -o ok.mp4 -m "$m2" -x264-params keyint=12:aq-strength=1.2 ||
        fail "good -x264-params refused"
    # Any option of the encoder, its context's or its own, with --enc-opt: a keyframe every
    # second frame (g), and ffmpeg's tune.
    "$video" -q -i in.mp4 -o g.mp4 -m "$m2" --enc-opt g=2 --enc-opt tune=film ||
        fail "--enc-opt g=2 --enc-opt tune=film failed"
    [ "$(ffprobe -v error -select_streams v -show_entries frame=key_frame -of csv=p=0 g.mp4 |
        tr -d ', \n')" = 10101 ] || fail "--enc-opt g=2: keyframes not every second frame"
    expect_error "--enc-opt nosuch: the encoder libx264 does not take it" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" --enc-opt nosuch=1
    expect_error "--enc-opt tune: the encoder ffv1 does not take it" \
        "$video" -i in.mp4 -o x.mkv -m "$m2" -c:v ffv1 --enc-opt tune=film
    expect_error "--enc-opt: 'g' is not KEY=VALUE" "$video" -i in.mp4 -o x.mp4 -m "$m2" --enc-opt g
    [ ! -e x.mp4 ] && [ ! -e x.mkv ] || fail "a refused --enc-opt left its output"
}

# Any option of the muxer with --mux-opt, as ffmpeg's output options: MP4's faststart puts
# the index (moov) before the frames (mdat), where it is written after them by default; a key
# the muxer does not take is refused by name, leaving nothing; numbered images may start at 0
# but not be renamed (update=1 wrote every frame into one file named "up/%04d.png").
test_muxer_options() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    top_boxes() { ffprobe -v trace "$1" 2>&1 | grep -o "type:'[a-z]*' parent:'root'" |
        cut -d"'" -f2 | grep -e moov -e mdat | tr '\n' ' '; }
    "$video" -q -i in.mp4 -o plain.mp4 -m "$m2" || fail "plain run failed"
    [ "$(top_boxes plain.mp4)" = "mdat moov " ] || fail "plain.mp4's boxes: $(top_boxes plain.mp4)"
    "$video" -q -i in.mp4 -o fast.mp4 -m "$m2" --mux-opt movflags=+faststart --mux-opt brand=mp42 ||
        { fail "--mux-opt movflags=+faststart --mux-opt brand=mp42 failed"; return; }
    [ "$(top_boxes fast.mp4)" = "moov mdat " ] || fail "faststart: boxes $(top_boxes fast.mp4)"
    [ "$(ffprobe -v error -show_entries format_tags=major_brand -of csv=p=0 fast.mp4)" = mp42 ] ||
        fail "brand=mp42 not the major brand"
    expect_error "--mux-opt nosuch: the mp4 muxer does not take it" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" --mux-opt nosuch=1
    expect_error "--mux-opt movflags: the matroska muxer does not take it" \
        "$video" -i in.mp4 -o x.mkv -m "$m2" --mux-opt movflags=+faststart
    expect_error "--mux-opt: 'movflags' is not KEY=VALUE" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" --mux-opt movflags
    [ -z "$(ls -A | grep -v -e in.mp4 -e plain.mp4 -e fast.mp4 -e '\.log$')" ] ||
        fail "a refused --mux-opt left $(ls -A)"
    mkdir up
    "$video" -q -i in.mp4 -o up/%02d.png -m "$m2" --mux-opt start_number=0 ||
        fail "--mux-opt start_number=0 failed"
    [ "$(ls up | tr '\n' ' ')" = "00.png 01.png 02.png 03.png 04.png " ] ||
        fail "start_number=0: $(ls up | tr '\n' ' ')"
    expect_error "up/%02d.png: --mux-opt update: numbered images are named by their frame" \
        "$video" -y -i in.mp4 -o up/%02d.png -m "$m2" --mux-opt update=1
    [ "$(ls up | wc -l)" = 5 ] || fail "update=1: up holds $(ls up | tr '\n' ' ')"
    # --concat writes the joined file with them too.
    lavfi keyed.mp4 -t 0.4 -c:v libx264 -g 5 -an
    for i in 1 2; do
        "$video" -q -i keyed.mp4 -o "seg$i.mp4" -m "$m2" --segment $i/2 || fail "segment $i failed"
    done
    "$video" -q --concat joined.mp4 seg1.mp4 seg2.mp4 --mux-opt movflags=+faststart ||
        { fail "--concat with --mux-opt movflags=+faststart failed"; return; }
    [ "$(top_boxes joined.mp4)" = "moov mdat " ] || fail "joined: boxes $(top_boxes joined.mp4)"
    expect_error "--mux-opt nosuch: the mp4 muxer does not take it" \
        "$video" --concat joined2.mp4 seg1.mp4 seg2.mp4 --mux-opt nosuch=1
    [ ! -e joined2.mp4 ] && [ -z "$(ls -A | grep joined2)" ] || fail "a refused join left $(ls -A)"
}

refused_before_frames() { # option strings: each run on in.mp4 fails in one line, no frame run
    local opts
    for opts in "$@"; do
        # shellcheck disable=SC2086 # the options are words
        "$video" -i in.mp4 -o x.mp4 -m "$m2" $opts 2>err.log && fail "$opts: exit 0"
        ! grep -q '^frame [0-9]' err.log || fail "$opts: refused once the frames ran: $(cat err.log)"
        [ "$(grep -c . err.log)" = 1 ] || fail "$opts: not one line: $(cat err.log)"
    done
}

# An encoder or muxer option refused, or a --vf-post, is refused before the threads start, so
# before a frame is upscaled (minutes on large frames): they were checked when the first frame
# came out.
test_refused_options_before_upscaling() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    refused_before_frames "--mux-opt nosuch=1" "--mux-opt movflags=+nosuch" \
        "--enc-opt nosuch=1" "--enc-opt g=abc" "-c:v mpeg4 -crf 2" "--vf-post scale=abc" \
        "-c:v mpeg4 --vf-post format=gray"
    expect_error "--mux-opt movflags: the mp4 muxer does not take '+nosuch'" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" --mux-opt movflags=+nosuch
    expect_error "--enc-opt g: the encoder libx264 does not take 'abc'" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" --enc-opt g=abc
    [ ! -e x.mp4 ] && ! ls .*partial* >/dev/null 2>&1 || fail "x.mp4 or its temporary file left"
}

# What only libx264's opening checks (its preset and tune names, -x264-params) is refused
# before a frame is upscaled too, by a trial opening: it was refused at the first frame out.
# Two-pass stats, which the trial would read or write, are left to the real opening.
test_x264_names_refused_before_upscaling() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    refused_before_frames "-preset nosuch" "--enc-opt tune=nosuch" "-x264-params keyintt=48" \
        "-c:v libx264rgb -x264-params keyintt=48"
    expect_error "x.mp4: cannot open the libx264 encoder: .*preset/tune nosuch" \
        "$video" -i in.mp4 -o x.mp4 -m "$m2" -preset nosuch
    [ ! -e x.mp4 ] && ! ls .*partial* >/dev/null 2>&1 || fail "x.mp4 or its temporary file left"
    "$video" -q -i in.mp4 -o p1.mp4 -m "$m2" -b:v 200k -x264-params pass=1:stats=s.log ||
        fail "pass 1 failed"
    "$video" -q -i in.mp4 -o p2.mp4 -m "$m2" -b:v 200k -x264-params pass=2:stats=s.log ||
        fail "pass 2 failed"
}

# Under -v, libx264's lines are the real encoder's alone: the trial opening's 64x64 picture
# said its own "using cpu capabilities" and "profile High, level 1.0" first.
test_x264_trial_silent_under_verbose() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    "$video" -v -i in.mp4 -o out.mp4 -m "$m2" 2>err.log || { fail "srres-video failed"; return; }
    [ "$(grep -c 'using cpu capabilities' err.log)" = 1 ] ||
        fail "cpu capabilities said $(grep -c 'using cpu capabilities' err.log) times"
    [ "$(grep -c '\] profile ' err.log)" = 1 ] || fail "profiles said: $(grep '\] profile ' err.log)"
}

test_field_order_from_frames() {
    # Interlaced frames upscaled whole have no fields left: progressive, and said so (they
    # stayed tagged top field first); deinterlaced by --vf-pre they are progressive, silently.
    lavfi il.mkv -t 0.4 -c:v libx264 -flags +ildct+ilme -top 1 -an
    "$video" -i il.mkv -o out.mkv -m "$m2" 2>err.log || { fail "srres-video failed"; return; }
    [ "$(probe out.mkv v:0 field_order)" = progressive ] ||
        fail "interlaced: $(probe out.mkv v:0 field_order)"
    grep -q "interlaced frames are upscaled as whole pictures" err.log || fail "not said"
    "$video" -i il.mkv -o prog2.mkv -m "$m2" --vf-pre yadif 2>err.log || fail "yadif failed"
    ! grep -q interlaced err.log || fail "said after yadif: $(cat err.log)"
    "$video" -q -i il.mkv -o prog.mkv -m "$m2" --vf-pre yadif || { fail "yadif failed"; return; }
    [ "$(probe prog.mkv v:0 field_order)" = progressive ] ||
        fail "deinterlaced: $(probe prog.mkv v:0 field_order)"
}

test_colour_tags_and_sar() {
    lavfi tagged.mkv -t 0.4 -vf "setsar=4/3" -c:v libx264 -pix_fmt yuv420p -color_primaries bt709 \
        -color_trc bt709 -colorspace bt709 -color_range tv -an
    "$video" -q -i tagged.mkv -o out.mkv -m "$m2" || { fail "srres-video failed"; return; }
    for e in color_space color_primaries color_transfer color_range sample_aspect_ratio; do
        [ "$(probe out.mkv v:0 $e)" = "$(probe tagged.mkv v:0 $e)" ] ||
            fail "$e: $(probe tagged.mkv v:0 $e) became $(probe out.mkv v:0 $e)"
    done
}

# ProRes and VP9 code no aspect ratio: the frames take the container's (it was lost).
test_sar_of_the_container() {
    lavfi sar.mov -t 0.2 -vf setsar=32/27 -c:v prores_ks -an
    "$video" -q -i sar.mov -o out.mov -m "$m2" -c:v prores_ks || { fail "srres-video failed"; return; }
    [ "$(probe out.mov v:0 sample_aspect_ratio)" = 32:27 ] ||
        fail "sample aspect ratio 32:27 became $(probe out.mov v:0 sample_aspect_ratio)"
}

# ProRes writes the frames' colour description, not the encoder's: the frames carry the
# encoder's (the post graph left the matrix unspecified, and so did the output).
test_colour_tags_into_prores() {
    lavfi in.mkv -t 0.2 -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 -an
    "$video" -q -i in.mkv -o out.mov -m "$m2" -c:v prores_ks || { fail "srres-video failed"; return; }
    [ "$(probe out.mov v:0 color_space)" = bt709 ] ||
        fail "colour space bt709 became $(probe out.mov v:0 color_space)"
}

test_rotation_kept() {
    lavfi rot.mp4 -t 0.4 -c:v libx264 -an
    # ffmpeg 5.1 cannot tag rotation itself: write a 90-degree matrix into the track header.
    perl -e 'local $/; open F, "+<", $ARGV[0] or die; binmode F; my $d = <F>;
        my $i = index($d, "tkhd"); die if $i < 0; seek F, $i - 4 + 48, 0;
        print F pack("N9", 0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)' rot.mp4
    "$video" -q -i rot.mp4 -o out.mp4 -m "$m2" || { fail "srres-video failed"; return; }
    r_in=$(ffprobe -v error -show_entries stream_side_data=rotation -of csv=p=0 rot.mp4)
    r_out=$(ffprobe -v error -show_entries stream_side_data=rotation -of csv=p=0 out.mp4)
    [ -n "$r_in" ] && [ "$r_in" = "$r_out" ] || fail "rotation '$r_in' became '$r_out'"
}

test_ten_bit_stays_ten_bit() {
    lavfi ten.mkv -t 0.4 -c:v libx264 -pix_fmt yuv420p10le -an
    "$video" -q -i ten.mkv -o out.mkv -m "$m2" || { fail "srres-video failed"; return; }
    [ "$(probe out.mkv v:0 pix_fmt)" = yuv420p10le ] || fail "pix_fmt $(probe out.mkv v:0 pix_fmt)"
}

# HDR: 10-bit HEVC with PQ and BT.2020 tags comes out as it went in; x265 and SVT-AV1 print
# to stderr past av_log, and -q keeps them quiet too.
test_hdr_hevc_tags_and_quiet() {
    lavfi hdr.mkv -t 0.2 -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p10le \
        -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc -color_range tv -an
    "$video" -q -i hdr.mkv -o out.mkv -m "$m2" -c:v libx265 2>err.log ||
        { fail "srres-video failed: $(cat err.log)"; return; }
    [ ! -s err.log ] || fail "-q printed: $(head -3 err.log)"
    for e in pix_fmt color_space color_primaries color_transfer color_range; do
        [ "$(probe out.mkv v:0 $e)" = "$(probe hdr.mkv v:0 $e)" ] ||
            fail "$e: $(probe hdr.mkv v:0 $e) became $(probe out.mkv v:0 $e)"
    done
    "$video" -q -i hdr.mkv -o av1.mkv -m "$m2" -c:v libsvtav1 --frames 2 2>err.log ||
        { fail "libsvtav1 failed: $(cat err.log)"; return; }
    [ ! -s err.log ] || fail "-q printed: $(head -3 err.log)"
}

# HDR10's mastering display and light levels, which HEVC carries in its frames, go into the
# output's container (they were lost).
test_hdr10_metadata_kept() {
    lavfi hdr.mkv -t 0.2 -c:v libx265 -pix_fmt yuv420p10le -color_primaries bt2020 \
        -color_trc smpte2084 -colorspace bt2020nc -an -x265-params "log-level=error:hdr10=1:\
master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400"
    "$video" -q -i hdr.mkv -o out.mkv -m "$m2" -c:v libx265 || { fail "srres-video failed"; return; }
    local sd
    sd=$(ffprobe -v error -show_entries stream_side_data=max_luminance,max_content -of csv=p=0 out.mkv)
    [ "$(echo $sd)" = "1000 1000/1" ] || fail "side data '$(echo $sd)'"
    # Tone-mapped to SDR by --vf-pre or --vf-post, the output says BT.709 and carries no HDR
    # metadata: it said BT.2020 PQ (--vf-post) and kept the mastering display and light
    # levels (both), and players showed the SDR picture as HDR.
    local tm="zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,\
zscale=t=bt709:m=bt709:r=tv,format=yuv420p" side
    for side in pre post; do
        "$video" -q -i hdr.mkv -o "sdr-$side.mkv" -m "$m2" "--vf-$side" "$tm" ||
            { fail "--vf-$side tone mapping failed"; continue; }
        [ "$(probe "sdr-$side.mkv" v:0 color_transfer,color_primaries | xargs)" = "bt709 bt709" ] ||
            fail "--vf-$side to SDR says $(probe "sdr-$side.mkv" v:0 color_transfer,color_primaries | xargs)"
        sd=$(ffprobe -v error -show_entries stream_side_data=side_data_type -of csv=p=0 "sdr-$side.mkv")
        [ -z "$sd" ] || fail "--vf-$side to SDR kept $(echo $sd)"
    done
}

test_pix_fmt_option_and_yuv444() {
    lavfi f444.mkv -t 0.2 -c:v libx264 -pix_fmt yuv444p -an
    "$video" -q -i f444.mkv -o out.mkv -m "$m2" || fail "yuv444p failed"
    [ "$(probe out.mkv v:0 pix_fmt)" = yuv444p ] || fail "yuv444p became $(probe out.mkv v:0 pix_fmt)"
    "$video" -q -i f444.mkv -o out2.mkv -m "$m2" -pix_fmt yuv420p || fail "-pix_fmt failed"
    [ "$(probe out2.mkv v:0 pix_fmt)" = yuv420p ] || fail "-pix_fmt yuv420p ignored"
}

test_odd_sizes() {
    lavfi odd.mkv -t 0.3 -vf format=yuv444p,crop=33:17 -c:v ffv1 -pix_fmt yuv444p -an
    "$video" -q -i odd.mkv -o out.mkv -m "$m4" -c:v ffv1 || { fail "srres-video failed"; return; }
    [ "$(probe out.mkv v:0 width)x$(probe out.mkv v:0 height)" = 132x68 ] || fail "size"
}

# A x3 model makes odd sides from odd ones, which 4:2:0 cannot hold: the message says so and
# what to do (libx264 said "Generic error in an external library"), and the way it gives works.
test_odd_sides_into_subsampled_chroma() {
    lavfi odd.mkv -t 0.2 -vf scale=33:25 -c:v libx264 -pix_fmt yuv444p -an
    local m3=$root/tests/fixtures/x3_srgan.safetensors
    expect_error "99x75 cannot be yuv420p.*--vf-post crop=98:74" \
        "$video" -i odd.mkv -o out.mp4 -m "$m3" -pix_fmt yuv420p
    [ ! -e out.mp4 ] || fail "a failed out.mp4 was left"
    "$video" -q -i odd.mkv -o out.mp4 -m "$m3" -pix_fmt yuv420p --vf-post crop=98:74 ||
        { fail "the crop it gives failed"; return; }
    [ "$(probe out.mp4 v:0 width)x$(probe out.mp4 v:0 height)" = 98x74 ] || fail "size"
}

# An output size the encoder refuses (MPEG-4 past 8191, libx264 past 16384) ends the run
# before a frame is upscaled, in the message the first frame out gave: it came after the
# first frame (42 s and 1.4 GB for a 4200x2000 picture x4), the pipeline started (its
# progress line) and the output made. A --vf-post that changes the size is not judged by it.
test_output_size_refused_before_upscaling() {
    SRC="testsrc2=size=4100x8:rate=25" lavfi wide.mkv -t 0.2 -c:v libx264 -an
    SRC="testsrc2=size=8200x8:rate=25" lavfi wider.mkv -t 0.2 -c:v libx264 -an
    expect_error "^srres-video: out.avi: cannot open the mpeg4 encoder (8200x16 yuv420p): \
Invalid argument (mpeg4: dimensions too large for MPEG-4)$" "$video" -i wide.mkv -o out.avi -m "$m2"
    ! grep -q "^frame" err.log || fail "the run started: $(cat err.log)"
    expect_error "^srres-video: out.mkv: cannot open the libx264 encoder (16400x16 yuv420p): \
.*invalid width x height" "$video" -i wider.mkv -o out.mkv -m "$m2"
    ! grep -q "^frame" err.log || fail "the run started: $(cat err.log)"
    [ "$(ls -A | xargs)" = "err.log out.log wide.mkv wider.mkv" ] || fail "files: $(ls -A | xargs)"
    "$video" -q -i wide.mkv -o out.avi -m "$m2" --vf-post scale=4100:16 ||
        fail "a --vf-post that makes the size one MPEG-4 takes was refused"
    [ "$(probe out.avi v:0 width)" = 4100 ] || fail "out.avi is $(probe out.avi v:0 width) wide"
}

# Regions of interest (which encoders read) follow the frame to its new size; they were
# copied in the input's coordinates.
test_regions_of_interest_scaled() {
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    "$video" -v -i in.mkv -o out.mkv -m "$m2" --frames 1 --vf-post showinfo \
        --vf-pre "addroi=x=8:y=4:w=16:h=8:qoffset=-0.5" 2>err.log || { fail "failed"; return; }
    grep -q "region: (16, 8) -> (48, 24)" err.log || fail "ROI: $(grep region err.log)"
}

# A frame of another size, fitted into the output's (scaled and padded), takes its regions of
# interest along: they stayed where the network put them, over the padding. b.ts's 8x20
# upscales to 16x40, fitted into 128x96 as 38x96 at column 45.
test_regions_of_interest_follow_fitted_frames() {
    size_change in.ts 8x20
    "$video" -v -i in.ts -o out.mkv -m "$m2" --vf-post showinfo \
        --vf-pre "addroi=x=iw/4:y=ih/4:w=iw/2:h=ih/2:qoffset=-0.5" 2>err.log ||
        { fail "failed"; return; }
    [ "$(grep -c "region: (32, 24) -> (96, 72)" err.log)" = 10 ] ||
        fail "first frames' ROI: $(grep region err.log | sort | uniq -c)"
    [ "$(grep -c "region: (55, 24) -> (74, 72)" err.log)" = 10 ] ||
        fail "fitted frames' ROI: $(grep region err.log | sort | uniq -c)"
}

# Regions of interest (x264 reads them) follow the pixels through a --vf-post that scales
# them, and are dropped with a message where it crops: they stayed where the network put
# them (the upper left sixteenth for a quarter). The encoder shows it: each run's packets
# are those of the run given the region where it belongs (addroi after --vf-post's filters,
# which is kept) or none.
test_regions_of_interest_through_vf_post() {
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    packets() { ffmpeg -v error -i "$1" -map 0:v -c copy -f framemd5 - | grep -v '^#'; }
    run() { "$video" -q -i in.mkv -m "$m2" --enc-opt threads=1 "$@" || fail "status $?: $*"; }
    local quarter="addroi=x=0:y=0:w=iw/2:h=ih/2:qoffset=-1"
    run -o scaled.mkv --vf-pre "$quarter" --vf-post scale=256:144
    run -o given.mkv --vf-post "scale=256:144,addroi=x=0:y=0:w=128:h=72:qoffset=-1"
    run -o stayed.mkv --vf-post "scale=256:144,addroi=x=0:y=0:w=64:h=36:qoffset=-1"
    cmp -s <(packets scaled.mkv) <(packets given.mkv) || fail "the regions were not scaled"
    ! cmp -s <(packets given.mkv) <(packets stayed.mkv) || fail "the regions make no difference"
    "$video" -i in.mkv -m "$m2" --enc-opt threads=1 -o cropped.mkv --vf-pre "$quarter" \
        --vf-post crop=96:54:0:0 2>err.log || fail "crop: status $?"
    local said="srres-video: --vf-post changes the frames' size otherwise than by scaling them: \
their regions of interest and detection boxes are dropped"
    [ "$(grep -cxF "$said" err.log)" = 1 ] || fail "not said once: $(cat err.log)"
    run -o none.mkv --vf-post crop=96:54:0:0
    cmp -s <(packets cropped.mkv) <(packets none.mkv) || fail "the regions were not dropped"
    # a region --vf-post adds after its crop is the user's, where it says
    local own="crop=96:54:0:0,addroi=x=0:y=0:w=64:h=36:qoffset=-1"
    run -o added.mkv --vf-pre "$quarter" --vf-post "$own"
    run -o added_alone.mkv --vf-post "$own"
    cmp -s <(packets added.mkv) <(packets added_alone.mkv) || fail "--vf-post's own region lost"
    ! cmp -s <(packets added.mkv) <(packets none.mkv) || fail "--vf-post's own region does nothing"
}

test_png_in_png_out() {
    lavfi in.png -vf format=rgb24,crop=37:23 -frames:v 1 -map 0:v
    "$video" -q -i in.png -o out.png -m "$m4" || { fail "srres-video failed"; return; }
    [ "$(probe out.png v:0 width)x$(probe out.png v:0 height)" = 148x92 ] || fail "size"
    [ "$(probe out.png v:0 pix_fmt)" = rgb24 ] || fail "pix_fmt $(probe out.png v:0 pix_fmt)"
    # -v names the default model (it printed stack garbage once the path's buffer was gone);
    # the build tree's is found beside build/, not beside build/san/
    [ -n "${SANITIZED:-}" ] && return
    "$video" -v -i in.png -o default.png 2>err.log || { fail "the default model failed"; return; }
    grep -q "via rgb24; .*/samples/x4.safetensors$" err.log || fail "-v says: $(grep via err.log)"
}

# A srres-train checkpoint serves as its model (the weights' average it keeps): it was
# refused as a file with unexpected tensors.
test_checkpoint_as_model() {
    local ckpt=$root/samples/checkpoints/x4-stage22.ckpt
    lavfi in.png -vf format=rgb24,crop=37:23 -frames:v 1 -map 0:v
    "$build/srres-model" convert "$ckpt" model.safetensors --dtype f32 ||
        { fail "srres-model convert failed"; return; }
    "$video" -q -i in.png -o ckpt.png -m "$ckpt" || { fail "srres-video -m CHECKPOINT failed"; return; }
    "$video" -q -i in.png -o model.png -m model.safetensors || { fail "srres-video failed"; return; }
    cmp -s ckpt.png model.png || fail "the checkpoint upscales otherwise than its model"
}

# -m takes a bundled model by its name (the build tree's samples/ here, the installed ones
# for an installed program); a bare name that is neither a file nor a bundled model is
# refused, naming the models there are; a file of that name is that file.
test_bundled_model_names() {
    lavfi in.png -vf format=rgb24,crop=37:23 -frames:v 1 -map 0:v
    mkdir x2-fast # a folder of that name (of outputs, say) is no model file
    "$video" -q -i in.png -o named.png -m x2-fast || { fail "-m x2-fast failed"; return; }
    "$video" -q -i in.png -o file.png -m "$root/samples/x2-fast.safetensors" ||
        { fail "-m samples/x2-fast.safetensors failed"; return; }
    cmp -s named.png file.png || fail "-m x2-fast is not samples/x2-fast.safetensors"
    expect_error "-m x3: no such file, nor a model of that name (x2, x2-fast, x4, x4-fast in $root/samples)" \
        "$video" -i in.png -o x3.png -m x3
    [ -e x3.png ] && fail "x3.png written"
    cp "$m2" x4
    "$video" -q -i in.png -o local.png -m x4 || { fail "-m x4 (a file) failed"; return; }
    [ "$(probe local.png v:0 width)" = 74 ] || fail "-m x4 took the bundled x4, not the file x4"
    "$build/srres-eval" -m x2-fast named.png >eval.log 2>&1 || fail "srres-eval -m x2-fast failed"
    grep -q "x2-fast" eval.log || fail "srres-eval's table does not name x2-fast"
    # A tree's models are taken from its build folder and one inside build/ (build/san), not
    # from PREFIX/bin of an install into the tree, whose models are PREFIX/share/srres's.
    mkdir -p tree/core tree/samples tree/build/san tree/local/bin
    touch tree/core/srres.h
    cp "$m2" tree/samples/mine.safetensors
    local at
    for at in build build/san local/bin; do
        cp "$video" "tree/$at/srres-video"
        if "tree/$at/srres-video" -q -i in.png -o "tree_${at//\//_}.png" -m mine 2>err.log; then
            [ "$at" != local/bin ] || fail "an install into the tree took the tree's models"
        else
            [ "$at" = local/bin ] || fail "tree/$at/srres-video did not find the tree's model"
        fi
    done
}

# Image sequences: numbered names in (image2's pattern) and out, a file a frame, each the
# upscaled frame of the same number; an unnumbered image name holds one picture, so a
# video into it is refused (it kept the last frame, silently) unless --frames 1 says so.
test_image_sequences() {
    mkdir seq
    lavfi seq/f%03d.png -t 0.2 -map 0:v
    "$video" -q -i seq/f%03d.png -o 'up%03d.png' -m "$m2" || { fail "sequence failed"; return; }
    [ "$(ls up*.png | wc -l)" -eq 5 ] || fail "$(ls up*.png | wc -l) files, not 5"
    "$video" -q -i seq/f003.png -o third.png -m "$m2" || { fail "one frame failed"; return; }
    cmp -s third.png up003.png || fail "up003.png is not frame 3 upscaled"
    expect_error "already exists (a name of up%03d.png)" \
        "$video" -i seq/f%03d.png -o 'up%03d.png' -m "$m2"
    # any of its names, not only the first: the muxer wrote over the others
    mkdir later && echo precious >later/up004.png
    expect_error "later/up004.png: already exists" \
        "$video" -i seq/f%03d.png -o 'later/up%03d.png' -m "$m2"
    [ "$(cat later/up004.png)" = precious ] || fail "an existing later/up004.png was replaced"
    expect_error "nodir/up%03d.png: cannot write: no folder nodir" \
        "$video" -i seq/f%03d.png -o 'nodir/up%03d.png' -m "$m2"
    # nor, with -y, over the input's own files
    expect_error "include the input's files" "$video" -y -i seq/f%03d.png -o 'seq/f%03d.png' -m "$m2"
    expect_error "include the input's files" "$video" -y -i seq/f002.png -o "$PWD/seq/f%03d.png" -m "$m2"
    cmp -s seq/f003.png up003.png && fail "an input file was replaced"
    expect_error "one.png is one picture and" "$video" -i seq/f%03d.png -o one.png -m "$m2"
    [ ! -e one.png ] || fail "a refused one.png was left"
    "$video" -q -i seq/f%03d.png -o one.png -m "$m2" --frames 1 || fail "--frames 1 failed"
    cmp -s one.png up001.png || fail "one.png is not frame 1 upscaled"
}

# A numbered input sequence ends at a missing number, as image2 (and ffmpeg) ends it, and the
# run says so at its end, not under -q: it stopped without a word, status 0. A name the
# pattern gives no number (04.png for %04d) is no later number.
test_numbered_sequence_with_a_missing_number() {
    mkdir gap up whole
    local n
    for n in 1 2 4; do lavfi gap/000$n.png -frames:v 1 -map 0:v; done
    "$video" -i gap/%04d.png -o up/%04d.png -m "$m2" 2>err.log || { fail "status $?"; return; }
    [ "$(ls up | xargs)" = "0001.png 0002.png" ] || fail "written: $(ls up | xargs)"
    grep -qx "srres-video: gap/%04d.png: the sequence ends at gap/0002.png, as gap/0003.png is \
missing: gap/0004.png and later numbers were not read" err.log || fail "not said: $(cat err.log)"
    "$video" -q -i gap/%04d.png -o up/%04d.png -y -m "$m2" 2>err.log || fail "-q: status $?"
    [ ! -s err.log ] || fail "said under -q: $(cat err.log)"
    mv gap/0004.png gap/04.png
    "$video" -i gap/%04d.png -o whole/%04d.png -m "$m2" 2>err.log || fail "whole: status $?"
    ! grep -q "sequence ends" err.log || fail "said of a whole sequence: $(cat err.log)"
}

# -y writes a numbered output's names over an earlier run's, and leaves its higher numbers
# (the user's files: never removed): the run says at its end, even under -q, that the folder
# mixes two runs; nothing was said.
test_numbered_output_over_a_longer_run() {
    mkdir frames stale
    lavfi frames/%04d.png -frames:v 3 -map 0:v
    SRC="testsrc2=size=16x16:rate=25" lavfi stale/%04d.png -frames:v 5 -map 0:v
    "$video" -q -i frames/%04d.png -o stale/%04d.png -y -m "$m2" 2>err.log ||
        { fail "status $?"; return; }
    [ "$(cat err.log)" = "srres-video: stale/0004.png and 1 more of the name stale/%04d.png \
are from before this run (it wrote 3): the folder mixes two runs" ] || fail "said: $(cat err.log)"
    [ "$(probe stale/0003.png v:0 width)" = 128 ] || fail "stale/0003.png was not written"
    [ "$(probe stale/0005.png v:0 width)" = 16 ] || fail "stale/0005.png was changed"
    rm stale/0004.png stale/0005.png
    "$video" -q -i frames/%04d.png -o stale/%04d.png -y -m "$m2" 2>err.log || fail "status $?"
    [ ! -s err.log ] || fail "said of one run's files: $(cat err.log)"
}

# Numbered WebP names take a file a frame, each a still of its frame: FFmpeg's first WebP
# encoder, libwebp_anim, gave one animation at the end, into out001.webp alone (as ffmpeg's).
test_numbered_webp_images() {
    mkdir seq
    ffmpeg -nostdin -v error -f lavfi -i testsrc=size=32x32:rate=5 -t 1 seq/f%03d.png
    "$video" -q -i seq/f%03d.png -o 'up%03d.webp' -m "$m2" || { fail "status $?"; return; }
    [ "$(ls up*.webp | wc -l)" -eq 5 ] || fail "$(ls up*.webp | wc -l) files, not 5"
    "$video" -q -i seq/f003.png -o third.webp -c:v libwebp -m "$m2" || fail "one frame failed"
    cmp -s third.webp up003.webp || fail "up003.webp is not frame 3 upscaled"
    ! grep -q ANIM up001.webp || fail "up001.webp is an animation"
    expect_error "libwebp_anim writes one animation, not a file a frame" \
        "$video" -y -i seq/f%03d.png -o 'up%03d.webp' -c:v libwebp_anim -m "$m2"
}

# Chapters are kept, moved and cut with the frames (they were dropped); a -pix_fmt the
# encoder does not take is replaced with a message (silently, before).
test_chapters_and_pix_fmt_fallback() {
    printf '%s\n' ';FFMETADATA1' '[CHAPTER]' TIMEBASE=1/1000 START=0 END=1000 title=one \
        '[CHAPTER]' TIMEBASE=1/1000 START=1000 END=2000 title=two >chapters.txt
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=25" -i chapters.txt \
        -map 0:v -map_chapters 1 -t 2 -c:v libx264 in.mkv
    expect_chapters() { # file, "start,end,title ..." of each chapter
        local got
        got=$(ffprobe -v error -show_chapters -of csv=p=0 "$1" | cut -d, -f4,6,7 | tr '\n' ' ')
        [ "$got" = "$2 " ] || fail "chapters of $1: $got"
    }
    "$video" -q -i in.mkv -o all.mp4 -m "$m2" || { fail "all.mp4 failed"; return; }
    expect_chapters all.mp4 "0.000000,1.000000,one 1.000000,2.000000,two"
    "$video" -q -i in.mkv -o cut.mkv -ss 0.5 -t 1 -m "$m2" || { fail "cut.mkv failed"; return; }
    expect_chapters cut.mkv "0.000000,0.500000,one 0.500000,1.000000,two"
    "$video" -i in.mkv -o rgba.mkv -m "$m2" -pix_fmt rgba -t 0.2 2>err.log ||
        { fail "-pix_fmt rgba failed"; return; }
    grep -q "pix_fmt rgba: the libx264 encoder does not take it; yuv444p instead" err.log ||
        fail "no message: $(cat err.log)"
}

# A text subtitle on screen at -ss is kept from there, for what is left of it, as ffmpeg keeps
# it (it was dropped: the clip's first line went unseen); those after follow on its clock.
test_subtitle_on_screen_at_start_kept() {
    printf '%s\n' 1 '00:00:00,000 --> 00:00:01,000' hello '' 2 '00:00:01,000 --> 00:00:02,000' \
        world >s.srt
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=25" -i s.srt -t 2 \
        -c:v libx264 -c:s srt in.mkv
    "$video" -q -i in.mkv -o cut.mkv -ss 0.6 -m "$m2" || { fail "cut.mkv failed"; return; }
    local got
    got=$(ffmpeg -v error -i cut.mkv -map 0:s -f srt - | grep -v '^[0-9]*$' | tr '\n' ' ')
    [ "$got" = "00:00:00,000 --> 00:00:00,400 hello 00:00:00,400 --> 00:00:01,400 world " ] ||
        fail "subtitles of cut.mkv: $got"
}

# Formats and encoders that read the frame rate off the time base get one tick a frame: an
# MP4's 1/12800 made a YUV4MPEG header say 12800 fps and Theora lose nine frames in ten.
test_frame_rate_from_time_base() {
    lavfi in.mp4 -t 1 -c:v libx264 -an
    "$video" -q -i in.mp4 -o out.y4m -m "$m2" || { fail "y4m failed"; return; }
    head -c 64 out.y4m | grep -q " F25:1 " || fail "y4m header: $(head -c 40 out.y4m | head -n 1)"
    "$video" -q -i in.mp4 -o out.ogv -m "$m2" || { fail "ogv failed"; return; }
    [ "$(probe out.ogv v:0 time_base)" = 1/25 ] || fail "Theora at $(probe out.ogv v:0 time_base)"
}

# A format without timestamps (YUV4MPEG, raw H.264) plays a frame a slot: a variable frame
# rate's frames are repeated to it, as ffmpeg repeats them (a 1 s gap was closed: 25 frames
# for 2 s of video, which played in 1).
test_variable_rate_into_formats_without_timestamps() {
    lavfi gap.mkv -t 2 -vf "setpts='if(gte(N,10),PTS+1/TB,PTS)'" -fps_mode passthrough \
        -c:v libx264 -an
    local e n
    for e in y4m h264; do
        "$video" -q -i gap.mkv -o "out.$e" -m "$m2" || { fail "out.$e failed"; continue; }
        n=$(probe "out.$e" v:0 nb_read_frames -count_frames)
        [ "$n" = 50 ] || fail "out.$e holds $n frames, not 2 s at 25 fps"
    done
}

# An MPEG-TS clock starts the output at zero, as ffmpeg's does: ten hours in, it was an empty
# edit in the MP4 (the clip played ten hours); wrapped past 2^33 ticks, the frames before
# the wrap were hidden.
# MPEG-PS (.mpg, .vob) times a PES packet, not each frame, and RealMedia counts frames: a
# variable frame rate becomes the source's constant one there, as ffmpeg makes it (the frames
# after a short gap played up to 0.33 s early, in MPEG-2 and H.264 alike).
test_variable_rate_into_formats_of_frame_slots() {
    ffmpeg -nostdin -v error -f lavfi \
        -i "testsrc2=s=64x48:r=30:d=2,select='not(mod(n\,3))+eq(n\,10)+eq(n\,11)'" \
        -fps_mode vfr -pix_fmt yuv420p vfr.mp4
    local o n bad
    for o in out.mpg out.vob out.rm "h264.mpg -c:v libx264"; do
        set -- $o
        "$video" -q -i vfr.mp4 -o $o -m "$m2" || { fail "$1 failed"; continue; }
        n=$(probe "$1" v:0 nb_read_frames -count_frames)
        # frame i at i/30 s after the first, where it has a time (MPEG-PS's H.264 some lack)
        bad=$(ffprobe -v error -select_streams v -show_entries frame=best_effort_timestamp_time \
            -of csv=p=0 "$1" | tr -d , | grep . |
            awk 'NR == 1 { t0 = $1 } $1 != "N/A" && ($1 - t0 - (NR - 1) / 30) ^ 2 > 1e-5 {
                print NR - 1 ":" $1 - t0 }')
        [ "${n:-0}" -ge 57 ] && [ "$n" -le 60 ] && [ -z "$bad" ] ||
            fail "$1: $n frames, not 2 s at 30 fps; frames off their slot: $(echo $bad)"
    done
}

test_transport_stream_clock() {
    lavfi in.mp4 -t 2 -c:v libx264 -c:a aac -shortest
    ffmpeg -nostdin -v error -i in.mp4 -c copy -output_ts_offset 36000 late.ts
    "$video" -q -i late.ts -o late.mp4 -m "$m2" || { fail "late.ts failed"; return; }
    local d n
    d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 late.mp4)
    awk -v d="$d" 'BEGIN { exit !(d > 1.9 && d < 2.2) }' || fail "late.mp4 lasts $d s, not 2"
    lavfi wrap.ts -t 2 -map 0:v -c:v libx264 -output_ts_offset 95441.5
    "$video" -q -i wrap.ts -o wrap.mp4 -m "$m2" || { fail "wrap.ts failed"; return; }
    n=$(ffmpeg -v error -i wrap.mp4 -f framemd5 - | grep -vc '^#')
    [ "$n" = 50 ] || fail "$n of 50 frames play from wrap.mp4"
}

# Streams a format cannot hold are dropped with a message: raw video has no audio (AAC was
# written into the pictures' bytes), and MP4 knows FLAC's tag but refuses it at the header
# (the run failed there, naming no stream).
test_audio_a_format_cannot_hold() {
    lavfi in.mkv -t 1 -c:v libx264 -c:a flac -shortest
    "$video" -i in.mkv -o out.yuv -m "$m2" 2>err.log || { fail "out.yuv failed"; return; }
    grep -q "stream 1 (flac) dropped" err.log || fail "no drop said: $(cat err.log)"
    [ "$(stat -c %s out.yuv)" = $((128 * 72 * 3 / 2 * 25)) ] ||
        fail "out.yuv holds $(stat -c %s out.yuv) bytes, not 25 frames of 128x72 yuv420p"
    "$video" -i in.mkv -o out.mp4 -m "$m2" 2>err.log || { fail "out.mp4 failed: $(cat err.log)"; return; }
    grep -q "stream 1 (flac) dropped" err.log || fail "no drop said for mp4: $(cat err.log)"
}

# JPEG out of a limited-range source (any H.264 video's): the encoder refused yuv420p;
# now the planes are full-range yuvj420p, the levels as in a PNG of the same frame.
test_jpeg_from_limited_range() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -pix_fmt yuv420p -an
    "$video" -q -i in.mp4 -o out.jpg -m "$m2" --frames 1 || { fail "out.jpg failed"; return; }
    [ "$(probe out.jpg v:0 pix_fmt)" = yuvj420p ] || fail "pix_fmt $(probe out.jpg v:0 pix_fmt)"
    "$video" -q -i in.mp4 -o out.png -m "$m2" --frames 1 || { fail "out.png failed"; return; }
    local psnr
    psnr=$(ffmpeg -nostdin -i out.jpg -i out.png \
        -lavfi "[0]format=rgb24[a];[1]format=rgb24[b];[a][b]psnr" -f null - 2>&1 |
        sed -n 's/.*average:\([0-9.]*\).*/\1/p')
    awk -v p="$psnr" 'BEGIN { exit !(p > 27) }' || fail "JPEG vs PNG: $psnr dB"
}

# A yuvj source (a phone's H.264) into ProRes, which has no yuvj and cannot say full range,
# is made limited range, as ffmpeg makes it: its full-range levels were read as limited.
test_full_range_source_into_prores() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -pix_fmt yuvj420p -an
    "$video" -q -i in.mp4 -o out.png -m "$m2" --frames 1 || { fail "out.png failed"; return; }
    "$video" -q -i in.mp4 -o out.mov -m "$m2" -c:v prores_ks --frames 1 ||
        { fail "out.mov failed"; return; }
    local psnr
    psnr=$(ffmpeg -nostdin -i out.mov -i out.png \
        -lavfi "[0]format=rgb24[a];[1]format=rgb24[b];[a][b]psnr" -f null - 2>&1 |
        sed -n 's/.*average:\([0-9.]*\).*/\1/p')
    awk -v p="$psnr" 'BEGIN { exit !(p > 30) }' || fail "ProRes vs PNG: $psnr dB"
}

# A damaged frame is skipped, as ffmpeg skips it: the run failed ("Generic error in an
# external library", PNG's zlib) and left nothing.
test_damaged_frame_skipped() {
    lavfi frames.mkv -t 2 -map 0:v -c:v png
    damaged_copy frames.mkv damaged.mkv 30
    local want got
    want=$(ffmpeg -v error -i damaged.mkv -f framemd5 - 2>/dev/null | grep -vc '^#')
    "$video" -i damaged.mkv -o out.mkv -m "$m2" -c:v ffv1 2>err.log || { fail "the run failed"; return; }
    grep -q "damaged.mkv: skipping a damaged video packet: .*(png: " err.log ||
        fail "the skip is not said with libav's reason: $(cat err.log)"
    got=$(ffmpeg -v error -i out.mkv -f framemd5 - | grep -vc '^#')
    [ "$got" = "$want" ] && [ "$got" -ge 45 ] || fail "$got frames out; ffmpeg decodes $want"
}

# A damaged packet of a copied stream that the muxer refuses (an AAC frame's ADTS header, which
# its bitstream filter reads) is skipped with a message: it failed the whole run, as it fails
# ffmpeg's stream copy.
test_damaged_copied_packet_skipped() {
    lavfi in.ts -t 2 -c:v libx264 -c:a aac -shortest
    damaged_copy in.ts damaged.ts 50
    ! ffmpeg -nostdin -v quiet -i damaged.ts -map 0:a -c copy copy.mkv ||
        fail "ffmpeg copies the audio: the test tests nothing"
    "$video" -i damaged.ts -o out.mkv -m "$m2" 2>err.log || { fail "the run failed: $(cat err.log)"; return; }
    grep -q "damaged.ts: skipping a damaged aac packet: .*(matroska: " err.log ||
        fail "the skip is not said: $(cat err.log)"
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = 50 ] || fail "frames lost"
    local n
    n=$(probe out.mkv a:0 nb_read_packets -count_packets)
    [ "$n" -ge 80 ] || fail "$n audio packets"
}

# Output names: one the system takes is not refused for its temporary's length; a ':' in it
# is no protocol; -y keeps the permissions of the file it replaces.
test_output_names() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    local long
    long=$(printf 'n%.0s' {1..246}).mkv
    "$video" -q -i in.mp4 -o "$long" -m "$m2" || fail "a 250-byte name was refused"
    [ -f "$long" ] || fail "no file of the 250-byte name"
    "$video" -q -i in.mp4 -o a.b:c.mkv -m "$m2" || fail "a name with ':' was refused"
    [ -f a.b:c.mkv ] || fail "no a.b:c.mkv"
    touch private.mkv && chmod 600 private.mkv
    "$video" -q -y -i in.mp4 -o private.mkv -m "$m2" || fail "-y over private.mkv failed"
    [ "$(stat -c %a private.mkv)" = 600 ] || fail "private.mkv is now $(stat -c %a private.mkv)"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left behind"
}

# Self-ensemble: a mirrored still gives the mirrored output (to rounding), which one pass
# of the network does not; sizes other than 1, 2, 4 and 8 are refused.
test_ensemble() {
    lavfi in.png -vf format=rgb24,crop=37:23 -frames:v 1 -map 0:v
    ffmpeg -nostdin -v error -i in.png -vf hflip mirrored.png || { fail "hflip"; return; }
    local n
    for n in 1 8; do
        "$video" -q -i in.png -o "a$n.png" -m "$m2" --ensemble $n &&
            "$video" -q -i mirrored.png -o "b$n.png" -m "$m2" --ensemble $n &&
            ffmpeg -nostdin -v error -i "a$n.png" -vf hflip -f rawvideo -pix_fmt rgb24 "a$n.rgb" &&
            ffmpeg -nostdin -v error -i "b$n.png" -f rawvideo -pix_fmt rgb24 "b$n.rgb" ||
            { fail "--ensemble $n failed"; return; }
    done
    [ "$(probe b8.png v:0 width)x$(probe b8.png v:0 height)" = 74x46 ] || fail "size"
    # Rounding may tip a rare byte; one pass differs in most of them.
    local n1 n8 bytes=$((74 * 46 * 3))
    n1=$(cmp -l a1.rgb b1.rgb | wc -l)
    n8=$(cmp -l a8.rgb b8.rgb | wc -l)
    [ "$n8" -le $((bytes / 100)) ] || fail "$n8 of $bytes bytes differ with --ensemble 8"
    [ "$n1" -gt $((bytes / 10)) ] || fail "one pass nearly mirror-symmetric ($n1 bytes differ)"
    expect_error "--ensemble" "$video" -i in.png -o x.png -m "$m2" --ensemble 3
    [ ! -e x.png ] || fail "x.png left by a refused run"
}

# --kernel picks the path: the AVX2 + FMA kernels (forced here on a CPU that has AVX-512 too)
# and the baseline give the automatic path's picture, to rounding; another name is refused.
test_kernel_choice() {
    lavfi in.png -vf format=rgb24,crop=37:23 -frames:v 1 -map 0:v
    local k n bytes=$((74 * 46 * 3))
    for k in auto avx2 baseline; do
        if [ $k = avx2 ] && ! grep -qw avx2 /proc/cpuinfo; then continue; fi
        "$video" -q -i in.png -o "$k.png" -m "$m2" --kernel $k &&
            ffmpeg -nostdin -v error -i "$k.png" -f rawvideo -pix_fmt rgb24 "$k.rgb" ||
            { fail "--kernel $k failed"; return; }
        [ "$(stat -c %s "$k.rgb")" = $bytes ] || fail "--kernel $k: $(stat -c %s "$k.rgb") bytes"
        n=$(cmp -l auto.rgb "$k.rgb" | wc -l)
        [ "$n" -le $((bytes / 100)) ] || fail "--kernel $k: $n of $bytes bytes differ from auto"
    done
    expect_error "--kernel: 'avx' is not auto, avx2 or baseline" \
        "$video" -i in.png -o x.png -m "$m2" --kernel avx
    [ ! -e x.png ] || fail "x.png left by a refused run"
}

test_limits_ss_t_frames() {
    lavfi in.mp4 -t 2 -c:v libx264 -c:a aac -shortest
    "$video" -q -i in.mp4 -o a.mp4 -m "$m2" --frames 7 --max-memory 0.5G || fail "--frames failed"
    [ "$(probe a.mp4 v:0 nb_frames)" = 7 ] || fail "--frames 7 gave $(probe a.mp4 v:0 nb_frames)"
    "$video" -q -i in.mp4 -o b.mp4 -m "$m2" -ss 1 -t 0.4 || fail "-ss -t failed"
    [ "$(probe b.mp4 v:0 nb_frames)" = 10 ] || fail "-ss 1 -t 0.4 gave $(probe b.mp4 v:0 nb_frames)"
    # --frames ends the video short of -t's end: its audio ends with it (it ran on to -t's)
    "$video" -q -i in.mp4 -o c.mkv -m "$m2" -t 1.8 --frames 5 || fail "-t --frames failed"
    local a_end
    a_end=$(ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 c.mkv |
        tail -n 1)
    awk -v e="$a_end" 'BEGIN { exit !(e < 0.5) }' || fail "-t 1.8 --frames 5: audio to $a_end s"
    # under half a tick of a still's 1/25 s: rounded up, not to nothing ("empty video")
    lavfi still.png -frames:v 1 -map 0:v
    "$video" -i still.png -o short.png -m "$m2" -t 0.01 2>err.log || fail "-t 0.01 on a still failed"
    grep -q "short.png: 1 frame (" err.log || fail "summary: $(tail -n 1 err.log)"
    expect_error "-t: '0' writes nothing" "$video" -i in.mp4 -o zero.mp4 -m "$m2" -t 0
    # An MPEG-TS whose audio starts 23 ms before its video: -t 0.01 ends before the first
    # frame, which is said (it was "empty video").
    lavfi av.ts -t 0.4 -c:v libx264 -c:a aac
    expect_error "no video frames to write (-t ends before the first one)" \
        "$video" -i av.ts -o early.mkv -m "$m2" -t 0.01
}

test_vf_pre_and_post() {
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    "$video" -q -i in.mkv -o out.mkv -m "$m2" --vf-pre "crop=32:20" --vf-post "scale=50:30" ||
        { fail "srres-video failed"; return; }
    [ "$(probe out.mkv v:0 width)x$(probe out.mkv v:0 height)" = 50x30 ] || fail "size"
    # The graphs end where the last frame does, so fps keeps it (8 of 10 frames came out).
    local g n
    for g in --vf-pre --vf-post; do
        "$video" -q -i in.mkv -o "fps$g.mkv" -m "$m2" $g fps=50 || { fail "$g fps=50 failed"; continue; }
        n=$(probe "fps$g.mkv" v:0 nb_read_frames -count_frames)
        [ "$n" = 10 ] || fail "$g fps=50 made $n frames of 0.2 s, not 10"
    done
    # A graph libavfilter refuses is said with its reason, which names the filter or option.
    expect_error "--vf-pre: .*(No such filter: 'yadiff')" \
        "$video" -i in.mkv -o x.mkv -m "$m2" --vf-pre yadiff
    expect_error "--vf-post: .*(Error initializing filter 'scale' with args 'abc')" \
        "$video" -i in.mkv -o x.mkv -m "$m2" --vf-post scale=abc
    # One too long for the graph's text is said so (it was cut, and failed on what was left).
    local long
    long=$(printf 'null,%.0s' $(seq 420))null
    expect_error "^srres-video: --vf-pre: too long (2104 characters)$" \
        "$video" -i in.mkv -o x.mkv -m "$m2" --vf-pre "$long"
    expect_error "--vf-post: too long (2104 characters)" \
        "$video" -i in.mkv -o x.mkv -m "$m2" --vf-post "$long"
    [ ! -e x.mkv ] || fail "x.mkv left behind"
}

# libvidstab's filters run on the network's RGB frames and on an RGB source's (a PNG): given
# packed RGB, libvidstab 1.1.0 aborted ("vsFrameAllocate: Assertion `fi->planes==1' failed").
# The output keeps the format it had without them.
test_vidstab_on_rgb_frames() {
    [[ "$(ffmpeg -hide_banner -filters 2>/dev/null)" == *" vidstabdetect "* ]] || return 0
    if [ -n "${SANITIZED:-}" ]; then # libvidstab's leaks, as in test_vf_post_set_up_once
        { cat "$root/tests/lsan.supp" && echo "leak:libvidstab.so"; } >vidstab.supp
        local -x LSAN_OPTIONS=suppressions=$PWD/vidstab.supp:print_suppressions=0
        local -x ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
    fi
    lavfi in.mkv -t 0.4 -c:v libx264 -pix_fmt yuv420p -an
    "$video" -q -i in.mkv -o plain.mkv -m "$m2" || fail "plain run failed"
    local g
    for g in --vf-post --vf-pre; do
        "$video" -q -i in.mkv -o "detect$g.mkv" -m "$m2" $g "vidstabdetect=result=$g.trf" ||
            { fail "$g vidstabdetect: status $?"; continue; }
        [ "$(grep -c '^Frame [0-9]* (List' -- "$g.trf")" = 10 ] ||
            fail "$g vidstabdetect: $(grep -c '^Frame' -- "$g.trf") frames of 10 in its file"
        [ "$(probe "detect$g.mkv" v:0 pix_fmt)" = "$(probe plain.mkv v:0 pix_fmt)" ] ||
            fail "$g vidstabdetect: $(probe "detect$g.mkv" v:0 pix_fmt) out"
    done
    "$video" -q -i in.mkv -o steady.mkv -m "$m2" --vf-post vidstabtransform=input=--vf-post.trf ||
        fail "--vf-post vidstabtransform: status $?"
    [ "$(probe steady.mkv v:0 nb_read_frames -count_frames)" = 10 ] ||
        fail "--vf-post vidstabtransform: $(probe steady.mkv v:0 nb_read_frames -count_frames) frames"
    lavfi in.png -frames:v 1 -map 0:v
    "$video" -q -i in.png -o out.png -m "$m2" --vf-pre vidstabdetect=result=png.trf ||
        fail "--vf-pre vidstabdetect on a PNG: status $?"
    [ "$(probe out.png v:0 pix_fmt)" = rgb24 ] || fail "the PNG came out $(probe out.png v:0 pix_fmt)"
}

# A pixel format --vf-post names (format=gray) is the output's where the encoder takes it, and
# refused where it does not: it was converted to the source's format (gray to yuv420p).
test_vf_post_format_kept() {
    lavfi in.mkv -t 0.2 -c:v libx264 -pix_fmt yuv420p -an
    local got
    "$video" -q -i in.mkv -o grey.mkv -m "$m2" -c:v ffv1 --vf-post format=gray ||
        { fail "format=gray into FFV1 failed"; return; }
    got=$(probe grey.mkv v:0 pix_fmt)
    [ "$got" = gray ] || fail "--vf-post format=gray into FFV1 gave $got"
    "$video" -q -i in.mkv -o grey.png -m "$m2" --frames 1 --vf-post format=gray ||
        fail "format=gray into PNG failed"
    got=$(probe grey.png v:0 pix_fmt)
    [ "$got" = gray ] || fail "--vf-post format=gray into PNG gave $got"
    "$video" -q -i in.mkv -o full.mp4 -m "$m2" --vf-post scale=100:56,format=yuv444p ||
        fail "format=yuv444p into H.264 failed"
    got=$(probe full.mp4 v:0 pix_fmt)
    [ "$got" = yuv444p ] || fail "--vf-post ...,format=yuv444p into H.264 gave $got"
    # JPEG's YUV is still full range, as without --vf-post
    "$video" -q -i in.mkv -o still.jpg -m "$m2" --frames 1 --vf-post format=yuv420p ||
        fail "format=yuv420p into JPEG failed"
    got=$(probe still.jpg v:0 pix_fmt)
    [ "$got" = yuvj420p ] || fail "--vf-post format=yuv420p into JPEG gave $got"
    # A graph that names no format, or changes it after, leaves the source's; -pix_fmt wins.
    "$video" -q -i in.mkv -o plain.mkv -m "$m2" -c:v ffv1 --vf-post format=rgb24,hqdn3d ||
        fail "format=rgb24,hqdn3d failed"
    got=$(probe plain.mkv v:0 pix_fmt)
    [ "$got" = yuv420p ] || fail "--vf-post format=rgb24,hqdn3d gave $got"
    "$video" -q -i in.mkv -o asked.mkv -m "$m2" -c:v ffv1 -pix_fmt yuv444p --vf-post format=gray ||
        fail "-pix_fmt with format=gray failed"
    got=$(probe asked.mkv v:0 pix_fmt)
    [ "$got" = yuv444p ] || fail "-pix_fmt yuv444p with --vf-post format=gray gave $got"
    expect_error "--vf-post ends in gray, which the mpeg4 encoder does not take" \
        "$video" -i in.mkv -o x.avi -m "$m2" -c:v mpeg4 --vf-post format=gray
    [ ! -e x.avi ] && ! ls .*partial* >/dev/null 2>&1 || fail "x.avi or its temporary file left"
}

# --vf-post's filters are set up once for the first frames (vidstabdetect says its settings at
# each set-up, under -v): its graph was built four times before the first frame, which ran a
# costly set-up (libass's font scan, lut3d's file) four times. A named format that is not the
# source's (format=gray) builds it twice; numbered images of another size once more each.
test_vf_post_set_up_once() {
    [[ "$(ffmpeg -hide_banner -filters 2>/dev/null)" == *" vidstabdetect "* ]] || return 0
    if [ -n "${SANITIZED:-}" ]; then # libvidstab 1.1 leaks its motion fields at every frame
        { cat "$root/tests/lsan.supp" && echo "leak:libvidstab.so"; } >vidstab.supp
        local -x LSAN_OPTIONS=suppressions=$PWD/vidstab.supp:print_suppressions=0
        # the whole stack, through libavutil's frames without pointers, to find libvidstab
        local -x ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
    fi
    lavfi in.mkv -t 0.2 -c:v libx264 -pix_fmt yuv420p -an
    local n
    "$video" -v -i in.mkv -o out.mkv -m "$m2" --vf-post format=yuv420p,vidstabdetect=result=t.trf \
        2>err.log || { fail "vidstabdetect run failed: $(tail -1 err.log)"; return; }
    n=$(grep -c "Video stabilization settings" err.log)
    [ "$n" = 1 ] || fail "--vf-post set up $n times"
    [ "$(grep -c '^Frame ' t.trf)" = 5 ] || fail "t.trf holds $(grep -c '^Frame ' t.trf) frames, not 5"
    "$video" -v -i in.mkv -o grey.mkv -m "$m2" -c:v ffv1 \
        --vf-post format=gray,vidstabdetect=result=g.trf 2>err.log || fail "format=gray run failed"
    n=$(grep -c "Video stabilization settings" err.log)
    [ "$n" = 2 ] || fail "--vf-post ending in gray set up $n times"
    [ "$(probe grey.mkv v:0 pix_fmt)" = gray ] || fail "format=gray gave $(probe grey.mkv v:0 pix_fmt)"
    mkdir seq
    local i
    for i in 1 2 3; do
        ffmpeg -v error -f lavfi -i "color=red:size=$((i < 3 ? 16 : 32))x32" -frames:v 1 "seq/f$i.png"
    done
    "$video" -v -i seq/f%d.png -o up%d.png -m "$m2" \
        --vf-post format=yuv420p,vidstabdetect=result=s.trf,format=rgb24 2>err.log ||
        fail "numbered run failed: $(tail -1 err.log)"
    n=$(grep -c "Video stabilization settings" err.log)
    [ "$n" = 2 ] || fail "--vf-post set up $n times for images of two sizes"
}

test_drop_audio() {
    lavfi in.mp4 -t 0.4 -c:v libx264 -c:a aac -shortest
    "$video" -q -i in.mp4 -o out.mp4 -m "$m2" -an || fail "-an failed"
    [ -z "$(probe out.mp4 a 'codec_name')" ] || fail "audio kept with -an"
}

test_signal_finishes_file() {
    SRC="testsrc2=size=160x90:rate=25" lavfi long.mp4 -t 20 -c:v libx264 -c:a aac -shortest
    "$video" -q -i long.mp4 -o sig.mp4 -m "$m4" --threads 1 2>err.log &
    local pid=$!
    sleep 3
    kill -INT $pid
    wait $pid
    local rc=$?
    [ $rc -eq 130 ] || fail "exit status $rc after SIGINT"
    # the file plays, and the last line says it is not the whole job (even under -q)
    grep -q "stopped by a signal: sig.mp4 holds the first [0-9]* frames of about 500" err.log ||
        fail "not said: $(cat err.log)"
    [ -f sig.mp4 ] || { fail "no output after SIGINT"; return; }
    n=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames \
        -of csv=p=0 sig.mp4)
    [ "${n:-0}" -gt 0 ] && [ "$n" -lt 500 ] || fail "interrupted file holds '$n' frames"
    ffmpeg -v error -i sig.mp4 -f null - 2>dec.log || fail "interrupted file does not decode"
    # The copied audio is read on up to the last video frame's end, as at -t's, to within an
    # AAC packet (21 ms): it ended with the packets read, 0.28 s short of the video.
    local v a
    v=$(probe sig.mp4 v duration)
    a=$(probe sig.mp4 a duration)
    awk -v v="${v:-0}" -v a="${a:-0}" 'BEGIN { exit !(v > 0 && a > v - 0.022 && a < v + 0.022) }' ||
        fail "video $v s, audio $a s"
}

# Segments of an MPEG-TS join to the whole run too: two files joined with cat, whose clock
# jumps back (segments were cut on the raw times: half the frames were in none), and AAC in
# packets of a third of a second that come after their video (each segment lost its last).
test_segments_of_mpeg_ts_join_to_one_run() {
    lavfi a.ts -t 2 -c:v libx264 -g 25 -c:a aac -shortest
    SRC="testsrc=size=64x36:rate=25" lavfi b.ts -t 4 -c:v libx264 -g 25 -c:a aac -shortest
    cat a.ts b.ts >in.ts
    three_segments in.ts mkv -c:v ffv1
    "$video" -q --concat joined.mkv seg1.mkv seg2.mkv seg3.mkv || fail "--concat failed"
    "$video" -q -i in.ts -o whole.mkv -m "$m2" -c:v ffv1 || fail "whole run failed"
    frames() { ffmpeg -v error -i "$1" -map 0:v -f framemd5 - | grep -v '^#'; }
    [ "$(frames joined.mkv | wc -l)" = 150 ] || fail "$(frames joined.mkv | wc -l) frames"
    cmp -s <(frames joined.mkv) <(frames whole.mkv) || fail "joined frames differ from one run"
    times() { ffprobe -v error -show_entries packet=stream_index,pts_time -of csv=p=0 "$1"; }
    cmp -s <(times joined.mkv) <(times whole.mkv) ||
        fail "joined timestamps differ from one run: $(diff <(times joined.mkv) \
            <(times whole.mkv) | grep -c '^>') packets of the whole run's missing"
    # -ss on that clock: a seek by its raw times landed elsewhere (-ss 3 gave the frames from
    # 5 s, -ss 1 none); the whole run's frames from there. (The halves' pictures differ.)
    pixels() { ffmpeg -v error "${@:2}" -i "$1" -map 0:v -frames:v 10 -f framemd5 - |
        grep -v '^#' | awk -F, '{ print $6 }'; }
    for ss in 1 3; do
        "$video" -q -i in.ts -o "ss$ss.mkv" -m "$m2" -c:v ffv1 -ss $ss -t 0.4 ||
            fail "-ss $ss failed"
        cmp -s <(pixels "ss$ss.mkv") <(pixels whole.mkv -ss $ss) ||
            fail "-ss $ss: not the whole run's frames from $ss s"
    done
}

# A segment that holds none of an MPEG-TS's AAC packets (its audio starts late here; the
# last segment holds a few) says the stream's config as the others do: it said none, which
# Matroska reads as AAC LTP, and --concat refused the join ("streams differ").
test_segments_without_audio_packets_join() {
    late_audio in.ts
    local i
    audio() { ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 "$1" |
        grep -c .; }
    config() { probe "$1" a:0 extradata_hash -show_data_hash crc32; }
    three_segments in.ts mkv -c:v ffv1
    [ "$(audio seg1.mkv)" = 0 ] && [ "$(audio seg3.mkv)" -gt 0 ] ||
        fail "audio packets $(audio seg1.mkv) and $(audio seg3.mkv): the test tests nothing"
    for i in 1 3; do
        [ "$(config seg$i.mkv)" = "$(config seg2.mkv)" ] ||
            fail "seg$i's audio config $(config seg$i.mkv), seg2's $(config seg2.mkv)"
    done
    "$video" -q --concat joined.mkv seg1.mkv seg2.mkv seg3.mkv ||
        { fail "--concat failed"; return; }
    "$video" -q -i in.ts -o whole.mkv -m "$m2" -c:v ffv1 || fail "whole run failed"
    joins_as_one_run joined.mkv whole.mkv
}

# MP4 segments without an audio stream's packets (its audio starts late: the first holds
# none) join: the MP4 muxer leaves an empty track out, so the first had a stream fewer and
# --concat refused ("streams differ"). The third's audio started up to 1 ms early (its edit
# list in milliseconds).
test_mp4_segments_without_audio_join() {
    late_audio in.mp4
    cut_in_three in.mp4 mp4
    [ -z "$(probe seg1.mp4 a index)" ] && [ -n "$(probe seg3.mp4 a index)" ] ||
        fail "audio tracks: the test tests nothing"
    join_three_as_one_run in.mp4 mp4 mp4 mkv
}

# MPEG-TS segments join when the first holds none of an audio stream's packets (its audio
# starts late): that stream has no sample rate there (ADTS says it in each packet), and the
# join, which took the first segment's parameters, failed ("cannot write the header").
test_mpeg_ts_segments_without_audio_join() {
    late_audio in.ts
    cut_in_three in.ts ts
    [ "$(probe seg1.ts a:0 sample_rate | sort -u)" = 0 ] ||
        fail "seg1.ts's audio has a sample rate: the test tests nothing"
    join_three_as_one_run in.ts ts ts mkv
}

# Opus's packets keep their times in Matroska, a run's and a join's: FFmpeg 5.1's muxer wrote
# them without the encoder delay its demuxer takes off, so the audio came 7 ms earlier
# against the video at each pass (as ffmpeg -c copy moves it), and a join of segments, two
# passes, 7 ms off the whole run's.
test_opus_in_matroska_keeps_its_times() {
    lavfi in.mkv -t 3 -c:v libx264 -g 25 -c:a libopus
    pts_of() { ffprobe -v error -select_streams "$2" -show_entries packet=pts_time -of csv=p=0 "$1" |
        grep . | sort -g; }
    [ "$(pts_of in.mkv a | head -n 1)" = -0.007000 ] || fail "no encoder delay to test"
    "$video" -q -i in.mkv -o out.mkv -m "$m2" "${lossless[@]}" || { fail "run failed"; return; }
    cmp -s <(pts_of in.mkv a) <(pts_of out.mkv a) ||
        fail "audio moved: $(pts_of in.mkv a | head -2 | xargs) -> $(pts_of out.mkv a | head -2 | xargs)"
    cmp -s <(pts_of in.mkv v) <(pts_of out.mkv v) ||
        fail "video moved: $(pts_of in.mkv v | head -2 | xargs) -> $(pts_of out.mkv v | head -2 | xargs)"
    cut_in_three in.mkv mkv
    join_three_as_one_run in.mkv mkv mkv
}

test_segments_join_to_one_run() {
    lavfi in.mp4 -t 8 -c:v libx264 -g 25 -c:a aac -shortest
    for i in 1 2 3 4; do
        "$video" -q -i in.mp4 -o seg$i.mkv -m "$m2" --segment $i/4 -c:v ffv1 ||
            fail "segment $i failed"
    done
    "$video" -q --concat joined.mkv seg1.mkv seg2.mkv seg3.mkv seg4.mkv || fail "--concat failed"
    "$video" -q -i in.mp4 -o whole.mkv -m "$m2" -c:v ffv1 || fail "whole run failed"
    frames() { ffmpeg -v error -i "$1" -map 0:v -f framemd5 - | grep -v '^#'; }
    [ "$(frames joined.mkv | wc -l)" = "$(probe in.mp4 v:0 nb_frames)" ] || fail "frame count"
    cmp -s <(frames joined.mkv) <(frames whole.mkv) || fail "joined frames differ from one run"
    # To the millisecond, which framemd5 rounds away (the first segment was shifted 21 ms
    # past AAC's negative start, the others not).
    times() { ffprobe -v error -show_entries packet=stream_index,pts_time -of csv=p=0 "$1"; }
    cmp -s <(times joined.mkv) <(times whole.mkv) || fail "joined timestamps differ from one run"
    a_in=$(ffmpeg -v error -i in.mp4 -map 0:a -c copy -f md5 -)
    a_out=$(ffmpeg -v error -i joined.mkv -map 0:a -c copy -f md5 -)
    [ "$a_in" = "$a_out" ] || fail "joined audio is not the input's audio"
    # segments from pipes, which are read once (each segment was opened twice)
    "$video" -q --concat piped.mkv <(cat seg1.mkv) <(cat seg2.mkv) <(cat seg3.mkv) \
        <(cat seg4.mkv) || fail "--concat of pipes failed"
    cmp -s <(frames piped.mkv) <(frames whole.mkv) || fail "piped join's frames differ"
    # out of order (as a shell's * sorts seg10 before seg2) or twice: said, not "Invalid
    # argument" from the muxer
    expect_error "seg2.mkv: starts at .* not after seg3.mkv" \
        "$video" --concat bad.mkv seg1.mkv seg3.mkv seg2.mkv seg4.mkv
    expect_error "seg1.mkv: starts at .* not after seg1.mkv" \
        "$video" --concat bad.mkv seg1.mkv seg1.mkv
    [ ! -e bad.mkv ] || fail "a refused join left bad.mkv"
    # A word after --concat that is an option, and options a join of copied streams cannot
    # apply, are refused: "--concat -y out.mkv" joined into a file named -y, and -crf was
    # ignored without a word.
    expect_error "--concat: '-y' is no output name" \
        "$video" --concat -y bad.mkv seg1.mkv seg2.mkv
    expect_error "--concat copies the segments' streams: -crf does not apply" \
        "$video" --concat bad.mkv seg1.mkv seg2.mkv -crf 20
    [ ! -e bad.mkv ] && [ ! -e ./-y ] || fail "a refused join left a file"
}

# A join refuses segments that do not meet, in one line naming them, before it writes: one
# left out in the middle or at the start joined with a hole in the video and the audio (or
# a late start), status 0; pieces of two cuts that overlap (1/2, then 2/4) failed with the
# muxer's "Invalid argument", naming neither. Pieces of two cuts that meet still join, and
# so do a variable frame rate's pauses at a cut (the last frame's duration is one frame's),
# which the audio goes on through or which the segments have elsewhere too.
test_segments_that_do_not_meet_refused() {
    SRC=testsrc2=size=64x48:rate=10 lavfi in.mp4 -t 4 -c:v libx264 -g 10 -c:a aac -shortest
    local i
    for i in 1 2 3 4; do
        "$video" -q -i in.mp4 -o seg$i.mp4 -m "$m2" --segment $i/4 || fail "segment $i/4 failed"
    done
    "$video" -q -i in.mp4 -o half1.mp4 -m "$m2" --segment 1/2 || fail "segment 1/2 failed"
    expect_error "seg4.mp4: starts at 3.000 s, 1.000 s after seg2.mp4 ends: a segment between" \
        "$video" --concat bad1.mp4 seg1.mp4 seg2.mp4 seg4.mp4
    expect_error "seg2.mp4: starts at 1.000 s, not at the input's start" \
        "$video" --concat bad2.mp4 seg2.mp4 seg3.mp4 seg4.mp4
    expect_error "seg2.mp4: starts at 1.000 s, before half1.mp4 ends (2.000 s): the segments" \
        "$video" --concat bad3.mp4 half1.mp4 seg2.mp4 seg3.mp4 seg4.mp4
    # Pipes, read once, are compared as they are copied, before the next one is written.
    expect_error "starts at 3.000 s, 1.000 s after /dev/fd/[0-9]* ends: a segment between" \
        "$video" --concat bad4.mp4 <(cat seg1.mp4) <(cat seg2.mp4) <(cat seg4.mp4)
    expect_error "starts at 1.000 s, before /dev/fd/[0-9]* ends (2.000 s): the segments overlap" \
        "$video" --concat bad5.mp4 <(cat half1.mp4) <(cat seg2.mp4) <(cat seg3.mp4)
    [ -z "$(ls -A | grep bad)" ] || fail "a refused join left $(ls -A | grep bad | xargs)"
    "$video" -q --concat joined.mp4 half1.mp4 seg3.mp4 seg4.mp4 || fail "1/2, 3/4, 4/4 refused"
    [ "$(probe joined.mp4 v:0 nb_frames)" = 40 ] || fail "1/2, 3/4, 4/4 joined into a part"
    # Frames 50 on come 0.08 s later (two frames' time) than 25 fps, and 50 is the cut; in
    # the video alone, frames 20 and 80 on too.
    local late='if(gte(N\,50)\,0.08/TB\,0)'
    local more='if(gte(N\,20)\,0.08/TB\,0)+if(gte(N\,80)\,0.08/TB\,0)'
    lavfi pause.mp4 -t 4 -vf "setpts=PTS+$late" -fps_mode vfr -c:v libx264 -g 25 -c:a aac \
        -shortest
    lavfi pauses.mp4 -t 4 -vf "setpts=PTS+$late+$more" -fps_mode vfr -c:v libx264 -g 25 -an
    for i in 1 2; do
        "$video" -q -i pause.mp4 -o pause$i.mp4 -m "$m2" --segment $i/2 || fail "pause $i/2 failed"
        "$video" -q -i pauses.mp4 -o pauses$i.mp4 -m "$m2" --segment $i/2 ||
            fail "pauses $i/2 failed"
    done
    [ "$(probe pause2.mp4 v:0 start_time) $(probe pauses2.mp4 v:0 start_time)" = \
        "2.080000 2.160000" ] || fail "the pauses are not at the cut"
    "$video" -q --concat paused.mp4 pause1.mp4 pause2.mp4 || fail "a pause with audio refused"
    "$video" -q --concat paused2.mp4 pauses1.mp4 pauses2.mp4 || fail "a video's pauses refused"
    # A video alone starts where its input's run does: after the audio it dropped (PCM, which
    # MP4 does not take), here 0.5 s; its first segment was refused as missing.
    ffmpeg -nostdin -v error -f lavfi -i sine=d=4 -itsoffset 0.5 \
        -f lavfi -i testsrc2=size=64x48:rate=10:d=3 -map 1:v -map 0:a -c:v libx264 -g 10 \
        -c:a pcm_s16le late.mkv
    for i in 1 2; do
        "$video" -q -i late.mkv -o late$i.mp4 -m "$m2" --segment $i/2 || fail "late $i/2 failed"
    done
    "$video" -q --concat latejoin.mp4 late1.mp4 late2.mp4 || fail "a late video's segments refused"
}

# A join without the last segment is refused, as each segment says which piece of the input
# it holds (a tag Matroska, WebM, MP4 and MOV keep): the times could not tell, and the join
# stopped short; pipes too. A video alone without its first is said too (the times need its
# audio). A segment that runs to the input's end, the later ones being empty, ends a join;
# the join and an upscale of a segment carry no tag.
test_missing_last_segment_refused() {
    tagged() { ffprobe -v error -show_entries format_tags -of compact=p=0 "$1" | grep -qi srres; }
    lavfi in.mkv -t 3 -c:v libx264 -g 25 -an
    local e
    for e in mkv mp4; do
        three_segments in.mkv "$e"
        expect_error "^srres-video: seg2.$e: segment 2/3 ends before the input does: the last \
segment (--segment 3/3) is missing$" "$video" --concat "cut.$e" "seg1.$e" "seg2.$e"
        expect_error "seg1.$e: segment 1/3 ends before the input does: segments 2/3 to 3/3 are" \
            "$video" --concat "cut.$e" "seg1.$e"
        expect_error "seg2.$e: segment 2/3: the first segment (--segment 1/N) is missing" \
            "$video" --concat "cut.$e" "seg2.$e" "seg3.$e"
        [ ! -e "cut.$e" ] || fail "a refused join left cut.$e"
        "$video" -q --concat "joined.$e" "seg1.$e" "seg2.$e" "seg3.$e" ||
            { fail "the three .$e segments refused"; continue; }
        [ "$(probe "joined.$e" v:0 nb_read_frames -count_frames)" = 75 ] ||
            fail "joined.$e: $(probe "joined.$e" v:0 nb_read_frames -count_frames) frames of 75"
        ! tagged "joined.$e" || fail "joined.$e says it is a segment"
    done
    # Pipes, read once, are told once copied (after the times, which they tell then too).
    expect_error "/dev/fd/[0-9]*: segment 2/3 ends before the input does: the last segment" \
        "$video" --concat cut.mkv <(cat seg1.mkv) <(cat seg2.mkv)
    [ -z "$(ls -A | grep cut)" ] || fail "a refused join left $(ls -A | grep cut | xargs)"
    "$video" -q -i seg3.mkv -o up.mkv -m "$m2" || fail "upscaling seg3.mkv failed"
    ! tagged up.mkv || fail "an upscale of a segment says it is one"
    # keyframes at 0 and 1 s alone: segment 2/2 is empty, 1/2 holds all
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -t 3 -c:v libx264 \
        -g 1000 -sc_threshold 0 -force_key_frames 0,1 keys.mkv
    "$video" -q -i keys.mkv -o keys1.mkv -m "$m2" --segment 1/2 || fail "segment 1/2 failed"
    "$video" -q --concat keys.joined.mkv keys1.mkv || fail "1/2, running to the end, refused"
}

# An empty piece is checked as any other before its file is written: it exited 0 from inside
# the input's reading, before the model and the graphs were looked at, so a broken command line
# failed the other pieces of a cluster job and passed this one. Keyframes at 0 and 2 s of 4:
# piece 2/4 is empty.
test_empty_segment_checks_its_command_line() {
    lavfi in.mkv -t 4 -c:v libx264 -g 1000 -sc_threshold 0 -force_key_frames 0,2 -an
    expect_error "^srres-video: /no/such/model: No such file or directory$" \
        "$video" -i in.mkv -o model.mkv -m /no/such/model --segment 2/4
    expect_error "^srres-video: --vf-pre: .*No such filter: 'nosuch'" \
        "$video" -i in.mkv -o pre.mkv -m "$m2" --segment 2/4 --vf-pre nosuch
    expect_error "^srres-video: --vf-post: .*Error initializing filter 'scale'" \
        "$video" -i in.mkv -o post.mkv -m "$m2" --segment 2/4 --vf-post scale=abc
    [ -z "$(ls -A | grep -v -e in.mkv -e '\.log$')" ] ||
        fail "a refused empty piece left $(ls -A | grep -v -e in.mkv -e '\.log$' | xargs)"
    "$video" -q -i in.mkv -o seg2.mkv -m "$m2" --segment 2/4 || fail "the empty piece 2/4 failed"
    ffprobe -v error -show_entries format_tags -of compact=p=0 seg2.mkv |
        grep -qi "srres_segment=2/4, empty" || fail "seg2.mkv is not tagged empty"
}

# Segments of an MP4 input join its chapters as a whole run keeps them: MOV's demuxer numbers
# chapters from 0, and the Matroska muxer numbered those of a segment holding chapter 0 anew
# (1, 2...), the others' not, so the join took c (id 2) for b's rest: a, b, c cut after b
# joined as a, then b running to c's end. A chapter a cut splits (b, over 8 pieces) is one.
test_mp4_input_segment_chapters_joined() {
    chapters() { ffprobe -v error -show_entries chapter=start_time,end_time:chapter_tags=title \
        -of csv=p=0 "$1" | xargs; }
    abc() { # input, "start:end:title" of each chapter (ms)...
        local out=$1 c s e t
        shift
        printf ';FFMETADATA1\n' >ch.txt
        for c in "$@"; do
            IFS=: read -r s e t <<<"$c"
            printf '[CHAPTER]\nTIMEBASE=1/1000\nSTART=%s\nEND=%s\ntitle=%s\n' "$s" "$e" "$t"
        done >>ch.txt
        ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -i ch.txt -map 0:v \
            -map_chapters 1 -t 4 -c:v libx264 -g 25 "$out"
    }
    abc in.mp4 0:1500:a 1500:2000:b 2000:4000:c
    abc span.mp4 0:1500:a 1500:3500:b 3500:4000:c
    local in n i e segs
    for in in in:2:mkv span:8:mkv span:8:mp4; do
        IFS=: read -r in n e <<<"$in"
        segs=()
        for i in $(seq "$n"); do
            "$video" -q -i "$in.mp4" -o "$in$i.$e" -m "$m2" --segment "$i/$n" ||
                fail "$in.mp4: segment $i/$n into .$e failed"
            segs+=("$in$i.$e")
        done
        "$video" -q --concat "$in.joined.$e" "${segs[@]}" ||
            { fail "$in: the .$e join failed"; continue; }
        "$video" -q -i "$in.mp4" -o "$in.whole.$e" -m "$m2" || fail "$in: the whole run failed"
        [ "$(chapters "$in.joined.$e")" = "$(chapters "$in.whole.$e")" ] ||
            fail "$in.joined.$e's chapters: $(chapters "$in.joined.$e"), the whole run's: \
$(chapters "$in.whole.$e")"
    done
    local want="0.000000,1.500000,a 1.500000,2.000000,b 2.000000,4.000000,c"
    [ "$(chapters in.whole.mkv)" = "$want" ] ||
        fail "in.whole.mkv's chapters: $(chapters in.whole.mkv)"
}

# An MP4 segment that does not say its chapters' times (an absolute movflags, or one of an older
# srres-video) leaves all chapters out of the join, with a line naming it that blames neither
# alone: the others' were joined around the gap, and the MP4 muxer ended b at c's start
# (a 0-1.5, b 1.5-4, c 4-6 for a, b 1.5-3.5, c).
test_mp4_segment_chapters_all_or_none() {
    printf ';FFMETADATA1\n' >ch.txt
    printf '[CHAPTER]\nTIMEBASE=1/1000\nSTART=%s\nEND=%s\ntitle=%s\n' 0 1500 a 1500 3500 b \
        3500 6000 c >>ch.txt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -i ch.txt -map 0:v \
        -map_chapters 1 -t 6 -c:v libx264 -g 25 in.mkv
    local i flags
    for i in 1 2 3; do
        flags=()
        [ $i != 2 ] || flags=(--mux-opt movflags=faststart)
        "$video" -q -i in.mkv -o "seg$i.mp4" -m "$m2" --segment $i/3 "${flags[@]}" ||
            fail "segment $i/3 failed"
    done
    "$video" --concat joined.mp4 seg1.mp4 seg2.mp4 seg3.mp4 2>err.log ||
        { fail "the join failed: $(cat err.log)"; return; }
    local got
    got=$(ffprobe -v error -show_chapters -of csv=p=0 joined.mp4 | xargs)
    [ -z "$got" ] || fail "joined.mp4's chapters: $got"
    grep -q "^srres-video: seg2.mp4: .*(made by an older srres-video, or --mux-opt movflags left \
out use_metadata_tags): the join has no chapters$" err.log || fail "said: $(cat err.log)"
    [ "$(grep -c chapters err.log)" = 1 ] || fail "said more than once: $(cat err.log)"
}

# A stop signal while an empty piece is written leaves nothing and exits with the signal's
# status, as a piece with frames does before its output is open: it left a finished file and
# exited 128 + the signal, so a requeued piece failed ("already exists"). A fifo without a
# reader holds the write (its open) until the signal: it failed with "cannot write:
# Interrupted system call", status 1. Keyframes at 0 and 2 s of 4: piece 2/4 is empty.
test_empty_segment_stopped_by_a_signal() {
    lavfi keys.mkv -t 4 -c:v libx264 -g 1000 -sc_threshold 0 -force_key_frames 0,2 -an
    mkfifo seg2.mkv
    "$video" -y -i keys.mkv -o seg2.mkv -m "$m2" --segment 2/4 2>err.log &
    local pid=$! k
    for k in $(seq 300); do # until it waits in the fifo's open (openat is 257 on x86-64)
        [ "$(cat "/proc/$pid/wchan" 2>/dev/null)" != wait_for_partner ] &&
            [ "$(cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)" != 257 ] || break
        sleep 0.1
    done
    kill -TERM $pid
    wait $pid
    local rc=$?
    [ $rc = 143 ] || fail "status $rc, not 143 (SIGTERM): $(cat err.log)"
    grep -q "^srres-video: seg2.mkv: stopped by a signal; nothing written$" err.log ||
        fail "said: $(cat err.log)"
    ! grep -q "cannot write" err.log || fail "said: $(cat err.log)"
}

# MP4 and MOV segments written in fragments (to a pipe or a fifo, which cannot seek, or by a
# fragmenting --mux-opt) each read back as starting at 0, and --concat refused the second
# after the whole job: --segment refuses them up front, naming the output.
test_mp4_fragmented_segment_refused() {
    lavfi in.mkv -t 2 -c:v libx264 -g 25 -an
    expect_error "^srres-video: pipe:1: --segment cannot write mp4 here: it cannot seek, and \
segments written in fragments do not join; write a file, or Matroska or MPEG-TS$" \
        "$video" -i in.mkv -o - -f mp4 -m "$m2" --segment 1/2
    [ ! -s out.log ] || fail "a refused segment wrote $(wc -c <out.log) bytes to stdout"
    mkfifo fifo.mov
    cat fifo.mov >/dev/null & # a reader, should it be opened
    local reader=$!
    expect_error "^srres-video: fifo.mov: --segment cannot write mov here: it cannot seek" \
        "$video" -y -i in.mkv -o fifo.mov -m "$m2" --segment 1/2
    kill $reader 2>/dev/null
    wait $reader 2>/dev/null
    expect_error "^srres-video: frag.mp4: --segment cannot write mp4 in fragments (--mux-opt): \
such segments do not join; leave the fragments out, or write Matroska or MPEG-TS$" \
        "$video" -i in.mkv -o frag.mp4 -m "$m2" --segment 1/2 --mux-opt movflags=+frag_keyframe
    expect_error "^srres-video: dur.mov: --segment cannot write mov in fragments" \
        "$video" -i in.mkv -o dur.mov -m "$m2" --segment 1/2 --mux-opt frag_duration=500000
    [ ! -e frag.mp4 ] && [ ! -e dur.mov ] || fail "a refused segment left a file"
    # A whole run to a pipe is written in fragments, as before; segments into files join.
    "$video" -q -i in.mkv -o - -f mp4 -m "$m2" >whole.mp4 || fail "a whole run to a pipe failed"
    "$video" -q -i in.mkv -o - -f matroska -m "$m2" --segment 1/2 >seg1.mkv ||
        fail "a Matroska segment to a pipe failed"
    # /dev/null seeks: a dry run of an MP4 segment is no fragmented one.
    "$video" -q -y -i in.mkv -o /dev/null -f mp4 -m "$m2" --segment 2/2 ||
        fail "an MP4 segment into /dev/null was refused"
}

# An MPEG-TS join keeps the input's service name and provider, as a whole run does: its
# segments put their tag in the provider name in place of the input's, and the join wrote
# FFmpeg's "Service01" and "FFmpeg". A segment now keeps the input's after its tag, and the
# join gives both back, into .ts and .mkv; a missing last piece is still told.
test_ts_join_keeps_service() {
    service() { ffprobe -v error -show_entries program_tags=service_name,service_provider \
        -of default=nw=1 "$1" | paste -sd'|'; }
    lavfi in.mkv -t 3 -c:v libx264 -g 25 -c:a aac -metadata service_name=Chan \
        -metadata service_provider="Prov; two"
    three_segments in.mkv ts
    [ "$(service seg3.ts)" = "TAG:service_name=Chan|TAG:service_provider=srres_segment=3/3, \
last;Prov; two" ] ||
        fail "seg3.ts's service: $(service seg3.ts)"
    "$video" -q -i in.mkv -o whole.ts -m "$m2" || fail "the whole run failed"
    [ "$(service whole.ts)" = "TAG:service_name=Chan|TAG:service_provider=Prov; two" ] ||
        fail "whole.ts's service: $(service whole.ts)"
    "$video" -q --concat joined.ts seg1.ts seg2.ts seg3.ts || { fail "the join failed"; return; }
    [ "$(service joined.ts)" = "$(service whole.ts)" ] ||
        fail "joined.ts's service: $(service joined.ts)"
    "$video" -q --concat joined.mkv seg1.ts seg2.ts seg3.ts || fail "the join into .mkv failed"
    local tags
    tags=$(ffprobe -v error -show_entries format_tags=service_name,service_provider \
        -of default=nw=1 joined.mkv | sort | paste -sd'|')
    [ "$tags" = "TAG:SERVICE_NAME=Chan|TAG:SERVICE_PROVIDER=Prov; two" ] ||
        fail "joined.mkv's tags: $tags"
    expect_error "seg2.ts: segment 2/3 ends before the input does: the last segment" \
        "$video" --concat cut.ts seg1.ts seg2.ts
    # A provider too long to have the tag beside it in the SDT's 254 bytes is left out of the
    # segments, which failed at their header ("Too long service or provider name").
    lavfi long.mkv -t 2 -c:v libx264 -g 25 -an -metadata service_provider="$(printf 'P%.0s' \
        $(seq 240))"
    rm seg[123].ts
    three_segments long.mkv ts
    "$video" -q --concat long.ts seg1.ts seg2.ts seg3.ts || fail "the long provider's join failed"
}

# MPEG-TS keeps no global tag: its segments say their piece in the SDT's provider name, which
# the demuxer reads back as the program's, so a missing last piece (or first, of a video
# alone) is refused as in Matroska: the times alone cannot tell it, and `--concat cut.ts seg1.ts
# seg2.ts` of a 3-way cut joined two thirds without a word. M2TS writes the SDT too.
test_mpeg_ts_segments_tagged() {
    provider() {
        ffprobe -v error -show_entries program_tags=service_provider -of default=nw=1:nk=1 "$1"
    }
    lavfi in.mkv -t 3 -c:v libx264 -g 25 -an
    local e frames
    for e in ts m2ts; do
        three_segments in.mkv "$e"
        [ "$(provider "seg3.$e")" = "srres_segment=3/3, last" ] ||
            fail "seg3.$e's provider: $(provider "seg3.$e")"
        expect_error "^srres-video: seg2.$e: segment 2/3 ends before the input does: the last \
segment (--segment 3/3) is missing$" "$video" --concat "cut1.$e" "seg1.$e" "seg2.$e"
        expect_error "seg2.$e: segment 2/3: the first segment (--segment 1/N) is missing" \
            "$video" --concat "cut2.$e" "seg2.$e" "seg3.$e"
        [ ! -e "cut1.$e" ] && [ ! -e "cut2.$e" ] || fail "a refused join left cut1.$e or cut2.$e"
        "$video" -q --concat "joined.$e" "seg1.$e" "seg2.$e" "seg3.$e" ||
            { fail "the three .$e segments refused"; continue; }
        # (MPEG-TS's program lists its streams again)
        frames=$(probe "joined.$e" v:0 nb_read_frames -count_frames | head -n1)
        [ "$frames" = 75 ] || fail "joined.$e: $frames frames of 75"
        [ "$(provider "joined.$e")" = FFmpeg ] ||
            fail "joined.$e's provider: $(provider "joined.$e")"
    done
    expect_error "/dev/fd/[0-9]*: segment 2/3 ends before the input does: the last segment" \
        "$video" --concat cut3.ts <(cat seg1.ts) <(cat seg2.ts)
    [ -z "$(ls -A | grep cut)" ] || fail "a refused join left $(ls -A | grep cut | xargs)"
    # An empty piece says so too; an upscale of a segment is none.
    lavfi keys.mkv -t 4 -c:v libx264 -g 1000 -sc_threshold 0 -force_key_frames 0,2 -an
    "$video" -q -i keys.mkv -o empty.ts -m "$m2" --segment 2/4 || fail "the empty piece 2/4 failed"
    [ "$(provider empty.ts)" = "srres_segment=2/4, empty" ] ||
        fail "empty.ts's provider: $(provider empty.ts)"
    "$video" -q -i seg3.ts -o up.ts -m "$m2" || fail "upscaling seg3.ts failed"
    [ "$(provider up.ts)" = FFmpeg ] || fail "up.ts's provider: $(provider up.ts)"
}

# MP4 and MOV segments' chapters join as Matroska's do: FFmpeg 5.1 reads a segment's first
# chapter back as starting at 0, and numbers them anew, so they were left out of the join; the
# segment now says their times and ids in its tag srres_chapters. Chapters b (1.5 to 3.5 s)
# and c (3.5 to 6 s), cut at 2 and 4 s: b, split, is one again and starts at 1.5 s, as in a
# whole run's Matroska file (the MP4 reader puts a file's first chapter at 0 in both).
test_mp4_segment_chapters_joined() {
    printf ';FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3500\ntitle=b\n' >ch.txt
    printf '[CHAPTER]\nTIMEBASE=1/1000\nSTART=3500\nEND=6000\ntitle=c\n' >>ch.txt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -i ch.txt -map 0:v \
        -map_chapters 1 -t 6 -c:v libx264 -g 50 in.mkv
    chapters() { ffprobe -v error -show_entries chapter=start_time,end_time:chapter_tags=title \
        -of csv=p=0 "$1" | xargs; }
    "$video" -q -i in.mkv -o whole.mkv -m "$m2" || fail "the whole run failed"
    local e i
    for e in mp4 mov; do
        three_segments in.mkv "$e"
        "$video" -q -i in.mkv -o "whole.$e" -m "$m2" || fail "the whole run into .$e failed"
        "$video" --concat "joined.$e" seg1.$e seg2.$e seg3.$e 2>err.log ||
            { fail "the .$e segments did not join: $(cat err.log)"; continue; }
        ! grep -q "chapters" err.log || fail "joined.$e: $(cat err.log)"
        [ "$(chapters "joined.$e")" = "$(chapters "whole.$e")" ] ||
            fail "joined.$e's chapters: $(chapters "joined.$e"), whole.$e's: $(chapters "whole.$e")"
        "$video" -q --concat "$e.mkv" seg1.$e seg2.$e seg3.$e || fail "the .$e segments into .mkv"
        [ "$(chapters "$e.mkv")" = "1.500000,3.500000,b 3.500000,6.000000,c" ] ||
            fail "$e.mkv's chapters: $(chapters "$e.mkv")"
        ! ffprobe -v error -show_entries format_tags -of csv=p=0 "joined.$e" | grep -q srres_ ||
            fail "joined.$e keeps a segment's tags"
    done
    [ "$(chapters whole.mkv)" = "1.500000,3.500000,b 3.500000,6.000000,c" ] ||
        fail "whole.mkv's chapters: $(chapters whole.mkv)"
    # An absolute movflags leaves the tag out: said, as before.
    for i in 1 2 3; do
        "$video" -q -i in.mkv -o "fast$i.mp4" -m "$m2" --segment $i/3 \
            --mux-opt movflags=faststart || fail "segment $i/3 with movflags=faststart failed"
    done
    "$video" --concat fast.mp4 fast1.mp4 fast2.mp4 fast3.mp4 2>err.log || fail "$(cat err.log)"
    grep -q "fast1.mp4: the chapters of MP4 and MOV segments are not joined" err.log ||
        fail "chapters without their times left out without a word: $(cat err.log)"
}

# A chapter from before the input's start is cut at the output's zero, as ffmpeg cuts it: an
# MP4 segment of 2 to 4 s reads its first chapter as starting at 0, which was moved to -2 s,
# and Matroska refused the header ("Invalid chapter start").
test_chapters_from_before_the_start_cut() {
    two_chapters >ch.txt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -i ch.txt -map 0:v \
        -map_chapters 1 -t 4 -c:v libx264 -g 25 in.mkv
    "$video" -q -i in.mkv -o seg2.mp4 -m "$m2" --segment 2/2 ||
        { fail "segment 2/2 failed"; return; }
    "$video" -q -i seg2.mp4 -o up.mkv -m "$m2" 2>err.log ||
        { fail "seg2.mp4: $(cat err.log)"; return; }
    local got
    got=$(ffprobe -v error -show_entries chapter=start_time,end_time:chapter_tags=title \
        -of csv=p=0 up.mkv | xargs)
    [ "$got" = "0.000000,1.000000,one 1.000000,2.000000,two" ] || fail "up.mkv's chapters: $got"
}

# MP4's chapter track is read as the chapters, and its demuxer gives no packet of it: it is
# not a stream dropped ("stream 1 (bin_data) dropped: it cannot go into this format
# (matroska)" came for any MP4 with chapters into .mkv or .webm).
test_mp4_chapter_track_not_said_dropped() {
    two_chapters >ch.txt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -i ch.txt -map 0:v \
        -map_chapters 1 -t 4 -c:v libx264 in.mp4
    "$video" -i in.mp4 -o out.mkv -m "$m2" 2>err.log || { fail "in.mp4: $(cat err.log)"; return; }
    ! grep -q dropped err.log || fail "$(grep dropped err.log)"
    local titles
    titles=$(ffprobe -v error -show_entries chapter_tags=title -of csv=p=0 out.mkv | xargs)
    [ "$titles" = "one two" ] || fail "out.mkv's chapters: $titles"
}

# A piece whose range holds no keyframe is written empty, tagged so, and --concat passes over
# it, so that running every I of N and joining every name (a scheduler's array job, GNU
# parallel) works: it exited 1 and wrote nothing, and the join failed on the missing name.
# Keyframes at 0 and 2 s of 4: pieces 2/4 and 4/4 are empty.
test_empty_segment_written_and_passed_over() {
    lavfi in.mkv -t 4 -c:v libx264 -g 1000 -sc_threshold 0 -force_key_frames 0,2 -c:a aac
    local e i
    for e in mkv mp4 ts; do
        for i in 1 2 3 4; do
            "$video" -i in.mkv -o "seg$i.$e" -m "$m2" --segment $i/4 2>"err$i.log" ||
                fail "segment $i/4 into .$e: $(cat "err$i.log")"
        done
        grep -q "^srres-video: in.mkv: segment 2/4 holds no frames (no keyframe in its range); \
seg2.$e is written empty, for --concat to pass over$" err2.log || fail "err2.log: $(cat err2.log)"
        [ "$(probe "seg2.$e" v nb_read_frames -count_frames)" = "" ] || fail "seg2.$e has video"
        [ "$e" = ts ] || ffprobe -v error -show_entries format_tags -of compact=p=0 "seg4.$e" |
            grep -qi "srres_segment=4/4, empty" || fail "seg4.$e is not tagged empty"
        "$video" --concat "joined.$e" seg1.$e seg2.$e seg3.$e seg4.$e 2>err.log ||
            { fail "the .$e segments, two empty, refused"; continue; }
        grep -qx "srres-video: joined 2 segments (and 2 empty passed over) into joined.$e" err.log ||
            fail "the join's line: $(cat err.log)"
        # (MPEG-TS's program lists its streams again)
        local frames
        frames=$(probe "joined.$e" v:0 nb_read_frames -count_frames | head -n1)
        [ "$frames" = 100 ] || fail "joined.$e: $frames frames of 100"
        [ "$(probe "joined.$e" a:0 codec_name | head -n1)" = aac ] || fail "joined.$e lost its audio"
        expect_error "seg2.$e.gone: cannot open" "$video" --concat "cut.$e" seg1.$e seg2.$e.gone seg3.$e
        expect_error "seg4.$e: every segment given holds no frames\|--concat cut.$e: every" \
            "$video" --concat "cut.$e" seg2.$e seg4.$e
        [ ! -e "cut.$e" ] || fail "a refused join left cut.$e"
    done
    # Tagged: the piece before an empty last one runs to the end, and one left out is seen.
    expect_error "seg1.mkv: segment 1/4 ends before the input does" \
        "$video" --concat cut.mkv seg1.mkv seg2.mkv seg4.mkv
    "$video" -q --concat piped.mkv <(cat seg1.mkv) <(cat seg2.mkv) <(cat seg3.mkv) \
        <(cat seg4.mkv) || fail "piped segments, two empty, refused"
    # M2TS mode gave the empty piece's subtitle no PID (it failed), and an absolute movflags
    # replaces the flag MP4's tag needs: a piece without video is empty all the same (its
    # subtitle alone was taken for a segment whose streams differ).
    local opts
    for e in m2ts mp4; do
        opts=()
        [ $e = mp4 ] && opts=(--mux-opt movflags=faststart)
        for i in 1 2 3 4; do
            "$video" -q -y -i in.mkv -o "m$i.$e" -m "$m2" --segment $i/4 "${opts[@]}" ||
                fail "segment $i/4 into .$e ${opts[*]} failed"
        done
        "$video" -q -y --concat "mjoined.$e" m1.$e m2.$e m3.$e m4.$e ||
            { fail "the .$e segments ${opts[*]}, two empty, refused"; continue; }
        [ "$(probe "mjoined.$e" v:0 nb_read_frames -count_frames | head -n1)" = 100 ] ||
            fail "mjoined.$e is not 100 frames"
    done
}

# --segment takes I/N and nothing after it: 2/3x and 2/3/4 ran as 2/3.
test_segment_with_text_after_it_refused() {
    lavfi in.mkv -t 1 -c:v libx264 -an
    local bad
    for bad in 2/3x 2/3/4 "2/3 " 2/; do
        expect_error "^srres-video: --segment: '$bad' is not I/N with 1 <= I <= N$" \
            "$video" -i in.mkv -o out.mkv -m "$m2" --segment "$bad"
        [ ! -e out.mkv ] || fail "--segment $bad wrote out.mkv"
        rm -f out.mkv
    done
}

# AVI written to a pipe declares placeholder lengths (42949672.96 s, 187.60 s once saved to
# a file): a whole one was said to be cut off. MP4's and Matroska's lengths alone are told
# (test_cut_off_input_said).
test_avi_from_pipe_not_said_cut_off() {
    lavfi - -t 1 -c:v libx264 -c:a pcm_s16le -f avi >in.avi
    "$video" -i - -o out.mkv -m "$m2" <in.avi 2>err.log || fail "AVI from a pipe: $(cat err.log)"
    ! grep -q "cut off" err.log || fail "AVI from a pipe said to be cut off: $(grep -v ^frame err.log)"
    "$video" -i in.avi -o file.mkv -m "$m2" 2>err.log || fail "in.avi: $(cat err.log)"
    ! grep -q "cut off" err.log || fail "in.avi said to be cut off: $(grep -v ^frame err.log)"
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = 25 ] || fail "out.mkv is not 25 frames"
}

# One keyframe in two pieces: the join says "joined 1 segment", not "1 segments".
test_join_of_one_segment_said() {
    lavfi in.mkv -t 2 -c:v libx264 -g 1000 -sc_threshold 0 -an
    "$video" -q -i in.mkv -o seg1.mkv -m "$m2" --segment 1/2 || fail "segment 1/2 failed"
    "$video" -q -i in.mkv -o seg2.mkv -m "$m2" --segment 2/2 || fail "segment 2/2 failed"
    "$video" --concat joined.mkv seg1.mkv seg2.mkv 2>err.log || fail "join: $(cat err.log)"
    grep -qx "srres-video: joined 1 segment (and 1 empty passed over) into joined.mkv" err.log ||
        fail "the join's line: $(cat err.log)"
}

# MP4 and Matroska declare where they end counted from 0: a file that starts late (a
# segment after the first, or a clip moved by -output_ts_offset) was said to be cut off at
# 2 s of the 3 s it was taken to declare.
test_late_start_not_said_cut_off() {
    lavfi in.mp4 -t 3 -c:v libx264 -g 25 -c:a aac
    "$video" -q -i in.mp4 -o seg2.mp4 --segment 2/3 -m "$m2" || fail "--segment 2/3 failed"
    "$video" -q -i in.mp4 -o seg2.mkv --segment 2/3 -m "$m2" || fail "--segment 2/3 failed"
    ffmpeg -nostdin -v error -i in.mp4 -ss 1 -c copy -output_ts_offset 1 late.mp4
    local f
    for f in seg2.mp4 seg2.mkv late.mp4; do
        "$video" -i $f -o up_$f.mkv -m "$m2" 2>err.log || fail "$f: $(tail -1 err.log)"
        ! grep -q "cut off" err.log || fail "$f said to be cut off: $(grep -v ^frame err.log)"
    done
}

two_chapters() { # FFmpeg's metadata file of chapters "one" (0 to 3 s) and "two" (3 to 4 s)
    printf ';FFMETADATA1\n'
    printf '[CHAPTER]\nTIMEBASE=1/1000\nSTART=%s\nEND=%s\ntitle=%s\n' 0 3000 one 3000 4000 two
}

# The segments' chapters go into the join, as a whole run keeps them: each segment holds those
# of its time, cut to it, and a chapter a cut split is one again (they were all dropped).
test_segment_chapters_joined() {
    two_chapters >ch.txt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -i ch.txt -map 0:v \
        -map_chapters 1 -t 4 -c:v libx264 -g 25 in.mkv
    chapters() { ffprobe -v error -show_entries chapter=start_time,end_time:chapter_tags=title \
        -of csv=p=0 "$1" | xargs; }
    local i
    for i in 1 2; do
        "$video" -q -i in.mkv -o "seg$i.mkv" -m "$m2" --segment $i/2 || fail "segment $i/2 failed"
    done
    [ "$(chapters seg2.mkv)" = "2.000000,3.000000,one 3.000000,4.000000,two" ] ||
        fail "seg2.mkv's chapters: $(chapters seg2.mkv)"
    "$video" -q --concat joined.mkv seg1.mkv seg2.mkv || fail "the join failed"
    [ "$(chapters joined.mkv)" = "0.000000,3.000000,one 3.000000,4.000000,two" ] ||
        fail "joined.mkv's chapters: $(chapters joined.mkv)"
    # Untitled chapters, or of one title, are told apart by their ids (they ran into one),
    # and the first starts at 0 with audio before the video (it moved to the video's start).
    printf ';FFMETADATA1\n' >un.txt
    local c
    for c in 0:1500 1500:3500 3500:6000; do
        printf '[CHAPTER]\nTIMEBASE=1/1000\nSTART=%s\nEND=%s\n' ${c%:*} ${c#*:} >>un.txt
    done
    lavfi un.mkv -i un.txt -map 0:v -map 1:a -map_chapters 2 -t 6 -c:v libx264 -g 25 -c:a aac
    for i in 1 2 3; do
        "$video" -q -y -i un.mkv -o "un$i.mkv" -m "$m2" --segment $i/3 || fail "segment $i/3 failed"
    done
    "$video" -q -y -i un.mkv -o unwhole.mkv -m "$m2" || fail "the whole run failed"
    "$video" -q --concat unjoined.mkv un1.mkv un2.mkv un3.mkv || fail "the join failed"
    [ "$(chapters unjoined.mkv)" = "$(chapters unwhole.mkv)" ] ||
        fail "untitled chapters joined: $(chapters unjoined.mkv), whole: $(chapters unwhole.mkv)"
}

# MP4 and MOV segments of an input with a timecode track, chapters or mov_text subtitles join
# as a whole run writes them: the copied timecode track (codec none) failed the header, the
# chapter track was copied as data MOV cannot hold, or MP4's per-file bit rates in the text
# configuration said the streams differ, and a later segment's empty text sample from 0 went
# back in time. Their chapters join too (test_mp4_segment_chapters_joined).
test_mp4_segments_with_timecode_chapters_subtitles_join() {
    two_chapters >ch.txt
    printf '1\n00:00:00,500 --> 00:00:01,500\nhello\n\n2\n00:00:02,500 --> 00:00:03,500\nworld\n' >s.srt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:rate=25 -t 4 -c:v libx264 -g 25 \
        -timecode 01:00:00:00 tc.mov
    lavfi all.mp4 -i ch.txt -i s.srt -map 0:v -map 1:a -map 3 -map_chapters 2 -t 4 -c:v libx264 \
        -g 25 -c:a aac -c:s mov_text
    summary() { # the video's timecode, the streams but the chapters' and the subtitles' packets
        ffprobe -v error -show_entries stream=codec_tag_string:stream_tags=timecode \
            -of csv=p=0 "$1" | grep -vx text | xargs
        ffprobe -v error -select_streams s -show_entries packet=pts_time,duration_time,size \
            -of csv=p=0 "$1" | xargs
    }
    local in e i
    for in in tc.mov all.mp4; do
        for e in mov mp4; do
            for i in 1 2; do
                "$video" -q -y -i "$in" -o "seg$i.$e" -m "$m2" --segment $i/2 ||
                    fail "$in: segment $i/2 into .$e failed"
            done
            "$video" -q -y -i "$in" -o "whole.$e" -m "$m2" || fail "$in into whole.$e failed"
            "$video" -y --concat "joined.$e" "seg1.$e" "seg2.$e" 2>err.log ||
                { fail "$in: the .$e segments did not join: $(cat err.log)"; continue; }
            [ "$(summary "joined.$e")" = "$(summary "whole.$e")" ] ||
                fail "$in: joined.$e: $(summary "joined.$e"), whole.$e: $(summary "whole.$e")"
            ! grep -q chapters err.log || fail "$in: .$e chapters left out: $(cat err.log)"
        done
    done
}

# A segment stream the join's format cannot hold is dropped with the line a run gives, where
# the join failed ("joined.mkv: cannot write the header: Function not implemented" for
# mov_text); Matroska's fonts, which its query does not know, are kept.
test_segment_streams_the_join_cannot_hold_dropped() {
    printf '1\n00:00:00,500 --> 00:00:01,500\nhello\n' >s.srt
    lavfi subs.mp4 -i s.srt -map 0:v -map 1:a -map 2 -t 2 -c:v libx264 -g 25 -c:a aac \
        -c:s mov_text
    printf 'a font' >font.ttf
    lavfi in.mkv -t 2 -c:v libx264 -g 25 -c:a aac -shortest
    ffmpeg -nostdin -v error -i in.mkv -map 0 -c copy -attach font.ttf \
        -metadata:s:t mimetype=application/x-truetype-font fonts.mkv
    local i
    for i in 1 2; do
        "$video" -q -i subs.mp4 -o "sub$i.mp4" -m "$m2" --segment $i/2 || fail "subs.mp4 $i/2"
        "$video" -q -i fonts.mkv -o "font$i.mkv" -m "$m2" --segment $i/2 || fail "fonts.mkv $i/2"
    done
    "$video" --concat joined.mkv sub1.mp4 sub2.mp4 2>err.log || fail "join: $(cat err.log)"
    grep -qx "srres-video: sub1.mp4: stream 2 (mov_text) dropped: it cannot go into this format \
(matroska)" err.log || fail "no line for the subtitles: $(cat err.log)"
    [ "$(probe joined.mkv "" codec_name | xargs)" = "h264 aac" ] ||
        fail "joined.mkv holds $(probe joined.mkv "" codec_name | xargs)"
    "$video" -q --concat fonts.joined.mkv font1.mkv font2.mkv || fail "the fonts' join failed"
    [ "$(probe fonts.joined.mkv t:0 codec_name)" = ttf ] || fail "the font was dropped"
}

# Segments in MPEG-TS, which holds no time below zero, join to the whole run in any format:
# its muxer moved the first segment (only) past its start below zero (AAC's priming samples,
# B-frames' decoding times) and the join went back in time ("cannot write: Invalid
# argument"). Lossless, so that the frames compare.
test_segments_into_mpeg_ts_join_to_one_run() {
    lavfi in.mp4 -t 3 -c:v libx264 -g 25 -c:a aac -shortest
    cut_in_three in.mp4 ts
    join_three_as_one_run in.mp4 ts ts mkv
}

# Segments in two formats are matched by index, as before ids were: an MP4 after a Matroska
# segment added its streams as new ones (4 streams, each half empty), and one in MPEG-TS after
# an MP4 segment was joined the same way where it was refused.
test_segments_of_two_formats_matched_by_index() {
    lavfi in.mp4 -t 2 -c:v libx264 -g 25 -c:a aac -shortest
    local i ext
    for i in 1 2; do
        for ext in mkv mp4 ts; do
            "$video" -q -i in.mp4 -o seg$i.$ext -m "$m2" --segment $i/2 || fail "seg$i.$ext failed"
        done
    done
    "$video" -q --concat joined.mkv seg1.mkv seg2.mp4 || fail "--concat failed"
    [ "$(probe joined.mkv v index | wc -l)$(probe joined.mkv a index | wc -l)" = 11 ] ||
        fail "joined.mkv's streams: $(probe joined.mkv '' codec_name | tr '\n' ' ')"
    expect_error "seg2.ts: its streams differ from seg1.mp4's" \
        "$video" --concat bad.mkv seg1.mp4 seg2.ts
}

# Segments are written only in formats whose segments join as one run. FLV's muxer moved the
# first segment's times alone (past AAC's priming samples), so its join put the later
# segments' audio a packet (23 ms) out of step; every AVI segment started at zero and the
# join refused them as out of order; NUT's join failed ("Invalid argument").
test_segments_only_where_they_join() {
    lavfi in.mp4 -t 2 -c:v libx264 -g 25 -c:a aac -shortest
    local ext
    for ext in flv avi nut; do
        expect_error "seg1.$ext: --segment writes MP4, MOV, Matroska, WebM or MPEG-TS" \
            "$video" -q -i in.mp4 -o "seg1.$ext" -m "$m2" --segment 1/2
        [ ! -e "seg1.$ext" ] || fail "seg1.$ext written"
    done
    "$video" -q -i in.mp4 -o whole.avi -m "$m2" || fail "whole.avi failed"
    expect_error "whole.avi: --concat joins segments in MP4, MOV, Matroska, WebM or MPEG-TS" \
        "$video" --concat joined.mkv whole.avi
}

# Debian 12's OpenBLAS runs its Prescott (SSE3) kernels on CPUs newer than it (an Intel Xeon
# of family 6 model 207): the tools start again with OPENBLAS_CORETYPE chosen by instruction
# set, SkylakeX for AVX-512, Haswell for AVX2, as later OpenBLAS releases choose. A core the
# user sets stands.
test_openblas_kernels_by_instruction_set() {
    local cores
    cores=$(env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 "$video" --help 2>&1 >/dev/null |
        grep '^Core:' | tr '\n' ' ')
    if [ "${cores%%Prescott *}" = "Core: " ] &&
        grep -q -w -e avx512bw -e avx2 /proc/cpuinfo; then
        case "$cores" in
        *"Core: SkylakeX "* | *"Core: Haswell "*) ;;
        *) fail "OpenBLAS's cores on this CPU: $cores" ;;
        esac
    fi
    cores=$(OPENBLAS_CORETYPE=Prescott OPENBLAS_VERBOSE=2 "$video" --help 2>&1 >/dev/null |
        grep '^Core:' | tr '\n' ' ')
    [ "$cores" = "Core: Prescott " ] || fail "with OPENBLAS_CORETYPE=Prescott: $cores"
}

# A clock that jumps back (MPEG-TS files joined with cat) is made continuous, as ffmpeg makes
# it: the copied audio went back in time, which the muxer refused, and the second file's
# frames were squeezed a tick apart after the first's last one.
test_clock_jump_in_transport_stream() {
    lavfi part.ts -t 1 -c:v libx264 -c:a aac -shortest
    cat part.ts part.ts >joined.ts
    local an d
    for an in -an ""; do # the video alone too: its frames were squeezed
        "$video" -q -i joined.ts -o out.mp4 -y -m "$m2" $an 2>err.log || { fail "$(cat err.log)"; return; }
        ffprobe -v error -select_streams v -show_entries frame=pts_time -of default=nw=1:nk=1 \
            out.mp4 >t.txt
        sort -c -g -u t.txt 2>/dev/null && [ "$(grep -c . t.txt)" = 50 ] &&
            awk 'NR == 1 { a = $1 } END { exit !($1 - a > 1.95 && $1 - a < 1.97) }' t.txt ||
            fail "frame timestamps ${an:-with audio}: $(xargs <t.txt)"
    done
    d=$(probe out.mp4 a:0 duration)
    awk -v d="$d" 'BEGIN { exit !(d > 1.95 && d < 2.1) }' || fail "audio lasts $d s"
}

# MPEG-TS files of 25 and 50 fps joined with cat: the second's first picture comes after the
# first's last, as by ffmpeg (1.96 s, then 1.98 s). Their decoders hold pictures back
# differently (0.08 s, 0.04 s), and following on by decoding times alone gave two pictures
# 1.96 s, the second moved a tick on.
test_frame_rate_change_at_clock_jump() {
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=64x36:r=25 -t 2 -c:v libx264 -g 25 r25.ts
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=64x36:r=50 -t 2 -c:v libx264 -g 50 r50.ts
    cat r25.ts r50.ts >rr.ts
    "$video" -q -i rr.ts -o rr.mkv -m "$m2" || { fail "rr.ts failed"; return; }
    ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 rr.mkv |
        sort -g >t.txt
    [ "$(grep -c . t.txt)" = 150 ] || fail "$(grep -c . t.txt) of 150 frames"
    awk 'NR > 1 && $1 - p < 0.015 { bad = 1 } { p = $1 } END { exit bad }' t.txt ||
        fail "frames closer than a frame apart: $(xargs <t.txt)"
}

# Audio that starts late in an MPEG-TS (here 12 s in) is past the probe's 5 s, so its
# parameters are unknown at the start: a file is probed further, and the audio copied (it
# was dropped, "it cannot go into this format"); a pipe cannot be, and says why.
test_late_audio_in_mpeg_ts() {
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=32x24:rate=10 -itsoffset 12 -f lavfi \
        -i sine=duration=1 -map 0:v -map 1:a -t 13 -c:v libx264 -c:a aac late.ts
    "$video" -q -i late.ts -o out.mkv -m "$m2" || fail "srres-video failed"
    local start
    start=$(ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 \
        out.mkv | head -n 1)
    awk -v s="$start" 'BEGIN { exit !(s > 11.9 && s < 12.1) }' ||
        fail "the audio starts at '$start', not 12 s in"
    # An audio stream that the first program table does not list (a recording whose second
    # part has sound) is copied too: it was dropped, its parameters unknown.
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=32x24:rate=10 -t 6 -c:v libx264 v.ts
    cat v.ts late.ts >mid.ts
    "$video" -q -i mid.ts -o mid.mkv -m "$m2" || fail "srres-video failed on mid.ts"
    [ "$(probe mid.mkv a:0 codec_name)" = aac ] || fail "mid.ts: the audio was not copied"
    "$video" -i - -o piped.mkv -m "$m2" <late.ts 2>err.log || fail "from a pipe failed"
    grep -q "stream 1 (aac) dropped: its parameters are unknown: none of its packets is near" \
        err.log || fail "from a pipe: $(grep -v '^frame' err.log)"
}

# MPEG-TS writes a codec it has no stream type for as private data, which readers take back
# as bin_data: PCM audio and SRT subtitles were kept so, lost without a word. They are
# dropped with the line other formats give; AAC and MP3 stay. Blu-ray's M2TS mode (.m2ts, or
# --mux-opt mpegts_m2ts_mode=1) has types of its own: its PCM stays there, not in a .ts.
test_mpeg_ts_drops_what_it_cannot_carry() {
    printf '1\n00:00:00,000 --> 00:00:00,400\nhello\n' >s.srt
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=32x24:rate=10:duration=0.5 -f lavfi \
        -i sine=duration=0.5 -f lavfi -i sine=duration=0.5:frequency=220 -i s.srt -map 0 \
        -map 1 -map 2 -map 2 -map 3 -c:v libx264 -c:a:0 pcm_s16le -c:a:1 aac -c:a:2 mp3 \
        -c:s srt in.mkv
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=32x24:rate=10:duration=0.5 -f lavfi \
        -i sine=duration=0.5 -c:v libx264 -c:a pcm_bluray -ar 48000 bd.m2ts
    ts_codecs() { # its streams' codecs, once each (ffprobe lists a program's streams again)
        ffprobe -v error -show_entries stream=index,codec_name -of csv=p=0 "$1" | sort -u |
            cut -d, -f2 | xargs
    }
    local ext codecs
    for ext in ts m2ts; do
        "$video" -i in.mkv -o "out.$ext" -m "$m2" -c:v libx264 2>err.log ||
            fail "into .$ext failed"
        grep -q "stream 1 (pcm_s16le) dropped: it cannot go into this format" err.log &&
            grep -q "stream 4 (subrip) dropped: it cannot go into this format" err.log ||
            fail ".$ext: PCM and SRT not said to be dropped: $(grep -v '^frame' err.log)"
        codecs=$(ts_codecs "out.$ext")
        [ "$codecs" = "h264 aac mp3" ] || fail ".$ext holds $codecs, not h264 aac mp3"
    done
    "$video" -i bd.m2ts -o bd.ts -m "$m2" -c:v libx264 2>err.log || fail "bd.m2ts into .ts failed"
    grep -q "stream 1 (pcm_bluray) dropped: it cannot go into this format" err.log &&
        [ "$(ts_codecs bd.ts)" = h264 ] || fail "Blu-ray PCM into .ts: $(ts_codecs bd.ts)"
    "$video" -q -i bd.m2ts -o out-bd.m2ts -m "$m2" -c:v libx264 || fail "bd.m2ts into .m2ts failed"
    "$video" -q -i bd.m2ts -o mode.ts -m "$m2" -c:v libx264 --mux-opt mpegts_m2ts_mode=1 ||
        fail "M2TS mode failed"
    [ "$(ts_codecs out-bd.m2ts)" = "h264 pcm_bluray" ] && [ "$(ts_codecs mode.ts)" = \
        "h264 pcm_bluray" ] || fail "M2TS lost Blu-ray PCM: $(ts_codecs out-bd.m2ts), $(ts_codecs mode.ts)"
    # The upscaled video's own codec too, before a frame is upscaled: VP9 into MPEG-TS was
    # written as bin_data, status 0; H.264 into WebM and FFV1 into MP4 failed at the header.
    expect_error "^srres-video: vp9.ts: the mpegts format cannot hold vp9 video (-c:v libvpx-vp9)$" \
        "$video" -i in.mkv -o vp9.ts -m "$m2" -c:v libvpx-vp9
    expect_error "^srres-video: h264.webm: the webm format cannot hold h264 video (-c:v libx264)$" \
        "$video" -i in.mkv -o h264.webm -m "$m2" -c:v libx264
    expect_error "^srres-video: ffv1.mp4: the mp4 format cannot hold ffv1 video (-c:v ffv1)$" \
        "$video" -i in.mkv -o ffv1.mp4 -m "$m2" -c:v ffv1
    [ ! -e vp9.ts ] && [ ! -e h264.webm ] && [ ! -e ffv1.mp4 ] || fail "a refused output was written"
    # Opus and SMPTE 302M are private data with a descriptor readers know: kept, in both modes.
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=32x24:rate=10:duration=0.5 -f lavfi \
        -i sine=duration=0.5:sample_rate=48000 -map 0 -map 1 -map 1 -c:v libx264 \
        -c:a:0 libopus -c:a:1 s302m -ac:a:1 2 -strict -2 op.ts
    for ext in ts m2ts; do
        "$video" -q -i op.ts -o "op-out.$ext" -m "$m2" -c:v libx264 || fail "op.ts into .$ext failed"
        [ "$(ts_codecs "op-out.$ext")" = "h264 opus s302m" ] ||
            fail "op.ts into .$ext holds $(ts_codecs "op-out.$ext")"
    done
    # A codec the format's list lacks but its muxer writes (Matroska as VFW, MOV with an AVI
    # tag) is not refused: lossless intermediates in MKV and MOV worked before that check.
    for o in "ut.mkv utvideo" "huff.mkv huffyuv" "ffv1.mov ffv1" "ut.mov utvideo"; do
        set -- $o
        "$video" -q -i in.mkv -o "$1" -m "$m2" -c:v "$2" -an -sn || fail "-c:v $2 into $1 refused"
    done
}

# MPEG-TS seeks by decoding time and can land past the keyframe before -ss (it lost a
# group of pictures: -ss 1 -t 1 wrote nothing, and segments 2 to 4 were empty).
test_seek_in_mpeg_ts() {
    lavfi in.ts -t 4 -c:v libx264 -g 25 -an
    frames() { ffprobe -v error -count_frames -select_streams v:0 \
        -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
    for ss in 1 1.5; do
        "$video" -q -i in.ts -o "ss$ss.mkv" -m "$m2" -ss $ss -t 1 || fail "-ss $ss failed"
        [ "$(frames "ss$ss.mkv")" = 25 ] || fail "-ss $ss -t 1 gave $(frames "ss$ss.mkv") frames"
    done
    for i in 1 2 3 4; do
        "$video" -q -i in.ts -o "seg$i.mkv" -m "$m2" --segment $i/4 || fail "segment $i failed"
        [ "$(frames "seg$i.mkv")" = 25 ] || fail "segment $i/4 has $(frames "seg$i.mkv") frames"
    done
    # The summary counts the media written, not the last timestamp (MPEG-TS starts at 1.4 s).
    "$video" -i in.ts -o last.mkv -m "$m2" --segment 4/4 2>err.log || fail "segment 4 failed"
    grep -q "last.mkv: 25 frames (1.00 s of media)" err.log || fail "summary: $(tail -1 err.log)"
    # A pipe cannot seek: it is read from the start (it failed with "cannot seek").
    "$video" -q -i pipe:0 -o piped.mkv -m "$m2" -ss 1 -t 1 <in.ts || fail "-ss on a pipe failed"
    [ "$(frames piped.mkv)" = 25 ] || fail "-ss 1 -t 1 on a pipe gave $(frames piped.mkv) frames"
    expect_error "give a file, not a pipe" "$video" -i pipe:0 -o x.mkv -m "$m2" --segment 2/4 <in.ts
}

# Segments in the default encoder (B-frames) join whole: Matroska's packets before the first
# B-frame have no decoding time (the join failed), and MP4 ends a stream at its last
# packet's end (the join lost its last frame).
test_segments_with_b_frames_join() {
    lavfi in.mp4 -t 2 -c:v libx264 -g 25 -an
    for ext in mkv mp4; do
        for i in 1 2; do
            "$video" -q -i in.mp4 -o "s$i.$ext" -m "$m2" --segment $i/2 || fail "$ext segment $i"
        done
        "$video" -q --concat "joined.$ext" "s1.$ext" "s2.$ext" || fail "$ext --concat failed"
        n=$(ffmpeg -v error -i "joined.$ext" -f framemd5 - | grep -vc '^#')
        [ "$n" = 50 ] || fail "joined $ext has $n frames, not 50"
    done
    # Into MP4 they cannot go (no decoding times): said, not "cannot write: Invalid argument".
    expect_error "join them into .mkv" "$video" --concat x.mp4 s1.mkv s2.mkv
}

# An RGB source's output in YUV says BT.601, the matrix it was converted with (it said GBR,
# so players read the YUV planes as RGB).
test_rgb_source_tagged() {
    lavfi rgb.mkv -t 0.2 -c:v libx264rgb -pix_fmt rgb24 -an
    "$video" -q -i rgb.mkv -o out.mp4 -m "$m2" -pix_fmt yuv444p || fail "srres-video failed"
    [ "$(probe out.mp4 v:0 color_space)" = smpte170m ] ||
        fail "colour space $(probe out.mp4 v:0 color_space)"
    # left to itself, limited-range yuv444p as ffmpeg gives (it was full range, yuvj444p)
    "$video" -q -i rgb.mkv -o auto.mp4 -m "$m2" || fail "srres-video failed"
    [ "$(probe auto.mp4 v:0 pix_fmt),$(probe auto.mp4 v:0 color_range)" = yuv444p,tv ] ||
        fail "auto.mp4 is $(probe auto.mp4 v:0 pix_fmt),$(probe auto.mp4 v:0 color_range)"
    # a palette's colours are RGB too (a palette PNG's was full range, yuvj444p, unsaid)
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x36:duration=0.04 \
        -vf "split[a][b];[a]palettegen[p];[b][p]paletteuse" pal.png
    "$video" -q -i pal.png -o pal.mp4 -m "$m2" || fail "srres-video failed on pal.png"
    local got
    got=$(probe pal.mp4 v:0 pix_fmt,color_range,color_space -of csv=p=0)
    [ "$got" = yuv444p,tv,smpte170m ] || fail "pal.mp4 is $got"
}

# Alpha goes to an output that holds it, upscaled with bicubic beside the network (it was
# dropped), and is said to be dropped where the output has none.
test_alpha_carried() {
    local ramp="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*4'"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36,format=rgba,$ramp" -frames:v 1 in.png
    "$video" -q -i in.png -o out.png -m "$m2" || fail "srres-video failed"
    [ "$(probe out.png v:0 pix_fmt)" = rgba ] || fail "pix_fmt $(probe out.png v:0 pix_fmt)"
    ffmpeg -nostdin -v error -i out.png -vf alphaextract -f rawvideo got.gray
    ffmpeg -nostdin -v error -i in.png -vf alphaextract,scale=128:72:flags=bicubic \
        -f rawvideo want.gray
    # within one level of ffmpeg's own bicubic (its rounding differs)
    paste <(od -An -v -tu1 -w1 got.gray) <(od -An -v -tu1 -w1 want.gray) |
        awk '{ d = $1 - $2; if (d > 1 || d < -1) bad++ } END { exit bad > 0 || NR != 128 * 72 }' ||
        fail "the alpha is not in.png's upscaled"
    # the colour is what it is without alpha
    "$video" -i in.png -o opaque.png -m "$m2" -pix_fmt rgb24 2>err.log || fail "failed opaque"
    grep -q "in.png: its alpha channel is dropped: the output's rgb24 (-pix_fmt) has none" \
        err.log || fail "not said: $(cat err.log)"
    ffmpeg -nostdin -v error -i out.png -pix_fmt rgb24 -f rawvideo got.rgb
    ffmpeg -nostdin -v error -i opaque.png -pix_fmt rgb24 -f rawvideo want.rgb
    cmp -s got.rgb want.rgb || fail "the colour differs with alpha"
    # a palette PNG's comes out in rgba, not in swscale's fixed palette
    ffmpeg -nostdin -v error -i in.png \
        -vf "split[a][b];[a]palettegen=reserve_transparent=1[p];[b][p]paletteuse" pal.png
    "$video" -q -i pal.png -o pal-out.png -m "$m2" || fail "srres-video failed on pal.png"
    [ "$(probe pal-out.png v:0 pix_fmt)" = rgba ] ||
        fail "pal-out.png is $(probe pal-out.png v:0 pix_fmt)"
    "$video" -i in.png -o out.mp4 -m "$m2" 2>err.log || fail "srres-video failed on out.mp4"
    grep -q "in.png: its alpha channel is dropped: the libx264 encoder takes no format with alpha" \
        err.log || fail "not said for libx264: $(cat err.log)"
    # WebM's VP9 alpha, which only libvpx's decoder reads: the ramp comes out, clear at the
    # left and nearly opaque at the right
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=5,format=yuva420p,$ramp" \
        -t 0.4 -c:v libvpx-vp9 -deadline realtime in.webm
    "$video" -q -i in.webm -o out.webm -m "$m2" || fail "srres-video failed on in.webm"
    local row
    row=$(ffmpeg -nostdin -v error -c:v libvpx-vp9 -i out.webm -vf alphaextract,crop=128:1:0:36 \
        -frames:v 1 -f rawvideo - | od -An -v -tu1 -w128)
    set -- $row
    [ $# = 128 ] && [ "$3" -lt 24 ] && [ "${126}" -gt 230 ] ||
        fail "out.webm's alpha: $row"
    # VP8's encoder refuses alpha with its alternate reference frames, on by default (the run
    # failed)
    "$video" -q -i in.png -o vp8.webm -m "$m2" -c:v libvpx || fail "srres-video failed into VP8"
    row=$(ffmpeg -nostdin -v error -c:v libvpx -i vp8.webm -vf alphaextract,crop=128:1:0:36 \
        -frames:v 1 -f rawvideo - | od -An -v -tu1 -w128)
    set -- $row
    [ $# = 128 ] && [ "$3" -lt 24 ] && [ "${126}" -gt 230 ] || fail "vp8.webm's alpha: $row"
}

# A palette made in --vf-post (paletteuse) is written as it is: a GIF keeps its transparent
# half (the palette was converted again into swscale's fixed one, opaque). Without a palette
# asked for, the message says how to keep it (it said the encoder took no alpha).
test_palette_from_vf_post_kept() {
    local alpha="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,32),0,255)'"
    local palette="split[a][b];[a]palettegen=reserve_transparent=1[p];[b][p]paletteuse"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=5:duration=0.4,format=rgba,$alpha" \
        -vf "$palette" in.gif
    "$video" -q -i in.gif -o out.gif -pix_fmt pal8 -m "$m2" --vf-post "$palette" ||
        { fail "srres-video failed"; return; }
    # Without one, the post graph makes each picture's palette, with a transparent colour
    # where the source has alpha (the alpha was dropped: "give -pix_fmt pal8").
    "$video" -i in.gif -o auto.gif -m "$m2" 2>err.log || fail "srres-video failed on auto.gif"
    ! grep -q alpha err.log || fail "auto.gif: $(grep alpha err.log)"
    local row g
    for g in out.gif auto.gif; do
        row=$(ffmpeg -nostdin -v error -i $g -vf alphaextract,crop=128:1:0:36 -frames:v 1 \
            -f rawvideo - | od -An -v -tu1 -w128)
        set -- $row
        [ $# = 128 ] && [ "$1" = 0 ] && [ "${60}" = 0 ] && [ "${70}" = 255 ] && [ "${128}" = 255 ] ||
            fail "$g's alpha: $row"
    done
}

# A GIF's palette is its pictures' own: swscale's fixed 3-3-2 one banded them, 26 dB
# against the network's output (an FFV1 of the same run), 36 dB now.
test_gif_palette_of_its_own() {
    SRC="testsrc2=size=80x60:rate=10" lavfi in.mkv -t 0.5 -c:v ffv1 -an
    "$video" -q -i in.mkv -o up.gif -m "$m2" || { fail "up.gif failed"; return; }
    "$video" -q -i in.mkv -o up.mkv -m "$m2" -c:v ffv1 -pix_fmt bgr0 || { fail "up.mkv failed"; return; }
    local psnr
    psnr=$(ffmpeg -nostdin -i up.gif -i up.mkv \
        -lavfi '[0]format=bgr0[a];[1]format=bgr0[b];[a][b]psnr' -f null - 2>&1 |
        sed -n 's/.*average:\([0-9.]*\).*/\1/p')
    awk -v p="$psnr" 'BEGIN { exit !(p > 31) }' || fail "up.gif is $psnr dB off the network's output"
    [ "$(probe up.gif v:0 nb_read_frames -count_frames)" = 5 ] || fail "up.gif lost frames"
}

# Raw video is read as ffmpeg reads it with -f rawvideo -video_size WxH -i -: through
# --input-format and --demux-opt. It could not be given, so neither a pipe of raw frames nor a
# .yuv file could be upscaled. Its frames come out as the same frames' in YUV4MPEG do.
test_raw_video_input() {
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=10 -frames:v 4 -pix_fmt yuv420p in.y4m
    ffmpeg -nostdin -v error -i in.y4m -f rawvideo in.yuv
    "$video" -q -i in.y4m -o y4m.mkv -m "$m2" -c:v ffv1 || { fail "y4m.mkv failed"; return; }
    "$video" -q --input-format rawvideo --demux-opt video_size=64x48 --demux-opt framerate=10 \
        -i - -o pipe.mkv -m "$m2" -c:v ffv1 <in.yuv || fail "raw frames from a pipe failed"
    # A .yuv name is raw video by its extension, as for ffmpeg.
    "$video" -q --demux-opt video_size=64x48 --demux-opt framerate=10 --demux-opt pixel_format=yuv420p \
        -i in.yuv -o file.mkv -m "$m2" -c:v ffv1 || fail "in.yuv failed"
    local o frames
    frames() { ffmpeg -v error -i "$1" -f framemd5 - | grep -v '^#'; }
    for o in pipe.mkv file.mkv; do
        [ "$(probe $o v:0 width,height,r_frame_rate,nb_read_frames -count_frames | xargs)" = "128 96 10/1 4" ] ||
            fail "$o: $(probe $o v:0 width,height,r_frame_rate,nb_read_frames -count_frames | xargs)"
        cmp -s <(frames $o) <(frames y4m.mkv) || fail "$o: frames differ from y4m.mkv's"
    done
    expect_error "in.yuv: raw video needs its frame size" "$video" -i in.yuv -o no.mkv -m "$m2"
    expect_error "pipe:0: raw video needs its frame size" \
        "$video" --input-format rawvideo -i - -o no.mkv -m "$m2" <in.yuv
    expect_error "pipe:0: --demux-opt frame_size: the rawvideo demuxer does not take it" \
        "$video" --input-format rawvideo --demux-opt video_size=64x48 --demux-opt frame_size=1 \
        -i - -o no.mkv -m "$m2" <in.yuv
    expect_error "in.y4m: --demux-opt video_size: the yuv4mpegpipe demuxer does not take it" \
        "$video" --demux-opt video_size=64x48 -i in.y4m -o no.mkv -m "$m2"
    expect_error "--input-format raw: no such input format" \
        "$video" --input-format raw -i - -o no.mkv -m "$m2" <in.yuv
    # ffmpeg's own words: -f before -i names the input's format there, the output's here.
    expect_error "-video_size: not an option; an input's demuxer option goes as --demux-opt video_size=64x48" \
        "$video" -f rawvideo -video_size 64x48 -i - -o no.mkv -m "$m2" <in.yuv
    [ ! -e no.mkv ] || fail "a refused run wrote no.mkv"
}

# An HDR source tone-mapped to SDR by --vf-post comes out bt709 in its matrix too, as
# ffmpeg's own tone mapping does: it stayed bt2020nc (the conversion's) beside BT.709
# primaries and transfer. Its colours are those of ffmpeg's tone mapping of the network's
# output (up.mkv, lossless RGB), the output converted as it is tagged. An output that cannot
# say the matrix (MPEG-4 in AVI) is still BT.601, as before.
test_vf_post_tone_mapping_tags_bt709() {
    local tm="zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,\
zscale=t=bt709:m=bt709:r=tv,format=yuv420p" o d
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -c:v libx265 -pix_fmt yuv420p10le \
        -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc -x265-params log-level=error hdr.mkv
    "$video" -q -i hdr.mkv -o up.mkv -m "$m4" -c:v ffv1 -pix_fmt gbrp16le || { fail "up.mkv failed"; return; }
    ffmpeg -nostdin -v error -i up.mkv -vf "$tm" -c:v libx264 ref.mkv
    [ "$(probe ref.mkv v:0 color_space,color_primaries,color_transfer | xargs)" = "bt709 bt709 bt709" ] ||
        fail "ffmpeg's own says $(probe ref.mkv v:0 color_space,color_primaries,color_transfer | xargs)"
    for o in post.mkv post.mp4; do
        "$video" -q -i hdr.mkv -o $o -m "$m4" --vf-post "$tm" || { fail "$o failed"; continue; }
        d=$(bars_differ ref.mkv $o)
        [ "$d" -le 8 ] || fail "$o: bars $d levels off ffmpeg's tone mapping"
        [ "$(probe $o v:0 color_space,color_primaries,color_transfer | xargs)" = "bt709 bt709 bt709" ] ||
            fail "$o says $(probe $o v:0 color_space,color_primaries,color_transfer | xargs)"
    done
    "$video" -q -i hdr.mkv -o post.avi -m "$m4" --vf-post "$tm" || { fail "post.avi failed"; return; }
    [ "$(probe post.avi v:0 color_space)" = unknown ] || fail "post.avi says $(probe post.avi v:0 color_space)"
    # zscale giving RGB frames (a resize) has no matrix to keep: a BT.709 source stays BT.709.
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -vf scale=out_color_matrix=bt709 \
        -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 b709.mp4
    "$video" -q -i b709.mp4 -o plain.mkv -m "$m4" || { fail "plain.mkv failed"; return; }
    "$video" -q -i b709.mp4 -o zs.mkv -m "$m4" --vf-post zscale=w=192:h=144 || { fail "zs.mkv failed"; return; }
    [ "$(probe zs.mkv v:0 color_space)" = bt709 ] || fail "zs.mkv says $(probe zs.mkv v:0 color_space)"
    d=$(bars_differ plain.mkv zs.mkv)
    [ "$d" -le 8 ] || fail "zs.mkv: bars $d levels off"
}

# An animated WebP is said to be one FFmpeg 5.1 cannot decode (its webp decoder skips the
# ANIM and ANMF chunks), from a file or a pipe: it was "no frame size or pixel format". A
# still, with alpha (VP8X too) or not, is upscaled as before.
test_animated_webp_said() {
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=5 -t 0.6 -c:v libwebp_anim -loop 0 anim.webp
    expect_error "anim.webp: an animated WebP, which FFmpeg [0-9.]* cannot decode" \
        "$video" -i anim.webp -o no.mkv -m "$m2"
    expect_error "pipe:0: an animated WebP" "$video" -i - -o no.mkv -m "$m2" <anim.webp
    [ ! -e no.mkv ] || fail "a refused run wrote no.mkv"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x48,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':\
b='b(X,Y)':a='if(lt(X,32),128,255)'" -frames:v 1 -c:v libwebp alpha.webp
    "$video" -q -i - -o alpha.png -m "$m2" <alpha.webp || fail "a still WebP from a pipe failed"
    [ "$(probe alpha.png v:0 width,pix_fmt | xargs)" = "128 rgba" ] ||
        fail "alpha.png is $(probe alpha.png v:0 width,pix_fmt | xargs)"
}

# A --vf-post that sets the matrix (zscale) and ends in RGB (a resize of the network's RGB)
# sets its filters up once: its graph was built, freed and built again naming the output's
# matrix, which read lut3d's file twice. The output is still the BT.709 source's matrix.
test_vf_post_rgb_end_set_up_once() {
    command -v strace >/dev/null || { echo "skipped $current: no strace"; return; }
    printf 'LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n' >id.cube
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -vf scale=out_color_matrix=bt709 \
        -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 b709.mp4
    "$video" -q -i b709.mp4 -o plain.mkv -m "$m4" || { fail "plain.mkv failed"; return; }
    # LeakSanitizer cannot run under ptrace: leaks are the other runs' to find
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -e trace=openat \
        -o trace.log "$video" -q -i b709.mp4 -o lut.mkv -m "$m4" \
        --vf-post lut3d=id.cube,zscale=w=iw:h=ih || { fail "lut.mkv failed"; return; }
    local n
    n=$(grep -c '"id.cube"' trace.log)
    [ "$n" = 1 ] || fail "id.cube opened $n times"
    [ "$(probe lut.mkv v:0 color_space)" = bt709 ] || fail "lut.mkv says $(probe lut.mkv v:0 color_space)"
    n=$(bars_differ plain.mkv lut.mkv)
    [ "$n" -le 8 ] || fail "lut.mkv: bars $n levels off"
}

# A --vf-post that keeps the frames' matrix keeps its name: a PAL source (bt470bg) resized by
# zscale said smpte170m, an untagged one smpte170m where it stayed unknown, and
# colorspace=all=bt601-6-625 smpte170m where ffmpeg's own says bt470bg.
test_vf_post_keeps_bt601_matrix_names() {
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -c:v libx264 -pix_fmt yuv420p \
        -colorspace bt470bg -color_primaries bt470bg -color_trc gamma28 pal.mkv
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -c:v libx264 -pix_fmt yuv420p \
        untagged.mkv
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -vf scale=out_color_matrix=bt709 \
        -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 b709.mp4
    local i want
    for i in pal:bt470bg untagged:unknown; do
        want=${i#*:} i=${i%:*}
        "$video" -q -i $i.mkv -o $i.out.mkv -m "$m4" --vf-post "eq=brightness=0.02,zscale=w=iw/2:h=ih/2" ||
            { fail "$i.out.mkv failed"; continue; }
        [ "$(probe $i.out.mkv v:0 color_space)" = $want ] ||
            fail "$i.out.mkv says $(probe $i.out.mkv v:0 color_space), not $want"
    done
    ffmpeg -nostdin -v error -i b709.mp4 -vf colorspace=all=bt601-6-625 -c:v libx264 ref.mkv
    "$video" -q -i b709.mp4 -o cs.mkv -m "$m4" --vf-post colorspace=all=bt601-6-625 ||
        { fail "cs.mkv failed"; return; }
    [ "$(probe cs.mkv v:0 color_space)" = "$(probe ref.mkv v:0 color_space)" ] ||
        fail "cs.mkv says $(probe cs.mkv v:0 color_space), ffmpeg's $(probe ref.mkv v:0 color_space)"
}

# An animated WebP read by the image demuxer is said to be one too, by its first picture's
# name: a numbered sequence of them, or one given --input-format image2, said "the video
# stream has no frame size or pixel format" (only webp_pipe's were looked at). A numbered
# sequence of stills is upscaled as before.
test_animated_webp_said_in_sequence() {
    mkdir seq stills
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=5 -t 0.6 -c:v libwebp_anim -loop 0 anim.webp
    cp anim.webp seq/f0001.webp && cp anim.webp seq/f0002.webp
    expect_error "^srres-video: seq/f0001.webp: an animated WebP, which FFmpeg [0-9.]* cannot decode" \
        "$video" -i seq/f%04d.webp -o no.mkv -m "$m2"
    expect_error "^srres-video: anim.webp: an animated WebP" \
        "$video" --input-format image2 -i anim.webp -o no.mkv -m "$m2"
    [ ! -e no.mkv ] || fail "a refused run wrote no.mkv"
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=5 -frames:v 3 -c:v libwebp stills/s%03d.webp
    "$video" -q -i stills/s%03d.webp -o stills.mkv -m "$m2" || { fail "stills failed"; return; }
    [ "$(probe stills.mkv v:0 width,nb_read_frames -count_frames | xargs)" = "128 3" ] ||
        fail "stills.mkv is $(probe stills.mkv v:0 width,nb_read_frames -count_frames | xargs)"
}

# A palette picture without a transparent pixel is an opaque source (palettegen reserves a
# transparent colour, unused here): its output is rgb24 and nothing is said to be dropped (it
# was rgba, every alpha 255, and into H.264 "its alpha channel is dropped"). A transparent
# one's is rgba (test_alpha_carried).
test_opaque_palette_has_no_alpha() {
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:duration=0.04" \
        -vf "split[a][b];[a]palettegen[p];[b][p]paletteuse" in.png
    [ "$(probe in.png v:0 pix_fmt)" = pal8 ] || fail "in.png is $(probe in.png v:0 pix_fmt)"
    "$video" -i in.png -o out.png -m "$m2" 2>err.log || fail "srres-video failed"
    [ "$(probe out.png v:0 pix_fmt)" = rgb24 ] || fail "out.png is $(probe out.png v:0 pix_fmt)"
    "$video" -i in.png -o out.mp4 -m "$m2" 2>>err.log || fail "srres-video failed on out.mp4"
    ! grep -q alpha err.log || fail "said: $(grep alpha err.log)"
}

# An alpha channel of 255s holds nothing to drop: an opaque rgba PNG or a GIF (which FFmpeg
# decodes as bgra) into H.264 or JPEG said "its alpha channel is dropped". One with
# half-transparent pixels still says so; the network's format is the source's either way
# (an opaque rgba PNG still comes out rgba).
test_opaque_alpha_not_said_dropped() {
    local half="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,32),128,255)'" i o
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36,format=rgba" -frames:v 1 opaque.png
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36,format=rgba,$half" -frames:v 1 half.png
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=5:duration=0.4" \
        -vf "split[a][b];[a]palettegen[p];[b][p]paletteuse" opaque.gif
    [ "$(probe opaque.png v:0 pix_fmt)" = rgba ] || fail "opaque.png is $(probe opaque.png v:0 pix_fmt)"
    [ "$(probe opaque.gif v:0 pix_fmt)" = bgra ] || fail "opaque.gif is $(probe opaque.gif v:0 pix_fmt)"
    for i in opaque.png opaque.gif; do
        for o in mp4 jpg; do
            "$video" -i "$i" -o "$i.$o" --frames 1 -m "$m2" 2>err.log || fail "$i.$o: status $?"
            ! grep -q alpha err.log || fail "$i.$o: $(grep alpha err.log)"
        done
    done
    "$video" -q -i opaque.png -o out.png -m "$m2" || fail "out.png: status $?"
    [ "$(probe out.png v:0 pix_fmt)" = rgba ] || fail "out.png is $(probe out.png v:0 pix_fmt)"
    for o in mp4 jpg; do
        "$video" -i half.png -o "half.$o" -m "$m2" 2>err.log || fail "half.$o: status $?"
        grep -q "half.png: its alpha channel is dropped" err.log || fail "half.$o: not said: $(cat err.log)"
    done
}

# libvpx codes alpha beside the frames, which only Matroska and WebM store: into MP4 it is
# said to be dropped, and not coded (it was coded and lost without a word).
test_alpha_of_libvpx_outside_matroska() {
    local half="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,32),128,255)'"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36,format=rgba,$half" -frames:v 1 in.png
    "$video" -i in.png -o out.mp4 -c:v libvpx-vp9 -m "$m2" 2>err.log || fail "srres-video failed"
    grep -q "in.png: its alpha channel is dropped: mp4 stores no libvpx-vp9 alpha" err.log ||
        fail "not said: $(cat err.log)"
    [ "$(probe out.mp4 v:0 pix_fmt)" = gbrp ] || fail "pix_fmt $(probe out.mp4 v:0 pix_fmt)"
}

# A WebM joined from a clip with alpha and one without: every frame comes out, the second
# clip's opaque (libvpx's decoder gave no frame without alpha once it had read some: 5 of 10).
test_webm_alpha_then_opaque_clip() {
    local ramp="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*4'" f
    for f in yuva420p,$ramp yuv420p; do
        ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=5:duration=1,format=$f" \
            -c:v libvpx-vp9 -deadline realtime "${f%%,*}.webm"
    done
    printf 'file %s\n' yuva420p.webm yuv420p.webm >list.txt
    ffmpeg -nostdin -v error -f concat -i list.txt -c copy in.webm
    "$video" -q -i in.webm -o out.webm -m "$m2" || { fail "srres-video failed"; return; }
    # a pixel near the clear left edge, frame by frame
    local alpha
    alpha=$(ffmpeg -nostdin -v error -c:v libvpx-vp9 -i out.webm -vf alphaextract,crop=1:1:4:0 \
        -f rawvideo - | od -An -v -tu1 -w1)
    awk '{ ok += NR <= 5 ? $1 < 20 : $1 == 255 } END { exit NR != 10 || ok != 10 }' \
        <<<"$alpha" || fail "frames' alpha:" $alpha
}

# A WebM joined from an opaque clip and one with alpha: the header says none, so FFmpeg's
# decoder reads the colour alone; the alpha is dropped, as later alpha is, and said (it was
# dropped silently). Every frame comes out.
test_webm_alpha_after_opaque_clip_said_dropped() {
    local ramp="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*4'" f
    for f in yuv420p yuva420p,$ramp; do
        ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=64x36:rate=5:duration=1,format=$f" \
            -c:v libvpx-vp9 -deadline realtime "${f%%,*}.webm"
    done
    printf 'file %s\n' yuv420p.webm yuva420p.webm >list.txt
    ffmpeg -nostdin -v error -f concat -i list.txt -c copy in.webm
    "$video" -i in.webm -o out.webm -m "$m2" 2>err.log || { fail "srres-video failed"; return; }
    grep -q "in.webm: the picture at 1.000 s has alpha (WebM's, beside the frames), which is \
dropped: the stream's header says it has none" err.log || fail "not said: $(cat err.log)"
    [ "$(probe out.webm v:0 nb_read_frames -count_frames)" = 10 ] || fail "frames lost"
    "$video" -i in.webm -o out.mp4 -m "$m2" 2>err.log || { fail "into MP4 failed"; return; }
    grep -q "at 1.000 s has alpha .*: the output holds no alpha" err.log ||
        fail "into MP4, not said: $(cat err.log)"
    "$video" -q -i in.webm -o quiet.webm -m "$m2" 2>err.log || fail "-q failed"
    [ ! -s err.log ] || fail "-q said: $(cat err.log)"
}

# WebM alpha that starts between keyframes (tests/fixtures/make_webm_alpha_unkeyed.sh: from
# 0.4 s, keyframes at 0 and 1 s) cannot be decoded before the next keyframe: libvpx failed
# those frames, skipped as damaged (7 of 10 came out). Every frame comes out, opaque up to
# 1 s, with a message, and the alpha from the keyframe on.
test_webm_alpha_between_keyframes() {
    "$video" -i "$root/tests/fixtures/webm_alpha_unkeyed.webm" -o out.webm -m "$m2" 2>err.log ||
        { fail "srres-video failed"; return; }
    grep -q "webm_alpha_unkeyed.webm: the alpha at 0.400 s starts between keyframes" err.log ||
        fail "not said: $(cat err.log)"
    ! grep -q damaged err.log || fail "frames skipped: $(cat err.log)"
    local alpha # a pixel near the clear left edge, frame by frame
    alpha=$(ffmpeg -nostdin -v error -c:v libvpx-vp9 -i out.webm -fps_mode passthrough \
        -vf alphaextract,crop=1:1:4:0 -f rawvideo - | od -An -v -tu1 -w1)
    awk '{ ok += NR <= 5 ? $1 == 255 : $1 < 30 } END { exit NR != 10 || ok != 10 }' \
        <<<"$alpha" || fail "frames' alpha:" $alpha
}

# A rotation the format cannot store (Matroska, PNG in FFmpeg 5.1) is applied to the frames.
test_rotation_applied_where_not_stored() {
    lavfi rot.mp4 -t 0.2 -c:v libx264 -an
    perl -e 'local $/; open F, "+<", $ARGV[0] or die; binmode F; my $d = <F>;
        my $i = index($d, "tkhd"); die if $i < 0; seek F, $i - 4 + 48, 0;
        print F pack("N9", 0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)' rot.mp4
    for o in out.mkv out.png; do
        "$video" -q -i rot.mp4 -o $o -m "$m2" --frames 1 || fail "$o failed"
        [ "$(probe $o v:0 width)x$(probe $o v:0 height)" = 72x128 ] ||
            fail "$o is $(probe $o v:0 width)x$(probe $o v:0 height), not upright 72x128"
    done
}

# A mirrored display matrix (a front camera's) is applied as a mirror: it reads as a half turn
# too, and the picture came out upside down.
# Where the rotation is applied, --vf-pre and --vf-post see the picture upright, as ffmpeg's
# -vf does: --vf-pre saw it on its side (crop=36:32 cut 32 wide and 36 high, 64x72 out, where
# ffmpeg's -vf crop=36:32 gives 36x32). Its frames are those of the input turned upright and
# cropped by ffmpeg first.
test_vf_pre_sees_rotated_frames_upright() {
    lavfi flat.mp4 -t 0.2 -c:v libx264 -an
    ffmpeg -nostdin -v error -i flat.mp4 -c copy -metadata:s:v rotate=90 rot.mp4
    "$video" -q -i rot.mp4 -o out.mkv -m "$m2" "${ffv1[@]:2}" --vf-pre crop=36:32:0:0 ||
        { fail "srres-video failed"; return; }
    [ "$(probe out.mkv v:0 width)x$(probe out.mkv v:0 height)" = 72x64 ] ||
        fail "out.mkv is $(probe out.mkv v:0 width)x$(probe out.mkv v:0 height), not 72x64"
    ffmpeg -nostdin -v error -i rot.mp4 -vf crop=36:32:0:0 -c:v ffv1 upright.mkv
    "$video" -q -i upright.mkv -o want.mkv "${ffv1[@]}" || { fail "upright.mkv failed"; return; }
    cmp -s <(frame_sums out.mkv null) <(frame_sums want.mkv null) ||
        fail "not the frames of the input turned upright, then cropped"
}

# A rotation the frames carry, not the stream (a phone photo's EXIF orientation), is applied
# as ffmpeg applies it, a quarter turn clockwise for orientation 6: the portrait photo came
# out on its side. The frames are those of the photo without EXIF turned by --vf-pre.
test_exif_orientation_applied() {
    lavfi plain.jpg -frames:v 1 -map 0:v
    cp plain.jpg in.jpg
    perl -e 'local $/; open F, "+<", $ARGV[0] or die; binmode F; my $d = <F>;
        my $tiff = pack("a4 N n n n N n n N", "MM\0*", 8, 1, 0x0112, 3, 1, 6, 0, 0);
        substr($d, 2, 0) = pack("n n a6", 0xFFE1, 8 + length($tiff), "Exif") . $tiff;
        seek F, 0, 0; print F $d' in.jpg
    ffmpeg -nostdin -v error -i in.jpg -vf scale=iw*2:ih*2 ff.png
    [ "$(probe ff.png v:0 width)" = 72 ] || { fail "ffmpeg did not turn in.jpg"; return; }
    "$video" -q -i in.jpg -o out.png -m "$m2" || { fail "srres-video failed"; return; }
    [ "$(probe out.png v:0 width)x$(probe out.png v:0 height)" = 72x128 ] ||
        fail "out.png is $(probe out.png v:0 width)x$(probe out.png v:0 height), not upright 72x128"
    "$video" -q -i plain.jpg -o want.png -m "$m2" --vf-pre transpose=clock ||
        { fail "plain.jpg failed"; return; }
    cmp -s <(frame_sums out.png null) <(frame_sums want.png null) ||
        fail "not the frames of the photo turned a quarter clockwise"
}

test_mirror_applied_where_not_stored() {
    ffmpeg -nostdin -v error -f lavfi -i "color=black:size=64x36,drawbox=w=32:h=18:c=white:t=fill" \
        -frames:v 1 -c:v libx264 mirror.mp4
    perl -e 'local $/; open F, "+<", $ARGV[0] or die; binmode F; my $d = <F>;
        my $i = index($d, "tkhd"); die if $i < 0; seek F, $i - 4 + 48, 0;
        print F pack("N9", 0xFFFF0000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)' mirror.mp4
    "$video" -q -i mirror.mp4 -o out.png -m "$m2" || { fail "srres-video failed"; return; }
    local q y=()
    for q in 0:0 iw/2:0 iw/2:ih/2; do # top left, top right, bottom right
        y+=("$(ffprobe -v error -f lavfi -i "movie=out.png,crop=iw/2:ih/2:$q,signalstats" \
            -show_entries frame_tags=lavfi.signalstats.YAVG -of csv=p=0)")
    done
    awk -v l="${y[0]}" -v r="${y[1]}" -v b="${y[2]}" 'BEGIN { exit !(r > l + 5 && r > b + 5) }' ||
        fail "the white corner is not top right: luma ${y[*]} (top left, top right, bottom right)"
}

# -y writes through a symlink (the link stays) and into a fifo (it was renamed over).
test_overwrite_keeps_links_and_fifos() {
    lavfi in.mp4 -t 0.2 -c:v libx264 -an
    mkdir real && touch real/target.mkv && ln -s real/target.mkv link.mkv
    "$video" -q -y -i in.mp4 -o link.mkv -m "$m2" || fail "writing through a link failed"
    [ -L link.mkv ] && [ "$(probe real/target.mkv v:0 width)" = 128 ] ||
        fail "the link was replaced or its target not written"
    mkfifo pipe.mkv
    timeout 60 cat pipe.mkv >read.mkv &
    "$video" -q -y -i in.mp4 -o pipe.mkv -m "$m2" || fail "writing into a fifo failed"
    wait
    [ -p pipe.mkv ] && [ "$(probe read.mkv v:0 width)" = 128 ] ||
        fail "the fifo was replaced or its reader got nothing"
}

# Root may write any file: where run as root, a test of permissions runs srres-video as
# nobody (the command prefix in as) in a folder of its own (dir, made here; the caller
# removes it); else in its own folder. Returns 1 where it cannot (said).
nobody_folder() {
    as=() dir=$PWD
    [ "$(id -u)" = 0 ] || return 0
    command -v setpriv >/dev/null || { echo "skipped $current: root, and no setpriv"; return 1; }
    dir=$(mktemp -d) && chmod 777 "$dir" || { fail "no folder for nobody"; return 1; }
    as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
}

# -y does not replace a file the user may not write, as ffmpeg -y does not ("Permission
# denied"): the rename put a new file in its place, its folder being writable; --concat's
# too. Root may write any file, in ffmpeg too: run as root, the test runs srres-video as
# nobody (setpriv).
test_overwrite_refuses_a_file_not_writable() {
    local as dir
    nobody_folder || return
    [ "$dir" = "$PWD" ] || trap "rm -rf '$dir'; trap - RETURN" RETURN
    lavfi "$dir/in.mp4" -t 0.2 -c:v libx264 -an
    echo old >"$dir/out.mp4"
    chmod 444 "$dir/out.mp4"
    expect_error "out.mp4: cannot overwrite it: Permission denied" \
        "${as[@]}" "$video" -i "$dir/in.mp4" -o "$dir/out.mp4" -m "$m2" -y
    [ "$(cat "$dir/out.mp4")" = old ] || fail "the read-only out.mp4 was replaced"
    [ "$(ls -A "$dir" | xargs)" = "in.mp4 out.mp4" ] || fail "files left: $(ls -A "$dir")"
    local i
    lavfi "$dir/cut.mp4" -t 1 -c:v libx264 -g 5 -an
    for i in 1 2; do
        "$video" -q -i "$dir/cut.mp4" -o "$dir/seg$i.mp4" -m "$m2" --segment $i/2 ||
            { fail "segment $i failed"; return; }
    done
    echo old >"$dir/joined.mp4"
    chmod 444 "$dir/joined.mp4"
    expect_error "joined.mp4: cannot overwrite it: Permission denied" \
        "${as[@]}" "$video" --concat "$dir/joined.mp4" "$dir/seg1.mp4" "$dir/seg2.mp4" -y
    echo old | cmp -s - "$dir/joined.mp4" || fail "the read-only joined.mp4 was replaced"
    ! ls -A "$dir" | grep -q partial || fail "files left: $(ls -A "$dir")"
}

# -y onto a writable file in a folder that is not: the temporary file beside it cannot be
# made, which is said of the folder ("cannot write: Permission denied" blamed the file, which
# ffmpeg writes in place); --concat too. The file is kept. Run as nobody where root.
test_overwrite_in_a_folder_not_writable_names_the_folder() {
    local as dir
    nobody_folder || return
    [ "$dir" = "$PWD" ] || trap "rm -rf '$dir'; trap - RETURN" RETURN
    lavfi "$dir/in.mkv" -t 0.4 -c:v libx264 -g 5 -an
    local i
    for i in 1 2; do
        "$video" -q -i "$dir/in.mkv" -o "$dir/seg$i.mkv" -m "$m2" --segment $i/2 ||
            { fail "segment $i failed"; return; }
    done
    mkdir "$dir/rw"
    echo old >"$dir/rw/exists.mkv"
    echo old >"$dir/rw/joined.mkv"
    chmod 666 "$dir/rw/exists.mkv" "$dir/rw/joined.mkv"
    chmod 555 "$dir/rw"
    cd "$dir" || return
    expect_error "^srres-video: rw/: folder not writable (the output is written to a temporary \
file there, then renamed)$" "${as[@]}" "$video" -y -i in.mkv -o rw/exists.mkv -m "$m2"
    expect_error "^srres-video: rw/: folder not writable (the output is written to a temporary \
file there, then renamed)$" "${as[@]}" "$video" -y --concat rw/joined.mkv seg1.mkv seg2.mkv
    cd - >/dev/null || return
    [ "$(cat "$dir/rw/exists.mkv" "$dir/rw/joined.mkv" | xargs)" = "old old" ] ||
        fail "a file in the read-only folder was changed"
    [ "$(ls -A "$dir/rw" | xargs)" = "exists.mkv joined.mkv" ] || fail "files: $(ls -A "$dir/rw")"
    chmod 755 "$dir/rw" # for the clean-up
}

# Two runs writing one name, neither with -y: the one to finish later does not replace the
# other's file, which appeared after it started (it did, both exiting 0); with -y it does.
# --concat too. The input is a fifo that another file's maker opens: the run is past its
# check for the name, and reads its input only once the file is there.
test_output_that_appeared_during_the_run_is_kept() {
    # fifo, output, file fed through the fifo, srres-video's arguments: the output made once
    # the run is past its check, then the fifo fed; without -y it is kept, with -y replaced.
    appears_then_fed() {
        local feeder fifo=$1 out=$2 fed=$3
        shift 3
        { exec 3>"$fifo" && echo other >"$out" && cat "$fed" >&3; } 2>/dev/null &
        feeder=$!
        expect_error "^srres-video: $out: appeared during the run; not replaced (use -y)$" \
            "$video" "$@"
        kill $feeder 2>/dev/null
        wait $feeder
        echo other | cmp -s - "$out" || fail "$out: the file that appeared was replaced"
        ! ls -A | grep -q partial || fail "files left: $(ls -A | xargs)"
        rm "$out"
        { exec 3>"$fifo" && echo other >"$out" && cat "$fed" >&3; } 2>/dev/null &
        feeder=$!
        "$video" -q -y "$@" || fail "$out, -y: status $?"
        wait $feeder
        [ "$(probe "$out" v:0 width)" = 128 ] || fail "$out: -y did not replace the file"
    }
    local i
    lavfi in.mkv -t 0.4 -c:v libx264 -g 5 -an
    mkfifo in.fifo seg2.fifo
    appears_then_fed in.fifo out.mkv in.mkv -i in.fifo -o out.mkv -m "$m2"
    for i in 1 2; do
        "$video" -q -i in.mkv -o "seg$i.mkv" -m "$m2" --segment $i/2 || fail "segment $i failed"
    done
    appears_then_fed seg2.fifo joined.mkv seg2.mkv --concat joined.mkv seg1.mkv seg2.fifo
}

# Standard input and output, as for ffmpeg: "-" (or pipe:N), with -f naming the container.
test_standard_input_and_output() {
    lavfi in.mkv -t 0.4 -c:v libx264 -an
    "$video" -q -i - -o - -f matroska -m "$m2" <in.mkv >out.mkv || fail "stdin to stdout failed"
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = 10 ] ||
        fail "$(probe out.mkv v:0 nb_read_frames -count_frames) frames through the pipes"
    [ "$(probe out.mkv v:0 width)" = 128 ] || fail "width $(probe out.mkv v:0 width)"
    expect_error "-f FORMAT names one" "$video" -i in.mkv -o - -m "$m2"
    # An MP4 with its index at the end (ffmpeg's default) cannot come through a pipe, once
    # larger than what its reader keeps to go back in (100 KB here): said so.
    SRC="testsrc2=size=128x72:rate=25" lavfi tail.mp4 -t 2 -c:v libx264 -crf 0 -an
    expect_error "pipe:0: .*needs its index first" bash -c "'$video' -i - -o x.mkv -m '$m2' <tail.mp4"
    expect_error "-f nonsense: no such output format" "$video" -i in.mkv -o - -f nonsense -m "$m2"
    # MP4 and MOV to a pipe are written in fragments, said (the header was refused, "muxer does
    # not support non seekable output", after a frame was upscaled); movflags given stands.
    local f
    for f in mp4 mov; do
        "$video" -i in.mkv -o - -f $f -m "$m2" 2>err.log >"piped.$f" || fail "-f $f to a pipe failed"
        [ "$(probe "piped.$f" v:0 nb_read_frames -count_frames)" = 10 ] ||
            fail "-f $f to a pipe: $(probe "piped.$f" v:0 nb_read_frames -count_frames) frames"
        grep -q "pipe:1: $f cannot go back to write its index here: written in fragments" err.log ||
            fail "-f $f to a pipe, not said: $(grep -v '^frame' err.log)"
    done
    "$video" -i in.mkv -o - -f mp4 -m "$m2" --mux-opt movflags=+faststart 2>err.log >/dev/null &&
        fail "movflags=+faststart to a pipe succeeded"
    grep -q "written in fragments" err.log && fail "movflags given was replaced"
    # stderr read by a pipe that closes (2>&1 | head -1): the run goes on to a whole file (a
    # SIGPIPE at the next progress line killed it and left its temporary file)
    SRC="testsrc2=size=160x90:rate=25" lavfi long.mkv -t 4 -c:v libx264 -an
    "$video" -i long.mkv -o whole.mkv -m "$m2" --threads 1 2>&1 | head -c 1 >/dev/null
    [ "${PIPESTATUS[0]}" = 0 ] || fail "status ${PIPESTATUS[0]} with stderr closed"
    [ "$(probe whole.mkv v:0 nb_read_frames -count_frames)" = 100 ] ||
        fail "whole.mkv holds $(probe whole.mkv v:0 nb_read_frames -count_frames) frames"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left behind"
    # a closed reader of the output pipe is an error that says so
    expect_error "Broken pipe" bash -o pipefail -c \
        "'$video' -q -i long.mkv -o - -f matroska -m '$m2' --threads 1 | head -c 1 >/dev/null"
}

free_port() { # a loopback TCP port nobody listens on (the kernel's pick, then closed)
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport'
}

tcp_reader() { # port, output, ffmpeg output options...: a NUT copy of what a listener sends
    local port=$1 out=$2 i
    shift 2
    for i in $(seq 100); do # until srres-video listens (its model and input open first)
        timeout 60 ffmpeg -nostdin -v error -i "tcp://127.0.0.1:$port" "$@" -c copy -f nut \
            "$out" 2>/dev/null && return
        sleep 0.1
    done
}

udp_reader() { # output: the datagrams sent to the port written into ./port (2 s quiet ends)
    timeout 120 perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1:0") or die $!;
        open my $p, ">", "port.tmp" or die $!;
        print $p $s->sockport;
        close $p;
        rename "port.tmp", "port";
        open my $o, ">", $ARGV[0] or die $!;
        my ($rin, $buf, $wait) = ("", "", 30);
        vec($rin, fileno($s), 1) = 1;
        while (select(my $r = $rin, undef, undef, $wait)) {
            $s->recv($buf, 65536);
            print $o $buf;
            $wait = 2;
        }' "$1"
}

# Outputs named as URLs are sent to as they are, as ffmpeg streams (they were written as
# files, "cannot write: No such file or directory" where no folder 'tcp:' was): every frame
# reaches a TCP reader (srres-video listening) and a UDP one; pipe:1 is standard output as
# before; a name without its container is refused before upscaling, but RTMP's is FLV; a
# reader that leaves fails the run, a signal says what was sent; no file takes the URL's name.
test_outputs_as_urls() {
    local port pid rpid rc n
    trap 'kill $pid $rpid 2>/dev/null; trap - RETURN' RETURN # none left listening
    lavfi in.mkv -t 1 -c:v libx264 -c:a aac -shortest
    port=$(free_port)
    timeout 120 "$video" -q -i in.mkv -o "tcp://127.0.0.1:$port?listen=1" -f nut -m "$m2" &
    pid=$!
    tcp_reader "$port" tcp.nut
    wait $pid || fail "tcp: status $?"
    [ "$(probe tcp.nut v:0 nb_read_frames -count_frames)" = 25 ] ||
        fail "tcp: $(probe tcp.nut v:0 nb_read_frames -count_frames) frames of 25"
    [ "$(probe tcp.nut v:0 width)" = 128 ] && [ "$(probe tcp.nut a:0 codec_name)" = aac ] ||
        fail "tcp: not the upscaled video and the audio"
    udp_reader udp.ts &
    rpid=$!
    for n in $(seq 100); do [ -e port ] && break; sleep 0.1; done
    timeout 120 "$video" -q -i in.mkv -o "udp://127.0.0.1:$(cat port)?pkt_size=1316" -f mpegts \
        -m "$m2" || fail "udp: status $?"
    wait $rpid
    rm port
    n=$(probe udp.ts v:0 nb_read_frames -count_frames | sort -u) # its program's and its own
    [ "$n" = 25 ] || fail "udp: '$n' frames of 25"
    n=$("$video" -q -i in.mkv -o pipe:1 -f nut -m "$m2" |
        ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
            -of csv=p=0 -)
    [ "$n" = 25 ] || fail "pipe:1: '$n' frames of 25"
    port=$(free_port)
    expect_error "udp://127.0.0.1:$port: no output format for this name (-f FORMAT names one)" \
        "$video" -i in.mkv -o "udp://127.0.0.1:$port" -m "$m2"
    expect_error "rtmp://127.0.0.1:$port/live/cam.mp4: cannot write here: Connection refused" \
        "$video" -i in.mkv -o "rtmp://127.0.0.1:$port/live/cam.mp4" -m "$m2"
    # Raw frames, 8.6 MB: more than the sockets hold once the reader has left after three.
    SRC="testsrc2=size=160x90:rate=25" lavfi long.mkv -t 4 -c:v libx264 -an
    port=$(free_port)
    timeout 120 "$video" -q -i long.mkv -o "tcp://127.0.0.1:$port?listen=1" -f nut \
        -c:v rawvideo -m "$m2" 2>left.log &
    pid=$!
    tcp_reader "$port" three.nut -frames:v 3
    wait $pid
    rc=$?
    [ $rc -eq 1 ] || fail "a reader that left: status $rc"
    local url="tcp://127.0.0.1:$port?listen=1"
    grep -Eq "^srres-video: ${url/\?/\\?}: cannot write: (Broken pipe|Connection reset by peer)$" \
        left.log || fail "a reader that left: $(cat left.log)"
    SRC="testsrc2=size=160x90:rate=25" lavfi longer.mkv -t 20 -c:v libx264 -an
    port=$(free_port)
    # --foreground: timeout sends the signal on to srres-video alone, not to its group too,
    # which made two (the second aborts)
    timeout --foreground 120 "$video" -q -i longer.mkv -o "tcp://127.0.0.1:$port?listen=1" \
        -f nut -m "$m4" --threads 1 2>sig.log &
    pid=$!
    tcp_reader "$port" sig.nut -flush_packets 1 &
    rpid=$!
    for n in $(seq 600); do [ -s sig.nut ] && break; sleep 0.1; done # streaming, not listening
    sleep 1
    kill -INT $pid
    wait $pid
    rc=$?
    wait $rpid
    [ $rc -eq 130 ] || fail "status $rc after SIGINT"
    n=$(probe sig.nut v:0 nb_read_frames -count_frames)
    grep -qxF "srres-video: stopped by a signal: tcp://127.0.0.1:$port?listen=1 was sent the first \
${n:-?} frames of about 500" sig.log || fail "after SIGINT, $n frames came, and: $(cat sig.log)"
    local ours="err.log in.mkv left.log long.mkv longer.mkv out.log sig.log sig.nut tcp.nut"
    [ "$(ls -A | tr '\n' ' ')" = "$ours three.nut udp.ts " ] || fail "files written: $(ls -A)"
}

# A signal stops a run whose input stalls (a pipe nobody writes to): the read gives up
# (it blocked forever, and a second signal did not help either).
test_signal_stops_a_stalled_input() {
    lavfi in.ts -t 1 -c:v libx264 -an
    mkfifo in.fifo
    { cat in.ts; sleep 30; } >in.fifo &
    local feeder=$!
    "$video" -q -i in.fifo -o out.mkv -m "$m2" &
    local pid=$! waited=0
    sleep 3
    kill -TERM $pid
    while kill -0 $pid 2>/dev/null && [ $waited -lt 50 ]; do
        sleep 0.2
        waited=$((waited + 1))
    done
    kill -0 $pid 2>/dev/null && { fail "still running 10 s after SIGTERM"; kill -KILL $pid; }
    wait $pid
    local rc=$?
    [ $rc -eq 143 ] || fail "status $rc after SIGTERM"
    kill $feeder 2>/dev/null
    pkill -P $feeder 2>/dev/null
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left behind"
}

# A signal to a run whose piped input is still open (stalled, or arriving slowly) keeps the
# frames read: the read it interrupts ends the input (it failed the run, "cannot read:
# Immediate exit requested", status 1 and no file, frames upscaled and all).
test_signal_keeps_the_frames_of_a_piped_input() {
    SRC="testsrc2=size=64x36:rate=25" lavfi in.mkv -t 8 -c:v libx264 -an
    mkfifo in.fifo
    { cat in.mkv; sleep 30; } >in.fifo 2>/dev/null &
    local feeder=$!
    # Clusters written as they come, so the temporary file shows the frames out.
    "$video" -q -i - -o out.mkv -m "$m2" --mux-opt flush_packets=1 \
        --mux-opt cluster_time_limit=200 <in.fifo 2>err.log &
    local pid=$! waited=0 size=0 last=-1 still=0
    trap "pkill -P $feeder 2>/dev/null; kill $pid $feeder 2>/dev/null; trap - RETURN" RETURN
    # Frames written, and the input all read: the file stops growing (1.5 s).
    while [ $still -lt 15 ] && [ $waited -lt 300 ]; do
        sleep 0.1
        waited=$((waited + 1))
        size=$(stat -c %s ".out.partial-$pid.mkv" 2>/dev/null || echo 0)
        [ "$size" -gt 2000 ] && [ "$size" -eq $last ] && still=$((still + 1)) || still=0
        last=$size
    done
    [ $waited -lt 300 ] || fail "the output still grows or is empty after 30 s ($size bytes)"
    kill -INT $pid
    waited=0
    while kill -0 $pid 2>/dev/null && [ $waited -lt 100 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -0 $pid 2>/dev/null && fail "still running 10 s after SIGINT"
    wait $pid
    local rc=$?
    [ $rc -eq 130 ] || fail "status $rc after SIGINT: $(cat err.log)"
    grep -q "stopped by a signal: out.mkv holds the first [1-9][0-9]* frames" err.log ||
        fail "not said: $(cat err.log)"
    local n
    n=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames \
        -of csv=p=0 out.mkv)
    [ "${n:-0}" -gt 0 ] || fail "out.mkv holds '$n' frames"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left behind"
}

test_bad_input() {
    expect_error "nothere.mp4" "$video" -i nothere.mp4 -o x.mp4 -m "$m2"
    : >empty.mp4
    expect_error "empty.mp4" "$video" -i empty.mp4 -o x.mp4 -m "$m2"
    echo "not a video" >text.mp4
    expect_error "text.mp4" "$video" -i text.mp4 -o x.mp4 -m "$m2"
    lavfi good.mp4 -t 1 -c:v libx264 -an
    head -c 2000 good.mp4 >trunc.mp4
    expect_error "trunc.mp4" "$video" -i trunc.mp4 -o x.mp4 -m "$m2"
    # Damaged coded frames (the first half of a plain mp4) and a damaged index (the moov at
    # its end): the decoder conceals what it can; whatever happens, no crash, and either a
    # complete file that decodes cleanly or an error naming the input and no file.
    local rc damage
    for damage in "frames 15 25 35 45" "index 55 70 85"; do
        set -- $damage
        damaged_copy good.mp4 "$1.mp4" "${@:2}"
        "$video" -q -i "$1.mp4" -o "$1_x2.mkv" -m "$m2" 2>err.log
        rc=$?
        if [ $rc -eq 0 ]; then
            ffmpeg -v error -i "$1_x2.mkv" -f null - 2>dec.log || fail "output of damaged $1 does not decode"
            [ ! -s dec.log ] || fail "decode errors in the output of damaged $1"
        else
            [ $rc -lt 128 ] || fail "status $rc on damaged $1"
            grep -q "$1.mp4" err.log || fail "error does not name $1.mp4: $(cat err.log)"
            [ ! -e "$1_x2.mkv" ] || fail "$1_x2.mkv left by a failed run"
        fi
    done
    # A PNG named .mp4 is a PNG: the input's content decides, not its name.
    lavfi still.mp4 -frames:v 1 -map 0:v -c:v png -f image2
    "$video" -q -i still.mp4 -o still_x2.png -m "$m2" || fail "a PNG named .mp4 was refused"
    expect_error "out.xyz" "$video" -i good.mp4 -o out.xyz -m "$m2"
    ! grep -q NULL err.log || fail "libav's nameless context in: $(cat err.log)"
    expect_error "-i given twice" "$video" -i good.mp4 -i still.mp4 -o x.mp4 -m "$m2"
    expect_error "-o given twice" "$video" -i good.mp4 -o x.mp4 -o y.mp4 -m "$m2"
    expect_error "-m given twice" "$video" -i good.mp4 -o x.mp4 -m "$m2" --model "$m4"
    # A mistyped option or a missing value is one line naming it (the usage after it hid it).
    expect_error "--modle: not an option" "$video" -i good.mp4 -o x.mp4 --modle "$m2"
    expect_error "--threads: needs a value" "$video" -i good.mp4 -o x.mp4 -m "$m2" --threads
    # ffmpeg's options that srres-video does not take are named, not read as groups of
    # letters: -vf as -v -f GRAPH ("no such output format"), -hide_banner as -h (status 0).
    expect_error "-hide_banner: not an option" "$video" -hide_banner -i good.mp4 -o x.mp4 -m "$m2"
    # Those done another way say the way.
    expect_error "-vf: not an option; filters go as --vf-pre GRAPH" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -vf yadif
    expect_error "-r: not an option; an output frame rate goes as --vf-post fps=RATE" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -r 30
    expect_error "-s: not an option; an output size goes as --vf-post scale=W:H" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -s 640x480
    expect_error "-to: not an option; give the length from -ss as -t DURATION" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -to 1
    expect_error "-frames:v: not an option; --frames N writes at most N video frames" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -frames:v 1
    # x264's quality is a float, as ffmpeg takes it; its settings, in the stream, say so.
    if "$video" -q -i good.mp4 -o crf.mkv -m "$m2" -crf 23.5 --frames 2 2>err.log; then
        grep -aq 'crf=23.5' crf.mkv || fail "-crf 23.5: x264 did not take it"
    else
        fail "-crf 23.5: $(cat err.log)"
    fi
    expect_error "-crf: '63.5' is not a number in 0..63" "$video" -i good.mp4 -o x.mp4 -m "$m2" -crf 63.5
    # An encoder's option is named the way srres-video takes it.
    expect_error "-g: not an option; an encoder's option goes as --enc-opt g=48" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -g 48
    expect_error "-x265-params: not an option; an encoder's option goes as --enc-opt x265-p" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -x265-params crf=20
    # libav's reason behind its "Invalid argument", which its log (off) alone gave (an MP4 to
    # a pipe is written in fragments, unless movflags says otherwise)
    expect_error "Invalid argument (mp4: muxer does not support non seekable output)" \
        "$video" -i good.mp4 -o - -f mp4 -m "$m2" --mux-opt movflags=+faststart
    cp good.mp4 exists.mp4
    expect_error "already exists" "$video" -i good.mp4 -o exists.mp4 -m "$m2"
    expect_error "is the input" "$video" -i good.mp4 -o good.mp4 -m "$m2" -y
    expect_error "nodir/x.mp4" "$video" -i good.mp4 -o nodir/x.mp4 -m "$m2"
    mkdir -p ro && chmod 555 ro
    if [ "$(id -u)" != 0 ]; then # root writes anywhere
        expect_error "^srres-video: ro/: folder not writable" \
            "$video" -i good.mp4 -o ro/x.mp4 -m "$m2"
    fi
    expect_error "nomodel.safetensors" "$video" -i good.mp4 -o x.mp4 -m nomodel.safetensors
    expect_error "-pix_fmt nonsense: unknown pixel format" \
        "$video" -i good.mp4 -o x.mp4 -m "$m2" -pix_fmt nonsense
    [ ! -e x.mp4 ] || fail "x.mp4 left behind by a failed run"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left behind"
}

# A file cut off (a download or recording that stopped) is upscaled as far as it goes, and
# said to be cut off against the duration its container declares, as ffmpeg's demuxers say
# it: the run ended as complete, silently. A whole file says nothing of the kind.
test_cut_off_input_said() {
    local f size
    for f in in.mkv in.mp4; do
        lavfi "$f" -t 2 -c:v libx264 -c:a aac -movflags +faststart
        size=$(stat -c %s "$f")
        head -c $((size * 6 / 10)) "$f" >"cut_$f"
        "$video" -i "cut_$f" -o "out_$f" -m "$m2" 2>err.log || fail "cut_$f failed: $(cat err.log)"
        grep -q "cut_$f: the input ends at 1\.[0-9]* s of the 2\.[0-9]* s it declares: it was cut off" \
            err.log || fail "cut_$f not said to be cut off: $(grep -v '^frame' err.log)"
        "$video" -i "$f" -o "whole_$f" -m "$m2" 2>err.log || fail "$f failed"
        ! grep -q "cut off" err.log || fail "$f said to be cut off"
    done
}

# MPEG-TS declares no duration: a file cut inside one of its packets (188 bytes, M2TS's 192)
# is said to be, by the sync bytes not where whole packets put them (it was silent), and so
# is one read from a pipe, by the bytes after its last packet's start (it was silent too),
# whatever bytes come before its first packet. A whole one says nothing. (One cut at a
# packet's end is not seen: nothing tells it from a whole one.)
test_cut_off_mpeg_ts_said() {
    local f size
    lavfi in.ts -t 2 -c:v libx264 -c:a aac
    lavfi in.m2ts -t 2 -c:v libx264 -an -f mpegts -mpegts_m2ts_mode 1
    for f in in.ts in.m2ts; do
        size=$(stat -c %s "$f")
        head -c $((size / 2 + 77)) "$f" >"cut_$f"
        "$video" -i "cut_$f" -o "out_$f.mkv" -m "$m2" 2>err.log || fail "cut_$f failed: $(cat err.log)"
        grep -q "cut_$f: the input ends inside an MPEG-TS packet: it was cut off" err.log ||
            fail "cut_$f not said to be cut off: $(grep -v '^frame' err.log)"
        "$video" -i "$f" -o "whole_$f.mkv" -m "$m2" 2>err.log || fail "$f failed"
        ! grep -q "cut off" err.log || fail "$f said to be cut off"
        cat "cut_$f" | "$video" -i - -o "piped_$f.mkv" -m "$m2" 2>err.log ||
            fail "cut_$f from a pipe failed: $(cat err.log)"
        grep -q "pipe:0: the input ends inside an MPEG-TS packet: it was cut off" err.log ||
            fail "cut_$f from a pipe not said to be cut off: $(grep -v '^frame' err.log)"
        { head -c 100 /dev/zero; cat "$f"; } | "$video" -i - -o "piped_$f.mkv" -y -m "$m2" 2>err.log ||
            fail "$f from a pipe failed: $(cat err.log)"
        ! grep -q "cut off" err.log || fail "$f from a pipe, after 100 bytes, said to be cut off"
    done
}

# H.264 frames decoded with errors the decoder concealed (a slice zeroed) are kept, as ffmpeg
# keeps them, and counted at the end, as ffmpeg says "corrupt decoded frame": they came out
# without a word. A whole file says nothing of the kind.
test_concealed_frames_said() {
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=160x90:r=25 -t 4 -c:v libx264 -g 25 in.mkv
    cp in.mkv z60.mkv
    head -c 4000 /dev/zero |
        dd of=z60.mkv bs=1 seek=$(($(stat -c %s in.mkv) * 60 / 100)) conv=notrunc status=none
    "$video" -i z60.mkv -o out.mkv -m "$m2" 2>err.log || fail "z60.mkv failed: $(cat err.log)"
    grep -q "z60.mkv: 1 video frame decoded with errors, concealed by the decoder and kept" err.log ||
        fail "no concealed frame said: $(grep -v '^frame' err.log)"
    local want
    want=$(ffmpeg -v quiet -i z60.mkv -f framemd5 - | grep -vc '^#')
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = "$want" ] || fail "not the $want frames ffmpeg gives"
    "$video" -i in.mkv -o whole.mkv -m "$m2" 2>err.log || fail "in.mkv failed"
    ! grep -q "decoded with errors" err.log || fail "in.mkv said to have errors"
}

# A whole file damaged mid-way, where reading stops, is said to be damaged there, not cut off:
# a Matroska file zeroed at 80% was said to end "at 3.22 s of the 4.02 s it declares: it
# was cut off", an MPEG-TS file with its second half noise to end "inside an MPEG-TS packet".
test_damage_mid_file_not_said_cut_off() {
    local size
    SRC=testsrc2=s=160x90:r=25 lavfi in.mkv -t 4 -c:v libx264 -g 25 -c:a aac
    SRC=testsrc2=s=160x90:r=25 lavfi in.ts -t 4 -c:v libx264 -g 25 -c:a aac
    cp in.mkv z80.mkv
    head -c 4000 /dev/zero |
        dd of=z80.mkv bs=1 seek=$(($(stat -c %s in.mkv) * 80 / 100)) conv=notrunc status=none
    size=$(stat -c %s in.ts)
    cp in.ts half.ts
    ffmpeg -nostdin -v error -f lavfi -i anoisesrc=d=1:r=$size:seed=7 -f u8 noise.raw # same bytes each run
    head -c $((size - size / 2)) noise.raw | dd of=half.ts bs=1 seek=$((size / 2)) conv=notrunc status=none
    "$video" -i z80.mkv -o z80.out.mkv -m "$m2" 2>err.log || fail "z80.mkv failed: $(cat err.log)"
    grep -q "z80.mkv: the input is damaged after byte [0-9]*: reading stopped there, at 3\.[0-9]* s of the 4\.[0-9]* s it declares" \
        err.log || fail "z80.mkv not said damaged: $(grep -v '^frame' err.log)"
    ! grep -q "cut off" err.log || fail "z80.mkv said to be cut off"
    "$video" -i half.ts -o half.out.mkv -m "$m2" 2>err.log || fail "half.ts failed: $(cat err.log)"
    grep -q "half.ts: the input is damaged after byte [0-9]*: reading stopped there" err.log ||
        fail "half.ts not said damaged: $(grep -v '^frame' err.log)"
    ! grep -q "cut off" err.log || fail "half.ts said to be cut off"
}

# An MP4 cut a tenth short of its end (0.32 s of 4 s) is said to be cut off, by its mdat box
# reaching past the file's end, as ffmpeg says "partial file": it went unsaid, being less
# than the 0.5 s that a duration short of the declared one needs.
test_mp4_cut_near_end_said() {
    SRC=testsrc2=s=160x90:r=25 lavfi in.mp4 -t 4 -c:v libx264 -g 25 -c:a aac -movflags +faststart
    head -c $(($(stat -c %s in.mp4) * 9 / 10)) in.mp4 >cut90.mp4
    "$video" -i cut90.mp4 -o out.mkv -m "$m2" 2>err.log || fail "cut90.mp4 failed: $(cat err.log)"
    grep -q "cut90.mp4: the input ends at 3\.[0-9]* s of the 4\.[0-9]* s it declares: it was cut off" \
        err.log || fail "cut90.mp4 not said to be cut off: $(grep -v '^frame' err.log)"
}

# Numbered images into a folder they cannot be written in are refused up front with the
# reason, as one file is: it was "Input/output error" from the image muxer, after a frame.
test_numbered_output_in_read_only_folder() {
    mkdir ro
    if [ "$(id -u)" = 0 ]; then # root writes anywhere but on a read-only file system
        if ! mount -t tmpfs -o ro,size=64k tmpfs ro 2>/dev/null; then
            echo "skip: test_numbered_output_in_read_only_folder (cannot mount a tmpfs here)"
            return
        fi
    else
        chmod 555 ro
    fi
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    expect_error "ro/f%03d.png: cannot write: " "$video" -i in.mkv -o ro/f%03d.png -m "$m2"
    grep -q "Read-only file system\|Permission denied" err.log || fail "no reason: $(cat err.log)"
    [ "$(id -u)" != 0 ] || umount ro
}

# A Dolby Vision configuration (an iPhone's HLG video, profile 8.4) is not carried onto the
# encoded stream, which has none of its metadata: the H.264 upscale in Matroska claimed
# Dolby Vision. Its HDR tags stay. The input is an HEVC MP4 given a dvvC box.
test_dolby_vision_configuration_not_claimed() {
    SRC="testsrc2=size=64x36:rate=25,format=yuv420p10le" lavfi hlg.mp4 -t 0.2 -an -c:v libx265 \
        -tag:v hvc1 -x265-params log-level=error -color_primaries bt2020 -color_trc arib-std-b67 \
        -colorspace bt2020nc
    perl -e 'local $/; open F, "+<", $ARGV[0] or die; binmode F; my $d = <F>;
        my $at = rindex($d, "moov") - 4; my @chain = ($at);
        for my $t (qw(trak mdia minf stbl stsd hvc1)) { $at = index($d, $t, $at + 8) - 4; push @chain, $at }
        my $end = $chain[-1] + unpack("N", substr($d, $chain[-1], 4));
        substr($d, $end, 0) = pack("N a4 C C n C x19", 32, "dvvC", 1, 0, 8 << 9 | 13, 4 << 4);
        substr($d, $_, 4) = pack("N", unpack("N", substr($d, $_, 4)) + 32) for @chain;
        seek F, 0, 0; print F $d' hlg.mp4
    dovi() { ffprobe -v error -show_entries stream_side_data=side_data_type -of csv=p=0 "$1"; }
    dovi hlg.mp4 | grep -q "DOVI configuration" || { fail "no dvvC made"; return; }
    "$video" -q -i hlg.mp4 -o out.mkv -m "$m2" || { fail "srres-video failed"; return; }
    ! dovi out.mkv | grep -q DOVI || fail "out.mkv claims Dolby Vision"
    [ "$(probe out.mkv v:0 color_transfer)" = arib-std-b67 ] || fail "the HLG tag was lost"
}

# An input named "file:NAME", which FFmpeg reads as NAME, is still the input: with -y it was
# replaced by its own upscale, or its numbered files written over.
test_input_as_a_file_url() {
    lavfi in.mkv -t 0.2 -c:v libx264 -an
    cp in.mkv orig.mkv
    expect_error "is the input" "$video" -y -i file:in.mkv -o in.mkv -m "$m2"
    cmp -s in.mkv orig.mkv || fail "in.mkv was replaced"
    mkdir seq
    lavfi seq/f%03d.png -t 0.2 -map 0:v
    cp seq/f001.png orig.png
    expect_error "include the input's files" "$video" -y -i file:seq/f%03d.png -o seq/f%03d.png -m "$m2"
    cmp -s seq/f001.png orig.png || fail "seq/f001.png was written over"
}

# An output named "file:NAME" is the file NAME, as for ffmpeg and as -i reads it (a file
# named "file:out.mkv" was written): checked for existing as NAME, written under a temporary
# name and renamed into place; numbered and --concat outputs too; file:pipe:1 is a file.
test_output_as_a_file_url() {
    lavfi in.mkv -t 2 -c:v libx264 -g 25 -an
    "$video" -q -i in.mkv -o file:out.mkv -m "$m2" -t 0.2 || fail "file:out.mkv: status $?"
    [ "$(probe out.mkv v:0 width)" = 128 ] || fail "no out.mkv: $(ls -A | xargs)"
    expect_error "^srres-video: out.mkv: already exists; use -y" \
        "$video" -i in.mkv -o file:out.mkv -m "$m2" -t 0.2
    "$video" -q -y -i in.mkv -o file:out.mkv -m "$m2" -t 0.2 || fail "-y file:out.mkv: status $?"
    "$video" -q -i in.mkv -o file:pipe:1 -f matroska -m "$m2" -t 0.2 >stdout.mkv ||
        fail "file:pipe:1: status $?"
    [ "$(probe ./pipe:1 v:0 width)" = 128 ] && [ ! -s stdout.mkv ] ||
        fail "file:pipe:1 was not the file pipe:1"
    mkdir up
    "$video" -q -i in.mkv -o file:up/f%02d.png -m "$m2" -t 0.2 || fail "numbered: status $?"
    [ "$(ls up | xargs)" = "f01.png f02.png f03.png f04.png f05.png" ] || fail "up: $(ls -A up)"
    local i
    for i in 1 2; do
        "$video" -q -i in.mkv -o "file:seg$i.mkv" -m "$m2" --segment $i/2 ||
            fail "segment $i failed"
    done
    "$video" -q --concat file:joined.mkv seg1.mkv seg2.mkv || fail "--concat: status $?"
    [ "$(probe joined.mkv v:0 nb_read_frames -count_frames)" = 50 ] ||
        fail "joined: $(ls -A | xargs)"
    ! ls -A | grep -q -e "^file:" -e partial || fail "files left: $(ls -A | xargs)"
}

# A name whose first colon follows letters and digits is a file's, not a protocol's URL: a
# photo named by its time was "Protocol not found", and file:a.png (holding b.png) read a.png.
# So are numbered names and --concat's segments and output; "-" is still standard input.
test_names_like_urls_are_files() {
    picture() { ffmpeg -nostdin -v error -f lavfi -i "color=$1:size=16x16" -frames:v 1 "file:$2"; }
    sum() { ffmpeg -v error -i "file:$1" -f md5 -; }
    picture red a.png
    picture blue b.png
    cp b.png file:a.png
    cp b.png 2024-01-01T10:30:00.png
    cp b.png pipe:0
    "$video" -q -i b.png -o b_x2.png -m "$m2" || { fail "b.png failed"; return; }
    "$video" -q -i 2024-01-01T10:30:00.png -o 2024-01-01T10:30:00_x2.png -m "$m2" ||
        fail "a name with colons: status $?"
    [ "$(sum 2024-01-01T10:30:00_x2.png)" = "$(sum b_x2.png)" ] || fail "a name with colons"
    "$video" -q -i file:a.png -o url_x2.png -m "$m2" || fail "file:a.png: status $?"
    [ "$(sum url_x2.png)" = "$(sum b_x2.png)" ] || fail "file:a.png read as a.png"
    "$video" -q -i - -o stdin_x2.png -m "$m2" <a.png || fail "-: status $?"
    [ "$(sum stdin_x2.png)" != "$(sum b_x2.png)" ] || fail "-: the file pipe:0 was read"
    expect_error "10:30:01.png: cannot open: No such file" \
        "$video" -i 2024-01-01T10:30:01.png -o x.png -m "$m2"
    picture blue t10:30:01.png
    picture red t10:30:02.png
    "$video" -q -i t10:30:%02d.png -o u10:30:%02d.png -m "$m2" ||
        fail "numbered names with colons: status $?"
    [ "$(sum u10:30:01.png)" = "$(sum b_x2.png)" ] && [ -e u10:30:02.png ] ||
        fail "numbered names with colons: $(ls)"
    lavfi in.mkv -t 2 -c:v libx264 -g 25 -an
    local i
    for i in 1 2; do
        "$video" -q -i in.mkv -o "s$i:00.mkv" -m "$m2" --segment $i/2 "${lossless[@]}" ||
            fail "segment $i failed"
    done
    "$video" -q --concat j10:00.mkv s1:00.mkv s2:00.mkv || { fail "--concat: status $?"; return; }
    "$video" -q -i in.mkv -o whole.mkv -m "$m2" "${lossless[@]}" || fail "whole run failed"
    cp j10:00.mkv joined.mkv
    joins_as_one_run joined.mkv whole.mkv
}

# An input's messages name it as given, not as the URL libavformat is given: a glob or
# numbered name that matched no file was said as 'file:seq*.png', and so were colon names.
test_input_named_as_given_in_messages() {
    local name
    for name in 'seq*.png' 'seq%03d.png' 'at10:30:%02d.png'; do
        expect_error "cannot open: " "$video" -i "$name" -o x.mkv -m "$m2"
        grep -qF "srres-video: $name: cannot open: " err.log || fail "not named: $(cat err.log)"
        ! grep -q "file:" err.log || fail "$name said as a URL: $(cat err.log)"
        grep -qF "path '$name'" err.log || fail "libav's reason not kept: $(cat err.log)"
    done
    expect_error "'file:at%02d.png'" "$video" -i file:at%02d.png -o x.mkv -m "$m2"
}

test_tiny_frames() {
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=16x16:rate=5" -t 0.4 \
        -vf "format=rgb24,crop=1:1" -c:v ffv1 one.mkv
    "$video" -q -i one.mkv -o one_x4.mkv -m "$m4" -c:v ffv1 || fail "1x1 failed"
    [ "$(probe one_x4.mkv v:0 width)x$(probe one_x4.mkv v:0 height)" = 4x4 ] || fail "1x1 size"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=16x16:rate=5" -t 0.4 \
        -vf "crop=2:2" -c:v libx264 two.mp4
    "$video" -q -i two.mp4 -o two_x2.mp4 -m "$m2" || fail "2x2 failed"
    [ "$(probe two_x2.mp4 v:0 width)x$(probe two_x2.mp4 v:0 height)" = 4x4 ] || fail "2x2 size"
}

# A stream whose frames change size (WebRTC recordings, broadcast, joined files) or pixel
# format mid-stream: each frame is upscaled at its own size and fitted into the output's,
# the first frames' upscaled, keeping its shape (it was refused). A frame is the one a run
# on its part alone gives, scaled and padded to fit.
test_frame_size_change_fitted() {
    size_change change.ts 80x48
    SRC="testsrc2=size=64x48:rate=25" lavfi c.ts -t 0.4 "${bf0[@]}" -pix_fmt yuv444p \
        -output_ts_offset 0.8
    cat c.ts >>change.ts
    "$video" -i change.ts -o out.mkv "${ffv1[@]}" 2>err.log || { fail "status $?: $(cat err.log)"; return; }
    grep -q "frame size changes at 0.400 s.*fitted into the output's 128x96" err.log ||
        fail "not said: $(cat err.log)"
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = 30 ] ||
        fail "$(probe out.mkv v:0 nb_read_frames -count_frames) frames, not 30"
    [ "$(ffprobe -v error -show_entries frame=width,height -of csv=p=0 out.mkv | sort -u)" = 128,96 ] ||
        fail "frame sizes: $(ffprobe -v error -show_entries frame=width,height -of csv=p=0 out.mkv | sort -u)"
    # 80x48 upscaled to 160x96 fits into 128x96 as 128x77, 9 lines down
    "$video" -q -i b.ts -o b.mkv "${ffv1[@]}" \
        --vf-post "scale=128:77:flags=lanczos+accurate_rnd,pad=128:96:0:9" || fail "b alone failed"
    "$video" -q -i c.ts -o c.mkv "${ffv1[@]}" || fail "c alone failed"
    [ "$(frame_sums out.mkv "select=between(n\,10\,19)")" = "$(frame_sums b.mkv null)" ] ||
        fail "the 80x48 frames differ from b.ts upscaled and fitted alone"
    [ "$(frame_sums out.mkv "select=gte(n\,20)")" = "$(frame_sums c.mkv null)" ] ||
        fail "the yuv444p frames differ from c.ts upscaled alone"
    # --vf-pre scale and setsar give every frame one shape: nothing to fit (scale alone keeps
    # each frame's shape in its pixel aspect ratio, which is fitted)
    "$video" -i change.ts -o pre.mkv -m "$m2" --vf-pre scale=64:48,setsar=1 2>err.log ||
        fail "--vf-pre failed"
    ! grep -q "fitted" err.log || fail "fitted after --vf-pre scale: $(cat err.log)"
    [ "$(probe pre.mkv v:0 nb_read_frames -count_frames)" = 30 ] || fail "--vf-pre: frame count"
    # The first frames' size, not the one probed (a short file's last); segments after the
    # change fit their frames to the input's first size too, and join.
    SRC="testsrc2=size=64x48:rate=25" lavfi a2.ts -t 0.2 "${bf0[@]}" -g 2
    SRC="testsrc2=size=80x48:rate=25" lavfi b2.ts -t 0.2 "${bf0[@]}" -g 2 -output_ts_offset 0.2
    cat a2.ts b2.ts >ab.ts
    [ "$(probe ab.ts v:0 width | tail -1)" = 80 ] || fail "ab.ts should probe as its last size"
    "$video" -q -i ab.ts -o ab.mkv -m "$m2" || fail "a.ts b.ts failed"
    [ "$(probe ab.mkv v:0 width)x$(probe ab.mkv v:0 height)" = 128x96 ] ||
        fail "a.ts b.ts: $(probe ab.mkv v:0 width)x$(probe ab.mkv v:0 height), not 128x96"
    cut_in_three ab.ts mkv
    join_three_as_one_run ab.ts mkv mkv
}

# Frames that keep their size but change their pixel aspect ratio (a broadcast switching
# between 4:3 and 16:9 at 720x576) are fitted as frames of another size are, keeping their
# shape (they were stretched to the first frames' shape), and the pre graph is built anew
# for them, so that --vf-pre reads their aspect ratio. Segments join.
test_aspect_change_fitted() {
    SRC="testsrc2=size=64x48:rate=25" lavfi a.ts -t 0.4 "${bf0[@]}" -vf setsar=1
    SRC="testsrc2=size=64x48:rate=25" lavfi b.ts -t 0.4 "${bf0[@]}" -vf setsar=4/3 \
        -output_ts_offset 0.4
    cat a.ts b.ts >change.ts
    "$video" -i change.ts -o out.mkv "${ffv1[@]}" 2>err.log || { fail "status $?: $(cat err.log)"; return; }
    grep -q "pixel aspect ratio changes at 0.400 s.*fitted into the output's 128x96" err.log ||
        fail "not said: $(cat err.log)"
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = 20 ] ||
        fail "$(probe out.mkv v:0 nb_read_frames -count_frames) frames, not 20"
    # 128x96 at 4:3 shows 16:9: into 128x96 square pixels as 128x72, 12 lines down
    "$video" -q -i b.ts -o b.mkv "${ffv1[@]}" \
        --vf-post "scale=128:72:flags=lanczos+accurate_rnd,pad=128:96:0:12" || fail "b alone failed"
    [ "$(frame_sums out.mkv "select=gte(n\,10)")" = "$(frame_sums b.mkv null)" ] ||
        fail "the 4:3-pixel frames differ from b.ts upscaled and fitted alone"
    "$video" -i change.ts -o pre.mkv -m "$m2" --vf-pre "scale=iw*sar:ih,setsar=1" 2>err.log ||
        fail "--vf-pre failed: $(cat err.log)"
    grep -q "frame size changes at 0.400 s" err.log || fail "--vf-pre read the first aspect ratio"
    # numbered images keep their own (a PNG's pHYs)
    "$video" -q -i change.ts -o n%d.png -m "$m2" || fail "numbered images failed"
    local sars="$(probe n1.png v:0 sample_aspect_ratio) $(probe n11.png v:0 sample_aspect_ratio)"
    [ "$sars" = "1:1 4:3" ] || fail "numbered images' aspect ratios: $sars"
    SRC="testsrc2=size=64x48:rate=25" lavfi a2.ts -t 0.2 "${bf0[@]}" -g 2 -vf setsar=1
    SRC="testsrc2=size=64x48:rate=25" lavfi b2.ts -t 0.2 "${bf0[@]}" -g 2 -vf setsar=4/3 \
        -output_ts_offset 0.2
    cat a2.ts b2.ts >ab.ts
    cut_in_three ab.ts mkv
    join_three_as_one_run ab.ts mkv mkv
}

# A --vf-pre that takes the first frames but not those the stream changes to (a crop wider
# than a phone's portrait frames) fails naming them: its message named only the filter.
test_vf_pre_refusing_changed_frames_said() {
    size_change turn.ts 48x64
    expect_error "turn.ts: the frames change to 48x64 yuv420p, which --vf-pre cannot take: .*crop" \
        "$video" -i turn.ts -o out.mkv -m "$m2" --vf-pre crop=60:40
    [ ! -e out.mkv ] || fail "a failed run left out.mkv"
}

# --vf-pre's filters start their clocks again in the graph built for frames of a new size
# (setpts=PTS-STARTPTS, setpts=N/FRAME_RATE/TB): its frames continue a frame after the last
# (they went back to zero, and were written a tick apart: 10 frames in 10 ms).
test_vf_pre_clock_continues_after_change() {
    local expr
    size_change change.ts 80x48
    for expr in PTS-STARTPTS N/FRAME_RATE/TB; do
        "$video" -q -i change.ts -o out.mkv -m "$m2" -y --vf-pre "setpts=$expr" ||
            { fail "setpts=$expr: status $?"; continue; }
        ffprobe -v error -select_streams v -show_entries frame=pts_time -of default=nw=1:nk=1 \
            out.mkv >t.txt
        [ "$(xargs <t.txt)" = "$(seq -f %.6f 0 0.04 0.76 | xargs)" ] ||
            fail "setpts=$expr: frame times $(xargs <t.txt)"
    done
}

upscale_ten() { # output, options...: in.mkv, ten 64x48 frames, upscaled; all ten kept
    local out=$1 n
    shift
    [ -e in.mkv ] || SRC="testsrc2=size=64x48:rate=25" lavfi in.mkv -t 0.4 -map 0:v -c:v ffv1
    "$video" -q -i in.mkv -o "$out" "${ffv1[@]}" "$@" || { fail "$out: status $?"; return; }
    n=$(frame_sums "$out" null | wc -l)
    [ "$n" = 10 ] || fail "$out: $n frames of 10"
}

# --vf-pre whose frames change size every other one (scale's eval=frame) keeps them all, each
# upscaled at its size and fitted into the output: the conversion after it kept its first
# setup, and lost every other frame where the height changed (ffmpeg hangs on the chain), and
# squeezed them back where the width did.
test_vf_pre_changing_size_per_frame() {
    upscale_ten tall.mkv --vf-pre "scale=w=iw:h='ih*(1+mod(n,2))':eval=frame"
    upscale_ten wide.mkv --vf-pre "scale=w='iw*(1+mod(n,2))':h=ih:eval=frame"
    # The second frame, 128x48 of pixels 1:2, as all frames made so and fitted into 128x96
    upscale_ten ref.mkv --vf-pre scale=128:48 \
        --vf-post "scale=128:96:flags=lanczos+accurate_rnd,setsar=1"
    [ "$(frame_sums wide.mkv "select=eq(n\,1)")" = "$(frame_sums ref.mkv "select=eq(n\,1)")" ] ||
        fail "wide: the second frame differs from its size upscaled and fitted"
}

# --vf-post whose frames change size every other one keeps them all, each scaled to the first
# one's size, which the encoder keeps (every other frame was lost where the height changed).
test_vf_post_changing_size_per_frame() {
    upscale_ten tall.mkv --vf-post "scale=w=iw:h='ih*(1+mod(n,2))':eval=frame"
    [ "$(probe tall.mkv v:0 width)x$(probe tall.mkv v:0 height)" = 128x96 ] ||
        fail "$(probe tall.mkv v:0 width)x$(probe tall.mkv v:0 height), not 128x96"
}

# A pixel aspect ratio whose terms are near INT_MAX (a PNG's pHYs, in pixels a metre): the
# frame of another size is fitted as any other (the terms' products overflowed, and it came
# out black; UBSan stopped the run).
test_fit_with_large_aspect_terms() {
    local sar=setsar=r=2147483647/2147483646:max=2147483647
    lavfi in1.png -frames:v 1 -map 0:v -vf "$sar"
    SRC="testsrc2=size=80x36:rate=25" lavfi in2.png -frames:v 1 -map 0:v -vf "$sar"
    [ "$(probe in2.png v:0 sample_aspect_ratio)" = 2147483647:2147483646 ] || fail "in2.png's aspect"
    "$video" -q -i in%d.png -o out.mkv "${ffv1[@]}" || { fail "status $?"; return; }
    # 160x72 fits into 128x72 as 128x58, 7 lines down
    "$video" -q -i in2.png -o two.mkv "${ffv1[@]}" \
        --vf-post "scale=128:58:flags=lanczos+accurate_rnd,pad=128:72:0:7" || fail "in2.png alone failed"
    [ "$(frame_sums out.mkv "select=eq(n\,1)")" = "$(frame_sums two.mkv null)" ] ||
        fail "the 80x36 frame differs from in2.png upscaled and fitted alone"
}

# Frames with alpha after frames without (a sequence of PNGs, some transparent), or colour
# frames after grey ones, lose it in one file, the output's format being chosen for the first
# frames, as by ffmpeg: said (it was silent), once. Into MPEG-4, which has no grey format,
# nothing is. (Numbered images keep their own: test_numbered_images_keep_their_formats.)
test_alpha_or_colour_of_later_frames_dropped_said() {
    local half="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,32),128,255)'"
    lavfi in1.png -frames:v 1 -map 0:v
    lavfi in2.png -frames:v 1 -map 0:v -vf "format=rgba,$half"
    lavfi in3.png -frames:v 1 -map 0:v -vf "format=rgba,$half"
    "$video" -i in%d.png -o out.mkv -m "$m2" -c:v ffv1 2>err.log || fail "status $?: $(cat err.log)"
    grep -q "in%d.png: the frames change to rgba, whose alpha is dropped" err.log ||
        fail "not said: $(cat err.log)"
    [ "$(grep -c dropped err.log)" = 1 ] || fail "said more than once: $(cat err.log)"
    [ "$(probe out.mkv v:0 pix_fmt)" = bgr0 ] || fail "out.mkv is $(probe out.mkv v:0 pix_fmt)"
    # H.264 holds no alpha whatever the first frames were: said so, not blamed on them
    "$video" -i in%d.png -o out.mp4 -m "$m2" 2>err.log || fail "out.mp4: status $?"
    grep -q "whose alpha is dropped: the output (libx264) holds none" err.log ||
        fail "out.mp4: not said: $(cat err.log)"
    # frames that change to rgba of 255s lose nothing: not said
    mkdir opaque
    lavfi opaque/in1.png -frames:v 1 -map 0:v
    lavfi opaque/in2.png -frames:v 1 -map 0:v -pix_fmt rgba
    "$video" -i opaque/in%d.png -o opaque.mp4 -m "$m2" 2>err.log || fail "opaque.mp4: status $?"
    ! grep -q alpha err.log || fail "said for opaque rgba: $(cat err.log)"
    mkdir grey
    lavfi grey/in1.png -frames:v 1 -map 0:v -pix_fmt gray
    lavfi grey/in2.png -frames:v 1 -map 0:v
    "$video" -i grey/in%d.png -o grey/out.mkv -m "$m2" -c:v ffv1 2>err.log || fail "grey: status $?"
    grep -q "the frames change to rgb24, whose colour is dropped" err.log ||
        fail "grey: not said: $(cat err.log)"
    "$video" -i grey/in%d.png -o grey.avi -m "$m2" 2>err.log || fail "grey.avi: status $?"
    ! grep -q dropped err.log || fail "said for MPEG-4, which keeps colour: $(cat err.log)"
    # A palette picture with transparent pixels after opaque ones, in the same pal8: said too
    # (it was silent), once; opaque palettes say nothing.
    mkdir pal
    local palette="split[a][b];[a]palettegen=reserve_transparent=1[p];[b][p]paletteuse"
    SRC="testsrc2=size=64x36:rate=25:duration=0.04" lavfi pal/in1.png -frames:v 1 -map 0:v \
        -vf "$palette"
    SRC="testsrc2=size=64x36:rate=25:duration=0.04" lavfi pal/in2.png -frames:v 1 -map 0:v \
        -vf "format=rgba,geq=r='r(X,Y)':a='255*gt(X,31)',$palette=alpha_threshold=128"
    cp pal/in1.png pal/in3.png
    cp pal/in2.png pal/in4.png
    [ "$(probe pal/in2.png v:0 pix_fmt)" = pal8 ] || fail "pal/in2.png is no palette picture"
    "$video" -i pal/in%d.png -o pal.mkv -m "$m2" -c:v ffv1 2>err.log || fail "pal.mkv: status $?"
    grep -q "pal/in%d.png: the picture at 0.040 s has transparent pixels (of its palette), whose alpha is dropped: the output's format is chosen for the first" \
        err.log || fail "pal.mkv: not said: $(cat err.log)"
    [ "$(grep -c dropped err.log)" = 1 ] || fail "pal.mkv: said more than once: $(cat err.log)"
    "$video" -i pal/in%d.png -o pal.mp4 -m "$m2" 2>err.log || fail "pal.mp4: status $?"
    grep -q "whose alpha is dropped: the output holds no alpha" err.log ||
        fail "pal.mp4: not said: $(cat err.log)"
    cp pal/in1.png pal/in2.png
    "$video" -i pal/in%d.png -o opaque.mkv -m "$m2" -c:v ffv1 --frames 3 2>err.log ||
        fail "opaque.mkv: status $?"
    ! grep -q dropped err.log || fail "said for opaque palettes: $(cat err.log)"
    # Colour frames into a grey output (-pix_fmt gray) lose their colour from the first: a
    # change of size is no change of format (it said they changed to yuv420p, from yuv420p)
    size_change change.ts 80x48
    "$video" -i change.ts -o grey.mkv -m "$m2" -c:v ffv1 -pix_fmt gray 2>err.log ||
        fail "grey.mkv: status $?"
    ! grep -q dropped err.log || fail "said for colour frames into gray: $(cat err.log)"
}

# Numbered images of several sizes keep their own, upscaled (they were refused).
test_numbered_images_keep_their_sizes() {
    lavfi in1.png -frames:v 1 -map 0:v
    SRC="testsrc2=size=40x30:rate=25" lavfi in2.png -frames:v 1 -map 0:v
    lavfi in3.png -frames:v 1 -map 0:v -vf hflip
    "$video" -q -i in%d.png -o out%d.png -m "$m2" || { fail "status $?"; return; }
    local i
    for i in 1 2 3; do
        "$video" -q -i in$i.png -o one$i.png -m "$m2" || fail "in$i.png alone failed"
        cmp -s out$i.png one$i.png || fail "out$i.png differs from in$i.png upscaled alone"
    done
    [ "$(probe out2.png v:0 width)x$(probe out2.png v:0 height)" = 80x60 ] || fail "out2.png size"
    # a -pix_fmt the encoder does not take is said once, not at each new size
    "$video" -i in%d.png -o pf%d.png -m "$m2" -pix_fmt yuv420p 2>err.log || fail "-pix_fmt: status $?"
    [ "$(grep -c "does not take it" err.log)" = 1 ] || fail "-pix_fmt: $(cat err.log)"
}

# Numbered images keep what their own input holds, alpha, colour and depth, each as upscaled
# alone (they took the first image's format: a later one's alpha, colour or 16 bits were lost).
# A palette is RGB, or RGBA where a pixel is not opaque.
test_numbered_images_keep_their_formats() {
    local fmts=(- rgb24 gray rgba rgb48be ya8 gray16be rgb24 pal8) i
    local want=(- rgb24 gray rgba rgb48be ya8 gray16be rgb24 rgb24 rgba)
    for i in 1 2 3 4 5 6 7 8; do # alpha that varies, so that a lost one shows
        lavfi in$i.png -frames:v 1 -map 0:v -vf "format=rgba,geq=r='r(X,Y)':a='4*X'" \
            -pix_fmt "${fmts[$i]}"
    done
    SRC="testsrc2=size=64x36:rate=25:duration=0.04" lavfi in9.png -frames:v 1 -map 0:v \
        -vf "format=rgba,geq=r='r(X,Y)':a='255*gt(X,31)',split[a][b];
             [a]palettegen=reserve_transparent=1[p];[b][p]paletteuse=alpha_threshold=128"
    "$video" -i in%d.png -o out%d.png -m "$m2" 2>err.log || { fail "status $?"; return; }
    ! grep -q dropped err.log || fail "said to drop: $(cat err.log)"
    for i in 1 2 3 4 5 6 7 8 9; do
        "$video" -q -i in$i.png -o one$i.png -m "$m2" || fail "in$i.png alone failed"
        [ "$(probe out$i.png v:0 pix_fmt)" = "${want[$i]}" ] ||
            fail "out$i.png is $(probe out$i.png v:0 pix_fmt), not ${want[$i]}"
        cmp -s out$i.png one$i.png || fail "out$i.png differs from in$i.png upscaled alone"
    done
}

# A palette's colours reach the network as they are: a palette picture with transparent
# pixels upscales as its RGBA copy does (swscale took the palette to planar RGBA through its
# YUV, a level off in a third of the bytes); with --vf-pre too.
test_transparent_palette_colours_exact() {
    SRC="testsrc2=size=64x36:rate=25:duration=0.04" lavfi pal.png -frames:v 1 -map 0:v \
        -vf "format=rgba,geq=r='r(X,Y)':a='255*gt(X,31)',split[a][b];
             [a]palettegen=reserve_transparent=1[p];[b][p]paletteuse=alpha_threshold=128"
    ffmpeg -nostdin -v error -i pal.png -vf format=rgba rgba.png
    local vf
    for vf in "" hflip; do
        "$video" -q -i pal.png -o a.png -m "$m2" ${vf:+--vf-pre $vf} -y || fail "pal.png failed"
        "$video" -q -i rgba.png -o b.png -m "$m2" ${vf:+--vf-pre $vf} -y || fail "rgba.png failed"
        [ "$(frame_sums a.png null)" = "$(frame_sums b.png null)" ] ||
            fail "the palette picture's upscale differs from its RGBA copy's (--vf-pre '$vf')"
    done
}

# Grey output is full range, as PNG's grey is and as ffmpeg makes it from RGB: colour into
# -pix_fmt gray had its black at 16 and its white at 235, washed out, in a PNG too. The grey
# output is the colour output made grey by ffmpeg, within a level.
test_grey_output_is_full_range() {
    lavfi in.png -frames:v 1 -map 0:v
    "$video" -q -i in.png -o grey.png -pix_fmt gray -m "$m2" || fail "grey output failed"
    "$video" -q -i in.png -o colour.png -m "$m2" || fail "colour output failed"
    paste <(ffmpeg -v error -i grey.png -f rawvideo - | od -An -v -tu1 -w1) \
        <(ffmpeg -v error -i colour.png -pix_fmt gray -f rawvideo - | od -An -v -tu1 -w1) |
        awk '{ d = $1 - $2; if (d > 1 || d < -1) bad++ } END { exit NR == 0 || bad > 0 }' ||
        fail "grey.png is not colour.png made grey"
}

# A stream that appears mid-file (a new MPEG-TS program table, read from a pipe, where the
# demuxer cannot look ahead) is dropped with a message, as by ffmpeg: its index read past the
# stream map and the run crashed.
test_stream_appearing_mid_file() {
    SRC="testsrc2=size=32x24:rate=25" lavfi v.ts -t 6 -c:v libx264 -an
    SRC="testsrc2=size=32x24:rate=25" lavfi va.ts -t 1 -c:v libx264 -c:a aac \
        -output_ts_offset 6 -tables_version 1
    cat v.ts va.ts | "$video" -i - -o out.mkv -m "$m2" 2>err.log || fail "status $?: $(tail -1 err.log)"
    grep -q "stream 1 (aac) appeared mid-file: dropped" err.log || fail "not said: $(cat err.log)"
    [ "$(probe out.mkv v:0 nb_read_frames -count_frames)" = 175 ] ||
        fail "$(probe out.mkv v:0 nb_read_frames -count_frames) frames, not 175"
}

# Tiles under 32 pixels a side are refused, nothing written: each computes a border of the
# network's reach on every side, so --tile 8 ran 30 to 80 times slower. 0, -1 and 32 run.
test_small_tiles_refused() {
    lavfi in.png -frames:v 1 -map 0:v
    local t
    for t in 1 8 31; do
        expect_error "--tile $t: tiles under 32 pixels a side spend nearly all their time" \
            "$video" -i in.png -o out.png -m "$m2" --tile $t
        [ ! -e out.png ] || fail "--tile $t wrote out.png"
    done
    for t in 0 -1 32; do
        "$video" -q -y -i in.png -o "out$t.png" -m "$m2" --tile $t || fail "--tile $t failed"
    done
    cmp -s out0.png out32.png && cmp -s out0.png out-1.png || fail "tiles changed the pixels"
}

# --max-memory takes bytes or K, M, G, T (powers of 1024): a bare 16777216 was read as that
# many MiB (16 TiB: no tiles at all), and strtod took "nan" (no limit) and hexadecimal.
test_max_memory_sizes() {
    lavfi in.png -frames:v 1 -map 0:v
    local v
    for v in 100 nan inf 0x100 1e9 -1G 16Mx 15M; do
        expect_error "--max-memory: '$v' is not a size like 512M or 2G (or bytes; at least 16M)" \
            "$video" -i in.png -o out.png -m "$m2" --max-memory "$v"
        [ ! -e out.png ] || fail "--max-memory $v wrote out.png"
    done
    for v in 16777216 16M 0.5G 512MiB 2gb 512mib; do
        "$video" -q -y -i in.png -o "out$v.png" -m "$m2" --max-memory "$v" ||
            fail "--max-memory $v failed"
    done
}

test_large_frames() {
    # 8192x8192 x2 would be a frame FFmpeg cannot hold: refused up front, clearly.
    lavfi big.png -vf "scale=8192:8192" -frames:v 1 -map 0:v
    expect_error "beyond the largest frame" "$video" -i big.png -o big_x2.png -m "$m2"
    [ ! -e big_x2.png ] || fail "a file was left"
    [ -n "${SANITIZED:-}" ] && return # minutes under ASan: the plain build covers the rest
    # 3000x3000 x2 works, tiled in bounded memory.
    lavfi large.png -vf "scale=3000:3000" -frames:v 1 -map 0:v
    "$video" -q -i large.png -o large_x2.png -m "$m2" || { fail "3000x3000 failed"; return; }
    [ "$(probe large_x2.png v:0 width)x$(probe large_x2.png v:0 height)" = 6000x6000 ] ||
        fail "3000x3000 size"
}

test_full_disk() {
    mkdir full
    if ! mount -t tmpfs -o size=256k tmpfs full 2>/dev/null; then
        echo "skip: test_full_disk (cannot mount a small tmpfs here)"
        return
    fi
    SRC="testsrc2=size=160x90:rate=25" lavfi in.mp4 -t 2 -c:v libx264 -an
    expect_error "full/out.mkv" "$video" -i in.mp4 -o full/out.mkv -m "$m2" -c:v ffv1
    [ -z "$(ls -A full)" ] || fail "left in the full folder: $(ls -A full)"
    # A numbered image sequence keeps the frames written, but not one cut short (it was left).
    expect_error "full/f%03d.png: cannot write: No space" "$video" -i in.mp4 -o full/f%03d.png -m "$m2"
    local f
    for f in full/*; do
        [ ! -e "$f" ] || ffmpeg -v error -i "$f" -f null - 2>/dev/null || fail "$f, cut short, was left"
    done
    umount full
}

test_signals_at_random_points() {
    SRC="testsrc2=size=160x90:rate=25" lavfi long.mp4 -t 8 -c:v libx264 -c:a aac -shortest
    for delay in 0.05 0.4 1.2 2.5; do
        "$video" -q -i long.mp4 -o "sig$delay.mp4" -m "$m4" --threads 1 2>/dev/null &
        local pid=$!
        sleep $delay
        kill -TERM $pid 2>/dev/null
        wait $pid
        local rc=$?
        [ $rc -lt 128 ] || [ $rc -eq 143 ] || fail "status $rc after SIGTERM at $delay s"
        if [ -e "sig$delay.mp4" ]; then
            ffmpeg -v error -i "sig$delay.mp4" -f null - 2>dec.log || fail "file after SIGTERM does not decode"
            [ ! -s dec.log ] || fail "decode errors after SIGTERM at $delay s"
        fi
        ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left after SIGTERM at $delay s"
    done
}

# A closed terminal (SIGHUP) stops a run as SIGTERM does: it left the temporary file. A
# second signal aborts with that signal's status (it was 1).
test_hangup_and_second_signal() {
    SRC="testsrc2=size=160x90:rate=25" lavfi long.mp4 -t 8 -c:v libx264 -an
    # SIGHUP as a terminal's, not as ignored by a nohup the tests may run under
    env --default-signal=HUP "$video" -q -i long.mp4 -o hup.mp4 -m "$m4" --threads 1 2>/dev/null &
    local pid=$! rc
    sleep 1.5
    kill -HUP $pid
    wait $pid
    rc=$?
    [ $rc -eq 129 ] || fail "status $rc after SIGHUP"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left after SIGHUP"
    if [ -e hup.mp4 ]; then
        ffmpeg -v error -i hup.mp4 -f null - 2>dec.log && [ ! -s dec.log ] ||
            fail "hup.mp4 does not decode cleanly"
    fi
    # Apart, or the kernel merges the two into one; frames large enough that those in
    # flight outlast the gap.
    SRC="testsrc2=size=320x180:rate=25" lavfi large.mp4 -t 4 -c:v libx264 -an
    "$video" -q -i large.mp4 -o twice.mp4 -m "$m4" --threads 1 2>/dev/null &
    pid=$!
    sleep 1.5
    kill -INT $pid
    sleep 0.2
    kill -INT $pid
    wait $pid
    rc=$?
    [ $rc -eq 130 ] || fail "status $rc after two SIGINTs"
    [ ! -e twice.mp4 ] || fail "an aborted run left twice.mp4"
    ! ls .*partial* >/dev/null 2>&1 || fail "temporary file left after two SIGINTs"
    # Started under nohup, a run outlives its terminal: SIGHUP does not stop it (it did),
    # SIGINT still does.
    nohup "$video" -q -i long.mp4 -o nohup.mp4 -m "$m4" --threads 1 </dev/null >/dev/null 2>&1 &
    pid=$!
    sleep 1.5
    kill -HUP $pid
    sleep 0.5
    kill -0 $pid 2>/dev/null || fail "a run under nohup stopped at SIGHUP"
    kill -INT $pid
    wait $pid
    rc=$?
    [ $rc -eq 130 ] && [ -e nohup.mp4 ] || fail "under nohup, status $rc after SIGINT"
}

# --- colour: levels measured as the tester measured them ---

# The mean R G B of the middles of smptebars' seven upper bars in a file's first frame,
# decoded to RGB with the matrix and range its tags say (untagged: BT.601, limited; yuvj: full).
bar_means() { # file
    local tags m r
    tags=$(probe "$1" v:0 pix_fmt,color_range,color_space -of csv=p=0 | head -n 1)
    case $tags in
    *bt709*) m=bt709 ;;
    *bt2020*) m=bt2020 ;;
    *) m=bt601 ;;
    esac
    case $tags in
    *,pc,* | *yuvj*) r=full ;;
    *,tv,*) r=limited ;;
    *) r=auto ;;
    esac
    ffmpeg -nostdin -v error -i "$1" -frames:v 1 -vf "scale=in_color_matrix=$m:in_range=$r:\
flags=accurate_rnd+full_chroma_int,format=rgb24,crop=iw:ih/4:0:ih/4,scale=28:1:flags=area" \
        -f rawvideo - | od -An -v -tu1 -w3 | awk 'NR % 4 == 2 || NR % 4 == 3'
}

# The most two files' bar means differ by, in levels of 255.
bars_differ() { # file, file
    paste <(bar_means "$1") <(bar_means "$2") | awk '{ for (i = 1; i <= 3; i++) {
        d = $i - $(i + 3); if (d < 0) d = -d; if (d > m) m = d } } END { print NR ? m + 0 : 999 }'
}

# A full-range yuv420p source (FFV1 or VP9 with -color_range pc, not yuvj) is made limited range
# where the output cannot say full range: MPEG-4 AVI, MPEG-1 PS, MPEG-2 TS, FLV1, ProRes MOV
# kept its full-range planes, read as limited (grey 13 levels too bright, black and white
# clipped; MPEG-2 and ProRes even said tv over them). Where the output says it (VP9, FFV1 in
# Matroska, H.264) the range is kept, as ffmpeg keeps it. Each is the PNG's colours within
# 8 levels (4:2:0 moves the channels near 0 of saturated bars by up to 7, even lossless; the
# bug made grey 15 levels brighter).
test_full_range_yuv_made_limited_where_unsaid() {
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.04 -vf scale=out_range=full \
        -pix_fmt yuv420p -color_range pc -c:v ffv1 full.mkv
    "$video" -q -i full.mkv -o ref.png -m "$m4" || { fail "ref.png failed"; return; }
    local o d r
    for o in out.avi out.mpg out.ts out.flv out.mov kept.mkv kept.mp4 kept.webm; do
        "$video" -q -i full.mkv -o $o -m "$m4" $([ $o = out.mov ] && echo -c:v prores_ks) \
            $([ $o = kept.mkv ] && echo -c:v ffv1) $([ $o = out.ts ] && echo -c:v mpeg2video) \
            $([ $o = out.flv ] && echo -c:v flv) || { fail "$o failed"; continue; }
        d=$(bars_differ ref.png $o)
        r=$(probe $o v:0 color_range | head -n 1) # MPEG-TS lists it in its program too
        [ "$d" -le 8 ] || fail "$o ($r): bars $d levels off"
        case $o in
        out.mpg | out.ts | out.mov) [ "$r" = tv ] || fail "$o says $r" ;;
        kept.*) [ "$r" = pc ] || fail "$o says $r" ;;
        esac
    done
}

# YUV4MPEG takes only some YUV and grey formats: an RGB, alpha or deeper source gets the
# closest of them, deeper ones and alpha as ffmpeg's -strict -1 writes them (the header was
# refused: "yuv4mpeg can only handle ..."). The RGB one has the PNG's colours.
test_y4m_from_rgb_alpha_and_deep_sources() {
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.04 rgb.png
    ffmpeg -nostdin -v error -i rgb.png -vf "format=rgba,geq=r='r(X,Y)':a='4*X'" rgba.png
    ffmpeg -nostdin -v error -i rgb.png -pix_fmt gray16be gray16.png
    ffmpeg -nostdin -v error -i rgb.png -pix_fmt rgb48be rgb48.png
    ffmpeg -nostdin -v error -i rgb.png -pix_fmt yuv420p10le -c:v ffv1 ten.mkv
    local i want=(rgb:yuv444p rgba:yuva444p gray16:gray16le rgb48:yuv444p16le ten:yuv420p10le)
    for i in "${want[@]}"; do
        local in=${i%%:*}.png
        [ "${i%%:*}" = ten ] && in=ten.mkv
        "$video" -q -i $in -o ${i%%:*}.y4m -m "$m4" || { fail "$in into .y4m failed"; continue; }
        [ "$(probe ${i%%:*}.y4m v:0 pix_fmt)" = "${i#*:}" ] ||
            fail "${i%%:*}.y4m is $(probe ${i%%:*}.y4m v:0 pix_fmt), not ${i#*:}"
    done
    "$video" -q -i rgb.png -o ref.png -m "$m4" || { fail "ref.png failed"; return; }
    local d
    d=$(bars_differ ref.png rgb.y4m)
    [ "$d" -le 3 ] || fail "rgb.y4m's bars are $d levels off the PNG's"
}

# A --vf-post that ends in YUV (format=yuv420p, vidstabdetect) gives a BT.709 source's colours
# as without it: the scale libavfilter inserts before it took the network's RGB to BT.601,
# which the conversion after it turned into BT.709 through RGB again, 5 levels off.
test_vf_post_in_yuv_keeps_bt709_colours() {
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.04 -vf scale=out_color_matrix=bt709 \
        -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 b709.mp4
    "$video" -q -i b709.mp4 -o plain.mp4 -m "$m4" || { fail "plain.mp4 failed"; return; }
    local vf d
    for vf in format=yuv420p vidstabdetect=result=/dev/null; do
        "$video" -q -y -i b709.mp4 -o post.mp4 -m "$m4" --vf-post $vf || { fail "$vf failed"; continue; }
        d=$(bars_differ plain.mp4 post.mp4)
        [ "$d" -le 2 ] || fail "--vf-post $vf: bars $d levels off the run without it"
    done
}

# A BT.709 source into an output that cannot say its matrix (MPEG-1 .mpg, MPEG-4 .avi, FLV1,
# YUV4MPEG, JPEG, Theora) is made BT.601, which players take for unsaid: its BT.709 planes
# were played as BT.601, green 0 188 0 as 13 218 6. Outputs that say it keep BT.709 (H.264,
# MPEG-2 .ts, MPEG-4 in Matroska). Each is the PNG's colours within 8 levels (see above).
test_bt709_made_bt601_where_unsaid() {
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.04 -vf scale=out_color_matrix=bt709 \
        -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 b709.mp4
    "$video" -q -i b709.mp4 -o ref.png -m "$m4" || { fail "ref.png failed"; return; }
    local o d
    for o in out.mpg out.avi out.flv out.y4m out.jpg out.ogv kept.mp4 kept.ts kept.mkv; do
        "$video" -q -i b709.mp4 -o $o -m "$m4" $([ $o = kept.mkv ] && echo -c:v mpeg4) \
            $([ $o = kept.ts ] && echo -c:v mpeg2video) $([ $o = out.flv ] && echo -c:v flv) ||
            { fail "$o failed"; continue; }
        d=$(bars_differ ref.png $o)
        [ "$d" -le 8 ] || fail "$o: bars $d levels off"
        case $o in
        kept.*) [ "$(probe $o v:0 color_space | head -n 1)" = bt709 ] ||
            fail "$o says $(probe $o v:0 color_space | head -n 1)" ;;
        esac
    done
}

# A --vf-pre that changes the matrix and says so (colormatrix, setparams) is converted to RGB
# with the matrix it gives, and the output says that one, as ffmpeg's does: it was converted
# with the source's, up to 22 levels off, and kept the source's tags. Each is the PNG of the
# source without --vf-pre within 8 levels (see above).
test_vf_pre_matrix_change_followed() {
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.04 -c:v libx264 \
        -colorspace smpte170m -color_primaries smpte170m -color_trc smpte170m b601.mp4
    "$video" -q -i b601.mp4 -o ref.png -m "$m4" || { fail "ref.png failed"; return; }
    local o vf d
    for o in cm.mp4 cm.png sp.png; do
        vf=colormatrix=bt601:bt709
        [ $o = sp.png ] && vf=scale=out_color_matrix=bt709,setparams=colorspace=bt709
        "$video" -q -i b601.mp4 -o $o -m "$m4" --vf-pre $vf || { fail "$o failed"; continue; }
        d=$(bars_differ ref.png $o)
        [ "$d" -le 8 ] || fail "$o (--vf-pre $vf): bars $d levels off"
    done
    [ "$(probe cm.mp4 v:0 color_space)" = bt709 ] || fail "cm.mp4 says $(probe cm.mp4 v:0 color_space)"
    # Filters that make frames anew say no matrix (tmix): a BT.709 source's are converted
    # with its own, not taken for BT.601 (30 levels off), and keep its tags; an RGB filter
    # (format=rgb24, lut3d) leaves the tags as they were (they became BT.601), a grey one's
    # range too (it became full range).
    ffmpeg -nostdin -v error -f lavfi -i smptebars=s=96x72:d=0.08 -vf scale=out_color_matrix=bt709 \
        -c:v libx264 -colorspace bt709 -color_primaries bt709 -color_trc bt709 b709.mp4
    "$video" -q -i b709.mp4 -o plain.mp4 -m "$m4" || { fail "plain.mp4 failed"; return; }
    for vf in tmix=frames=2 format=rgb24; do
        "$video" -q -y -i b709.mp4 -o vf.mp4 -m "$m4" --vf-pre $vf || { fail "$vf failed"; continue; }
        d=$(bars_differ plain.mp4 vf.mp4)
        [ "$d" -le 8 ] || fail "--vf-pre $vf: bars $d levels off"
        [ "$(probe vf.mp4 v:0 color_space,color_range | xargs)" = "tv bt709" ] ||
            fail "--vf-pre $vf says $(probe vf.mp4 v:0 color_space,color_range | xargs)"
    done
    "$video" -q -y -i b709.mp4 -o vf.mp4 -m "$m4" --vf-pre format=gray || fail "format=gray failed"
    [ "$(probe vf.mp4 v:0 color_range)" = tv ] || fail "--vf-pre format=gray made $(probe vf.mp4 v:0 color_range)"
    # A grey output weighs the source's luma its way (it took BT.601's weights).
    "$video" -q -i b709.mp4 -o grey.png -m "$m4" -pix_fmt gray --frames 1 ||
        { fail "grey.png failed"; return; }
    local want got
    want=$(ffmpeg -nostdin -v error -i plain.mp4 -vf "scale=in_color_matrix=bt709,format=gray" \
        -frames:v 1 -f image2 -y want.png && bar_means want.png | awk '{ print $1 }' | xargs)
    got=$(bar_means grey.png | awk '{ print $1 }' | xargs)
    paste <(echo $want | tr ' ' '\n') <(echo $got | tr ' ' '\n') |
        awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 6) bad = 1 } END { exit bad }' ||
        fail "grey.png's bars $got, not $want"
}

# Started with standard error and input closed, the output file took descriptor 2 and the
# progress lines went into it: a video that did not play, and status 0.
test_closed_standard_descriptors() {
    SRC=testsrc2=size=160x90:rate=25 lavfi in.mp4 -t 4 -c:v libx264 -c:a aac
    "$video" -i in.mp4 -o out.mkv -m "$m2" 2>&- <&- || fail "status $?"
    ffmpeg -nostdin -v error -i out.mkv -f null - 2>err.log && [ ! -s err.log ] ||
        fail "the output does not decode: $(head -2 err.log)"
    # What never reaches standard output fails the run.
    "$video" --help >/dev/full 2>err.log
    local rc=$?
    [ $rc = 1 ] && grep -q "^srres-video: standard output: No space left on device$" err.log ||
        fail "--help >/dev/full: status $rc: $(cat err.log)"
}

for t in $(declare -F | awk '{print $3}' | grep '^test_' | grep -e "${ONLY:-.}"); do
    run_test "$t"
done
echo "test_video.sh: $count tests, $failures failures"
[ $failures -eq 0 ]
