#!/usr/bin/env bash
# build_ffmpeg.sh: builds build/ffmpeg/ffmpeg, a lean static FFmpeg 5.1 (Debian's source) with
# the srresnet filter linked against build/libsrres.a. Run by `make ffmpeg`.
#   filter/build_ffmpeg.sh            fetch, unpack, patch, configure and build (all cached)
#   filter/build_ffmpeg.sh --fetch    only fetch the source package; print the orig tarball
# Caches, kept between runs:
#   build/ffmpeg-src/         the Debian source package (apt-get source --download-only)
#   build/ffmpeg-src/ffmpeg/  its orig tarball unpacked, patched, plus libavfilter/vf_srresnet.c
#   build/ffmpeg/             the configured out-of-tree build; the binary is build/ffmpeg/ffmpeg
# A change of the patch or of the configure line starts the tree or the build afresh; a change
# of vf_srresnet.c or of libsrres.a only recompiles the filter and relinks.
# Environment: B (default build), JOBS (default: online CPUs).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
case ${B:-build} in /*) out=${B:-build} ;; *) out=$repo/${B:-build} ;; esac
pkgdir=$out/ffmpeg-src
tree=$pkgdir/ffmpeg
bld=$out/ffmpeg
patchfile=$repo/filter/ffmpeg-5.1-srresnet.patch
jobs=${JOBS:-$(getconf _NPROCESSORS_ONLN)}

say() { echo "build_ffmpeg: $*"; }
die() {
    echo "build_ffmpeg: $*" >&2
    exit 1
}

# FFmpeg's configure refuses a source path with spaces; say so before any work.
case $repo in *[[:space:]]*) die "FFmpeg cannot be built under a path with spaces ($repo):" \
    "move or link the checkout to one without" ;; esac

have_root() { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; }

# Runs apt-get as root or through sudo (callers check have_root first).
apt_get() {
    if [ "$(id -u)" = 0 ]; then
        env DEBIAN_FRONTEND=noninteractive apt-get "$@"
    else
        sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"
    fi
}

# `apt-get source` needs a deb-src entry; Debian images ship only deb ones. The new entry
# uses the mirror the image already uses, and names bookworm whatever this system is: the
# patch is for bookworm's FFmpeg 5.1 (fetch_source asks for that suite's package).
ensure_deb_src() {
    local uri entry file
    if grep -Eqs '^[[:space:]]*deb-src[[:space:]].*[[:space:]]bookworm[[:space:]]' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
        return 0
    fi
    # deb822 files: one stanza (a paragraph) with both the type and the suite.
    if awk 'BEGIN { RS = "" }
        /(^|\n)[ \t]*Types:[^\n]*deb-src/ && /(^|\n)[ \t]*Suites:[^\n]*bookworm([ \t\n]|$)/ {
            found = 1 }
        END { exit !found }' /etc/apt/sources.list.d/*.sources 2>/dev/null; then
        return 0
    fi
    uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
        /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    entry="Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    file=/etc/apt/sources.list.d/srres-deb-src.sources
    say "adding a deb-src entry for $uri bookworm main"
    if [ "$(id -u)" = 0 ]; then
        printf '%s\n' "$entry" >"$file"
    elif command -v sudo >/dev/null 2>&1; then
        printf '%s\n' "$entry" | sudo tee "$file" >/dev/null
    else
        die "needs root to add a deb-src entry; as root write $file with:
$entry"
    fi
    apt_updated=no # the new entry's index is not fetched yet
}

apt_updated=no
apt_update_once() {
    [ "$apt_updated" = yes ] && return 0
    apt_get update -qq
    apt_updated=yes
}

# What the lean configure and the link need; the rest of FFmpeg's build-deps is switched off.
ensure_build_deps() {
    local missing="" p
    for p in gcc make pkg-config nasm xz-utils patch zlib1g-dev libx264-dev libopenblas-dev \
        libjansson-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    have_root || die "needs root; as root run:" \
        "apt-get update && apt-get install -y --no-install-recommends$missing"
    say "installing:$missing"
    apt_update_once
    # shellcheck disable=SC2086 # one word per package
    apt_get install -y --no-install-recommends $missing
}

orig_tarball() {
    local f
    for f in "$pkgdir"/ffmpeg_*.orig.tar.*; do
        case $f in *.asc) ;; *) [ -f "$f" ] && echo "$f" && return 0 ;; esac
    done
    return 0
}

fetch_source() {
    [ -n "$(orig_tarball)" ] && return 0
    ensure_deb_src
    mkdir -p "$pkgdir"
    say "downloading Debian's ffmpeg source package into $pkgdir"
    # A deb-src index fetched before serves as it is; only root can fetch one.
    if ! (cd "$pkgdir" && apt-get source --download-only ffmpeg/bookworm 2>/dev/null); then
        have_root || die "needs root to fetch the deb-src index; as root run: apt-get update"
        apt_update_once
        (cd "$pkgdir" && apt-get source --download-only ffmpeg/bookworm) ||
            die "apt-get source --download-only ffmpeg/bookworm failed"
    fi
    [ -n "$(orig_tarball)" ] || die "no orig tarball in $pkgdir"
}

checksum() { sha256sum "$1" | cut -d' ' -f1; }

# The pristine orig tarball plus our patch. The stamp records which tarball and patch made the
# tree, so a changed patch is applied to a fresh unpack rather than on top of the old one.
prepare_tree() {
    local tarball want
    tarball=$(orig_tarball)
    want="$(basename "$tarball") $(checksum "$patchfile")"
    if [ "$(cat "$tree/.srres-stamp" 2>/dev/null)" != "$want" ]; then
        say "unpacking $(basename "$tarball") and applying $(basename "$patchfile")"
        rm -rf "$tree" "$tree.tmp"
        mkdir -p "$tree.tmp"
        tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
        (cd "$tree.tmp" && patch -p1 --quiet <"$patchfile") || die "the patch does not apply"
        printf '%s\n' "$want" >"$tree.tmp/.srres-stamp"
        mv "$tree.tmp" "$tree"
    fi
    # Copied only when it changed, so make recompiles the filter only then.
    cmp -s "$repo/filter/vf_srresnet.c" "$tree/libavfilter/vf_srresnet.c" ||
        cp "$repo/filter/vf_srresnet.c" "$tree/libavfilter/vf_srresnet.c"
}

# FFmpeg's configure finds libsrres by its pkg-config module; the build tree has none
# installed, so describe the uninstalled static library. -l:libsrres.a picks the archive over
# libsrres.so beside it (and, unlike a bare path, configure puts it among the libraries, after
# the objects); its own dependencies follow it, in link order.
write_srres_pc() {
    mkdir -p "$bld/pkgconfig"
    cat >"$bld/pkgconfig/srres.pc.tmp" <<PC
Name: srres
Description: SRResNet super-resolution (uninstalled, static)
Version: $(sed -n 's/^#define SRRES_VERSION_MAJOR \([0-9]*\)$/\1/p' "$repo/core/srres.h").$(
        sed -n 's/^#define SRRES_VERSION_MINOR \([0-9]*\)$/\1/p' "$repo/core/srres.h")
Cflags: -I$repo/core
Libs: -L$out -l:libsrres.a $(pkg-config --libs openblas) $(pkg-config --libs jansson) -lm -lpthread
PC
    # Rewritten only when it changed: configure's stamp below includes it.
    if cmp -s "$bld/pkgconfig/srres.pc.tmp" "$bld/pkgconfig/srres.pc"; then
        rm "$bld/pkgconfig/srres.pc.tmp"
    else
        mv "$bld/pkgconfig/srres.pc.tmp" "$bld/pkgconfig/srres.pc"
    fi
}

# Only what the filter's tests and a typical upscale need: file and pipe I/O, mp4/mkv/MPEG-TS/
# images, H.264 in, x264 out, PNG, AAC/PCM audio to pass through, lavfi test sources, the filters
# ffmpeg inserts itself (scale, format, aresample, ...) and a few to chain with.
configure_flags() {
    cat <<FLAGS
--disable-everything --disable-autodetect --disable-doc --disable-debug --disable-network
--disable-ffplay --disable-ffprobe --disable-postproc
--enable-gpl --enable-pthreads --enable-zlib --enable-libx264 --enable-libsrres
--enable-protocol=file,pipe
--enable-indev=lavfi
--enable-demuxer=mov,matroska,image2,image2pipe,png_pipe,jpeg_pipe,apng,rawvideo,wav,aac,h264,mpegts
--enable-muxer=mp4,mov,matroska,image2,image2pipe,apng,rawvideo,framemd5,md5,framecrc,null,wav,mpegts
--enable-decoder=h264,png,apng,mjpeg,ffv1,rawvideo,wrapped_avframe,aac,pcm_s16le,pcm_f32le
--enable-encoder=libx264,png,apng,ffv1,rawvideo,wrapped_avframe,aac,pcm_s16le
--enable-parser=h264,aac,png,mjpeg
--enable-bsf=aac_adtstoasc,h264_mp4toannexb
--enable-filter=srresnet,buffer,buffersink,abuffer,abuffersink,format,aformat,scale,aresample
--enable-filter=null,anull,copy,split,asplit,hstack,vstack,crop,pad,yadif,unsharp,fps,setpts
--enable-filter=asetpts,trim,atrim,setsar,transpose,hflip,vflip,showinfo,testsrc2,sine
--enable-filter=anullsrc,color,addroi
FLAGS
}

configure_build() {
    local flags want
    # FFmpeg's configure builds from $bld/src where that holds a configure, whatever tree it
    # is run from: a build folder copied with its checkout kept compiling the other
    # checkout's tree, and so its vf_srresnet.c, configured again or not. Its objects (and a
    # moved folder's) are of another tree, some newer than ours: such a folder starts afresh.
    # Compared as real paths: configure's names ours as cd and pwd give it.
    if [ -L "$bld/src" ] &&
        [ "$(cd "$bld/src" 2>/dev/null && pwd -P)" != "$(cd "$tree" && pwd -P)" ]; then
        say "$bld was built from $(readlink "$bld/src"): starting it afresh"
        rm -rf "$bld"
        mkdir -p "$bld"
    fi
    write_srres_pc
    flags=$(configure_flags | tr '\n' ' ')
    want="$flags $(checksum "$bld/pkgconfig/srres.pc") $(cat "$tree/.srres-stamp")"
    if [ -f "$bld/ffbuild/config.mak" ] &&
        [ "$(cat "$bld/.srres-configured" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    say "configuring in $bld"
    rm -f "$bld/.srres-configured"
    # shellcheck disable=SC2086 # one word per flag
    (cd "$bld" && PKG_CONFIG_PATH="$bld/pkgconfig" "$tree/configure" $flags) \
        >"$bld/configure.log" 2>&1 || {
        tail -n 20 "$bld/configure.log" >&2
        die "configure failed; see $bld/ffbuild/config.log"
    }
    printf '%s\n' "$want" >"$bld/.srres-configured"
}

# FFmpeg's make takes the job slots of the make that runs us (filter.mk marks its line with
# + so that they reach us) and nothing else of its flags: a CFLAGS=... given to our make is
# ours, not FFmpeg's. Run by hand, or given JOBS, it has JOBS slots of its own.
jobserver() {
    local auth
    case ${MAKEFLAGS:-} in *--jobserver-auth=*) ;; *) return 1 ;; esac
    [ -z "${JOBS:-}" ] || return 1
    auth=${MAKEFLAGS#*--jobserver-auth=}
    printf '%s' "-j --jobserver-auth=${auth%% *}"
}

build() {
    # FFmpeg's link rule knows only its own libraries; a newer libsrres.a must relink too.
    local prog flags
    for prog in "$bld/ffmpeg_g" "$bld/ffmpeg"; do
        if [ "$out/libsrres.a" -nt "$prog" ]; then rm -f "$prog"; fi
    done
    if flags=$(jobserver); then
        say "make in $bld, with the calling make's job slots"
    else
        flags=-j$jobs
        say "make -j$jobs in $bld"
    fi
    env -u MAKEOVERRIDES -u MFLAGS MAKEFLAGS="$flags" make -C "$bld" ffmpeg \
        >"$bld/make.log" 2>&1 || {
        tail -n 40 "$bld/make.log" >&2
        die "make failed; see $bld/make.log"
    }
}

# The + that lends us make's job slots also runs us under make -n: say, do nothing.
case ${MAKEFLAGS:-} in
[!\ -]*) case ${MAKEFLAGS%% *} in *[nq]*) say "would fetch, configure and build $bld/ffmpeg"
    exit 0 ;; esac ;;
esac

ensure_build_deps
fetch_source
if [ "${1:-}" = --fetch ]; then
    orig_tarball
    exit 0
fi
[ -f "$out/libsrres.a" ] || die "$out/libsrres.a is missing: run make first"
prepare_tree
mkdir -p "$bld"
configure_build
build
say "built $bld/ffmpeg in ${SECONDS}s"
