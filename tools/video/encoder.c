/* encoder.c: the video encoder: chosen (-c:v or the output's name), its options tried, and
 * its pixel format before the threads start; then the writer thread's: configured from the
 * options and the source's colour, opened on the first frame out of the post graph, which
 * sets up the output's video stream and writes its header and the packets held for after
 * it, and drained into the muxer. */
#include <errno.h>
#include <fcntl.h>
#include <libavfilter/buffersink.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "yuvj.h"

#include "app.h"
#include "libav_log.h"

/* Whether one of the formats the encoder lists is such (is_paletted: a palette, whose
 * colours can be transparent, as GIF's; has_alpha). */
int encoder_takes(const AVCodec *codec, int (*such)(enum AVPixelFormat))
{
    for (const enum AVPixelFormat *p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; p++)
        if (such(*p))
            return 1;
    return 0;
}

/* Whether the output stores the alpha the encoder codes: libvpx's goes beside the frames,
 * which only Matroska and WebM keep (in MP4 or IVF it was coded and lost without a word). */
int alpha_stored(const app *a, const AVCodec *codec)
{
    const char *muxer = a->ofmt->oformat->name;
    return !codec || strncmp(codec->name, "libvpx", 6) || !strcmp(muxer, "matroska") ||
           !strcmp(muxer, "webm");
}

static enum AVPixelFormat closest_format(const app *a, const AVCodec *codec, const source_format *s)
{
    enum AVPixelFormat want = a->o.pix_fmt ? av_get_pix_fmt(a->o.pix_fmt) : s->fmt;
    /* A palette is not picked for a palette source unless asked for (but for GIF, below):
     * swscale's is a fixed 3-3-2 one, which upscaled colour does not fit (a palette PNG's
     * output was banded). Its alpha, where a pixel has some (palette_transparent), is kept. */
    if (!a->o.pix_fmt && is_paletted(want))
        want = s->alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24;
    /* GIF's pictures are a palette's: one of their own colours is made for each (the post
     * graph's PALETTE), where swscale's fixed one, 3-3-2, was taken. */
    if (!a->o.pix_fmt && codec && codec->id == AV_CODEC_ID_GIF)
        return AV_PIX_FMT_PAL8;
    /* H.264 by default into FLV and MPEG-TS (h264_by_default) is 4:2:0, as RTMP servers,
     * FLV players and broadcast decoders take it (an RGB source's was High 4:4:4), and 8-bit
     * in FLV, whose players know no High 10. */
    const char *mux = a->ofmt->oformat->name;
    if (!a->o.pix_fmt && !a->o.codec && codec && codec->id == AV_CODEC_ID_H264 &&
        (!strcmp(mux, "flv") || !strcmp(mux, "mpegts"))) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(s->fmt);
        want = d && d->comp[0].depth > 8 && !strcmp(mux, "mpegts") ? AV_PIX_FMT_YUV420P10
                                                                    : AV_PIX_FMT_YUV420P;
    }
    /* YUV4MPEG's wrapped frames list no formats; its muxer takes these (yuv4mpegenc.c), the
     * deeper ones and yuva444p as unofficial (new_encoder): an RGB, alpha or 10-bit source
     * went as it was, and the header was refused ("yuv4mpeg can only handle ..."). */
    static const enum AVPixelFormat y4m[] = {
        AV_PIX_FMT_YUV420P,   AV_PIX_FMT_YUV422P,   AV_PIX_FMT_YUV444P,   AV_PIX_FMT_YUV411P,
        AV_PIX_FMT_GRAY8,     AV_PIX_FMT_YUVJ420P,  AV_PIX_FMT_YUVJ422P,  AV_PIX_FMT_YUVJ444P,
        AV_PIX_FMT_YUVA444P,  AV_PIX_FMT_GRAY9,     AV_PIX_FMT_GRAY10,    AV_PIX_FMT_GRAY12,
        AV_PIX_FMT_GRAY16,    AV_PIX_FMT_YUV420P9,  AV_PIX_FMT_YUV422P9,  AV_PIX_FMT_YUV444P9,
        AV_PIX_FMT_YUV420P10, AV_PIX_FMT_YUV422P10, AV_PIX_FMT_YUV444P10, AV_PIX_FMT_YUV420P12,
        AV_PIX_FMT_YUV422P12, AV_PIX_FMT_YUV444P12, AV_PIX_FMT_YUV420P14, AV_PIX_FMT_YUV422P14,
        AV_PIX_FMT_YUV444P14, AV_PIX_FMT_YUV420P16, AV_PIX_FMT_YUV422P16, AV_PIX_FMT_YUV444P16,
        AV_PIX_FMT_NONE};
    const enum AVPixelFormat *list = codec ? codec->pix_fmts : NULL;
    if (!list && !strcmp(a->ofmt->oformat->name, "yuv4mpegpipe"))
        list = y4m;
    if (!list)
        return want;
    /* Other than the input's own, the deprecated full-range yuvj formats are not picked:
     * an RGB source into H.264 was yuvj444p (full range), where ffmpeg gives yuv444p. */
    enum AVPixelFormat limited[AV_PIX_FMT_NB + 1];
    int nl = 0, opaque = !a->o.pix_fmt && !alpha_stored(a, codec);
    for (int i = 0; list[i] != AV_PIX_FMT_NONE; i++) {
        if (opaque && has_alpha(list[i]))
            continue;
        if (list[i] == want)
            return want;
        if (!is_yuvj(list[i]) && (a->o.pix_fmt || !is_paletted(list[i])))
            limited[nl++] = list[i];
    }
    limited[nl] = AV_PIX_FMT_NONE;
    return avcodec_find_best_pix_fmt_of_list(nl ? limited : list, want, has_alpha(want), NULL);
}

/* The encoder's pixel format for pictures of source s: -pix_fmt, else the source's, else the
 * closest it supports (with alpha if the source has it). JPEG's YUV is full range: FFmpeg 5.1's
 * encoder refuses limited-range planes (any H.264 source's), and ffmpeg converts to yuvj420p and
 * the like, as here. */
enum AVPixelFormat output_format(const app *a, const AVCodec *codec, const source_format *s)
{
    enum AVPixelFormat f = closest_format(a, codec, s);
    return codec && codec->id == AV_CODEC_ID_MJPEG && !a->o.pix_fmt ? yuvj_full(f) : f;
}

/* The encoder's pixel format for pictures --vf-post gives in `named` (its format=gray): that
 * one, as -pix_fmt is taken, but JPEG's YUV full range as output_format makes it; NONE where
 * the encoder does not take it. */
enum AVPixelFormat named_output_format(const AVCodec *codec, enum AVPixelFormat named)
{
    const enum AVPixelFormat *p = codec->pix_fmts;
    while (p && *p != AV_PIX_FMT_NONE && *p != named)
        p++;
    if (p && *p != named)
        return AV_PIX_FMT_NONE;
    return codec->id == AV_CODEC_ID_MJPEG ? yuvj_full(named) : named;
}

/* Sets an encoder's private option; encoders without any have no priv_data to set. */
static int set_private(AVCodecContext *e, const char *key, const char *value)
{
    return e->priv_data ? av_opt_set(e->priv_data, key, value, 0) : AVERROR_OPTION_NOT_FOUND;
}

/* -crf, -preset, -x264-params or an --enc-opt into the encoder, its own options or its
 * context's (g, maxrate), or the error that says whether it has no such option (MPEG-4's
 * -preset) or refuses the value (libsvtav1's -preset 99, which was said to be "does not take
 * it" too). `hint` follows the first. */
static int set_encoder_option(app *a, AVCodecContext *e, const char *opt, const char *key,
                              const char *value, const char *hint)
{
    char eb[ERR_SIZE];
    int ret = av_opt_set(e, key, value, AV_OPT_SEARCH_CHILDREN);
    if (ret == AVERROR_OPTION_NOT_FOUND)
        set_error(a, "%s: the encoder %s does not take it%s", opt, a->enc_codec->name, hint);
    else if (ret < 0)
        set_error(a, "%s: the encoder %s does not take '%s': %s", opt, a->enc_codec->name, value,
                  av_err(ret, eb));
    return ret;
}

/* The options into encoder context e: -b:v, -crf, -preset, -x264-params and --enc-opt, or
 * the error that says which one it refuses. */
static int set_options(app *a, AVCodecContext *e)
{
    if (a->o.bit_rate > 0)
        e->bit_rate = a->o.bit_rate;
    char crf[32];
    snprintf(crf, sizeof(crf), "%g", a->o.crf);
    if (a->o.crf >= 0 &&
        set_encoder_option(a, e, "-crf", "crf", crf, "; give a bit rate with -b:v") < 0)
        return AVERROR(EINVAL);
    if (a->o.crf < 0 && a->o.bit_rate <= 0 && !strcmp(a->enc_codec->name, "libx264"))
        set_private(e, "crf", "18");
    if (a->o.preset && set_encoder_option(a, e, "-preset", "preset", a->o.preset, "") < 0)
        return AVERROR(EINVAL);
    /* x265 prints to stderr itself, past av_log: held to the same level as the rest. */
    if (!strcmp(a->enc_codec->name, "libx265"))
        set_private(e, "x265-params", a->o.verbose ? "log-level=info" : "log-level=error");
    if (a->o.x264_params &&
        set_encoder_option(a, e, "-x264-params", "x264-params", a->o.x264_params, "") < 0)
        return AVERROR(EINVAL);
    /* Last, so that they win, as ffmpeg's -KEY VALUE sets them. */
    const AVDictionaryEntry *t = NULL;
    while ((t = av_dict_get(a->o.enc_opts, "", t, AV_DICT_IGNORE_SUFFIX))) {
        char opt[256];
        snprintf(opt, sizeof(opt), "--enc-opt %s", t->key);
        if (set_encoder_option(a, e, opt, t->key, t->value, "") < 0)
            return AVERROR(EINVAL);
    }
    return 0;
}

/* Whether an option may make libx264's opening read or write a file: two-pass stats (pass=1
 * writes x264_2pass.log over the one a second pass needs), dump-yuv. Those are left to the
 * real opening, not tried. */
static int touches_files(const app *a)
{
    static const char *const words[] = {"pass", "stats", "dump"};
    const AVDictionaryEntry *t = NULL;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (a->o.x264_params && strstr(a->o.x264_params, words[i]))
            return 1;
        while ((t = av_dict_get(a->o.enc_opts, "", t, AV_DICT_IGNORE_SUFFIX)))
            if (strstr(t->key, words[i]) || strstr(t->value, words[i]))
                return 1;
    }
    return 0;
}

/* Whether H.264 is the format's video unless -c:v says: MP4, MOV and Matroska (as ffmpeg
 * makes them with libx264), and MPEG-TS and FLV, whose own defaults (MPEG-2, FLV1's H.263)
 * took several times the bits for the same picture, a poor fit for upscaled video. Not
 * Matroska's audio (.mka), which has the same muxer name and no video. */
static int h264_by_default(const AVOutputFormat *fmt)
{
    static const char *const names[] = {"mp4", "mov", "matroska", "mpegts", "flv"};
    for (size_t i = 0; fmt->video_codec != AV_CODEC_ID_NONE && i < sizeof(names) / sizeof(names[0]);
         i++)
        if (!strcmp(fmt->name, names[i]))
            return 1;
    return 0;
}

/* -c:v, else libx264 for the usual video containers, else what the name implies (PNG for
 * .png through image2, ...). Before the input is opened: a name no encoder has is refused
 * at once, not after a stalled pipe's first bytes. */
void choose_encoder(app *a)
{
    const AVOutputFormat *fmt = a->ofmt->oformat;
    if (a->o.codec)
        a->enc_codec = avcodec_find_encoder_by_name(a->o.codec);
    else if (h264_by_default(fmt) && avcodec_find_encoder_by_name("libx264"))
        a->enc_codec = avcodec_find_encoder_by_name("libx264");
    else
        a->enc_codec =
            avcodec_find_encoder(av_guess_codec(fmt, NULL, a->o.output, NULL, AVMEDIA_TYPE_VIDEO));
    if (!a->enc_codec)
        cli_die("%s: no video encoder %s%s", a->o.output,
                a->o.codec ? a->o.codec : "for this format", a->o.codec ? " in this build" : "");
    /* Refused before a frame is upscaled: the muxer said so at the first frame out, or
     * (MPEG-TS) wrote the video as data no player shows. */
    if (!output_takes_codec(fmt, a->enc_codec->id, output_m2ts(fmt, a->o.output, a->o.mux_opts)))
        cli_die("%s: the %s format cannot hold %s video (-c:v %s)", a->o.output, fmt->name,
                avcodec_get_name(a->enc_codec->id), a->enc_codec->name);
    /* libwebp_anim, FFmpeg's first WebP encoder, keeps the frames for one animation it gives
     * at the end: numbered names got that one file (out001.webp) for every frame, as from
     * ffmpeg. A file a frame takes libwebp's pictures. */
    if (!strcmp(a->enc_codec->name, "libwebp_anim") && numbered_output(a)) {
        if (a->o.codec)
            cli_die("%s: libwebp_anim writes one animation, not a file a frame: give -c:v "
                    "libwebp, or a name without a number",
                    a->o.output);
        a->enc_codec = avcodec_find_encoder_by_name("libwebp");
        if (!a->enc_codec)
            cli_die("%s: no libwebp encoder in this build, to write a WebP file a frame",
                    a->o.output);
    }
    /* The options are set now on a context of the encoder's, as they are on the real one, so
     * that one it refuses ends the run before a frame is upscaled (it was refused at the
     * first frame out, after seconds to minutes of work). What only opening it checks (x264's
     * preset and tune names, -x264-params) is checked by opening libx264 on a 64x64 picture
     * of its first format, which takes milliseconds (unless it touches files); x265,
     * SVT-AV1 and the like take far longer to open and are left to the real opening. */
    AVCodecContext *e = avcodec_alloc_context3(a->enc_codec);
    if (!e)
        cli_die("out of memory");
    int ret = set_options(a, e);
    if (ret >= 0 && av_strstart(a->enc_codec->name, "libx264", NULL) && !touches_files(a)) {
        char eb[ERR_SIZE], refused[X264_PARAM_ERROR_SIZE];
        e->width = e->height = 64;
        e->pix_fmt = a->enc_codec->pix_fmts[0];
        e->time_base = (AVRational){1, 25};
        e->thread_count = 1;
        /* x264 says a preset or tune name it lacks on stderr itself, past av_log: a second
         * line beside ours, which has the reason through av_log. No thread runs yet. */
        int saved = a->o.verbose ? -1 : dup(STDERR_FILENO);
        int null = saved < 0 ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        /* Its lines under -v (cpu capabilities, "profile High, level 1.0") are the real
         * opening's, said then; an error still reaches ours (on_libav_log keeps it). */
        int level = av_log_get_level();
        av_log_set_level(AV_LOG_FATAL);
        ret = avcodec_open2(e, a->enc_codec, NULL);
        av_log_set_level(level);
        if (null >= 0) {
            dup2(saved, STDERR_FILENO);
            close(null);
        }
        if (saved >= 0)
            close(saved);
        if (ret < 0)
            set_error(a, "%s: cannot open the %s encoder: %s", a->o.output, a->enc_codec->name,
                      av_err(ret, eb));
        get_x264_param_error(refused, sizeof(refused));
        if (ret >= 0 && refused[0]) {
            set_error(a,
                      "-x264-params: libx264 cannot take %s (x264 --fullhelp lists its "
                      "options)",
                      refused);
            ret = AVERROR(EINVAL);
        }
    }
    avcodec_free_context(&e);
    if (ret < 0)
        cli_die("%s", a->error);
}

/* A configured, unopened encoder for frames like f, of format d, timestamps in tb, into
 * a->enc. */
static int new_encoder(app *a, const AVFrame *f, const AVPixFmtDescriptor *d, AVRational tb,
                       AVRational rate)
{
    const AVCodec *codec = a->enc_codec;
    a->enc = avcodec_alloc_context3(codec);
    if (!a->enc)
        return AVERROR(ENOMEM);
    AVCodecContext *e = a->enc;
    e->width = f->width;
    e->height = f->height;
    e->pix_fmt = f->format;
    e->sample_aspect_ratio = f->sample_aspect_ratio;
    e->time_base = tb;
    e->framerate = rate;
    e->field_order = AV_FIELD_PROGRESSIVE; /* see sr_main */
    if (!(d->flags & AV_PIX_FMT_FLAG_RGB)) {
        /* The matrix and range the post graph converted with (build_post): the matrix is
         * --vf-post's own where the graph keeps it, which its frames say, as for the
         * primaries and transfer below. */
        e->color_range =
            full_range_out(a, &a->post_src, e->pix_fmt) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
        e->colorspace = a->post_keeps ? kept_space(a, f->colorspace)
                                      : output_space(a, &a->post_src, !has_colour(e->pix_fmt));
        if (d->log2_chroma_w || d->log2_chroma_h)
            e->chroma_sample_location = a->post_src.chroma; /* where init_post sited it */
    } else {
        /* RGB says so, as ffmpeg's output does: FFV1 and libx264rgb streams said "unknown". */
        e->color_range = AVCOL_RANGE_JPEG;
        e->colorspace = AVCOL_SPC_RGB;
    }
    e->color_primaries = a->post_src.primaries;
    e->color_trc = a->post_src.trc;
    /* A --vf-post that changes the primaries or transfer (a tone mapping to SDR: zscale,
     * tonemap) says so on its frames, which the conversion after it keeps: the output said
     * BT.2020 PQ over an SDR picture. */
    if (a->o.vf_post && f->color_primaries != AVCOL_PRI_UNSPECIFIED)
        e->color_primaries = f->color_primaries;
    if (a->o.vf_post && f->color_trc != AVCOL_TRC_UNSPECIFIED)
        e->color_trc = f->color_trc;
    e->thread_count = 1; /* the network has the cores */
    /* YUV4MPEG refuses the deeper formats and yuva444p that closest_format gives a deep or
     * alpha source unless told to take unofficial ones, as ffmpeg's -strict -1 tells it
     * (--mux-opt strict still wins). */
    if (!strcmp(a->ofmt->oformat->name, "yuv4mpegpipe"))
        a->ofmt->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;
    if (a->ofmt->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    /* libvpx's VP8 refuses to code alpha with its alternate reference frames, which it turns
     * on by default: the run failed ("Invalid argument"), as ffmpeg's does. --enc-opt
     * auto-alt-ref still wins. */
    if (!strcmp(codec->name, "libvpx") && has_alpha(e->pix_fmt))
        set_private(e, "auto-alt-ref", "0");
    return set_options(a, e);
}

/* Formats and encoders that take one tick a frame, whatever the encoder opens with: AVI has
 * no timestamps (a tick is a frame slot: 1/600 wrote 613 of them for 25 frames); YUV4MPEG
 * writes the time base into its header as the frame rate (an MP4's 1/12800 said 12800 fps);
 * Theora and RealVideo code it into the stream (at 1/12800 nine frames in ten were lost). */
static int tick_a_frame(const AVOutputFormat *fmt, const AVCodec *codec)
{
    static const char *const names[] = {"avi", "yuv4mpegpipe", "libtheora", "rv10", "rv20"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(fmt->name, names[i]) || !strcmp(codec->name, names[i]))
            return 1;
    return 0;
}

/* Opens a->enc for frames like f, of format d. */
static int open_for(app *a, const AVFrame *f, const AVPixFmtDescriptor *d)
{
    AVRational tb = av_buffersink_get_time_base(a->post.sink);
    AVRational rate = av_buffersink_get_frame_rate(a->post.sink);
    if (!rate.num)
        rate = av_guess_frame_rate(a->ifmt, a->ifmt->streams[a->vin], NULL);
    /* The input's time base keeps its timestamps exact, but MPEG-1/2 take only one tick a
     * frame and MPEG-4 no more than 65535 ticks a second: those get one tick a frame when
     * they refuse to open, the formats and encoders of tick_a_frame from the start. */
    if (tick_a_frame(a->ofmt->oformat, a->enc_codec) && rate.num > 0)
        tb = av_inv_q(rate);
    int ret = new_encoder(a, f, d, tb, rate);
    if (ret >= 0 && (ret = avcodec_open2(a->enc, a->enc_codec, NULL)) < 0 && rate.num > 0 &&
        av_cmp_q(tb, av_inv_q(rate))) {
        avcodec_free_context(&a->enc);
        forget_libav_error(); /* the first time base's refusal */
        if ((ret = new_encoder(a, f, d, av_inv_q(rate), rate)) >= 0)
            ret = avcodec_open2(a->enc, a->enc_codec, NULL);
    }
    return ret;
}

/* The error of an encoder that refused to open (ret) for frames like f, of format d. */
static void refused_to_open(app *a, const AVFrame *f, const AVPixFmtDescriptor *d, int ret)
{
    char eb[ERR_SIZE];
    /* Subsampled chroma needs sides it divides (a x3 model makes odd ones from odd ones):
     * the encoder's own error says only "Generic error in an external library". */
    int cw = 1 << d->log2_chroma_w, ch = 1 << d->log2_chroma_h;
    if (f->width % cw || f->height % ch)
        set_error(a,
                  "%s: %dx%d cannot be %s, whose chroma needs sides that are multiples of "
                  "%dx%d: crop (e.g. --vf-post crop=%d:%d) or give -pix_fmt yuv444p",
                  a->o.output, f->width, f->height, av_get_pix_fmt_name(f->format), cw, ch,
                  f->width / cw * cw, f->height / ch * ch);
    else
        set_error(a, "%s: cannot open the %s encoder (%dx%d %s): %s", a->o.output,
                  a->enc_codec->name, f->width, f->height, av_get_pix_fmt_name(f->format),
                  av_err(ret, eb));
}

/* Whether opening the encoder costs little and touches nothing: libx264 (73 ms and 60 MB at
 * 16000x8000) and FFmpeg's own encoders (MPEG-4 21 ms at 7680x4320); not those that wrap
 * another library (libvpx-vp9 took 3.7 s and 1.7 GB at 7680x4320) or hardware (a device), nor
 * with options that read or write files (touches_files). */
static int cheap_to_open(const app *a)
{
    const AVCodec *c = a->enc_codec;
    return !touches_files(a) && (av_strstart(c->name, "libx264", NULL) ||
                                 (!c->wrapper_name && !(c->capabilities & AV_CODEC_CAP_HARDWARE)));
}

/* The encoder opened at the output's size and pixel format before a frame is upscaled: one
 * that refuses the size (libx264 past 16384, MPEG-4 past 8191) said so at the first frame out
 * (a 4200x2000 picture x4: after 42 s and 1.4 GB). Where the size is known (the post graph's,
 * unless --vf-post changes it, which may depend on the frames) and opening is cheap; and only
 * where the encoder opens alike at 64x64, so that what it refuses is the size. */
void check_encoder_size(app *a)
{
    int w = av_buffersink_get_w(a->post.sink), h = av_buffersink_get_h(a->post.sink);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(av_buffersink_get_format(a->post.sink));
    if (!d || (a->o.vf_post && (w != a->post_w || h != a->post_h)) || !cheap_to_open(a))
        return;
    AVFrame *f = av_frame_alloc();
    if (!f)
        cli_die("out of memory");
    f->format = av_buffersink_get_format(a->post.sink);
    f->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(a->post.sink);
    f->width = f->height = 64;
    /* Its lines under -v are the real opening's, said then; an error reaches ours. */
    int level = av_log_get_level();
    av_log_set_level(AV_LOG_FATAL);
    int small = open_for(a, f, d), ret = 0;
    avcodec_free_context(&a->enc);
    forget_libav_error(); /* a refusal at 64x64 is left to the real opening to say */
    if (small >= 0) {
        f->width = w;
        f->height = h;
        ret = open_for(a, f, d);
        avcodec_free_context(&a->enc);
    }
    av_log_set_level(level);
    if (ret < 0) {
        refused_to_open(a, f, d, ret);
        cli_die("%s", a->error);
    }
    forget_libav_error(); /* what an opening that worked logged */
    av_frame_free(&f);
}

/* Opens the encoder for the first frame out of the post graph and writes the header. */
int open_encoder(app *a, const AVFrame *f)
{
    char eb[ERR_SIZE];
    /* The post graph gives known formats: one without a descriptor is refused, not read. */
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d) {
        set_error(a, "%s: the filters give frames of no known pixel format (%d)", a->o.output,
                  f->format);
        return AVERROR(EINVAL);
    }
    AVStream *ost = a->ofmt->streams[a->map[a->vin]];
    int ret = open_for(a, f, d);
    if (ret < 0) {
        refused_to_open(a, f, d, ret);
        return ret;
    }
    char refused[X264_PARAM_ERROR_SIZE];
    get_x264_param_error(refused, sizeof(refused));
    if (refused[0])
        set_error(a, "-x264-params: libx264 cannot take %s (x264 --fullhelp lists its options)",
                  refused);
    if (atomic_load(&a->failed))
        return AVERROR(EINVAL);
    if (a->header_written)
        return 0; /* a numbered image of a new size (restart_post): the stream is set up */
    AVCodecContext *e = a->enc;
    avcodec_parameters_from_context(ost->codecpar, e);
    /* The stream's encoder is ours, as ffmpeg says (it said the input's: "mpeg4" over H.264). */
    char encoder[sizeof(LIBAVCODEC_IDENT) + 64];
    snprintf(encoder, sizeof(encoder), "%s %s", LIBAVCODEC_IDENT, a->enc_codec->name);
    if (av_dict_set(&ost->metadata, "encoder", encoder, 0) < 0) {
        set_error(a, "out of memory");
        return AVERROR(ENOMEM);
    }
    /* HDR10's mastering display and light levels come in the frames (HEVC's SEI), which the
     * encoders here do not write: the container carries them (they were lost, as by ffmpeg).
     * Only while the output is HDR: a picture --vf-pre or --vf-post tone-mapped to SDR kept
     * them, and players showed it as HDR. */
    static const int hdr[][2] = {
        {AV_FRAME_DATA_MASTERING_DISPLAY_METADATA, AV_PKT_DATA_MASTERING_DISPLAY_METADATA},
        {AV_FRAME_DATA_CONTENT_LIGHT_LEVEL, AV_PKT_DATA_CONTENT_LIGHT_LEVEL}};
    int is_hdr = e->color_trc == AVCOL_TRC_SMPTE2084 || e->color_trc == AVCOL_TRC_ARIB_STD_B67;
    for (size_t i = 0; is_hdr && i < sizeof(hdr) / sizeof(hdr[0]); i++) {
        const AVFrameSideData *sd = av_frame_get_side_data(f, hdr[i][0]);
        if (!sd || av_stream_get_side_data(ost, hdr[i][1], NULL))
            continue;
        uint8_t *dst = av_stream_new_side_data(ost, hdr[i][1], sd->size);
        if (!dst) {
            set_error(a, "out of memory");
            return AVERROR(ENOMEM);
        }
        memcpy(dst, sd->data, sd->size);
    }
    ost->time_base = e->time_base;
    ost->avg_frame_rate = e->framerate;
    ost->sample_aspect_ratio = e->sample_aspect_ratio;
    /* --mux-opt last, so that they win over what open_output set (update for one picture,
     * avoid_negative_ts for segments); what the muxer leaves is no option of its own. */
    AVDictionary *mux_opts = NULL;
    if (av_dict_copy(&mux_opts, a->o.mux_opts, 0) < 0) {
        set_error(a, "out of memory");
        return AVERROR(ENOMEM);
    }
    ret = avformat_write_header(a->ofmt, &mux_opts);
    const AVDictionaryEntry *left = av_dict_get(mux_opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (ret >= 0 && left) {
        set_error(a, "--mux-opt %s: the %s muxer does not take it", left->key,
                  a->ofmt->oformat->name);
        ret = AVERROR_OPTION_NOT_FOUND;
    } else if (ret < 0) {
        set_error(a, "%s: cannot write the header: %s", a->o.output, av_err(ret, eb));
    }
    av_dict_free(&mux_opts);
    if (ret < 0)
        return ret;
    a->header_written = 1;
    if (a->numbered && av_opt_get_int(a->ofmt->priv_data, "start_number", 0, &a->first_number) < 0)
        a->first_number = 1;
    /* An MP4 segment's edit lists say where its tracks start, in the movie's timescale (ms by
     * default; read at the end): one that holds every track's clock (set by the header), so
     * that a track starting mid-segment (AAC at 44.1 kHz) is not up to 1 ms early, and the
     * join keeps the whole run's times. */
    if (a->o.segments && av_opt_find(a->ofmt->priv_data, "movie_timescale", NULL, 0, 0) &&
        !av_dict_get(a->o.mux_opts, "movie_timescale", NULL, 0)) {
        int64_t scale = 1;
        for (unsigned i = 0; i < a->ofmt->nb_streams && scale <= INT_MAX; i++) {
            int den = a->ofmt->streams[i]->time_base.den;
            scale = scale / av_gcd(scale, den) * den;
        }
        if (scale <= INT_MAX)
            av_opt_set_int(a->ofmt->priv_data, "movie_timescale", scale, 0);
    }
    for (int i = 0; i < a->npending && ret >= 0; i++)
        ret = write_copied(a, a->pending[i]);
    for (int i = 0; i < a->npending; i++)
        av_packet_free(&a->pending[i]);
    a->npending = 0;
    return ret;
}

int drain_encoder(app *a)
{
    char eb[ERR_SIZE];
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return AVERROR(ENOMEM);
    int ret;
    while ((ret = avcodec_receive_packet(a->enc, pkt)) >= 0) {
        pkt->stream_index = a->map[a->vin];
        /* A frame lasts a frame (muxers such as MP4 otherwise cut the last one short). */
        if (pkt->duration <= 0 && a->enc->framerate.num > 0)
            pkt->duration = av_rescale_q(1, av_inv_q(a->enc->framerate), a->enc->time_base);
        ret = write_packet(a, pkt, a->enc->time_base, NULL);
        av_packet_unref(pkt);
        if (ret < 0) {
            /* A numbered image is written under its own name: one cut short (a full disk) is
             * removed, not left to pass for the frame. */
            char name[PATH_MAX];
            if (a->numbered && av_get_frame_filename(name, sizeof(name), a->o.output,
                                                     (int)(a->first_number + a->images)) >= 0)
                unlink(name);
            break;
        }
        a->images++;
    }
    av_packet_free(&pkt);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
        return 0;
    if (ret < 0 && !atomic_load(&a->failed))
        set_error(a, "%s: cannot encode: %s", a->o.output, av_err(ret, eb));
    return ret;
}

/* A song's cover art alone is coded as PNG where the format takes that as cover art and not
 * the encoder chosen (MP4, M4A: H.264 cover art failed at the header), unless the encoder
 * was named or given options of its own (-crf, -preset...), which PNG would refuse: then it
 * is a video stream of one frame (open_output). */
void choose_cover_encoder(app *a)
{
    const AVOutputFormat *fmt = a->ofmt->oformat;
    int own_options = a->o.crf >= 0 || a->o.preset || a->o.x264_params || a->o.bit_rate > 0 ||
                      av_dict_count(a->o.enc_opts);
    if (!(a->ifmt->streams[a->vin]->disposition & AV_DISPOSITION_ATTACHED_PIC) || a->o.codec ||
        own_options)
        return;
    if (output_cover_art(fmt, a->enc_codec->id) == 0 && output_cover_art(fmt, AV_CODEC_ID_PNG) == 1)
        a->enc_codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    forget_libav_error(); /* what the muxer said of the cover art it refused */
}
