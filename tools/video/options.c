/* options.c: srres-video's command line: its options, their checks and the usage text.
 * Fills the options struct it is given and touches nothing else; a bad option ends the run
 * here (cli_die). */
#include <ctype.h>
#include <getopt.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/parseutils.h>
#include <libavutil/pixdesc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output_file.h"

#include "options.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: srres-video -i INPUT -o OUTPUT [options]\n"
           "Upscales the video of INPUT with an SRResNet model; copies audio, subtitles and data.\n"
           "Images work too (-i in.png -o out.png), and numbered image sequences\n"
           "(-i frames/%%04d.png -o up/%%04d.png: a file a frame).\n"
           "\n"
           "  -i FILE                 input video or image (- or pipe:0: standard input)\n"
           "      --input-format FMT  the input's format, where the input cannot say it:\n"
           "                          rawvideo for raw frames (ffmpeg -demuxers lists them)\n"
           "      --demux-opt KEY=VALUE\n"
           "                          any option of the input's demuxer, as ffmpeg's -KEY\n"
           "                          VALUE before -i (e.g. rawvideo's video_size=320x240,\n"
           "                          pixel_format=yuv420p, framerate=25); repeatable\n"
           "  -o FILE                 output; the container follows the extension; a URL\n"
           "                          (tcp://, udp://, srt://, rtmp://...) is streamed to\n"
           "  -f FORMAT               the output's container, for names without one: -o - (or\n"
           "                          pipe:1) -f matroska writes to standard output, -o\n"
           "                          udp://HOST:PORT -f mpegts streams (rtmp:// is flv)\n"
           "  -m, --model FILE        model, or a srres-train checkpoint, or a bundled model\n"
           "                          by name: x2, x4, x2-fast, x4-fast (default: x4, of\n"
           "                          the build's tree, else the installed one)\n"
           "  -y                      overwrite OUTPUT if it exists (refused otherwise)\n"
           "      --threads N         network threads (default 0: one per CPU it may use)\n"
           "      --tile N            LR tile side, 32 or more (default 0 = automatic;\n"
           "                          -1 = untiled)\n"
           "      --max-memory SIZE   network buffers the automatic tiles keep within\n"
           "                          (bytes, or e.g. 512M, 2G; default 1G)\n"
           "      --queue N           frames queued between threads (default 4), within\n"
           "                          256 MB of upscaled frames a queue\n"
           "      --kernel K          auto, avx2 or baseline (default auto)\n"
           "      --precision P       fp32 or bf16 (default fp32)\n"
           "      --ensemble N        mean over N = 1, 2, 4 or 8 flips/transposes of each\n"
           "                          frame: a little more detail, N times the time (default 1)\n"
           "  -ss POSITION            start at this time (seconds or [HH:]MM:SS[.m])\n"
           "  -t DURATION             write at most this much\n"
           "      --frames N          write at most N video frames\n"
           "      --vf-pre GRAPH      libavfilter graph before the network (e.g. yadif)\n"
           "      --vf-post GRAPH     libavfilter graph after it (e.g. scale=1920:1080)\n"
           "      --segment I/N       only the I-th of N equal time ranges, cut on keyframes,\n"
           "                          timestamps kept (for spreading a job over machines)\n"
           "  srres-video --concat OUTPUT SEGMENT...   joins segments back into one file\n"
           "  -an, -sn                drop audio / subtitle streams\n"
           "  -c:v CODEC              video encoder (default libx264 for .mp4/.mkv/.mov/.ts/.flv)\n"
           "  -crf Q                  constant quality (default 18 with libx264; 0 to 63)\n"
           "  -b:v RATE               bit rate (e.g. 8M) instead of -crf\n"
           "  -preset NAME            encoder preset (libx264 default: medium)\n"
           "  -pix_fmt FMT            output pixel format (default: the input's, or the nearest\n"
           "                          the encoder takes: RGB into H.264 is 4:4:4 YUV)\n"
           "  -x264-params K=V:...    passed to libx264 (one it cannot parse is refused)\n"
           "      --enc-opt KEY=VALUE any encoder option, as ffmpeg's -KEY VALUE (e.g.\n"
           "                          tune=film, g=48, maxrate=8M, x265-params=...); repeatable\n"
           "      --mux-opt KEY=VALUE any option of the output's muxer (e.g.\n"
           "                          movflags=+faststart, brand=mp42, start_number=0 for\n"
           "                          numbered images); set after srres-video's; repeatable\n"
           "  -v, --verbose / -q, --quiet\n"
           "  -h, --help / --version\n"
           "The ffmpeg-style options also have long forms: --format, --ss, --duration,\n"
           "--no-audio, --no-subs, --codec (and -vcodec), --crf, --bitrate, --preset,\n"
           "--pix-fmt, --x264-params.\n");
}

static int64_t parse_time(const char *opt, const char *s)
{
    int64_t us;
    if (av_parse_time(&us, s, 1) < 0 || us < 0)
        cli_die("%s: '%s' is not a time (seconds or [HH:]MM:SS[.m])", opt, s);
    return us;
}

/* --max-memory's bytes: decimal digits, then K, M, G or T (powers of 1024, with or without
 * "i" and "B", in either case: 512M, 512MiB, 2gb), or none for bytes, as the filter's
 * max_memory counts them (its M is 10^6: only bytes mean the same in both). strtod alone took
 * "nan" (no limit) and "0x100", and a bare 16777216 was read as that many MiB. */
static size_t memory_size(const char *s)
{
    const char *p = s + strspn(s, "0123456789");
    if (*p == '.')
        p += 1 + strspn(p + 1, "0123456789");
    double v = p > s ? strtod(s, NULL) : -1;
    const char *u = *p ? strchr("KMGT", toupper((unsigned char)*p)) : NULL;
    if (u) {
        for (const char *k = "KMGT"; k <= u; k++)
            v *= 1024;
        p += 1 + (tolower((unsigned char)p[1]) == 'i');
    }
    p += toupper((unsigned char)*p) == 'B';
    if (v < 16.0 * 1024 * 1024 || v > 1e15 || *p)
        cli_die("--max-memory: '%s' is not a size like 512M or 2G (or bytes; at least 16M)", s);
    return (size_t)v;
}

/* ffmpeg-style single-dash options are rewritten to long options before getopt. */
static const char *const ffmpeg_style[][2] = {
    {"-ss", "--ss"},
    {"-t", "--duration"},
    {"-an", "--no-audio"},
    {"-sn", "--no-subs"},
    {"-c:v", "--codec"},
    {"-vcodec", "--codec"},
    {"-crf", "--crf"},
    {"-b:v", "--bitrate"},
    {"-preset", "--preset"},
    {"-pix_fmt", "--pix-fmt"},
    {"-x264-params", "--x264-params"},
};

/* ffmpeg's options for what srres-video does another way, and the way. */
static const char *const ffmpeg_ways[][2] = {
    {"-vf", "filters go as --vf-pre GRAPH (before the network) or --vf-post GRAPH (after)"},
    {"-filter:v", "filters go as --vf-pre GRAPH (before the network) or --vf-post GRAPH (after)"},
    {"-frames:v", "--frames N writes at most N video frames"},
    {"-vframes", "--frames N writes at most N video frames"},
    {"-r", "an output frame rate goes as --vf-post fps=RATE"},
    {"-s", "an output size goes as --vf-post scale=W:H"},
    {"-to", "give the length from -ss as -t DURATION"},
};

static const char *ffmpeg_way(const char *word)
{
    for (size_t k = 0; k < sizeof(ffmpeg_ways) / sizeof(ffmpeg_ways[0]); k++)
        if (!strcmp(word, ffmpeg_ways[k][0]))
            return ffmpeg_ways[k][1];
    return NULL;
}

/* Whether some encoder has an option of that name: its context's (-g, -maxrate) or its own
 * (-tune, -x265-params). */
static int an_encoder_option(const char *name)
{
    const AVClass *ctx = avcodec_get_class();
    if (av_opt_find(&ctx, name, NULL, AV_OPT_FLAG_ENCODING_PARAM, AV_OPT_SEARCH_FAKE_OBJ))
        return 1;
    void *it = NULL;
    const AVCodec *c;
    while ((c = av_codec_iterate(&it)))
        if (av_codec_is_encoder(c) && c->priv_class &&
            av_opt_find((void *)&c->priv_class, name, NULL, 0, AV_OPT_SEARCH_FAKE_OBJ))
            return 1;
    return 0;
}

/* Whether some demuxer has an option of that name (rawvideo's video_size), or the input's
 * context (probesize). */
static int a_demuxer_option(const char *name)
{
    const AVClass *ctx = avformat_get_class();
    if (av_opt_find(&ctx, name, NULL, AV_OPT_FLAG_DECODING_PARAM, AV_OPT_SEARCH_FAKE_OBJ))
        return 1;
    void *it = NULL;
    const AVInputFormat *f;
    while ((f = av_demuxer_iterate(&it)))
        if (f->priv_class &&
            av_opt_find((void *)&f->priv_class, name, NULL, 0, AV_OPT_SEARCH_FAKE_OBJ))
            return 1;
    return 0;
}

/* A word of ffmpeg's that srres-video does not take (-vf, -hide_banner, -frames:v), which
 * getopt would read as a group of letters: -vf as -v -f GRAPH ("no such output format"),
 * -hide_banner as -h (the help, status 0, nothing done). A group of the letters that take no
 * value (-yq) is none; a letter of ffmpeg's (-g) is, for getopt alone would not say what to
 * give instead. */
static int foreign_ffmpeg_option(const char *s, const char *shorts)
{
    size_t n = strlen(s);
    if (ffmpeg_way(s))
        return 1;
    if (n == 2)
        return s[0] == '-' && islower((unsigned char)s[1]) && !strchr(shorts, s[1]) &&
               an_encoder_option(s + 1);
    return n > 2 && s[0] == '-' && islower((unsigned char)s[1]) &&
           strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789_:-") == n - 1 &&
           strspn(s + 1, "yvqh") < n - 1;
}

/* An ffmpeg option srres-video does not take; an encoder's or a demuxer's is named the way it
 * takes it (ffmpeg's raw video input, -f rawvideo -video_size 320x240 -i -, is a demuxer's). */
static void __attribute__((noreturn)) not_an_option(const char *word, const char *value)
{
    char hint[256];
    if (ffmpeg_way(word))
        cli_not_an_option(word, ffmpeg_way(word));
    if (an_encoder_option(word + 1))
        snprintf(hint, sizeof(hint), "an encoder's option goes as --enc-opt %s=%s", word + 1,
                 value ? value : "VALUE");
    else if (a_demuxer_option(word + 1))
        snprintf(hint, sizeof(hint),
                 "an input's demuxer option goes as --demux-opt %s=%s (and ffmpeg's -f before -i "
                 "as --input-format)",
                 word + 1, value ? value : "VALUE");
    else
        cli_not_an_option(word, NULL);
    cli_not_an_option(word, hint);
}

/* --enc-opt, --mux-opt or --demux-opt KEY=VALUE into its dictionary. */
static void dict_option(AVDictionary **d, const char *opt, const char *arg, const char *example)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        cli_die("%s: '%s' is not KEY=VALUE (e.g. %s)", opt, arg, example);
    char *key = av_strndup(arg, eq - arg);
    if (!key || av_dict_set(d, key, eq + 1, AV_DICT_DONT_STRDUP_KEY) < 0)
        cli_die("out of memory");
}

void parse_options(options *o, int argc, char **argv)
{
    enum {
        O_THREADS = 256,
        O_TILE,
        O_QUEUE,
        O_FRAMES,
        O_PRE,
        O_POST,
        O_SS,
        O_T,
        O_AN,
        O_SN,
        O_CODEC,
        O_CRF,
        O_BR,
        O_PRESET,
        O_PIXFMT,
        O_X264,
        O_KERNEL,
        O_PREC,
        O_SEG,
        O_CONCAT,
        O_MEM,
        O_ENS,
        O_ENCOPT,
        O_MUXOPT,
        O_INFMT,
        O_DEMUXOPT
    };
    static const struct option longs[] = {{"model", required_argument, 0, 'm'},
                                          {"threads", required_argument, 0, O_THREADS},
                                          {"tile", required_argument, 0, O_TILE},
                                          {"queue", required_argument, 0, O_QUEUE},
                                          {"frames", required_argument, 0, O_FRAMES},
                                          {"vf-pre", required_argument, 0, O_PRE},
                                          {"vf-post", required_argument, 0, O_POST},
                                          {"ss", required_argument, 0, O_SS},
                                          {"duration", required_argument, 0, O_T},
                                          {"no-audio", no_argument, 0, O_AN},
                                          {"no-subs", no_argument, 0, O_SN},
                                          {"codec", required_argument, 0, O_CODEC},
                                          {"crf", required_argument, 0, O_CRF},
                                          {"bitrate", required_argument, 0, O_BR},
                                          {"preset", required_argument, 0, O_PRESET},
                                          {"pix-fmt", required_argument, 0, O_PIXFMT},
                                          {"x264-params", required_argument, 0, O_X264},
                                          {"kernel", required_argument, 0, O_KERNEL},
                                          {"precision", required_argument, 0, O_PREC},
                                          {"segment", required_argument, 0, O_SEG},
                                          {"concat", required_argument, 0, O_CONCAT},
                                          {"max-memory", required_argument, 0, O_MEM},
                                          {"ensemble", required_argument, 0, O_ENS},
                                          {"format", required_argument, 0, 'f'},
                                          {"enc-opt", required_argument, 0, O_ENCOPT},
                                          {"mux-opt", required_argument, 0, O_MUXOPT},
                                          {"input-format", required_argument, 0, O_INFMT},
                                          {"demux-opt", required_argument, 0, O_DEMUXOPT},
                                          {"verbose", no_argument, 0, 'v'},
                                          {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},
                                          {"version", no_argument, 0, 'V'},
                                          {0, 0, 0, 0}};
    static const char shorts[] = ":i:o:f:m:yvqh";
    for (int i = 1; i < argc; i++) {
        size_t k = 0, n = sizeof(ffmpeg_style) / sizeof(ffmpeg_style[0]);
        while (k < n && strcmp(argv[i], ffmpeg_style[k][0]))
            k++;
        if (k < n)
            argv[i] = (char *)ffmpeg_style[k][1];
        else if (foreign_ffmpeg_option(argv[i], shorts))
            not_an_option(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
    }
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        /* "-" is standard input or output, as for ffmpeg; one of each (a second one won
         * silently, where ffmpeg would read two inputs) */
        case 'i':
            if (o->input)
                cli_die("-i given twice: one input a run (--concat joins outputs)");
            o->input = strcmp(optarg, "-") ? optarg : "pipe:0";
            break;
        case 'o':
            if (o->output)
                cli_die("-o given twice: one output a run");
            o->output = strcmp(optarg, "-") ? output_file_name(optarg) : "pipe:1";
            break;
        case 'f':
            if (!av_guess_format(optarg, NULL, NULL))
                cli_die("-f %s: no such output format (ffmpeg -muxers lists them)", optarg);
            o->format = optarg;
            break;
        case 'm': /* one network a run: the first was dropped without a word */
            if (o->model)
                cli_die("-m given twice: one model a run");
            o->model = optarg;
            break;
        case 'y': o->overwrite = 1; break;
        case 'v': o->verbose = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        case 'V': cli_version(); exit(0);
        case O_THREADS: o->threads = (int)cli_long("--threads", optarg, 0, 1024); break;
        case O_TILE:
            o->tile = (int)cli_long("--tile", optarg, -1, 1 << 16);
            /* Each tile computes a border of the network's reach (39 LR pixels at x4) on
             * every side: tiles of 8 pixels ran 30 to 80 times slower. The automatic
             * tiles are never under 32 either (core/srres.h). */
            if (o->tile > 0 && o->tile < 32)
                cli_die("--tile %d: tiles under 32 pixels a side spend nearly all their time "
                        "on their borders; use 32 or more, 0 (automatic) or -1 (untiled)",
                        o->tile);
            break;
        case O_QUEUE: o->queue = (int)cli_long("--queue", optarg, 1, 1024); break;
        case O_FRAMES: o->max_frames = cli_long("--frames", optarg, 1, LONG_MAX); break;
        case O_PRE: o->vf_pre = optarg; break;
        case O_POST: o->vf_post = optarg; break;
        case O_SS: o->start_us = parse_time("-ss", optarg); break;
        case O_T:
            /* else the run decodes, writes nothing and blames the input ("empty video") */
            if (!(o->duration_us = parse_time("-t", optarg)))
                cli_die("-t: '%s' writes nothing", optarg);
            break;
        case O_AN: o->no_audio = 1; break;
        case O_SN: o->no_subs = 1; break;
        case O_CODEC: o->codec = optarg; break;
        case O_CRF: o->crf = cli_double("-crf", optarg, 0, 63); break; /* x264's is a float */
        case O_BR: {
            double v;
            char *end;
            v = strtod(optarg, &end);
            if (*end == 'k' || *end == 'K')
                v *= 1e3, end++;
            else if (*end == 'M' || *end == 'm')
                v *= 1e6, end++;
            if (end == optarg || *end || v <= 0)
                cli_die("-b:v: '%s' is not a bit rate (e.g. 8M)", optarg);
            o->bit_rate = (int64_t)v;
            break;
        }
        case O_PRESET: o->preset = optarg; break;
        case O_PIXFMT:
            if (av_get_pix_fmt(optarg) == AV_PIX_FMT_NONE)
                cli_die("-pix_fmt %s: unknown pixel format (ffmpeg -pix_fmts lists them)", optarg);
            o->pix_fmt = optarg;
            break;
        case O_X264: o->x264_params = optarg; break;
        case O_KERNEL: o->kernel = optarg; break;
        case O_PREC: o->precision = optarg; break;
        case O_ENS: o->ensemble = cli_ensemble(optarg); break;
        case O_ENCOPT: dict_option(&o->enc_opts, "--enc-opt", optarg, "tune=film, g=48"); break;
        case O_MUXOPT: dict_option(&o->mux_opts, "--mux-opt", optarg, "movflags=+faststart"); break;
        case O_INFMT:
            if (!av_find_input_format(optarg))
                cli_die("--input-format %s: no such input format (ffmpeg -demuxers lists them)",
                        optarg);
            o->input_format = optarg;
            break;
        case O_DEMUXOPT:
            dict_option(&o->demux_opts, "--demux-opt", optarg, "video_size=320x240");
            break;
        case O_SEG: {
            int len = 0; /* what follows N ("2/3x", "2/3/4" ran as 2/3) */
            if (sscanf(optarg, "%d/%d%n", &o->segment, &o->segments, &len) != 2 || optarg[len] ||
                o->segments < 1 || o->segments > 100000 || o->segment < 1 ||
                o->segment > o->segments)
                cli_die("--segment: '%s' is not I/N with 1 <= I <= N", optarg);
            break;
        }
        case O_CONCAT: o->concat = optarg; break;
        case O_MEM:
            o->max_memory = memory_size(optarg);
            break;
        default: cli_bad_option(c, argv, shorts);
        }
    }
    if (o->concat) {
        /* getopt takes the word after --concat whatever it is: "--concat -y out.mkv ..."
         * joined into a file named -y. */
        if (o->concat[0] == '-' && o->concat[1])
            cli_die("--concat: '%s' is no output name; give the output right after --concat",
                    o->concat);
        /* The segments' streams are copied, so these were ignored without a word. */
        const char *moot = o->input          ? "-i"
                           : o->output       ? "-o"
                           : o->model        ? "-m"
                           : o->codec        ? "-c:v"
                           : o->crf >= 0     ? "-crf"
                           : o->bit_rate > 0 ? "-b:v"
                           : o->preset       ? "-preset"
                           : o->x264_params  ? "-x264-params"
                           : o->enc_opts     ? "--enc-opt"
                           : o->pix_fmt      ? "-pix_fmt"
                           : o->vf_pre       ? "--vf-pre"
                           : o->vf_post      ? "--vf-post"
                           : o->input_format ? "--input-format"
                           : o->demux_opts   ? "--demux-opt"
                                             : NULL;
        if (moot)
            cli_die("--concat copies the segments' streams: %s does not apply", moot);
        o->output = o->concat = output_file_name(o->concat);
        return;
    }
    if (optind < argc)
        cli_die("unexpected argument '%s' (see --help)", argv[optind]);
    if (!o->input || !o->output)
        cli_die("-i INPUT and -o OUTPUT are required (see --help)");
    if (o->segments && (o->start_us != AV_NOPTS_VALUE || o->duration_us != AV_NOPTS_VALUE))
        cli_die("--segment excludes -ss and -t");
}
