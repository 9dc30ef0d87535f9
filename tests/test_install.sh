#!/usr/bin/env bash
# test_install.sh B PREFIX: make install, as a program using libsrres meets it. Installed into
# a temporary DESTDIR: exactly the expected files, the soname and its link, exports as
# srres.h declares; a program built only with pkg-config's flags (shared, then static) loads
# the installed x2-fast model, upscales, and runs one model in two contexts on two threads at
# once as srres.h promises; make uninstall then leaves no file behind.
set -euo pipefail
b=$1 prefix=$2
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dest=$dir/dest root=$dir/dest$prefix
fail() { echo "test_install: $*" >&2; exit 1; }
# The version srres.h declares names the soname (libsrres.so.0.MINOR).
ver=$(sed -n 's/^#define SRRES_VERSION_MAJOR \([0-9]*\)$/\1/p' core/srres.h).$(
    sed -n 's/^#define SRRES_VERSION_MINOR \([0-9]*\)$/\1/p' core/srres.h)

make --no-print-directory -s B="$b" DESTDIR="$dest" install >"$dir/install.log" 2>&1 ||
    fail "make install failed: $(tail -5 "$dir/install.log")"

expected=$({
    printf '%s\n' bin/srres-eval bin/srres-model bin/srres-train bin/srres-video \
        include/srres.h lib/libsrres.a lib/libsrres.so "lib/libsrres.so.$ver" \
        lib/pkgconfig/srres.pc
    for m in samples/*.safetensors; do echo "share/srres/${m#samples/}"; done
} | sort)
installed=$(cd "$root" && find . ! -type d | sed 's|^\./||' | sort)
[ "$installed" = "$expected" ] ||
    fail "installed other files than expected:$(diff <(echo "$expected") <(echo "$installed") |
        grep '^[<>]' | sed 's/^</ missing:/; s/^>/ unexpected:/' | tr '\n' ' ')"
[ "$(readlink "$root/lib/libsrres.so")" = "libsrres.so.$ver" ] ||
    fail "lib/libsrres.so does not link to libsrres.so.$ver"
soname=$(readelf -d "$root/lib/libsrres.so.$ver" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libsrres.so.$ver" ] || fail "the library's soname is '$soname', not libsrres.so.$ver"
for m in samples/*.safetensors; do
    cmp -s "$m" "$root/share/srres/${m#samples/}" || fail "share/srres/${m#samples/} differs from $m"
done
# The installed tools look for the bundled models (srres-video's default among them) in
# PREFIX/share/srres: a name that is none is refused naming that folder.
ffmpeg -nostdin -v error -f lavfi -i color=size=8x8 -frames:v 1 "$dir/in.png"
for tool in srres-video srres-model; do
    case $tool in
    srres-video) said=$("$root/bin/srres-video" -i "$dir/in.png" -o "$dir/out.png" -m x9 2>&1 ||
        true) ;;
    srres-model) said=$("$root/bin/srres-model" info x9 2>&1 || true) ;;
    esac
    [[ $said == *"x9: no such file, nor a model of that name ("*" in $prefix/share/srres)" ]] ||
        fail "bin/$tool does not look for its models in $prefix/share/srres: $said"
done
"$here/test_exports.sh" "$root/lib/libsrres.so.$ver" "$root/include/srres.h" >/dev/null
"$here/test_exports.sh" "$root/lib/libsrres.a" "$root/include/srres.h" >/dev/null

cat >"$dir/client.c" <<'C'
#include <pthread.h>
#include <srres.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W = 48, H = 36, S = 2, PAD = 16, ROUNDS = 4 };
enum { OUT_LINE = W * S * 3 + PAD }; /* padded rows: writes past a row's end show */

typedef struct job {
    const srres_model *model;
    srres_ctx *ctx; /* made on the worker's thread, used and freed on main's after it */
    const unsigned char *in, *ref; /* the input, and its output from a one-thread context */
    unsigned char out[OUT_LINE * H * S];
    int mismatches;
    srres_error err;
} job;

static srres_image image(unsigned char *data, int w, int h, int line)
{
    srres_image im;
    memset(&im, 0, sizeof(im));
    im.format = SRRES_PIXEL_RGB24;
    im.width = w;
    im.height = h;
    im.data[0] = data;
    im.linesize[0] = line;
    return im;
}

/* Smooth colour ramps, shifted by `seed` so that two threads work on different pictures. */
static void ramp(unsigned char *p, int seed)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned char *q = p + (y * W + x) * 3;
            q[0] = (unsigned char)(40 + 3 * x + seed);
            q[1] = (unsigned char)(60 + 4 * y);
            q[2] = (unsigned char)(200 - 2 * x - y - seed);
        }
}

static srres_status upscale(srres_ctx *ctx, const unsigned char *in, unsigned char *out,
                            srres_error *err)
{
    srres_image a = image((unsigned char *)in, W, H, W * 3), b = image(out, W * S, H * S, OUT_LINE);
    memset(out, 0xab, (size_t)OUT_LINE * H * S);
    srres_status s = srres_upscale(ctx, &a, &b, err);
    for (int y = 0; s == SRRES_OK && y < H * S; y++)
        for (int i = W * S * 3; i < OUT_LINE; i++)
            if (out[y * OUT_LINE + i] != 0xab) {
                snprintf(err->message, sizeof(err->message), "wrote past row %d", y);
                return SRRES_ERR_INVALID;
            }
    return s;
}

/* Rounds on the job's context; each must give the one-thread output. */
static void run_rounds(job *j, int rounds)
{
    for (int r = 0; r < rounds && j->mismatches >= 0; r++) {
        if (upscale(j->ctx, j->in, j->out, &j->err) != SRRES_OK)
            j->mismatches = -1;
        else
            j->mismatches += memcmp(j->out, j->ref, sizeof(j->out)) != 0;
    }
}

/* Its own context on the shared model, created while the other thread creates its own. */
static void *worker(void *arg)
{
    job *j = arg;
    srres_params p = srres_default_params();
    p.threads = 2;
    p.tile = -1; /* one tile size for both contexts: the output is then bit for bit the same */
    if (srres_ctx_create(j->model, &p, &j->ctx, &j->err) != SRRES_OK)
        j->mismatches = -1;
    else
        run_rounds(j, ROUNDS);
    return NULL;
}

int main(int argc, char **argv)
{
    static unsigned char in[2][W * H * 3], ref[2][OUT_LINE * H * S];
    srres_model *m;
    srres_ctx *ctx;
    srres_error err;
    srres_params p = srres_default_params();
    if (argc != 2 || srres_model_load(argv[1], &m, &err) != SRRES_OK) {
        fprintf(stderr, "load: %s\n", argc == 2 ? err.message : "usage: client MODEL");
        return 1;
    }
    if (srres_model_config(m)->scale != S) {
        fprintf(stderr, "scale %d, not %d\n", srres_model_config(m)->scale, S);
        return 1;
    }
    p.threads = 1;
    p.tile = -1;
    ramp(in[0], 0);
    ramp(in[1], 7);
    if (srres_ctx_create(m, &p, &ctx, &err) != SRRES_OK || upscale(ctx, in[0], ref[0], &err) ||
        upscale(ctx, in[1], ref[1], &err)) {
        fprintf(stderr, "upscale: %s\n", err.message);
        return 1;
    }
    /* A wrong output size is refused, not written. */
    srres_image a = image(in[0], W, H, W * 3), small = image(ref[0], W, H * S, OUT_LINE);
    if (srres_upscale(ctx, &a, &small, &err) != SRRES_ERR_INVALID) {
        fprintf(stderr, "a %dx%d output for a %dx%d input was not refused\n", W, H * S, W, H);
        return 1;
    }
    srres_ctx_free(ctx);

    /* Sane values: a smooth ramp upscaled stays near its bilinear upscale, well within what
     * a broken network (black, noise, swapped channels) would give. */
    double diff = 0, worst = 0;
    for (int y = 0; y < H * S; y++)
        for (int x = 0; x < W * S; x++)
            for (int c = 0; c < 3; c++) {
                double fy = (y + 0.5) / S - 0.5, fx = (x + 0.5) / S - 0.5;
                fy = fy < 0 ? 0 : fy > H - 1 ? H - 1 : fy;
                fx = fx < 0 ? 0 : fx > W - 1 ? W - 1 : fx;
                int y0 = (int)fy, x0 = (int)fx, y1 = y0 + (y0 < H - 1), x1 = x0 + (x0 < W - 1);
                double wy = fy - y0, wx = fx - x0;
                const unsigned char *i = in[0];
                double bil = (1 - wy) * ((1 - wx) * i[(y0 * W + x0) * 3 + c] +
                                         wx * i[(y0 * W + x1) * 3 + c]) +
                             wy * ((1 - wx) * i[(y1 * W + x0) * 3 + c] +
                                   wx * i[(y1 * W + x1) * 3 + c]);
                double d = ref[0][y * OUT_LINE + x * 3 + c] - bil;
                d = d < 0 ? -d : d;
                diff += d;
                worst = d > worst ? d : worst;
            }
    diff /= W * S * H * S * 3;
    printf("mean |sr - bilinear| %.2f, max %.0f (of 255)\n", diff, worst);
    if (diff > 3 || worst > 40) {
        fprintf(stderr, "the output is far from the input's bilinear upscale\n");
        return 1;
    }

    pthread_t t[2];
    static job jobs[2];
    for (int k = 0; k < 2; k++) {
        memset(&jobs[k], 0, sizeof(jobs[k]));
        jobs[k].model = m;
        jobs[k].in = in[k];
        jobs[k].ref = ref[k];
        if (pthread_create(&t[k], NULL, worker, &jobs[k]) != 0)
            return 1;
    }
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        run_rounds(&jobs[k], 1); /* a context serves any thread, one call at a time */
        srres_ctx_free(jobs[k].ctx);
        if (jobs[k].mismatches)
            fprintf(stderr, "thread %d: %s\n", k,
                    jobs[k].mismatches < 0 ? jobs[k].err.message : "output differs from one thread's");
        bad |= jobs[k].mismatches != 0;
    }
    srres_model_free(m);
    return bad;
}
C

export PKG_CONFIG_PATH=$root/lib/pkgconfig
# The .pc names the prefix; --define-prefix points it at where it is (the DESTDIR).
pc() { pkg-config --define-prefix "$@" srres; }
[ "$(pc --modversion)" = "$ver" ] || fail "srres.pc says version $(pc --modversion), not $ver"
# srres.h includes no BLAS header, so the flags to compile with name no BLAS folder: OpenBLAS's,
# from its .pc, put its cblas.h before the user's own include path.
for flag in $(pc --cflags --static); do
    [ -e "${flag#-I}/cblas.h" ] && fail "pkg-config --cflags srres gives $flag, a folder with cblas.h"
done
model=$root/share/srres/x2-fast.safetensors
strict=(-std=c99 -pedantic -Wall -Wextra -Werror)
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
gcc "${strict[@]}" $(pc --cflags) "$dir/client.c" -o "$dir/client" $(pc --libs) -pthread ||
    fail "a program does not build with pkg-config --cflags --libs srres"
# (ldd's output kept first: grep -q ending the pipe early fails it under pipefail.)
libs=$(LD_LIBRARY_PATH=$root/lib ldd "$dir/client")
grep -q "libsrres.so.$ver => $root/lib/" <<<"$libs" ||
    fail "the shared client does not load the installed libsrres.so.$ver"
LD_LIBRARY_PATH=$root/lib "$dir/client" "$model" || fail "the shared client failed"
# shellcheck disable=SC2046
gcc "${strict[@]}" -static $(pc --cflags --static) "$dir/client.c" -o "$dir/client-static" \
    $(pc --libs --static) -pthread || fail "a program does not link statically with pkg-config --static"
if ldd "$dir/client-static" >/dev/null 2>&1; then fail "the static client is dynamic"; fi
"$dir/client-static" "$model" || fail "the static client failed"

make --no-print-directory -s B="$b" DESTDIR="$dest" uninstall >"$dir/uninstall.log" 2>&1 ||
    fail "make uninstall failed: $(tail -5 "$dir/uninstall.log")"
left=$(find "$dest" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $(echo "$left" | tr '\n' ' ')"
echo "test_install: $(echo "$expected" | wc -l) files installed and uninstalled; a pkg-config" \
    "client ran shared and static, two contexts on one model in two threads"
