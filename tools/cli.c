/* cli.c: fatal errors and option parsing for the tools. */
#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *program_name = "srres";
static void (*fatal)(int, const char *);

void cli_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            open("/dev/null", O_RDONLY); /* the lowest free number: fd */
}

/* At exit: what never reached standard output (a full disk, a broken pipe) fails the run;
 * srres-eval > results.csv on a full disk left an empty file and status 0. */
static void check_stdout(void)
{
    int lost = ferror(stdout);
    errno = 0;
    if (fflush(stdout) != 0 || lost) { /* not fclose: a later exit handler may still print */
        fprintf(stderr, "%s: standard output: %s\n", program_name,
                errno ? strerror(errno) : "a write failed");
        _exit(1);
    }
}

void cli_init(const char *program, void (*fatal_exit)(int status, const char *line))
{
    program_name = program;
    fatal = fatal_exit;
    atexit(check_stdout);
}

/* Says line (the whole of it in one write, not interleaved with another process's) and ends
 * with status. */
static void __attribute__((noreturn)) die_with(int status, const char *line)
{
    if (fatal)
        fatal(status, line);
    fputs(line, stderr);
    exit(status);
}

void cli_version(void)
{
    static const char *const names[] = {"libavformat", "libavcodec", "libavfilter", "libswscale",
                                        "libavutil"};
    const unsigned v[] = {avformat_version(), avcodec_version(), avfilter_version(),
                          swscale_version(), avutil_version()};
    printf("%s %d.%d\n", program_name, SRRES_VERSION_MAJOR, SRRES_VERSION_MINOR);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        printf("%s%s %u.%u.%u", i ? ", " : "", names[i], AV_VERSION_MAJOR(v[i]),
               AV_VERSION_MINOR(v[i]), AV_VERSION_MICRO(v[i]));
    printf(" (FFmpeg %s)\n%s\n", av_version_info(), openblas_get_config());
}

void cli_die(const char *fmt, ...)
{
    char message[8192], line[8448];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "%s: %s\n", program_name, message);
    die_with(1, line);
}

/* "program: WHAT: PROBLEM (see --help)", status 2: the command line is wrong. */
static void __attribute__((noreturn)) usage_error(const char *what, const char *problem)
{
    char line[8448];
    snprintf(line, sizeof(line), "%s: %s: %s (see --help)\n", program_name, what, problem);
    die_with(2, line);
}

void cli_bad_option(int c, char *const *argv, const char *shorts)
{
    /* An unknown letter, perhaps inside a group (-yz), is optopt; anything else is the word
     * as given: an unknown long option, or one that takes no value given one (--help=1). */
    if (c == '?' && optopt > 0 && optopt < 128 && !strchr(shorts, optopt)) {
        char letter[3] = {'-', (char)optopt, '\0'};
        usage_error(letter, "not an option");
    }
    usage_error(argv[optind - 1], c == ':' ? "needs a value" : "not an option");
}

void cli_not_an_option(const char *word, const char *hint)
{
    char problem[256];
    snprintf(problem, sizeof(problem), "not an option%s%s", hint ? "; " : "", hint ? hint : "");
    usage_error(word, problem);
}

const char *cli_file(const char *opt, const char *s)
{
    if (!*s)
        cli_die("%s: an empty file name (an unset variable?)", opt);
    return s;
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        cli_die("%s: '%s' is not an integer in %ld..%ld", opt, s, lo, hi);
    return v;
}

double cli_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        cli_die("%s: '%s' is not a number in %g..%g", opt, s, lo, hi);
    return v;
}

int cli_choice(const char *opt, const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    cli_die("%s: '%s' is not one of the choices (see --help)", opt, s);
}

srres_kernel cli_kernel(const char *s)
{
    if (!strcmp(s, "auto"))
        return SRRES_KERNEL_AUTO;
    if (!strcmp(s, "avx2"))
        return SRRES_KERNEL_AVX2;
    if (!strcmp(s, "baseline"))
        return SRRES_KERNEL_BASELINE;
    cli_die("--kernel: '%s' is not auto, avx2 or baseline", s);
}

srres_precision cli_precision(const char *s)
{
    if (strcmp(s, "fp32") && strcmp(s, "bf16"))
        cli_die("--precision: '%s' is not fp32 or bf16", s);
    return strcmp(s, "bf16") ? SRRES_PRECISION_FP32 : SRRES_PRECISION_BF16;
}

int cli_ensemble(const char *s)
{
    static const char *const passes[] = {"1", "2", "4", "8"};
    return 1 << cli_choice("--ensemble", s, passes, 4);
}

srres_model *cli_load_model(const char *path)
{
    srres_model *m;
    srres_error e;
    if (srres_model_load(path, &m, &e) != SRRES_OK)
        cli_die("%s", e.message);
    return m;
}

int cli_control_bytes(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] < 0x20 || u[0] == 0x7f)
        return u[0] ? 1 : 0;
    return u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f ? 2 : 0;
}

const char *cli_network(char *buf, size_t n, const srres_config *c)
{
    snprintf(buf, n, "x%d, %d block%s x %d channel%s, image skip %s", c->scale, c->blocks,
             c->blocks == 1 ? "" : "s", c->channels, c->channels == 1 ? "" : "s",
             c->image_skip == SRRES_SKIP_NEAREST ? "nearest" : "none");
    return buf;
}
