#!/usr/bin/env bash
# test_filter.sh: the srresnet FFmpeg filter (filter/vf_srresnet.c) in the ffmpeg that
# `make ffmpeg` builds, and the patch that puts it into FFmpeg. Run by `make check-filter`.
# Media are made by that ffmpeg's lavfi sources in a temporary folder; Debian's ffprobe reads
# the results. Environment: B (default build); ONLY=PATTERN runs the checks it matches (grep).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
case ${B:-build} in /*) out=${B:-build} ;; *) out=$root/${B:-build} ;; esac
ffmpeg=$out/ffmpeg/ffmpeg
srres_video=$out/srres-video
x2=$root/tests/fixtures/x2_seed.safetensors
x4=$root/tests/fixtures/x4_skip_bf16.safetensors
[ -x "$ffmpeg" ] || {
    echo "test_filter: $ffmpeg is missing: run make ffmpeg" >&2
    exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

ff() { "$ffmpeg" -nostdin -hide_banner -loglevel error -y "$@"; }
probe() { ffprobe -v error "$@"; }
# One field of the first video stream, e.g. `stream_field out.mp4 width`.
stream_field() { probe -select_streams v:0 -show_entries stream="$2" -of default=nw=1:nk=1 "$1"; }
size() { echo "$(stream_field "$1" width)x$(stream_field "$1" height)"; }
frames() { probe -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of default=nw=1:nk=1 "$1"; }
pts() { probe -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 "$1" | tr -d ,; }
# The decoded pixels of every frame, as one checksum.
pixels() { ff -i "$1" -f rawvideo -pix_fmt "$2" - | md5sum; }
# cmp -l lists differing bytes in octal.
max_byte_difference() {
    cmp -l "$1" "$2" | awk '
        function oct(s, n, i) {
            for (i = 1; i <= length(s); i++) n = n * 8 + substr(s, i, 1)
            return n
        }
        { d = oct($2) - oct($3); if (d < 0) d = -d; if (d > max) max = d }
        END { print max + 0 }'
}
expect() { # what, got, want
    [ "$2" = "$3" ] && return 0
    echo "$1: got '$2', want '$3'"
    return 1
}

failed=0
check() { # a function, named for the behaviour, that succeeds when it holds
    local name=$1
    echo "$name" | grep -q -e "${ONLY:-.}" || return 0
    if ("$name") >"$tmp/$name.log" 2>&1; then
        echo "ok   $name"
    else
        echo "FAIL $name"
        sed 's/^/     /' "$tmp/$name.log" | tail -n 20
        failed=$((failed + 1))
    fi
}

# Test media: a 1 s H.264+AAC clip tagged BT.709, a 10-bit clip, and stills with odd sides:
# 8-bit, and 16-bit whose values use all 16 bits (scaled down in 16 bits).
make_media() {
    ff -f lavfi -i testsrc2=size=64x48:rate=10:duration=1 \
        -f lavfi -i sine=frequency=440:duration=1 -c:v libx264 -pix_fmt yuv420p \
        -color_primaries bt709 -color_trc bt709 -colorspace bt709 -c:a aac -shortest clip.mp4 &&
        ff -f lavfi -i testsrc2=size=32x24:rate=10:duration=0.5,format=yuv420p10le \
            -c:v ffv1 clip10.mkv &&
        ff -f lavfi -i testsrc2=size=33x17,format=rgb24 -frames:v 1 odd.png &&
        ff -f lavfi -i testsrc2=size=42x26,format=rgb48le,scale=21:13 -frames:v 1 \
            -pix_fmt rgb48be deep.png
}
make_media || {
    echo "test_filter: cannot make the test media" >&2
    exit 1
}

# The ffmpeg under test compiles this checkout's filter: FFmpeg's configure builds from the
# build folder's src link where there is one, and in a build folder copied with its checkout
# that still named the old checkout's tree, so that a change of vf_srresnet.c here was never
# compiled (nor tested).
ffmpeg_builds_this_checkouts_filter() {
    [ ! -L "$out/ffmpeg/src" ] || expect "FFmpeg tree" "$(cd "$out/ffmpeg/src" && pwd -P)" \
        "$(cd "$out/ffmpeg-src/ffmpeg" && pwd -P)"
}

help_lists_options() {
    "$ffmpeg" -hide_banner -h filter=srresnet >help.txt || return 1
    cat help.txt
    for opt in model tile ensemble precision max_memory; do
        # name, <type>, flags, then the help text
        grep -Eq "^ +$opt +<[a-z0-9]+> +[.A-Z]+ +[A-Za-z]" help.txt || {
            echo "no help text for $opt"
            return 1
        }
    done
}

# A bad model fails the graph as it is set up: one line naming the cause, a non-zero exit.
fails_with() { # text expected in the log, then ffmpeg's arguments
    local text=$1
    shift
    if ff "$@" 2>err.txt; then
        echo "ffmpeg succeeded"
        return 1
    fi
    cat err.txt
    grep -qF -- "$text" err.txt
}
missing_model_file_fails() {
    fails_with "$tmp/missing.safetensors: " \
        -i odd.png -vf srresnet=model="$tmp/missing.safetensors" y.png &&
        grep -q "Failed to inject frame into filter network: No such file or directory" err.txt
}
# Under -filter_complex ffmpeg 5.1 sets up the graph twice, the first time only to learn its
# inputs and outputs: the model was loaded in both (twice the time and memory, and a verbose
# log naming one thread for the first). It is loaded once, as the graph is configured, and a
# missing model still fails it before any frame, naming the file.
model_is_loaded_once_under_filter_complex() {
    "$ffmpeg" -nostdin -v verbose -i odd.png -filter_complex "[0:v]srresnet=model=$x2" \
        -f null - 2>log.txt || return 1
    grep "residual blocks" log.txt
    expect loads "$(grep -c "residual blocks" log.txt)" 1 &&
        fails_with "$tmp/missing.safetensors: No such file or directory" -i odd.png \
            -filter_complex "[0:v]srresnet=model=$tmp/missing.safetensors" -f framemd5 f.txt &&
        expect "frames written" "$(grep -cv '^#' f.txt 2>/dev/null)" 0
}
malformed_model_file_fails() {
    head -c 100 /dev/urandom >junk.safetensors
    fails_with "$tmp/junk.safetensors" -i odd.png -vf srresnet=model="$tmp/junk.safetensors" y.png
}
# A video given as the model (model=in.mp4) is refused from its first bytes: it was read
# whole first, which in 1 GiB of address space failed as "out of memory reading" a 2 GiB
# file (sparse here), and elsewhere took that memory and seconds of reading. (An ASan build
# cannot run in 1 GiB of address space; it runs uncapped.)
video_given_as_the_model_is_refused_unread() {
    local cap=1048576
    head -c 64 clip.mp4 >video.mp4 && truncate -s 2G video.mp4 || return 1
    (ulimit -v $cap && "$ffmpeg" -version >/dev/null 2>&1) || cap=unlimited
    (
        ulimit -v $cap
        fails_with "$tmp/video.mp4: header length" \
            -i odd.png -vf srresnet=model="$tmp/video.mp4" -f null -
    )
}
no_model_option_fails() {
    fails_with "No model file given" -i odd.png -vf srresnet y.png &&
        fails_with "No model file given" -i odd.png -vf srresnet=model= y.png
}

# model=x2 names a model as srres-video's -m x2 does (srres_model_find): a file of that
# name first, a name with '/' or '.' a path, else one in the models folder, which is the
# default model's. make ffmpeg builds the filter without one: a bare name that is no file is
# refused saying so (it failed as "x2: No such file or directory"), and a file of that name
# is still the model.
model_name_without_models_folder_is_refused() {
    fails_with "model=x2: no such file, and this srresnet was built without a models folder" \
        -i odd.png -vf srresnet=model=x2 y.png &&
        expect "error lines from the filter" "$(grep -c "^\[Parsed_srresnet" err.txt)" 1 &&
        mkdir own && cd own && cp "$x2" x2 && ff -i ../odd.png -vf srresnet=model=x2 y.png &&
        expect "a file named x2" "$(size y.png)" 66x34
}

# Links ffmpeg-models: make ffmpeg's ffmpeg with the filter compiled as a packager's build with
# a default model compiles it (-DSRRES_DEFAULT_MODEL=$1). Its object comes before
# libavfilter.a, so that the archive's own filter is not linked.
ffmpeg_with_default_model() {
    local lib=$out/ffmpeg src=$out/ffmpeg-src/ffmpeg
    # shellcheck disable=SC2046 # FFmpeg's flags, word by word
    gcc $(sed -n 's/^\(CPPFLAGS\|CFLAGS\)=//p' "$lib/ffbuild/config.mak") -I"$lib" -I"$src" \
        -I"$src/libavfilter" -DSRRES_DEFAULT_MODEL="$1" -c "$root/filter/vf_srresnet.c" \
        -o vf_srresnet.o &&
        gcc -o ffmpeg-models "$lib"/fftools/*.o vf_srresnet.o "$lib/libavdevice/libavdevice.a" \
            "$lib/libavfilter/libavfilter.a" "$lib/libavformat/libavformat.a" \
            "$lib/libavcodec/libavcodec.a" "$lib/libswresample/libswresample.a" \
            "$lib/libswscale/libswscale.a" "$lib/libavutil/libavutil.a" \
            $(sed -n 's/^EXTRALIBS-\(avfilter\|avformat\|avcodec\|avutil\)=//p' \
                "$lib/ffbuild/config.mak")
}
# Built with a default model, the filter takes the others in its folder by name, with
# srres-video's precedence (a file, then a path, then the folder's), and refuses an unknown
# name in one line listing the folder's models.
model_names_are_found_in_the_models_folder() {
    mkdir names && cd names && mkdir models && cp "$x4" models/x4.safetensors &&
        cp "$x2" models/x2.safetensors && cp "$x2" models/x2-fast.safetensors &&
        ffmpeg_with_default_model "$tmp/names/models/x4.safetensors" || return 1
    up() { ./ffmpeg-models -nostdin -hide_banner -loglevel error -y -i ../odd.png "$@"; }
    up -vf srresnet default.png && expect "default model" "$(size default.png)" 132x68 &&
        up -vf srresnet=model=x2 named.png && expect "model=x2" "$(size named.png)" 66x34 &&
        up -filter_complex "[0:v]srresnet=model=x2" complex.png &&
        expect "model=x2 in -filter_complex" "$(size complex.png)" 66x34 &&
        mkdir x2 && up -vf srresnet=model=x2 folder.png &&
        expect "beside a folder named x2" "$(size folder.png)" 66x34 &&
        rmdir x2 && cp "$x4" x2 && up -vf srresnet=model=x2 file.png &&
        expect "a file named x2" "$(size file.png)" 132x68 || return 1
    if up -vf srresnet=model=x2.safetensors y.png 2>err.txt; then
        echo "model=x2.safetensors was looked up in the folder"
        return 1
    fi
    grep -F "x2.safetensors: No such file" err.txt || return 1
    if up -vf srresnet=model=x9 y.png 2>err.txt; then
        echo "model=x9 succeeded"
        return 1
    fi
    cat err.txt
    expect "the filter's error" "$(sed -n 's/^\[Parsed_srresnet_0 @ 0x[0-9a-f]*\] //p' err.txt)" \
        "model=x9: no such file, nor a model of that name (x2, x2-fast, x4 \
in $tmp/names/models)."
}

# Frames that change size mid-stream come out at the model's scale of each (as vf_scale's
# output follows its input), from a per-frame scale and from images of different sizes read
# without the graph being rebuilt. framemd5 gives each frame's size in bytes (RGB24).
size_changes_mid_stream_follow() {
    local halved="scale=w='if(lt(n,2),64,32)':h='if(lt(n,2),48,24)':eval=frame"
    ff -f lavfi -i testsrc2=size=32x24 -frames:v 1 img1.png &&
        ff -f lavfi -i testsrc2=size=16x16 -frames:v 1 img2.png &&
        cp img1.png img3.png &&
        ff -reinit_filter 0 -i img%d.png -vf srresnet=model="$x2" -f framemd5 sizes.txt &&
        expect "frame bytes" "$(grep -v '^#' sizes.txt | cut -d, -f5 | xargs)" "9216 3072 9216" &&
        ff -f lavfi -i testsrc2=size=64x48:rate=5 -frames:v 4 \
            -vf "format=rgb24,$halved,srresnet=model=$x2" -f framemd5 scaled.txt &&
        expect "frame bytes" "$(grep -v '^#' scaled.txt | cut -d, -f5 | xargs)" \
            "36864 36864 9216 9216"
}

# Two MPEG-TS recordings of different sizes joined as they are (cat, as -c copy makes them): the
# graph is rebuilt at the change and the encoder's scaler keeps the first size; without the
# rebuild (-reinit_filter 0) the filter's frames follow each size. The lean build read no
# MPEG-TS ("Invalid data found when processing input"). Without B-frames the second file's clock
# follows the first's.
size_change_in_joined_transport_streams() {
    ff -f lavfi -i testsrc2=size=64x48:rate=10:duration=0.3 -c:v libx264 -bf 0 a.ts &&
        ff -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 -c:v libx264 -bf 0 \
            -output_ts_offset 0.3 b.ts &&
        cat a.ts b.ts >ab.ts &&
        ff -i ab.ts -vf srresnet=model="$x2" -f framemd5 rebuilt.txt &&
        ff -reinit_filter 0 -i ab.ts -vf srresnet=model="$x2" -f framemd5 kept.txt || return 1
    expect "rebuilt graph's frame bytes" "$(grep -v '^#' rebuilt.txt | cut -d, -f5 | xargs)" \
        "18432 18432 18432 18432 18432 18432" &&
        expect "kept graph's frame bytes" "$(grep -v '^#' kept.txt | cut -d, -f5 | xargs)" \
            "18432 18432 18432 7200 7200 7200"
}

# A size change mid-stream with a scaler after the filter (the graph's own, or the one ffmpeg
# puts before an encoder): told the new size by the filter, the scaler kept converting at the
# old one, and ffmpeg waited forever. The scaler keeps its first output size, as it does
# after any filter.
size_changes_before_a_scaler() {
    local halved="scale=w='if(lt(n,2),64,32)':h='if(lt(n,2),48,24)':eval=frame"
    timeout 120 "$ffmpeg" -nostdin -hide_banner -loglevel error -y \
        -f lavfi -i testsrc2=size=64x48:rate=5 -frames:v 4 \
        -vf "format=rgb24,$halved,srresnet=model=$x2,scale=iw:ih,format=yuv420p" \
        -f framemd5 chain.txt &&
        expect "frame bytes" "$(grep -v '^#' chain.txt | cut -d, -f5 | xargs)" \
            "18432 18432 18432 18432"
}

# A pixel format that changes mid-stream without the graph being rebuilt is named (libsrres
# said only "input image plane 0 is missing").
format_changes_mid_stream_are_named() {
    ff -f lavfi -i testsrc2=size=32x18 -frames:v 1 -pix_fmt rgb24 fmt1.png &&
        ff -f lavfi -i testsrc2=size=32x18 -frames:v 1 -pix_fmt rgb48be fmt2.png &&
        fails_with "pixel format changed from rgb24 to rgb48be mid-stream" \
            -reinit_filter 0 -i fmt%d.png -vf srresnet=model="$x2" -f null -
}

odd_sizes_scale_by_the_model() {
    ff -i odd.png -vf srresnet=model="$x2" y2.png &&
        ff -i odd.png -vf srresnet=model="$x4" y4.png &&
        expect "x2 size" "$(size y2.png)" 66x34 &&
        expect "x4 size" "$(size y4.png)" 132x68
}

# Downscale then upscale inside one chain: size, frame count and timestamps of the input,
# colour tags kept, the audio copied alongside.
chain_after_scale_keeps_timing() {
    ff -i clip.mp4 -vf "scale=iw/2:ih/2,srresnet=model=$x2" -c:v libx264 -c:a copy out.mp4 &&
        expect size "$(size out.mp4)" 64x48 &&
        expect frames "$(frames out.mp4)" 10 &&
        expect pts "$(pts out.mp4 | tr '\n' ' ')" "$(pts clip.mp4 | tr '\n' ' ')" &&
        expect primaries "$(stream_field out.mp4 color_primaries)" bt709 &&
        expect transfer "$(stream_field out.mp4 color_transfer)" bt709 &&
        expect audio "$(probe -select_streams a -show_entries stream=codec_name \
            -of default=nw=1:nk=1 out.mp4)" aac
}

filter_complex_split_hstack() {
    ff -i clip.mp4 -filter_complex \
        "[0:v]split[a][b];[a]srresnet=model=${x2}[up];[b]scale=iw*2:ih*2[ref];[up][ref]hstack" \
        -c:v libx264 -an side.mp4 &&
        expect size "$(size side.mp4)" 256x96 &&
        expect frames "$(frames side.mp4)" 10 &&
        expect pts "$(pts side.mp4 | tr '\n' ' ')" "$(pts clip.mp4 | tr '\n' ' ')"
}

# A 10-bit source stays 10-bit, its frames through the network in 16 bits (the graph's
# conversion to rgb24 would have cut them to 8), and its timing is kept.
ten_bit_input_stays_ten_bit() {
    ff -i clip10.mkv -vf srresnet=model="$x2" -c:v ffv1 out10.mkv &&
        expect format "$(stream_field out10.mkv pix_fmt)" yuv420p10le &&
        expect size "$(size out10.mkv)" 64x48 &&
        expect frames "$(frames out10.mkv)" 5 &&
        expect pts "$(pts out10.mkv | tr '\n' ' ')" "$(pts clip10.mkv | tr '\n' ' ')" &&
        "$srres_video" -q -i clip10.mkv -o tool10.mkv -m "$x2" -c:v ffv1 &&
        expect pixels "$(pixels out10.mkv yuv420p10le)" "$(pixels tool10.mkv yuv420p10le)"
}

# FFV1, whose only 8-bit RGB is bgr0, takes an 8-bit RGB source's output in 8 bits: it was
# given gbrp16, about 2.5 times the bytes, when the filter had no bgr0. With alpha it is bgra,
# the pixels gbrap's (it was gbrap16, 2.8 times the bytes).
eight_bit_input_into_ffv1_stays_8_bits() {
    ff -i odd.png -vf srresnet=model="$x2" -c:v ffv1 out8.mkv &&
        expect "8-bit source" "$(stream_field out8.mkv pix_fmt)" bgr0 &&
        ff -i deep.png -vf srresnet=model="$x2" -c:v ffv1 out16.mkv &&
        expect "16-bit source" "$(stream_field out16.mkv pix_fmt)" gbrp16le &&
        command ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=33x17,format=rgba,geq=\
r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*7'" -frames:v 1 -c:v ffv1 alpha.mkv &&
        ff -i alpha.mkv -vf srresnet=model="$x2" -c:v ffv1 bgra.mkv &&
        ff -i alpha.mkv -vf srresnet=model="$x2",format=gbrap -c:v ffv1 gbrap.mkv &&
        expect "8-bit source with alpha" "$(stream_field bgra.mkv pix_fmt)" bgra &&
        expect "pixels" "$(pixels bgra.mkv rgba)" "$(pixels gbrap.mkv rgba)"
}

# A PNG output keeps the source's depth, as filter/README.md says (it said 8 bits unless
# asked, as when the input and the output shared one list of formats).
png_output_keeps_the_source_depth() {
    ff -i odd.png -vf srresnet=model="$x2" png8.png &&
        ff -i clip10.mkv -vf srresnet=model="$x2" -frames:v 1 png16.png &&
        expect "8-bit source" "$(stream_field png8.png pix_fmt)" rgb24 &&
        expect "10-bit source" "$(stream_field png16.png pix_fmt)" rgb48be
}

sample_aspect_ratio_is_kept() {
    ff -i clip10.mkv -vf "setsar=3/2,srresnet=model=$x2" -c:v ffv1 sar.mkv &&
        expect sar "$(stream_field sar.mkv sample_aspect_ratio)" 3:2
}

# vflip hands over frames with negative linesizes.
bottom_up_frames_match_top_down() {
    ff -i odd.png -vf vflip flipped.png &&
        ff -i odd.png -vf "vflip,srresnet=model=$x2" a.png &&
        ff -i flipped.png -vf srresnet=model="$x2" b.png &&
        expect pixels "$(pixels a.png rgb24)" "$(pixels b.png rgb24)"
}

# The same 8-bit picture through the rgb24 and the gbrp16 mapping: they differ only by the
# rounding of 16 to 8 bits, so a plane taken for another shows.
rgb24_and_gbrp16_agree() {
    ff -i odd.png -vf srresnet=model="$x2" -f rawvideo -pix_fmt rgb24 packed.rgb &&
        ff -i odd.png -vf "format=gbrp16le,srresnet=model=$x2,format=gbrp16le" \
            -f rawvideo -pix_fmt rgb24 planar.rgb || return 1
    local d
    d=$(max_byte_difference packed.rgb planar.rgb)
    echo "largest difference: $d"
    [ "$d" -le 1 ]
}

# Averaged over all eight orientations, the output of a mirrored frame is the mirrored
# output (to rounding); one pass of a network is not, which keeps the check able to fail.
ensemble_commutes_with_mirroring() {
    local n d1 d8
    for n in 1 8; do
        ff -i odd.png -vf "srresnet=model=$x2:ensemble=$n,hflip" -f rawvideo -pix_fmt rgb24 \
            a$n.rgb &&
            ff -i odd.png -vf "hflip,srresnet=model=$x2:ensemble=$n" -f rawvideo \
                -pix_fmt rgb24 b$n.rgb || return 1
    done
    d1=$(max_byte_difference a1.rgb b1.rgb)
    d8=$(max_byte_difference a8.rgb b8.rgb)
    echo "largest difference: $d8 with ensemble=8, $d1 without"
    [ "$d8" -le 1 ] && [ "$d1" -gt 1 ]
}
ensemble_other_than_a_power_of_two_fails() {
    fails_with "ensemble 3 is not 1, 2, 4 or 8" \
        -i odd.png -vf srresnet=model="$x2":ensemble=3 y.png
}

# Interlaced frames upscaled whole have no fields left: they come out progressive, with a
# warning to deinterlace first (they kept the input's top-field-first flag).
interlaced_frames_come_out_progressive() {
    ff -f lavfi -i testsrc2=size=64x48:rate=10:duration=0.5 -c:v libx264 -flags +ildct+ilme \
        -top 1 il.mkv || return 1
    "$ffmpeg" -nostdin -v info -i il.mkv -vf "showinfo,srresnet=model=$x2,showinfo" -f null - \
        2>log.txt || return 1
    grep -q "interlaced frames are upscaled as whole pictures" log.txt &&
        expect "input field" "$(grep -m1 -o 'Parsed_showinfo_0.* i:[TBP]' log.txt | tail -c 2)" T &&
        expect "output field" "$(grep -m1 -o 'Parsed_showinfo_2.* i:[TBP]' log.txt | tail -c 2)" P
}

# threads is every filter's option, which FFmpeg takes before a filter's own of that name.
threads_option_reaches_libsrres() {
    "$ffmpeg" -nostdin -v verbose -i odd.png -vf srresnet=model="$x2":threads=3 -f null - \
        2>log.txt || return 1
    grep -q "channels; threads: 3$" log.txt || {
        grep srresnet log.txt
        return 1
    }
}

# The graph's limit (-filter_threads) caps them, as it does FFmpeg's own filters' threads.
graph_thread_limit_caps_libsrres() {
    "$ffmpeg" -nostdin -v verbose -filter_threads 1 -i odd.png \
        -vf srresnet=model="$x2":threads=3 -f null - 2>log.txt || return 1
    grep -q "channels; threads: 1$" log.txt || {
        grep srresnet log.txt
        return 1
    }
}

thread_count_does_not_change_output() {
    ff -i deep.png -vf srresnet=model="$x4":threads=1 t1.png &&
        ff -i deep.png -vf srresnet=model="$x4":threads=2 t2.png &&
        expect pixels "$(pixels t1.png rgb48le)" "$(pixels t2.png rgb48le)"
}

# bf16 reaches libsrres: on a CPU with AVX512_BF16 it gives other pixels, a level or two
# from fp32's; elsewhere it is refused with libsrres's reason.
precision_option_reaches_libsrres() {
    local d
    if ! ff -i deep.png -vf srresnet=model="$x4":precision=bf16 -f rawvideo -pix_fmt rgb24 \
        b.rgb 2>err.txt; then
        cat err.txt
        grep -q "bf16 precision needs" err.txt
        return
    fi
    ff -i deep.png -vf srresnet=model="$x4":precision=fp32 -f rawvideo -pix_fmt rgb24 f.rgb ||
        return 1
    d=$(max_byte_difference b.rgb f.rgb)
    echo "largest difference between bf16 and fp32: $d"
    [ "$d" -ge 1 ] && [ "$d" -le 3 ]
}

# max_memory reaches libsrres: a 640x360 frame that runs whole by default is tiled in 20 MB.
max_memory_option_reaches_libsrres() {
    ff -f lavfi -i testsrc2=size=640x360 -frames:v 1 big.png || return 1
    "$ffmpeg" -nostdin -v verbose -i big.png -vf srresnet=model="$x2" -f null - 2>whole.txt &&
        "$ffmpeg" -nostdin -v verbose -i big.png -vf srresnet=model="$x2":max_memory=20M \
            -f null - 2>tiled.txt || return 1
    grep srresnet whole.txt tiled.txt | grep -- "->"
    grep -q "1280x720 untiled" whole.txt && grep -q "1280x720 in tiles of" tiled.txt || return 1
    # Under 16 MiB, as srres-video, it is refused: max_memory=1 ran in tiles of a few pixels,
    # hundreds of times slower, without a word.
    ! ff -i big.png -vf srresnet=model="$x2":max_memory=1 -f null - 2>small.txt &&
        grep -q "max_memory 1 is below 16Mi" small.txt
}

# Tiles under 32 pixels a side are refused before any frame: each computes a border of the
# network's reach on every side, so tile=8 ran 30 to 80 times slower. 32 runs.
small_tiles_are_refused() {
    for t in 1 8 31; do
        fails_with "tile $t: tiles under 32 pixels a side spend nearly all their time" \
            -i odd.png -vf srresnet=model="$x2":tile=$t small.png || return 1
        [ ! -e small.png ] || { echo "tile=$t wrote small.png"; return 1; }
    done
    ff -i odd.png -vf srresnet=model="$x2":tile=32 t32.png &&
        ff -i odd.png -vf srresnet=model="$x2" t0.png &&
        expect "tile=32 pixels" "$(pixels t32.png rgb24)" "$(pixels t0.png rgb24)"
}

# A frame whose upscale FFmpeg cannot hold (8192x4096 at x4: 32768x16384, past its picture
# size limit) fails the graph naming both sizes and the scale: FFmpeg's line said only
# "Picture size 32768x16384 is invalid".
frame_too_large_to_upscale_is_named() {
    fails_with "8192x4096 at x4 is 32768x16384, larger than FFmpeg's frames may be" \
        -f lavfi -i color=size=8192x4096:duration=0.04 -vf srresnet=model="$x4" -f null -
}

# A frame whose buffers do not fit in the memory the process may have (960x540 at x4 in 600 MB
# of address space, where the default max_memory allows 1 GiB) fails with libsrres's reason and
# the way out, which then works: it said only "out of memory for a 960x540 region". (An ASan
# build cannot run in a capped address space: skipped there.)
out_of_memory_says_how_to_tile_smaller() {
    local src="testsrc2=size=960x540" up="srresnet=model=$x4:threads=2"
    (ulimit -v 600000 && "$ffmpeg" -version >/dev/null 2>&1) || {
        echo "skipped: ffmpeg does not run in 600 MB of address space"
        return 0
    }
    (
        ulimit -v 600000
        fails_with "out of memory for a 960x540 region; a lower max_memory gives smaller tiles" \
            -f lavfi -i "$src" -frames:v 1 -vf "$up" -f null - &&
            fails_with "; tile=auto processes it in tiles" \
                -f lavfi -i "$src" -frames:v 1 -vf "$up:tile=untiled" -f null - &&
            fails_with "; a smaller tile needs less" \
                -f lavfi -i "$src" -frames:v 1 -vf "$up:tile=900" -f null - &&
            ff -f lavfi -i "$src" -frames:v 1 -vf "$up:max_memory=64Mi" -f null -
    )
}

# Regions of interest (which encoders read) follow the frame to its new size.
regions_of_interest_are_scaled() {
    "$ffmpeg" -nostdin -v info -i odd.png \
        -vf "addroi=x=8:y=4:w=16:h=8:qoffset=-0.5,srresnet=model=$x2,showinfo" -f null - \
        2>log.txt || return 1
    grep region log.txt
    grep -q "region: (16, 8) -> (48, 24)" log.txt
}

# The output is the model's scale times the input: frames let through unchanged where a
# timeline disabled the filter would reach a link set up for the upscaled size, so it does not
# take enable=, and FFmpeg refuses the option before any frame.
timeline_is_refused() {
    fails_with "Timeline ('enable' option) not supported with filter 'srresnet'" \
        -i odd.png -vf "srresnet=model=$x2:enable='between(t,0.1,0.3)'" -f null -
}

# A frame out for every frame in, to the end of the stream, with its timestamp and
# duration: framecrc's stream, dts, pts and duration columns are the source's.
every_frame_comes_out_with_its_timing() {
    local src=testsrc2=size=32x24:rate=10:duration=0.7
    ff -f lavfi -i "$src" -f framecrc in.crc &&
        ff -f lavfi -i "$src" -vf srresnet=model="$x2" -f framecrc out.crc &&
        ff -f lavfi -i "$src" -vf srresnet=model="$x2" -fps_mode passthrough \
            -f framecrc pass.crc &&
        ff -f lavfi -i "$src" -vf srresnet=model="$x2" -frames:v 3 -f framecrc three.crc ||
        return 1
    timing() { grep -v '^#' "$1" | cut -d, -f1-4 | tr -d ' ' | tr '\n' ' '; }
    expect "frames in" "$(grep -cv '^#' in.crc)" 7 &&
        expect timing "$(timing out.crc)" "$(timing in.crc)" &&
        expect "timing, passthrough" "$(timing pass.crc)" "$(timing in.crc)" &&
        expect "-frames:v 3" "$(grep -cv '^#' three.crc)" 3 &&
        expect size "$(grep '^#dimensions' out.crc)" "#dimensions 0: 64x48"
}

# The filter where ffmpeg's -f lavfi reads a graph as a source, and a model whose path holds
# the graph syntax's separators, escaped as FFmpeg's filtergraph documentation says.
model_path_with_separators_and_lavfi_source() {
    cp "$x2" "$tmp/a:b, c.safetensors" &&
        ff -f lavfi -i "testsrc2=size=32x24:rate=10:duration=0.3,srresnet=model='$tmp/a\:b, c.safetensors'" \
            -f framecrc src.crc &&
        ff -f lavfi -i testsrc2=size=32x24:rate=10:duration=0.3 \
            -vf "srresnet=model='$tmp/a\:b, c.safetensors'" -f framecrc vf.crc || return 1
    expect "lavfi source frames" "$(grep -cv '^#' src.crc)" 3 &&
        expect "lavfi source size" "$(grep '^#dimensions' src.crc)" "#dimensions 0: 64x48" &&
        expect "-vf size" "$(grep '^#dimensions' vf.crc)" "#dimensions 0: 64x48"
}

# Models of every scale the format allows that a user has at hand: an x3 one and an x8 one,
# and a srres-train checkpoint, which loads as the model its run would write.
x3_x8_and_checkpoint_models_scale() {
    ff -i odd.png -vf srresnet=model="$root/tests/fixtures/x3_srgan.safetensors" y3.png &&
        ff -i odd.png -vf srresnet=model="$root/tests/fixtures/x8_noblocks.safetensors" y8.png &&
        ff -i odd.png -vf srresnet=model="$root/samples/checkpoints/x4-stage22.ckpt" yc.png &&
        expect "x3 size" "$(size y3.png)" 99x51 &&
        expect "x8 size" "$(size y8.png)" 264x136 &&
        expect "checkpoint size" "$(size yc.png)" 132x68
}

# Builds NAME.c into NAME on the static libraries of make ffmpeg, for what ffmpeg's own
# command line cannot show: side data and frame fields that only applications read.
api_program() {
    local lib=$out/ffmpeg
    # shellcheck disable=SC2046 # FFmpeg's link flags, word by word
    gcc -Wall -Wextra -I"$out/ffmpeg-src/ffmpeg" -I"$lib" "$1.c" -o "$1" \
        "$lib/libavfilter/libavfilter.a" "$lib/libswscale/libswscale.a" \
        "$lib/libavformat/libavformat.a" "$lib/libavcodec/libavcodec.a" \
        "$lib/libswresample/libswresample.a" "$lib/libavutil/libavutil.a" \
        $(sed -n 's/^EXTRALIBS-\(avfilter\|avformat\|avcodec\|avutil\)=//p' \
            "$lib/ffbuild/config.mak")
}
# The start of such a program: one 32x24 rgb24 frame, f, to be sent through buffer, the
# srresnet of argv[1] and buffersink by upscale_one(f), which leaves the output in f.
api_prologue() {
    cat <<'EOF'
#include <stdio.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/hdr_dynamic_metadata.h>

static const char *model;

static int upscale_one(AVFrame *f)
{
    AVFilterGraph *g = avfilter_graph_alloc();
    AVFilterContext *src, *up, *sink;
    char args[4096];
    int ok;

    snprintf(args, sizeof(args), "model=%s", model);
    ok = avfilter_graph_create_filter(&src, avfilter_get_by_name("buffer"), "in",
             "video_size=32x24:pix_fmt=rgb24:time_base=1/25:pixel_aspect=1/1", NULL, g) >= 0 &&
         avfilter_graph_create_filter(&up, avfilter_get_by_name("srresnet"), "up", args, NULL,
                                      g) >= 0 &&
         avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", NULL,
                                      NULL, g) >= 0 &&
         avfilter_link(src, 0, up, 0) >= 0 && avfilter_link(up, 0, sink, 0) >= 0 &&
         avfilter_graph_config(g, NULL) >= 0 && av_buffersrc_add_frame(src, f) >= 0 &&
         av_buffersrc_add_frame(src, NULL) >= 0 && av_buffersink_get_frame(sink, f) >= 0;
    avfilter_graph_free(&g);
    return ok ? 0 : -1;
}

static AVFrame *test_frame(void)
{
    AVFrame *f = av_frame_alloc();
    f->width = 32;
    f->height = 24;
    f->format = AV_PIX_FMT_RGB24;
    if (av_frame_get_buffer(f, 0) < 0)
        return NULL;
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < 3 * f->width; x++)
            f->data[0][y * f->linesize[0] + x] = x ^ y;
    f->pts = 0;
    return f;
}
EOF
}

# An application that decodes with apply_cropping off leaves the cropping (the coded frame's
# padding) to av_frame_apply_cropping after the graph: the frame's crop fields, in pixels,
# must be the upscaled frame's. They came out as they went in, cutting half the padding at x2.
# ffmpeg itself crops as it decodes.
cropping_is_scaled_for_applications() {
    {
        api_prologue
        cat <<'EOF'
int main(int argc, char **argv)
{
    AVFrame *f = test_frame();
    model = argc > 1 ? argv[1] : "";
    if (!f)
        return 1;
    f->crop_left = 2;
    f->crop_top = 4;
    f->crop_right = 6;
    f->crop_bottom = 8;
    if (upscale_one(f) < 0)
        return 1;
    printf("%dx%d crop left %zu top %zu right %zu bottom %zu\n", f->width, f->height,
           f->crop_left, f->crop_top, f->crop_right, f->crop_bottom);
    av_frame_free(&f);
    return 0;
}
EOF
    } >crop.c && api_program crop &&
        expect "frame out" "$(./crop "$x2")" "64x48 crop left 4 top 8 right 12 bottom 16"
}

# HDR10+ (SMPTE ST 2094-40) selects each processing window's pixels, past the first (the
# whole picture), with a rectangle and ellipses given in pixels, which a player tone-maps by
# (FFmpeg's HEVC decoder exports them, the corners as {pixel, 1}): they came out as they went
# in, the input's, and then the corners alone (the window at x2 covered pixels 10 to 20 of 64
# across, around an ellipse centred on 20). A centre goes to the middle of the pixels its
# pixel becomes: 10 to 20 at x2, to 31 at x3 (of 30, 31, 32); an upper left corner to the
# first, 10 to 20 and 30, a lower right one to the last, 20 to 41 and 62.
hdr10plus_windows_are_scaled() {
    {
        api_prologue
        cat <<'EOF'
int main(int argc, char **argv)
{
    AVFrame *f = test_frame();
    AVDynamicHDRPlus *h = f ? av_dynamic_hdr_plus_create_side_data(f) : NULL;
    AVHDRPlusColorTransformParams *p;
    AVFrameSideData *sd;

    model = argc > 1 ? argv[1] : "";
    if (!h)
        return 1;
    h->num_windows = 2;
    h->params[0].center_of_ellipse_x = 7; /* window 0 has no ellipse: left as it is */
    h->params[1].center_of_ellipse_x = 10;
    h->params[1].center_of_ellipse_y = 5;
    h->params[1].semimajor_axis_internal_ellipse = 3;
    h->params[1].semimajor_axis_external_ellipse = 6;
    h->params[1].semiminor_axis_external_ellipse = 4;
    h->params[1].window_upper_left_corner_x = (AVRational){10, 1};
    h->params[1].window_upper_left_corner_y = (AVRational){5, 1};
    h->params[1].window_lower_right_corner_x = (AVRational){20, 1};
    h->params[1].window_lower_right_corner_y = (AVRational){15, 1};
    if (upscale_one(f) < 0 || !(sd = av_frame_get_side_data(f, AV_FRAME_DATA_DYNAMIC_HDR_PLUS)))
        return 1;
    h = (AVDynamicHDRPlus *)sd->data;
    p = &h->params[1];
    printf("%dx%d window 0 x %d, window 1 centre %d,%d axes %d %d %d corners %d/%d,%d/%d "
           "%d/%d,%d/%d\n", f->width, f->height,
           h->params[0].center_of_ellipse_x, p->center_of_ellipse_x, p->center_of_ellipse_y,
           p->semimajor_axis_internal_ellipse, p->semimajor_axis_external_ellipse,
           p->semiminor_axis_external_ellipse, p->window_upper_left_corner_x.num,
           p->window_upper_left_corner_x.den, p->window_upper_left_corner_y.num,
           p->window_upper_left_corner_y.den, p->window_lower_right_corner_x.num,
           p->window_lower_right_corner_x.den, p->window_lower_right_corner_y.num,
           p->window_lower_right_corner_y.den);
    av_frame_free(&f);
    return 0;
}
EOF
    } >hdr.c && api_program hdr &&
        expect "x2" "$(./hdr "$x2")" \
            "64x48 window 0 x 7, window 1 centre 20,10 axes 6 12 8 corners 20/1,10/1 41/1,31/1" &&
        expect "x3" "$(./hdr "$root/tests/fixtures/x3_srgan.safetensors")" \
            "96x72 window 0 x 7, window 1 centre 31,16 axes 9 18 12 corners 30/1,15/1 62/1,47/1"
}

# srres-video scales HDR10+'s windows as the filter does (its own copy of the code, in
# tools/video/network.c), read here from an HEVC frame whose SEI FFmpeg's decoder exports
# (tests/fixtures/make_hdr10plus_hevc.py) and shown by showinfo after the network. Its
# corners came out as they went in, (10,5)-(20,15), around an ellipse centred on (24,16).
hdr10plus_windows_are_scaled_by_srres_video() {
    "$srres_video" -v -i "$root/tests/fixtures/hdr10plus.hevc" -o out.mkv -m "$x2" \
        --vf-post showinfo 2>err.txt || { cat err.txt; return 1; }
    expect "window 1" "$(grep -o 'window 1 {[^}]*}' err.txt | head -n 1)" "window 1 { \
window_upper_left_corner: (20.0000,10.0000),window_lower_right_corner: (41.0000,31.0000), \
window_upper_left_corner: (20.0000, 10.0000), center_of_ellipse_x: (24,16), rotation_angle: 0, \
semimajor_axis_internal_ellipse: 6, semimajor_axis_external_ellipse: 12, \
semiminor_axis_external_ellipse: 8, overlap_process_option: 0}"
}

# Packagers apply the patch to a stock tree, without our build script's help.
patch_applies_to_pristine_tree() {
    local tarball
    tarball=$("$root/filter/build_ffmpeg.sh" --fetch | tail -n 1) || return 1
    mkdir pristine &&
        tar -xf "$tarball" -C pristine --strip-components=1 &&
        (cd pristine && patch -p1 --dry-run <"$root/filter/ffmpeg-5.1-srresnet.patch")
}

# FFmpeg's configure asks pkg-config for the libsrres the filter is written for: it asked for
# 0.1, whose srres.h has no SRRES_PIXEL_RGBP8 or SRRES_PIXEL_BGR0, so configure passed and the
# filter failed to compile. Before 1.0 each minor version has an API of its own (srres.h).
patch_requires_the_libsrres_it_is_written_for() {
    local header=$root/core/srres.h want
    want="$(sed -n 's/^#define SRRES_VERSION_MAJOR \([0-9]*\)$/\1/p' "$header").$(
        sed -n 's/^#define SRRES_VERSION_MINOR \([0-9]*\)$/\1/p' "$header")"
    expect "pkg-config requirement" \
        "$(grep -o '"srres >= [0-9.]*"' "$root/filter/ffmpeg-5.1-srresnet.patch")" \
        "\"srres >= $want\""
}

# srres-video converts and calls libsrres with the same defaults, so the pixels agree. It
# writes the input's pixel format; ffmpeg would pick 8-bit RGB for a PNG unless told.
matches_srres_video() {
    local img fmt
    for img in odd.png deep.png; do
        fmt=$(stream_field "$img" pix_fmt)
        ff -i "$img" -vf srresnet=model="$x2" -pix_fmt "$fmt" "filter-$img" &&
            "$srres_video" -i "$img" -o "tool-$img" -m "$x2" &&
            expect "$img pixels" "$(pixels "filter-$img" rgb48le)" \
                "$(pixels "tool-$img" rgb48le)" || return 1
    done
}

# A YUV source comes out in its own format, matrix, range and chroma siting, with
# srres-video's pixels and tags: the filter converts to RGB and back itself. Left to FFmpeg's
# graph, BT.709 came back as BT.601 with the matrix unset (colours off by up to 38 levels as
# players read it) and 4:2:0 as 4:4:4. Sources: BT.709 4:2:0 (H.264's left siting), BT.2020
# full-range 4:2:2 in 10 bits, JPEG's yuvj420p (whose full range a YUV encoder without yuvj
# takes as limited), and RGB into a YUV encoder (BT.601, limited).
# Each SRC:ENCODER runs through the filter and srres-video; tags and pixels must be the same.
same_as_srres_video() {
    local src enc out fmt tags="pix_fmt,color_space,color_range,chroma_location"
    for src in "$@"; do
        enc=${src#*:}
        src=${src%%:*}
        out=$enc-${src%.*}.$([ "$enc" = png ] && echo png || echo mkv)
        # lossless, so that the two encodes decode alike
        ff -i "$src" -an -vf srresnet=model="$x2" -c:v "$enc" -crf 0 -frames:v 1 "filter-$out" &&
            "$srres_video" -q -i "$src" -an -o "tool-$out" -m "$x2" -c:v "$enc" --frames 1 \
                $([ "$enc" = libx264 ] && echo -crf 0) || return 1
        fmt=$(stream_field "tool-$out" pix_fmt)
        expect "$src into $enc: tags" "$(stream_field "filter-$out" "$tags" | xargs)" \
            "$(stream_field "tool-$out" "$tags" | xargs)" &&
            expect "$src into $enc: pixels" "$(pixels "filter-$out" "$fmt")" \
                "$(pixels "tool-$out" "$fmt")" || return 1
    done
}

yuv_source_matches_srres_video() {
    command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
        -vf scale=out_color_matrix=bt2020:out_range=pc,format=yuv422p10le -colorspace bt2020nc \
        -color_range pc -color_primaries bt2020 -color_trc smpte2084 -c:v ffv1 hdr.mkv &&
        command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30 -frames:v 1 \
            -pix_fmt yuvj420p photo.jpg &&
        same_as_srres_video clip.mp4:libx264 clip.mp4:ffv1 hdr.mkv:ffv1 hdr.mkv:png \
            photo.jpg:ffv1 photo.jpg:png odd.png:libx264
}

# An RGB output is tagged RGB, as srres-video's and ffmpeg's scale's are: from an RGB source
# the filter kept the frames' unset matrix, so FFV1 said color_space unknown where they say gbr.
rgb_source_into_ffv1_matches_srres_video() {
    same_as_srres_video odd.png:ffv1 deep.png:ffv1 clip.mp4:png
}

# Before a filter that takes any format and an RGB sink, FFmpeg keeps a YUV source's format
# on our output, subsampling the network's colour again; format=rgb24 after the filter, as
# filter/README.md says, keeps the filter's RGB (scaled to the same size, unchanged).
format_after_the_filter_keeps_rgb_before_a_scaler() {
    ff -i clip.mp4 -vf "srresnet=model=$x2,format=rgb24,scale=128:96" -frames:v 2 \
        -f rawvideo -pix_fmt rgb24 scaled.rgb &&
        ff -i clip.mp4 -vf "srresnet=model=$x2" -frames:v 2 -f rawvideo -pix_fmt rgb24 own.rgb &&
        expect "with format=rgb24" "$(md5sum <scaled.rgb)" "$(md5sum <own.rgb)"
}

# NTSC DV's 4:1:1 and the 4:4:0 of some JPEGs are converted in the filter too: the graph
# made 4:1:1 into 4:2:2 first, which came out of the filter into FFV1 as yuv422p (srres-video:
# yuv411p) and a level off into H.264.
dv_and_four_four_zero_sources_match_srres_video() {
    command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
        -vf format=yuv411p -colorspace smpte170m -c:v ffv1 dv.mkv &&
        command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
            -vf format=yuv440p -colorspace bt709 -c:v ffv1 yuv440.mkv &&
        same_as_srres_video dv.mkv:ffv1 dv.mkv:libx264 yuv440.mkv:ffv1 yuv440.mkv:libx264
}

# YUV deeper than 12 bits (FFV1's 16-bit archives) and of 9 bits is converted in the filter too:
# the graph made it gbrp16, which came out into FFV1 as gbrp16 (srres-video: the source's
# yuv420p16) and into H.264 as yuv444p10 BT.601 from BT.709 (colours off, 4:4:4).
deep_yuv_sources_match_srres_video() {
    local fmt
    for fmt in yuv420p16le yuv444p14le yuva422p16le yuv422p9le; do
        command ffmpeg -nostdin -v error -y -f lavfi \
            -i testsrc2=size=40x30:rate=10:duration=0.3,format=$fmt -colorspace bt709 \
            -c:v ffv1 "$fmt.mkv" || return 1
    done
    same_as_srres_video yuv420p16le.mkv:ffv1 yuv420p16le.mkv:libx264 yuv444p14le.mkv:ffv1 \
        yuva422p16le.mkv:ffv1 yuva422p16le.mkv:png yuv422p9le.mkv:ffv1
}

# Planar RGB of 9 to 14 bits keeps its depth into FFV1, as from srres-video, with its pixels
# (and an alpha ramp's): the graph widened it to gbrp16 before the filter, which FFV1 then got.
deep_rgb_sources_keep_their_depth() {
    local fmt
    for fmt in gbrp9le gbrp10le gbrp12le gbrp14le; do
        command ffmpeg -nostdin -v error -y -f lavfi \
            -i testsrc2=size=40x30:rate=10:duration=0.3,format=$fmt -c:v ffv1 "$fmt.mkv" || return 1
    done
    alpha_ramp ramp.png && command ffmpeg -nostdin -v error -y -i ramp.png -pix_fmt gbrap12le \
        -c:v ffv1 gbrap12le.mkv || return 1
    for fmt in gbrp9le gbrp10le gbrp12le gbrp14le gbrap12le; do
        ff -i "$fmt.mkv" -vf srresnet=model="$x2" -c:v ffv1 -frames:v 1 "depth-$fmt.mkv" &&
            expect "$fmt into ffv1" "$(stream_field "depth-$fmt.mkv" pix_fmt)" "$fmt" || return 1
    done
    same_as_srres_video gbrp10le.mkv:ffv1 gbrp10le.mkv:png gbrp10le.mkv:libx264 \
        gbrp12le.mkv:ffv1 gbrp9le.mkv:ffv1 gbrp14le.mkv:ffv1 gbrap12le.mkv:ffv1 gbrap12le.mkv:png
}

# Grey comes out grey, as from srres-video, in its own depth where the sink takes it (gray9le
# into FFV1, gray16be into PNG, 1-bit monob into PNG) and with its alpha (ya8): the filter
# converts it to RGB and back itself. Left to the graph, it came out in colour: rgb24 into PNG,
# bgr0 into FFV1, BT.601 yuv444p into H.264 (srres-video: gray, decoded as yuvj420p).
grey_sources_match_srres_video() {
    local fmt src="testsrc2=size=33x17,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':\
a='if(lt(X,16),255,X*7)'"
    for fmt in gray gray16be ya8 monob; do
        command ffmpeg -nostdin -v error -y -f lavfi -i "$src" -frames:v 1 -pix_fmt $fmt \
            "$fmt.png" || return 1
    done
    for fmt in gray9le gray10le; do
        command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
            -pix_fmt $fmt -c:v ffv1 "$fmt.mkv" || return 1
    done
    same_as_srres_video gray.png:png gray.png:ffv1 gray.png:libx264 gray16be.png:png \
        gray16be.png:ffv1 ya8.png:png ya8.png:ffv1 monob.png:png monob.png:ffv1 gray9le.mkv:ffv1 \
        gray10le.mkv:png gray10le.mkv:libx264 &&
        expect "grey into PNG" "$(stream_field filter-png-gray.png pix_fmt)" gray
}

# A grey output is full range, as FFmpeg makes grey, unless a grey source says limited (as
# srres-video's).
grey_output_is_full_range_unless_the_source_says_limited() {
    local raw="-f rawvideo -pix_fmt gray -s 40x30 -r 10"
    command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
        -pix_fmt gray -f rawvideo grey.raw || return 1
    ff $raw -i grey.raw -vf srresnet=model="$x2" -c:v ffv1 unstated.mkv &&
        ff $raw -color_range pc -i grey.raw -vf srresnet=model="$x2" -c:v ffv1 full.mkv &&
        ff $raw -color_range tv -i grey.raw -vf srresnet=model="$x2" -c:v ffv1 limited.mkv &&
        ff -i odd.png -vf srresnet=model="$x2" -pix_fmt gray colour.png &&
        ff -i odd.png -vf srresnet=model="$x2",format=rgb24 -pix_fmt gray graph.png &&
        ff -i clip.mp4 -an -vf srresnet=model="$x2" -c:v ffv1 -pix_fmt gray clip.mkv || return 1
    expect "no stated range" "$(stream_field unstated.mkv pix_fmt,color_range | xargs)" "gray pc" &&
        expect "no stated range's pixels" "$(pixels unstated.mkv gray)" "$(pixels full.mkv gray)" &&
        expect "limited source" "$(stream_field limited.mkv color_range)" tv &&
        expect "RGB into gray" "$(pixels colour.png gray)" "$(pixels graph.png gray)" &&
        expect "limited YUV into gray" "$(stream_field clip.mkv color_range)" pc
}

# A YUV output names a chroma siting only where its chroma is subsampled, as srres-video's:
# clip.mp4's left-sited 4:2:0 into yuv444p was tagged "left".
chroma_siting_is_said_only_of_subsampled_chroma() {
    ff -i clip.mp4 -an -vf srresnet=model="$x2" -frames:v 1 -c:v ffv1 -pix_fmt yuv444p s444.mkv &&
        ff -i clip.mp4 -an -vf srresnet=model="$x2" -frames:v 1 -c:v ffv1 -pix_fmt yuv422p \
            s422.mkv &&
        expect "4:4:4" "$(stream_field s444.mkv chroma_location)" unspecified &&
        expect "4:2:2" "$(stream_field s422.mkv chroma_location)" left
}

# YUV with alpha (VP9's, ProRes 4444's) and the semi-planar YUV of hardware decoders are
# converted in the filter too. Left to the graph, yuva420p BT.709 became gbrap, and came
# out of the filter into H.264 as yuv444p BT.601 (11 levels from srres-video's yuv420p
# BT.709) and into FFV1 as bgra, its YUV lost; nv12 became yuv420p, whose faster route to
# RGB in swscale gave pixels 5 levels from srres-video's, read from nv12.
yuva_and_nv12_sources_match_srres_video() {
    command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
        -vf "format=yuva420p,geq=lum=lum(X\,Y):cb=cb(X\,Y):cr=cr(X\,Y):a=X*6" \
        -colorspace bt709 -c:v ffv1 yuva.mkv &&
        command ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=40x30:rate=10:duration=0.3 \
            -vf format=nv12 -colorspace bt709 -c:v rawvideo -allow_raw_vfw 1 nv12.mkv &&
        same_as_srres_video yuva.mkv:libx264 yuva.mkv:ffv1 yuva.mkv:png nv12.mkv:ffv1 \
            nv12.mkv:png
}

# A source's alpha is upscaled beside the network, as srres-video upscales it: the same
# pixels, alpha and colour, in 8 and 16 bits (the graph dropped it); an opaque source's
# output asked for alpha is opaque.
alpha_is_upscaled_as_in_srres_video() {
    local img depth ramp="geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*4*(1+255*(DEPTH-8)/8)'"
    for depth in 8 16; do
        img=alpha$depth.png
        command ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=33x17,format=$(
            [ $depth = 8 ] && echo rgba || echo rgba64le),${ramp//DEPTH/$depth}" -frames:v 1 \
            "$img" || return 1
        ff -i "$img" -vf srresnet=model="$x2" "filter-$img" &&
            "$srres_video" -q -i "$img" -o "tool-$img" -m "$x2" &&
            expect "$img format" "$(stream_field "filter-$img" pix_fmt)" \
                "$(stream_field "$img" pix_fmt | sed 's/le$/be/')" &&
            expect "$img pixels" "$(pixels "filter-$img" rgba64le)" \
                "$(pixels "tool-$img" rgba64le)" || return 1
    done
    ff -i odd.png -vf srresnet=model="$x2" -pix_fmt rgba opaque.png &&
        expect "opaque alpha" "$(command ffmpeg -nostdin -v error -i opaque.png \
            -vf alphaextract -f rawvideo - | od -An -v -tu1 -w1 | sort -u | tr -d ' ')" 255
}

# A 33x17 RGBA picture whose left 16 columns are opaque and the rest a ramp of alpha.
alpha_ramp() {
    command ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=33x17,format=rgba,geq=\
r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,16),255,X*7)'" -frames:v 1 "$1"
}

# A palette comes to the filter as rgb24, which FFmpeg picks for a palette whatever its
# colours: an opaque palette PNG (the usual kind) comes out rgb24 with srres-video's pixels,
# and one with transparent colours keeps them with format=rgba before the filter (its alpha
# srres-video's; its colour a level off here and there, srres-video expanding the palette to
# gbrap through swscale's YUV). The filter does not take pal8 itself: FFmpeg then picked pal8, 8
# bits a pixel, for a grey source, and converted it into swscale's fixed 3-3-2 palette.
alpha_plane() { command ffmpeg -nostdin -v error -i "$1" -vf alphaextract -f rawvideo - | md5sum; }
palette_and_grey_sources() {
    local src="testsrc2=size=33x17:rate=1:duration=1,format=rgba" d
    command ffmpeg -nostdin -v error -y -f lavfi -i "$src" -frames:v 1 -pix_fmt pal8 \
        opaque-pal.png &&
        command ffmpeg -nostdin -v error -y -f lavfi -i "$src,geq=r='r(X,Y)':g='g(X,Y)':\
b='b(X,Y)':a='if(lt(X,16),255,0)'" -vf "split[a][b];[a]palettegen[p];[b][p]paletteuse" \
            clear-pal.png &&
        ff -i odd.png -pix_fmt gray grey.png &&
        expect "opaque source" "$(stream_field opaque-pal.png pix_fmt)" pal8 &&
        expect "transparent source" "$(stream_field clear-pal.png pix_fmt)" pal8 &&
        expect "grey source" "$(stream_field grey.png pix_fmt)" gray || return 1
    ff -i opaque-pal.png -vf srresnet=model="$x2" filter-opaque-pal.png &&
        "$srres_video" -q -i opaque-pal.png -o tool-opaque-pal.png -m "$x2" &&
        expect "opaque palette" "$(stream_field filter-opaque-pal.png pix_fmt)" rgb24 &&
        expect "opaque palette's pixels" "$(pixels filter-opaque-pal.png rgb24)" \
            "$(pixels tool-opaque-pal.png rgb24)" &&
        ff -i clear-pal.png -vf format=rgba,srresnet=model="$x2" filter-clear-pal.png &&
        "$srres_video" -q -i clear-pal.png -o tool-clear-pal.png -m "$x2" &&
        expect "transparent palette" "$(stream_field filter-clear-pal.png pix_fmt)" rgba &&
        expect "transparent palette's alpha" "$(alpha_plane filter-clear-pal.png)" \
            "$(alpha_plane tool-clear-pal.png)" &&
        ff -i filter-clear-pal.png -f rawvideo -pix_fmt rgba a.rgba &&
        ff -i tool-clear-pal.png -f rawvideo -pix_fmt rgba b.rgba || return 1
    d=$(max_byte_difference a.rgba b.rgba)
    echo "transparent palette's largest difference from srres-video: $d"
    [ "$d" -le 1 ] &&
        expect "grey source's pixels" "$(ff -i grey.png -vf srresnet=model="$x2" -f rawvideo \
            -pix_fmt rgb24 - | md5sum)" "$(ff -i grey.png -vf format=rgb24,srresnet=model="$x2" \
            -f rawvideo -pix_fmt rgb24 - | md5sum)"
}

# An 8-bit source's alpha into a 16-bit output (gbrap16, for a sink that asks for it, e.g. FFV1
# with -pix_fmt gbrap16le) is the 8-bit output's widened, x257: swscale's bicubic from 8 bits
# to 16 gave 255 as 65280, so opaque pixels came out a little see-through.
eight_bit_alpha_into_16_bits_stays_opaque() {
    local plane16 plane8
    alpha_ramp alpha8.png || return 1
    plane16=$(ff -i alpha8.png -vf "srresnet=model=$x2,format=gbrap16le" -f rawvideo - |
        tail -c $((66 * 34 * 2)) | od -An -v -tu2 -w2 | tr -d ' ') &&
        plane8=$(ff -i alpha8.png -vf "srresnet=model=$x2,format=gbrap" -f rawvideo - |
            tail -c $((66 * 34)) | od -An -v -tu1 -w1 | awk '{ print $1 * 257 }') || return 1
    expect "opaque corner's alpha" "$(echo "$plane16" | head -n 1)" 65535 &&
        expect "alpha" "$(echo "$plane16" | md5sum)" "$(echo "$plane8" | md5sum)"
}

# An output with alpha that the filter converts to (rgba64, yuva444p10) is opaque where the
# source is: the network wrote an 8-bit alpha plane that swscale widened, 255 as 65280 or
# 1020. An opaque source's output gets its alpha from that conversion, and an 8-bit alpha
# into rgba64 is gbrap16's, widened x257 (it was x256).
alpha_into_deeper_converted_outputs_stays_opaque() {
    local alpha="extractplanes=a" ramp16 rgba64
    ff -i odd.png -vf srresnet=model="$x2" -pix_fmt rgba64be opaque64.png &&
        expect "opaque rgba64be" "$(command ffmpeg -nostdin -v error -i opaque64.png -vf "$alpha" \
            -f rawvideo -pix_fmt gray16le - | od -An -v -tu2 -w2 | sort -u | tr -d ' ')" 65535 &&
        ff -i clip.mp4 -an -vf srresnet=model="$x2" -frames:v 1 -c:v ffv1 -pix_fmt yuva444p10le \
            opaque10.mkv &&
        expect "opaque yuva444p10le" "$(command ffmpeg -nostdin -v error -i opaque10.mkv \
            -vf "$alpha" -f rawvideo -pix_fmt gray10le - | od -An -v -tu2 -w2 | sort -u |
            tr -d ' ')" 1023 || return 1
    alpha_ramp ramp.png &&
        ff -i ramp.png -vf srresnet=model="$x2" -pix_fmt rgba64be ramp64.png || return 1
    rgba64=$(command ffmpeg -nostdin -v error -i ramp64.png -vf "$alpha" -f rawvideo \
        -pix_fmt gray16le - | md5sum)
    ramp16=$(ff -i ramp.png -vf "srresnet=model=$x2,format=gbrap16le" -f rawvideo - |
        tail -c $((66 * 34 * 2)) | md5sum)
    expect "rgba64be alpha" "$rgba64" "$ramp16"
}

check ffmpeg_builds_this_checkouts_filter
check help_lists_options
check missing_model_file_fails
check malformed_model_file_fails
check model_is_loaded_once_under_filter_complex
check video_given_as_the_model_is_refused_unread
check no_model_option_fails
check model_name_without_models_folder_is_refused
check model_names_are_found_in_the_models_folder
check odd_sizes_scale_by_the_model
check size_changes_mid_stream_follow
check size_changes_before_a_scaler
check size_change_in_joined_transport_streams
check format_changes_mid_stream_are_named
check chain_after_scale_keeps_timing
check filter_complex_split_hstack
check ten_bit_input_stays_ten_bit
check chroma_siting_is_said_only_of_subsampled_chroma
check format_after_the_filter_keeps_rgb_before_a_scaler
check eight_bit_input_into_ffv1_stays_8_bits
check png_output_keeps_the_source_depth
check sample_aspect_ratio_is_kept
check bottom_up_frames_match_top_down
check rgb24_and_gbrp16_agree
check ensemble_commutes_with_mirroring
check ensemble_other_than_a_power_of_two_fails
check precision_option_reaches_libsrres
check max_memory_option_reaches_libsrres
check small_tiles_are_refused
check out_of_memory_says_how_to_tile_smaller
check frame_too_large_to_upscale_is_named
check regions_of_interest_are_scaled
check timeline_is_refused
check every_frame_comes_out_with_its_timing
check model_path_with_separators_and_lavfi_source
check x3_x8_and_checkpoint_models_scale
check cropping_is_scaled_for_applications
check hdr10plus_windows_are_scaled
check interlaced_frames_come_out_progressive
check threads_option_reaches_libsrres
check graph_thread_limit_caps_libsrres
check thread_count_does_not_change_output
check alpha_is_upscaled_as_in_srres_video
check eight_bit_alpha_into_16_bits_stays_opaque
check alpha_into_deeper_converted_outputs_stays_opaque
check grey_output_is_full_range_unless_the_source_says_limited
check patch_applies_to_pristine_tree
check patch_requires_the_libsrres_it_is_written_for
if [ -x "$srres_video" ]; then
    check matches_srres_video
    check yuv_source_matches_srres_video
    check yuva_and_nv12_sources_match_srres_video
    check dv_and_four_four_zero_sources_match_srres_video
    check palette_and_grey_sources
    check rgb_source_into_ffv1_matches_srres_video
    check deep_yuv_sources_match_srres_video
    check deep_rgb_sources_keep_their_depth
    check hdr10plus_windows_are_scaled_by_srres_video
    check grey_sources_match_srres_video
else
    echo "skip matches_srres_video: $srres_video is not built yet"
fi

if [ "$failed" -ne 0 ]; then
    echo "test_filter: $failed failed"
    exit 1
fi
echo "test_filter: all passed"
