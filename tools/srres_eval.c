/* srres-eval: scores a model the way SR papers do, against bicubic and lanczos, on a set of
 * HR images: HR cut to a multiple of the scale from its top-left corner, LR = Pillow bicubic
 * downscale, PSNR and SSIM on Y (BT.601, 16-235) with `scale` pixels cropped from every
 * border, fully transparent pixels left out. */
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <libavutil/avstring.h>
#include <libavutil/log.h>

#include "bundled_model.h"
#include "cli.h"
#include "evaluate.h"
#include "input_list.h"
#include "openblas_core.h"
#include "srres.h"

/* A CSV field as RFC 4180 has it: quoted, with its quotes doubled, if it holds a comma, a
 * quote or a line break (file names may). */
static void put_csv_field(const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* The columns a name takes in the table, its characters read as UTF-8 whatever the user's
 * locale (names are printed as they are): a wide character (CJK, "東京.png") takes two, a
 * combining one none, one not printable (shown as '?') or a byte that is not UTF-8 one.
 * Counted a character a column, a CJK name was padded a column short a character. */
static int table_width(const char *s)
{
    static locale_t utf8;
    if (!utf8)
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!utf8) { /* no such locale: a column a character */
        int n = 0;
        for (; *s; s++)
            n += ((unsigned char)*s & 0xc0) != 0x80;
        return n;
    }
    locale_t was = uselocale(utf8);
    int n = 0;
    mbstate_t st = {0};
    for (size_t left = strlen(s); left;) {
        wchar_t c;
        size_t len = mbrtowc(&c, s, left, &st);
        int cols = 1;
        if (len >= (size_t)-2) {
            len = 1;
            memset(&st, 0, sizeof(st));
        } else if (wcwidth(c) >= 0) {
            cols = wcwidth(c);
        }
        n += cols;
        s += len;
        left -= len;
    }
    uselocale(was);
    return n;
}

/* A name in the table, padded to `width`, its control characters shown as '?': a line
 * break in a file name broke the table, an escape sequence reached the terminal. */
static void put_table_name(const char *s, int width)
{
    int n = table_width(s);
    for (; *s; s++) {
        int control = cli_control_bytes(s);
        putchar(control ? '?' : *s);
        s += control == 2;
    }
    printf("%*s", width > n ? width - n : 0, "");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: srres-eval -m MODEL [options] IMAGE|FOLDER...\n"
               "Prints PSNR/SSIM-Y of bicubic, lanczos and the model for every image and the "
               "mean.\n"
               "Pixels of alpha 0 are not scored; an image of one colour, or too small to\n"
               "score, is named and left out of the means, as is a file that cannot be read,\n"
               "which makes the exit status 1.\n"
               "  -m, --model FILE    the model or a srres-train checkpoint (its scale sets the\n"
               "                      degradation), or a bundled model's name (x4, x2-fast, ...)\n"
               "      --crop N        centre crop of at most N x N HR pixels (default: whole)\n"
               "      --threads N     network threads (default: one per CPU it may use)\n"
               "      --kernel K      auto, avx2 or baseline (default auto)\n"
               "      --precision P   fp32 or bf16 (default fp32)\n"
               "      --ensemble N    mean over N = 1, 2, 4 or 8 flips/transposes of each\n"
               "                      image (self-ensemble; N times the time; default 1)\n"
               "      --csv           comma-separated output\n"
               "  -h, --help / --version\n");
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *kernel = "auto", *precision = "fp32";
    int crop = 0, threads = 0, csv = 0, ensemble = 1, c;
    cli_std_fds();
    openblas_core_choose(argv);
    cli_init("srres-eval", NULL);
    static const struct option longs[] = {
        {"model", required_argument, 0, 'm'}, {"crop", required_argument, 0, 'c'},
        {"threads", required_argument, 0, 't'}, {"kernel", required_argument, 0, 'k'},
        {"csv", no_argument, 0, 'C'}, {"precision", required_argument, 0, 'p'},
        {"ensemble", required_argument, 0, 'e'},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    static const char shorts[] = ":m:h";
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'c': crop = (int)cli_long("--crop", optarg, 0, 1 << 20); break;
        case 't': threads = (int)cli_long("--threads", optarg, 0, 1024); break;
        case 'k': kernel = optarg; break;
        case 'C': csv = 1; break;
        case 'p': precision = optarg; break;
        case 'e': ensemble = cli_ensemble(optarg); break;
        case 'h': usage(stdout); return 0;
        case 'V': cli_version(); return 0;
        default: cli_bad_option(c, argv, shorts);
        }
    }
    if (!model_path)
        cli_die("-m MODEL is required (see --help)");
    char model_file[PATH_MAX + 64];
    model_path = bundled_model_resolve(model_file, sizeof(model_file), "-m", model_path);
    /* Our messages name the file and the problem; libav's are left out, its "fatal" ones too
     * (MJPEG's "No JPEG data found in image" for a picture that is only our line's error),
     * but not an assertion's line before it aborts the process. */
    av_log_set_level(AV_LOG_PANIC);
    char err[512];
    input_list files = {0};
    for (int i = optind; i < argc; i++)
        if (input_list_add(&files, argv[i], err, sizeof(err)) < 0)
            cli_die("%s", err);
    if (!files.count)
        cli_die("no images given (see --help)");
    input_list_say_skipped(&files, "srres-eval");
    /* The same file twice (two folders of links, say) would weigh twice in the mean. */
    int again = input_list_repeats(&files, 1);
    if (again < 0)
        cli_die("out of memory");
    if (again)
        fprintf(stderr, "srres-eval: %d image%s given again (the same file) left out: each is "
                        "scored once\n", again, again == 1 ? "" : "s");
    srres_error e;
    srres_model *m = cli_load_model(model_path);
    srres_params p = srres_default_params();
    p.threads = threads;
    p.ensemble = ensemble;
    p.kernel = cli_kernel(kernel);
    p.precision = cli_precision(precision);
    srres_ctx *ctx;
    if (srres_ctx_create(m, &p, &ctx, &e) != SRRES_OK)
        cli_die("%s: %s", model_path, e.message);
    int scale = srres_model_config(m)->scale;
    if (crop && crop < eval_min_side(scale))
        cli_die("--crop %d is too small to score at x%d: at least %d", crop, scale,
                eval_min_side(scale));
    int n = files.count;
    eval_score *bic = calloc((size_t)n, sizeof(eval_score)),
               *lan = calloc((size_t)n, sizeof(eval_score));
    eval_score *mod = calloc((size_t)n, sizeof(eval_score)), mb = {0}, ml = {0}, mm = {0};
    if (!bic || !lan || !mod)
        cli_die("out of memory");
    /* One image at a time: a folder of large photographs was held whole, gigabytes of it.
     * An image that cannot be scored (one colour, too small) or read (no permission, damaged)
     * is said and left out, where it ended the run and lost every score before it. A file
     * not read still fails the run once the rest is printed: a mean without it is no
     * benchmark's, and a script must not take it for one. */
    char *scored = calloc((size_t)n, 1);
    if (!scored)
        cli_die("out of memory");
    int kept = 0, unread = 0;
    for (int i = 0; i < n; i++) {
        eval_set one;
        eval_score unused;
        int status = eval_set_load(&one, (const char *const *)&files.paths[i], 1, scale, crop,
                                   err, sizeof(err));
        if (status == -2 || status == -3) {
            fprintf(stderr, "srres-eval: %s; left out of the table and the means\n", err);
            eval_set_free(&one);
            unread += status == -3;
            continue;
        }
        if (status < 0 ||
            eval_resampler(&one, RESAMPLE_BICUBIC, &bic[i], &unused, err, sizeof(err)) < 0 ||
            eval_resampler(&one, RESAMPLE_LANCZOS, &lan[i], &unused, err, sizeof(err)) < 0 ||
            eval_model(&one, ctx, &mod[i], &unused, err, sizeof(err)) < 0)
            cli_die("%s", err);
        eval_set_free(&one);
        scored[i] = 1;
        kept++;
    }
    if (!kept)
        cli_die("no image scored (of %d given)", n);
    /* The means add each score over the count in order, as eval_model's do. */
    for (int i = 0; i < n; i++) {
        if (!scored[i])
            continue;
        mb.psnr += bic[i].psnr / kept, mb.ssim += bic[i].ssim / kept;
        ml.psnr += lan[i].psnr / kept, ml.ssim += lan[i].ssim / kept;
        mm.psnr += mod[i].psnr / kept, mm.ssim += mod[i].ssim / kept;
    }
    /* Images are named by as much of their path as tells them apart (two folders of a
     * benchmark may both hold img_001.png). */
    int width = (int)strlen("image"); /* the name column fits the longest name */
    for (int i = 0; i < n; i++) {
        int len = scored[i] ? table_width(input_list_name(&files, i)) : 0;
        width = len > width ? len : width;
    }
    if (csv)
        printf("image,bicubic_psnr,bicubic_ssim,lanczos_psnr,lanczos_ssim,model_psnr,model_ssim\n");
    else {
        printf("x%d, ", scale);
        put_table_name(av_basename(model_path), 0);
        printf(": PSNR-Y dB / SSIM-Y, border %d\n%-*s %16s %16s %16s %8s\n", scale, width,
               "image", "bicubic", "lanczos", "model", "gain");
    }
    for (int i = 0; i < n; i++) {
        if (!scored[i])
            continue;
        const char *name = input_list_name(&files, i);
        if (csv) {
            put_csv_field(name);
            printf(",%.4f,%.5f,%.4f,%.5f,%.4f,%.5f\n", bic[i].psnr, bic[i].ssim, lan[i].psnr,
                   lan[i].ssim, mod[i].psnr, mod[i].ssim);
        } else {
            put_table_name(name, width);
            printf(" %7.3f /%7.4f %7.3f /%7.4f %7.3f /%7.4f %+7.3f\n", bic[i].psnr,
                   bic[i].ssim, lan[i].psnr, lan[i].ssim, mod[i].psnr, mod[i].ssim,
                   mod[i].psnr - bic[i].psnr);
        }
    }
    int worse = 0;
    for (int i = 0; i < n; i++)
        worse += scored[i] && mod[i].psnr <= bic[i].psnr;
    if (csv)
        printf("mean,%.4f,%.5f,%.4f,%.5f,%.4f,%.5f\n", mb.psnr, mb.ssim, ml.psnr, ml.ssim,
               mm.psnr, mm.ssim);
    else
        printf("%-*s %7.3f /%7.4f %7.3f /%7.4f %7.3f /%7.4f %+7.3f\n"
               "the model beats bicubic on %d of %d images\n",
               width, "mean", mb.psnr, mb.ssim, ml.psnr, ml.ssim, mm.psnr, mm.ssim,
               mm.psnr - mb.psnr, kept - worse, kept);
    free(bic), free(lan), free(mod), free(scored);
    srres_ctx_free(ctx);
    srres_model_free(m);
    input_list_free(&files);
    if (unread)
        fprintf(stderr, "srres-eval: %d of %d files could not be read: the means leave %s "
                        "out\n", unread, n, unread == 1 ? "it" : "them");
    return unread ? 1 : 0;
}
