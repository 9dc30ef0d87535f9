/* options.h: srres-video's options, as its command line gives them (options.c). */
#ifndef SRRES_VIDEO_OPTIONS_H
#define SRRES_VIDEO_OPTIONS_H

#include <libavutil/dict.h>
#include <stddef.h>
#include <stdint.h>

typedef struct options {
    const char *input, *output, *model;
    const char *codec, *preset, *pix_fmt, *x264_params, *vf_pre, *vf_post, *kernel, *precision;
    const char *format; /* -f: the output's container, for names that do not say (pipes) */
    const char *input_format; /* --input-format: the input's demuxer (NULL: probed) */
    double crf;         /* -1: the encoder's default (18 for libx264) */
    int64_t bit_rate;
    int threads, tile, queue, overwrite, no_audio, no_subs, verbose, quiet;
    int ensemble;                  /* --ensemble; 0 = the library's default (one pass) */
    size_t max_memory;             /* --max-memory, bytes; 0 = the library's default */
    int64_t start_us, duration_us; /* AV_NOPTS_VALUE when not given */
    long max_frames;
    int segment, segments;  /* --segment I/N: the I-th (1-based) of N; N = 0: whole input */
    const char *concat;     /* --concat OUTPUT: join the positional segment files */
    AVDictionary *enc_opts; /* --enc-opt KEY=VALUE: a later one for a key wins */
    AVDictionary *mux_opts; /* --mux-opt KEY=VALUE: the same, for the muxer */
    AVDictionary *demux_opts; /* --demux-opt KEY=VALUE: the same, for the input's demuxer */
} options;

/* Fills o, which holds the defaults, from the command line; --help and a bad option end the
 * run. --concat takes the words after the options as its segments (from optind). */
void parse_options(options *o, int argc, char **argv);

#endif
