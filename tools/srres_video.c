/* srres-video: upscales the video of a file with an SRResNet model and writes a new file,
 * copying every other stream untouched.
 *
 * Threads and queues:
 *   reader  demux, decode, --vf-pre and conversion to RGB  --q_in-->  sr
 *   sr      srres_upscale (the library's threads use every core)  --q_out-->  writer
 *   reader  packets of copied streams  --q_out-->  writer
 *   writer  conversion back, --vf-post, encode, mux
 * The queues are bounded, so memory is too. The output is written under a temporary name
 * beside the target and renamed once its trailer is written: a failed run leaves nothing
 * under the target's name; an interrupted one leaves a complete file of the frames done. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libavfilter/buffersink.h>
#include <libavutil/avstring.h>
#include <libavutil/detection_bbox.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libgen.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
#include "progress.h"
#include "same_file.h"
#include "video/app.h"
#include "video/libav_log.h"
#include "yuvj.h"

#ifndef SRRES_DATADIR
#define SRRES_DATADIR "/usr/local/share/srres"
#endif

#define QUEUE_BYTES ((size_t)256 << 20)

/* Atomic: a handler runs on whichever thread the kernel picks (an OpenBLAS worker too),
 * and the reader polls the count from its own. Lock-free, so a handler may use them. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal flags need lock-free atomics");
static atomic_int signals_seen, last_signal;

static void on_signal(int sig)
{
    atomic_store(&last_signal, sig);
    atomic_fetch_add(&signals_seen, 1);
}

/* SIGUSR1 only interrupts a blocking read in the reader (it is not a stop request). */
static void on_nudge(int sig)
{
    (void)sig;
}

/* The stop signals seen so far: the reader and the input's reads poll it. */
int signals_received(void)
{
    return atomic_load(&signals_seen);
}

/* Records the first error and stops the pipeline. */
void set_error(app *a, const char *fmt, ...)
{
    pthread_mutex_lock(&a->err_lock);
    if (!a->error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->error, sizeof(a->error), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&a->err_lock);
    atomic_store(&a->failed, 1);
    if (a->q_in)
        frame_queue_abort(a->q_in);
    if (a->q_out)
        frame_queue_abort(a->q_out);
}

static void free_item(void *item, int kind)
{
    if (kind == KIND_FRAME) {
        AVFrame *f = item;
        av_frame_free(&f);
    } else {
        AVPacket *p = item;
        av_packet_free(&p);
    }
}

/* ---- Super-resolution ------------------------------------------------------------------ */

static srres_image image_of(const AVFrame *f)
{
    srres_image im = {0};
    im.width = f->width;
    im.height = f->height;
    if (f->format == AV_PIX_FMT_RGB24) {
        im.format = SRRES_PIXEL_RGB24;
        im.data[0] = f->data[0];
        im.linesize[0] = f->linesize[0];
    } else { /* GBR(A)P(16): FFmpeg orders the planes G, B, R (and A, not the network's) */
        im.format = f->format == AV_PIX_FMT_GBRAP ? SRRES_PIXEL_RGBP8 : SRRES_PIXEL_RGBP16;
        int order[3] = {2, 0, 1};
        for (int c = 0; c < 3; c++) {
            im.data[c] = f->data[order[c]];
            im.linesize[c] = f->linesize[order[c]];
        }
    }
    return im;
}

/* Side data in the input's pixel coordinates: regions of interest (which encoders read) and
 * detection boxes are scaled to the output; motion vectors, the decoder's block parameters
 * and pan-scan, which describe the coded input, are dropped. The filter does the same
 * (filter/vf_srresnet.c, which builds inside FFmpeg's tree and shares no code with us). */
static int scale_side_data(AVFrame *out, int scale)
{
    static const enum AVFrameSideDataType dropped[] = {
        AV_FRAME_DATA_MOTION_VECTORS, AV_FRAME_DATA_VIDEO_ENC_PARAMS, AV_FRAME_DATA_PANSCAN};
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
        av_frame_remove_side_data(out, dropped[i]);
    for (int i = 0; i < out->nb_side_data; i++) {
        AVFrameSideData *sd = out->side_data[i];
        int ret;
        if (sd->type != AV_FRAME_DATA_REGIONS_OF_INTEREST &&
            sd->type != AV_FRAME_DATA_DETECTION_BBOXES)
            continue;
        if ((ret = av_buffer_make_writable(&sd->buf)) < 0)
            return ret;
        sd->data = sd->buf->data;
        if (sd->type == AV_FRAME_DATA_REGIONS_OF_INTEREST) {
            uint32_t step = sd->size >= sizeof(AVRegionOfInterest)
                                ? ((AVRegionOfInterest *)sd->data)->self_size : 0;
            for (size_t at = 0; step >= sizeof(AVRegionOfInterest) && at + step <= sd->size;
                 at += step) {
                AVRegionOfInterest *roi = (AVRegionOfInterest *)(sd->data + at);
                roi->top *= scale;
                roi->bottom *= scale;
                roi->left *= scale;
                roi->right *= scale;
            }
        } else if (sd->size >= sizeof(AVDetectionBBoxHeader)) {
            AVDetectionBBoxHeader *h = (AVDetectionBBoxHeader *)sd->data;
            if (h->bbox_size < sizeof(AVDetectionBBox) ||
                h->bboxes_offset + (uint64_t)h->nb_bboxes * h->bbox_size > sd->size)
                continue;
            for (uint32_t k = 0; k < h->nb_bboxes; k++) {
                AVDetectionBBox *b = av_get_detection_bbox(h, k);
                b->x *= scale;
                b->y *= scale;
                b->w *= scale;
                b->h *= scale;
            }
        }
    }
    return 0;
}

/* The alpha plane (plane 3 of GBRAP and GBRAP16), bicubic. */
static int upscale_alpha(app *a, const AVFrame *in, AVFrame *out)
{
    enum AVPixelFormat gray = in->format == AV_PIX_FMT_GBRAP ? AV_PIX_FMT_GRAY8
                                                             : AV_PIX_FMT_GRAY16;
    a->alpha_sws = sws_getCachedContext(a->alpha_sws, in->width, in->height, gray, out->width,
                                        out->height, gray, SWS_BICUBIC | SWS_ACCURATE_RND,
                                        NULL, NULL, NULL);
    if (!a->alpha_sws)
        return AVERROR(ENOMEM);
    int ret = sws_scale(a->alpha_sws, (const uint8_t *const *)&in->data[3], &in->linesize[3],
                        0, in->height, &out->data[3], &out->linesize[3]);
    return ret < 0 ? ret : 0;
}

static void *sr_main(void *arg)
{
    app *a = arg;
    void *item;
    double waited;
    while (frame_queue_pop(a->q_in, &item, NULL, &waited) == 1) {
        a->sr_wait += waited;
        AVFrame *in = item, *out = av_frame_alloc();
        double t0 = progress_now();
        int ok = out != NULL;
        if (ok) {
            out->format = in->format;
            out->width = in->width * a->scale;
            out->height = in->height * a->scale;
            ok = av_frame_get_buffer(out, 0) >= 0 && av_frame_copy_props(out, in) >= 0 &&
                 scale_side_data(out, a->scale) >= 0;
            /* A woven frame upscaled as one picture has no fields left: each line of a
             * field is now two lines, in both of the new picture's fields. */
            out->interlaced_frame = out->top_field_first = 0;
            if (in->interlaced_frame && !a->told_interlaced && !a->o.quiet) {
                fprintf(stderr, "srres-video: %s: interlaced frames are upscaled as whole "
                                "pictures and written progressive; deinterlace them first "
                                "(--vf-pre yadif)\n", a->o.input);
                a->told_interlaced = 1;
            }
        }
        if (!ok) {
            set_error(a, "out of memory for a %dx%d frame", in->width * a->scale,
                      in->height * a->scale);
        } else {
            srres_image si = image_of(in), so = image_of(out);
            srres_error e;
            if (srres_upscale(a->ctx, &si, &so, &e) != SRRES_OK) {
                set_error(a, "%s: %s", a->o.model, e.message);
                ok = 0;
            } else if (a->alpha && upscale_alpha(a, in, out) < 0) {
                set_error(a, "out of memory to upscale a %dx%d frame's alpha", in->width,
                          in->height);
                ok = 0;
            }
        }
        a->sr_busy += progress_now() - t0;
        av_frame_free(&in);
        if (!ok || frame_queue_push(a->q_out, out, KIND_FRAME) < 0) {
            av_frame_free(&out);
            break;
        }
        atomic_fetch_add(&a->frames_sr, 1);
    }
    frame_queue_close(a->q_out);
    return NULL;
}

/* ---- Writer ---------------------------------------------------------------------------- */

/* adts: the filter that takes its ADTS headers off (take_adts_config), or NULL. */
static int write_packet(app *a, AVPacket *pkt, AVRational from, AVBSFContext *adts)
{
    char eb[ERR_SIZE];
    int index = pkt->stream_index;
    av_packet_rescale_ts(pkt, from, a->ofmt->streams[index]->time_base);
    pkt->pos = -1;
    int ret = adts ? av_bsf_send_packet(adts, pkt) : 0;
    if (adts && ret >= 0)
        ret = av_bsf_receive_packet(adts, pkt);
    if (ret >= 0)
        ret = av_interleaved_write_frame(a->ofmt, pkt);
    /* A copied packet the muxer finds damaged (a bitstream filter's: an AAC frame's broken
     * ADTS header) is skipped, as a damaged video packet is: it failed the whole run. */
    if (ret == AVERROR_INVALIDDATA && index != a->map[a->vin]) {
        av_err(ret, eb);
        if (a->damaged_copied++ == 0 && !a->o.quiet)
            fprintf(stderr, "srres-video: %s: skipping a damaged %s packet: %s\n", a->o.input,
                    avcodec_get_name(a->ofmt->streams[index]->codecpar->codec_id), eb);
        return 0;
    }
    if (ret < 0)
        set_error(a, "%s: cannot write: %s", a->o.output, av_err(ret, eb));
    return ret;
}

/* A copied packet: its timestamps are still in its input stream's time base. Its decoding
 * time must come after the one before, which a broken input or the streams about a clock's
 * jump (smooth_jumps) may not give: it is moved there, as ffmpeg moves it (the muxer
 * refused it, and the run failed). */
static int write_copied(app *a, AVPacket *pkt)
{
    AVRational tb = a->ifmt->streams[pkt->stream_index]->time_base;
    AVBSFContext *adts =
        (unsigned)pkt->stream_index < a->nb_adts ? a->adts[pkt->stream_index] : NULL;
    pkt->stream_index = a->map[pkt->stream_index];
    AVRational otb = a->ofmt->streams[pkt->stream_index]->time_base;
    int64_t *last = &a->mux_dts[pkt->stream_index];
    if (pkt->dts != AV_NOPTS_VALUE) {
        int64_t dts = av_rescale_q(pkt->dts, tb, otb);
        int64_t least = *last + !(a->ofmt->oformat->flags & AVFMT_TS_NONSTRICT);
        if (*last != AV_NOPTS_VALUE && dts < least) {
            int64_t move = av_rescale_q_rnd(least - dts, otb, tb, AV_ROUND_UP);
            pkt->dts += move;
            if (pkt->pts != AV_NOPTS_VALUE)
                pkt->pts += move;
            dts = av_rescale_q(pkt->dts, tb, otb);
        }
        *last = dts;
    }
    return write_packet(a, pkt, tb, adts);
}

static int drain_encoder(app *a)
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
            if (a->numbered &&
                av_get_frame_filename(name, sizeof(name), a->o.output, a->images + 1) >= 0)
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

/* The filters that turn the stream's frames upright by its display matrix ("" if none). A
 * mirrored matrix (a front camera's) reads as a rotation too: the signs of its terms tell
 * them apart, as in ffmpeg (a mirror became a half turn, upside down). */
static const char *rotation_filter(const AVStream *st)
{
    const int32_t *m =
        (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m)
        return "";
    double theta = -round(av_display_rotation_get(m));
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1)
        return m[3] > 0 ? "transpose=cclock_flip," : "transpose=clock,";
    if (fabs(theta - 180) < 1)
        return m[4] < 0 ? "hflip,vflip," : "hflip,";
    if (fabs(theta - 270) < 1)
        return m[3] < 0 ? "transpose=clock_flip," : "transpose=cclock,";
    return fabs(theta) < 1 && m[4] < 0 ? "vflip," : "";
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
static int set_encoder_option(app *a, const char *opt, const char *key, const char *value,
                              const char *hint)
{
    char eb[ERR_SIZE];
    int ret = av_opt_set(a->enc, key, value, AV_OPT_SEARCH_CHILDREN);
    if (ret == AVERROR_OPTION_NOT_FOUND)
        set_error(a, "%s: the encoder %s does not take it%s", opt, a->enc_codec->name, hint);
    else if (ret < 0)
        set_error(a, "%s: the encoder %s does not take '%s': %s", opt, a->enc_codec->name,
                  value, av_err(ret, eb));
    return ret;
}

/* A configured, unopened encoder for frames like f, timestamps in tb, into a->enc. */
static int new_encoder(app *a, const AVFrame *f, AVRational tb, AVRational rate)
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
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(e->pix_fmt);
    if (!(d->flags & AV_PIX_FMT_FLAG_RGB)) {
        /* The matrix and range the post graph converted with (init_post): an RGB source's
         * is BT.601, which it must say, or players read the YUV planes as RGB. */
        e->color_range = full_range_out(a, e->pix_fmt) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
        e->colorspace = a->src_space;
        if (source_is_rgb(a))
            e->colorspace = AVCOL_SPC_SMPTE170M;
        if (d->log2_chroma_w || d->log2_chroma_h)
            e->chroma_sample_location = a->src_chroma; /* where init_post sited it */
    } else {
        /* RGB says so, as ffmpeg's output does: FFV1 and libx264rgb streams said "unknown". */
        e->color_range = AVCOL_RANGE_JPEG;
        e->colorspace = AVCOL_SPC_RGB;
    }
    e->color_primaries = a->src_primaries;
    e->color_trc = a->src_trc;
    e->thread_count = 1; /* the network has the cores */
    if (a->ofmt->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (a->o.bit_rate > 0)
        e->bit_rate = a->o.bit_rate;
    char crf[16];
    snprintf(crf, sizeof(crf), "%d", a->o.crf);
    if (a->o.crf >= 0 &&
        set_encoder_option(a, "-crf", "crf", crf, "; give a bit rate with -b:v") < 0)
        return AVERROR(EINVAL);
    if (a->o.crf < 0 && a->o.bit_rate <= 0 && !strcmp(codec->name, "libx264"))
        set_private(e, "crf", "18");
    if (a->o.preset && set_encoder_option(a, "-preset", "preset", a->o.preset, "") < 0)
        return AVERROR(EINVAL);
    /* x265 prints to stderr itself, past av_log: held to the same level as the rest. */
    if (!strcmp(codec->name, "libx265"))
        set_private(e, "x265-params", a->o.verbose ? "log-level=info" : "log-level=error");
    /* libvpx's VP8 refuses to code alpha with its alternate reference frames, which it turns
     * on by default: the run failed ("Invalid argument"), as ffmpeg's does. --enc-opt
     * auto-alt-ref still wins. */
    if (!strcmp(codec->name, "libvpx") && has_alpha(e->pix_fmt))
        set_private(e, "auto-alt-ref", "0");
    if (a->o.x264_params &&
        set_encoder_option(a, "-x264-params", "x264-params", a->o.x264_params, "") < 0)
        return AVERROR(EINVAL);
    /* Last, so that they win, as ffmpeg's -KEY VALUE sets them. */
    const AVDictionaryEntry *t = NULL;
    while ((t = av_dict_get(a->o.enc_opts, "", t, AV_DICT_IGNORE_SUFFIX))) {
        char opt[256];
        snprintf(opt, sizeof(opt), "--enc-opt %s", t->key);
        if (set_encoder_option(a, opt, t->key, t->value, "") < 0)
            return AVERROR(EINVAL);
    }
    return 0;
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

/* Opens the encoder for the first frame out of the post graph and writes the header. */
static int open_encoder(app *a, const AVFrame *f)
{
    char eb[ERR_SIZE];
    AVStream *ist = a->ifmt->streams[a->vin], *ost = a->ofmt->streams[a->map[a->vin]];
    AVRational tb = av_buffersink_get_time_base(a->post.sink);
    AVRational rate = av_buffersink_get_frame_rate(a->post.sink);
    if (!rate.num)
        rate = av_guess_frame_rate(a->ifmt, ist, NULL);
    /* The input's time base keeps its timestamps exact, but MPEG-1/2 take only one tick a
     * frame and MPEG-4 no more than 65535 ticks a second: those get one tick a frame when
     * they refuse to open, the formats and encoders of tick_a_frame from the start. */
    if (tick_a_frame(a->ofmt->oformat, a->enc_codec) && rate.num > 0)
        tb = av_inv_q(rate);
    int ret = new_encoder(a, f, tb, rate);
    if (ret >= 0 && (ret = avcodec_open2(a->enc, a->enc_codec, NULL)) < 0 && rate.num > 0 &&
        av_cmp_q(tb, av_inv_q(rate))) {
        avcodec_free_context(&a->enc);
        forget_libav_error(); /* the first time base's refusal */
        if ((ret = new_encoder(a, f, av_inv_q(rate), rate)) >= 0)
            ret = avcodec_open2(a->enc, a->enc_codec, NULL);
    }
    /* Subsampled chroma needs sides it divides (a x3 model makes odd ones from odd ones):
     * the encoder's own error says only "Generic error in an external library". */
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    int cw = 1 << d->log2_chroma_w, ch = 1 << d->log2_chroma_h;
    if (ret < 0 && (f->width % cw || f->height % ch)) {
        set_error(a, "%s: %dx%d cannot be %s, whose chroma needs sides that are multiples of "
                  "%dx%d: crop (e.g. --vf-post crop=%d:%d) or give -pix_fmt yuv444p",
                  a->o.output, f->width, f->height, av_get_pix_fmt_name(f->format), cw, ch,
                  f->width / cw * cw, f->height / ch * ch);
        return ret;
    }
    if (ret < 0) {
        set_error(a, "%s: cannot open the %s encoder (%dx%d %s): %s", a->o.output,
                  a->enc_codec->name, f->width, f->height, av_get_pix_fmt_name(f->format),
                  av_err(ret, eb));
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
     * encoders here do not write: the container carries them (they were lost, as by ffmpeg). */
    static const int hdr[][2] = {
        {AV_FRAME_DATA_MASTERING_DISPLAY_METADATA, AV_PKT_DATA_MASTERING_DISPLAY_METADATA},
        {AV_FRAME_DATA_CONTENT_LIGHT_LEVEL, AV_PKT_DATA_CONTENT_LIGHT_LEVEL}};
    for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
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
    ret = avformat_write_header(a->ofmt, NULL);
    if (ret < 0) {
        set_error(a, "%s: cannot write the header: %s", a->o.output, av_err(ret, eb));
        return ret;
    }
    a->header_written = 1;
    /* An MP4 segment's edit lists say where its tracks start, in the movie's timescale (ms by
     * default; read at the end): one that holds every track's clock (set by the header), so
     * that a track starting mid-segment (AAC at 44.1 kHz) is not up to 1 ms early, and the
     * join keeps the whole run's times. */
    if (a->o.segments && av_opt_find(a->ofmt->priv_data, "movie_timescale", NULL, 0, 0)) {
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

/* Whether one of the formats the encoder lists is such (is_paletted: a palette, whose
 * colours can be transparent, as GIF's; has_alpha). */
static int encoder_takes(const AVCodec *codec, int (*such)(enum AVPixelFormat))
{
    for (const enum AVPixelFormat *p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; p++)
        if (such(*p))
            return 1;
    return 0;
}

/* Whether the output stores the alpha the encoder codes: libvpx's goes beside the frames,
 * which only Matroska and WebM keep (in MP4 or IVF it was coded and lost without a word). */
static int alpha_stored(const app *a, const AVCodec *codec)
{
    const char *muxer = a->ofmt->oformat->name;
    return !codec || strncmp(codec->name, "libvpx", 6) || !strcmp(muxer, "matroska") ||
           !strcmp(muxer, "webm");
}

static enum AVPixelFormat closest_format(app *a, const AVCodec *codec)
{
    enum AVPixelFormat want = a->o.pix_fmt ? av_get_pix_fmt(a->o.pix_fmt) : a->src_fmt;
    /* A palette is not picked unless asked for: swscale's is a fixed 3-3-2 one, which
     * upscaled colour does not fit (a palette PNG's output was banded). Its alpha, where a
     * pixel has some (palette_transparent), is kept. */
    if (!a->o.pix_fmt && is_paletted(want))
        want = a->src_alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24;
    const enum AVPixelFormat *list = codec ? codec->pix_fmts : NULL;
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

/* The encoder's pixel format: -pix_fmt, else the input's, else the closest it supports
 * (with alpha if the input has it). JPEG's YUV is full range: FFmpeg 5.1's encoder refuses
 * limited-range planes (any H.264 source's), and ffmpeg converts to yuvj420p and the like,
 * as here. */
static enum AVPixelFormat output_format(app *a, const AVCodec *codec)
{
    enum AVPixelFormat f = closest_format(a, codec);
    return codec && codec->id == AV_CODEC_ID_MJPEG && !a->o.pix_fmt ? yuvj_full(f) : f;
}

static int init_post(app *a, const AVFrame *f)
{
    char err[512], desc[2048], chroma[64];
    enum AVPixelFormat out = output_format(a, a->enc_codec);
    if (out == AV_PIX_FMT_NONE) {
        set_error(a, "-pix_fmt %s: unknown pixel format", a->o.pix_fmt);
        return AVERROR(EINVAL);
    }
    /* Once: numbered images of another size build the post graph anew (restart_post) */
    if (a->o.pix_fmt && out != av_get_pix_fmt(a->o.pix_fmt) && !a->o.quiet && !a->header_written)
        fprintf(stderr, "srres-video: -pix_fmt %s: the %s encoder does not take it; %s instead\n",
                a->o.pix_fmt, a->enc_codec->name, av_get_pix_fmt_name(out));
    /* A format that stores no timestamps (raw video, YUV4MPEG, a raw H.264 stream) plays a
     * frame a frame slot: frames are repeated or dropped to the rate, as ffmpeg does, or a
     * variable frame rate's timing was lost (a 1 s gap closed, the video short of its audio).
     * An image sequence keeps a file a frame. */
    const AVOutputFormat *fmt = a->ofmt->oformat;
    int slots = ((fmt->flags & AVFMT_NOTIMESTAMPS) && strncmp(fmt->name, "image2", 6)) ||
                !strcmp(fmt->name, "yuv4mpegpipe");
    const char *cfr =
        slots && a->net_rate.num > 0 ? "fps=source_fps," : "";
    /* Back to the input's matrix and range (the pre graph converted with the same). A
     * palette has neither: without them the scale passes a palette made in --vf-post
     * (paletteuse) as it is, where it was converted again into swscale's fixed one, which
     * lost its colours and its transparency (a transparent GIF came out opaque). */
    char matrix[128];
    snprintf(matrix, sizeof(matrix), "=out_color_matrix=%s:out_range=%s%s",
             matrix_name(a->src_space), full_range_out(a, out) ? "pc" : "tv",
             chroma_sited(a, "out", out, chroma, sizeof(chroma)));
    snprintf(desc, sizeof(desc), "%s%s%s%sscale%s,format=pix_fmts=%s", a->rotate,
             a->o.vf_post ? a->o.vf_post : "", a->o.vf_post ? "," : "", cfr,
             is_paletted(out) ? "" : matrix, av_get_pix_fmt_name(out));
    int ret = video_graph_init(&a->post, desc, f->width, f->height, f->format, a->net_tb,
                               f->sample_aspect_ratio, a->net_rate, err, sizeof(err));
    if (ret < 0) /* libav's reason names the filter or option at fault */
        set_error(a, "--vf-post: %s", with_libav_reason(err, sizeof(err)));
    a->post_ready = ret >= 0;
    a->post_w = f->width;
    a->post_h = f->height;
    a->post_sar = f->sample_aspect_ratio;
    return ret;
}

/* Pulls what the post graph has, encodes and writes it. */
static int encode_ready(app *a)
{
    char eb[ERR_SIZE];
    AVFrame *f = av_frame_alloc();
    int ret = f ? 0 : AVERROR(ENOMEM);
    while (ret >= 0) {
        ret = video_graph_pull(&a->post, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0) {
            set_error(a, "--vf-post graph: %s", av_err(ret, eb));
            break;
        }
        if (!a->enc && (ret = open_encoder(a, f)) < 0)
            break;
        if (a->one_picture && atomic_load(&a->frames_out) == 1) {
            set_error(a, "%s is one picture and %s has more frames: give a numbered name "
                      "(e.g. out%%04d.png) for a file a frame, or --frames 1",
                      a->o.output, a->o.input);
            ret = AVERROR(EINVAL);
            break;
        }
        f->pict_type = AV_PICTURE_TYPE_NONE;
        /* ProRes, PNG and libvpx write the frame's colour description, not the encoder's: the
         * post graph's scale left the matrix unspecified (ProRes said so in the output). */
        f->colorspace = a->enc->colorspace;
        f->color_range = a->enc->color_range;
        f->color_primaries = a->enc->color_primaries;
        f->color_trc = a->enc->color_trc;
        f->chroma_location = a->enc->chroma_sample_location;
        if (f->pts != AV_NOPTS_VALUE) {
            /* In one tick a frame, frames closer than that would share a timestamp. */
            int64_t pts = av_rescale_q(f->pts, av_buffersink_get_time_base(a->post.sink),
                                       a->enc->time_base);
            if (a->enc_pts != AV_NOPTS_VALUE && pts <= a->enc_pts)
                pts = a->enc_pts + 1;
            f->pts = a->enc_pts = pts;
        }
        ret = avcodec_send_frame(a->enc, f);
        int64_t pts = f->pts;
        av_frame_unref(f);
        if (ret < 0) {
            set_error(a, "%s: cannot encode: %s", a->o.output, av_err(ret, eb));
            break;
        }
        ret = drain_encoder(a);
        atomic_fetch_add(&a->frames_out, 1);
        /* Media written: from the first frame's start to this one's end. */
        if (pts != AV_NOPTS_VALUE) {
            int64_t us = av_rescale_q(pts, a->enc->time_base, AV_TIME_BASE_Q);
            if (a->first_pts_us == AV_NOPTS_VALUE)
                a->first_pts_us = us;
            int64_t frame_us = a->enc->framerate.num > 0
                                   ? av_rescale_q(1, av_inv_q(a->enc->framerate), AV_TIME_BASE_Q)
                                   : 0;
            atomic_store(&a->media_us, us - a->first_pts_us + frame_us);
        }
    }
    av_frame_free(&f);
    return ret;
}

/* A frame upscaled from a size or pixel aspect ratio other than the first frames' is scaled
 * to fit the output's size, keeping its shape (its pixels' aspect ratio too), and padded, as a
 * player shows it: the encoder and the output keep one size and aspect ratio, as ffmpeg keeps
 * them (a broadcast's 16:9 frames at 720x576 after 4:3 ones came out squeezed). */
static int fit_frame(app *a, AVFrame **f)
{
    char err[512], desc[256], eb[ERR_SIZE];
    AVFrame *in = *f;
    if (!a->fit.graph || !same_shape(in, a->fit_w, a->fit_h, a->fit_sar)) {
        video_graph_free(&a->fit);
        AVRational fs = in->sample_aspect_ratio.num ? in->sample_aspect_ratio : (AVRational){1, 1};
        AVRational os = a->out_sar.num ? a->out_sar : (AVRational){1, 1};
        /* The frame's display aspect ratio over the output's, as reduced rationals: a pixel
         * aspect ratio's terms go up to INT_MAX (a PNG's pHYs), and their products in 64
         * bits overflowed (a fitted frame came out black). */
        AVRational r = av_div_q(av_mul_q((AVRational){in->width, in->height}, fs),
                                av_mul_q((AVRational){a->out_w, a->out_h}, os));
        int w = a->out_w, h = a->out_h;
        if (r.num > r.den)
            h = (int)av_rescale(a->out_h, r.den, r.num);
        else if (r.num < r.den)
            w = (int)av_rescale(a->out_w, r.num, r.den);
        w = FFMAX(w, 1);
        h = FFMAX(h, 1);
        snprintf(desc, sizeof(desc),
                 "scale=%d:%d:flags=lanczos+accurate_rnd,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:"
                 "color=black@0,setsar=%d/%d", w, h, a->out_w, a->out_h, os.num, os.den);
        if (video_graph_init(&a->fit, desc, in->width, in->height, in->format, a->net_tb,
                             in->sample_aspect_ratio, a->net_rate, err, sizeof(err)) < 0) {
            set_error(a, "%s: cannot fit a %dx%d frame into %dx%d: %s", a->o.input, in->width,
                      in->height, a->out_w, a->out_h, with_libav_reason(err, sizeof(err)));
            return AVERROR(EINVAL);
        }
        double at = in->pts == AV_NOPTS_VALUE ? 0 : in->pts * av_q2d(a->net_tb);
        if (!a->fit_w && !a->o.quiet && (in->width != a->out_w || in->height != a->out_h))
            fprintf(stderr, "srres-video: %s: the frame size changes at %.3f s: frames are "
                    "upscaled at their own size and fitted into the output's %dx%d (--vf-pre "
                    "scale=W:H,setsar=1 gives every frame one shape)\n", a->o.input, at, a->out_w,
                    a->out_h);
        else if (!a->fit_w && !a->o.quiet)
            fprintf(stderr, "srres-video: %s: the pixel aspect ratio changes at %.3f s: frames "
                    "are fitted into the output's %dx%d at %d:%d, keeping their shape\n",
                    a->o.input, at, a->out_w, a->out_h, os.num, os.den);
        a->fit_w = in->width;
        a->fit_h = in->height;
        a->fit_sar = in->sample_aspect_ratio;
    }
    AVFrame *out = av_frame_alloc();
    int ret = out ? video_graph_push(&a->fit, in) : AVERROR(ENOMEM);
    if (ret >= 0)
        ret = video_graph_pull(&a->fit, out);
    if (ret < 0) {
        av_frame_free(&out);
        set_error(a, "%s: cannot fit a %dx%d frame into %dx%d: %s", a->o.input, in->width,
                  in->height, a->out_w, a->out_h, av_err(ret, eb));
        return ret;
    }
    av_frame_free(f);
    *f = out;
    return 0;
}

/* A numbered image of another size than the one before keeps its own: the post graph and
 * the encoder are flushed and made anew for it. */
static int restart_post(app *a)
{
    int ret = video_graph_push(&a->post, NULL);
    if (ret >= 0)
        ret = encode_ready(a);
    if (ret >= 0 && a->enc) {
        avcodec_send_frame(a->enc, NULL);
        ret = drain_encoder(a);
    }
    avcodec_free_context(&a->enc);
    video_graph_free(&a->post);
    a->post_ready = 0;
    return ret;
}

static void *writer_main(void *arg)
{
    app *a = arg;
    char eb[ERR_SIZE];
    void *item;
    int kind, ret = 0;
    while (ret >= 0 && frame_queue_pop(a->q_out, &item, &kind, NULL) == 1) {
        if (kind == KIND_PACKET) {
            AVPacket *pkt = item;
            if (a->header_written) {
                ret = write_copied(a, pkt);
                av_packet_free(&pkt);
            } else {
                AVPacket **grown = av_realloc_array(a->pending, a->npending + 1, sizeof(*grown));
                if (!grown) {
                    av_packet_free(&pkt);
                    ret = AVERROR(ENOMEM);
                    set_error(a, "out of memory");
                    break;
                }
                a->pending = grown;
                a->pending[a->npending++] = pkt;
            }
            continue;
        }
        AVFrame *f = item;
        if (!a->out_w) {
            a->out_w = f->width;
            a->out_h = f->height;
            a->out_sar = f->sample_aspect_ratio;
        }
        if (a->numbered && a->post_ready && !same_shape(f, a->post_w, a->post_h, a->post_sar))
            ret = restart_post(a);
        else if (!a->numbered && !same_shape(f, a->out_w, a->out_h, a->out_sar))
            ret = fit_frame(a, &f);
        if (ret >= 0 && !a->post_ready)
            ret = init_post(a, f);
        if (ret >= 0 && (ret = video_graph_push(&a->post, f)) < 0)
            set_error(a, "--vf-post graph: %s", av_err(ret, eb));
        av_frame_free(&f);
        if (ret >= 0)
            ret = encode_ready(a);
    }
    if (ret < 0 || atomic_load(&a->failed))
        return NULL;
    if (!a->post_ready) {
        /* -t counts from the input's start, which its audio can lead (MPEG-TS) */
        set_error(a, "%s: no video frames to write (%s)", a->o.input,
                  a->o.start_us != AV_NOPTS_VALUE      ? "is -ss past the end?"
                  : a->o.duration_us != AV_NOPTS_VALUE ? "-t ends before the first one"
                                                       : "empty video");
        return NULL;
    }
    if (video_graph_push(&a->post, NULL) >= 0 && encode_ready(a) >= 0 && a->enc) {
        avcodec_send_frame(a->enc, NULL);
        ret = drain_encoder(a);
    }
    if (!a->header_written && !atomic_load(&a->failed))
        set_error(a, "%s: the filters produced no frames", a->o.input);
    if (!atomic_load(&a->failed) && (ret = av_write_trailer(a->ofmt)) < 0)
        set_error(a, "%s: cannot finish the file: %s", a->o.output, av_err(ret, eb));
    return NULL;
}

/* ---- Setup ----------------------------------------------------------------------------- */

/* The x4 model of the source tree beside the build, else the installed one: a build's binary
 * takes its own tree's model, not one an earlier install left. */
static const char *default_model(char *buf, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, n, "%s/../samples/x4.safetensors", exe);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    snprintf(buf, n, "%s/x4.safetensors", SRRES_DATADIR);
    if (access(buf, R_OK) == 0)
        return buf;
    cli_die("no model: give -m FILE (no default model at %s/x4.safetensors or beside the build)",
        SRRES_DATADIR);
    return NULL;
}

/* Whether stream i is a timecode track (tmcd) whose timecode the video stream carries as
 * its tag: the output keeps that tag, and the MOV and MP4 muxers make the track anew from it,
 * so nothing is lost (it was reported as dropped, codec "none"). */
static int timecode_of_video(const app *a, unsigned i)
{
    const AVStream *ist = a->ifmt->streams[i];
    const AVDictionaryEntry *tc = av_dict_get(ist->metadata, "timecode", NULL, 0);
    const AVDictionaryEntry *v = av_dict_get(a->ifmt->streams[a->vin]->metadata, "timecode",
                                             NULL, 0);
    return ist->codecpar->codec_type == AVMEDIA_TYPE_DATA &&
           ist->codecpar->codec_tag == MKTAG('t', 'm', 'c', 'd') && tc && v &&
           !strcmp(tc->value, v->value);
}

/* Whether input stream i goes into the output (copied; the video upscaled). *why says why
 * not where a message is due, and is NULL where the options or the output format's own
 * handling make it (-an, a timecode track the muxer makes anew). */
int stream_kept(const app *a, unsigned i, const char **why)
{
    const AVStream *ist = a->ifmt->streams[i];
    enum AVMediaType type = ist->codecpar->codec_type;
    *why = NULL;
    if ((int)i == a->vin)
        return 1;
    if ((type == AVMEDIA_TYPE_AUDIO && a->o.no_audio) ||
        (type == AVMEDIA_TYPE_SUBTITLE && a->o.no_subs) || type == AVMEDIA_TYPE_UNKNOWN ||
        timecode_of_video(a, i))
        return 0;
    int fonts = type == AVMEDIA_TYPE_ATTACHMENT &&
                !strcmp(a->ofmt->oformat->name, "matroska"); /* its query knows no fonts */
    if (type == AVMEDIA_TYPE_VIDEO)
        *why = ist->disposition & AV_DISPOSITION_ATTACHED_PIC ? "cover art is not copied"
                                                              : "only one video stream is upscaled";
    else if (unprobed(ist))
        *why = "its parameters are unknown: none of its packets is near the input's start";
    else if (!fonts && !output_takes_stream(a->ofmt->oformat, ist))
        *why = "it cannot go into this format";
    return !*why;
}

/* Whether the numbered output names the input: the file itself, or where the input is a
 * numbered sequence too, the first files the image demuxer looks for (numbers 0 to 4). */
static int numbered_input(const char *input, const char *output)
{
    char name[PATH_MAX];
    if (output_numbered_includes(output, input))
        return 1;
    for (int k = 0; k < 5 && strchr(input, '%'); k++)
        if (av_get_frame_filename(name, sizeof(name), input, k) >= 0 &&
            access(name, F_OK) == 0 && output_numbered_includes(output, name))
            return 1;
    return 0;
}

/* Chapters, moved as the frames are and cut to the part written (they were dropped). */
static void copy_chapters(app *a)
{
    AVRational vtb = a->ifmt->streams[a->vin]->time_base;
    for (unsigned i = 0; i < a->ifmt->nb_chapters; i++) {
        const AVChapter *ch = a->ifmt->chapters[i];
        int64_t start = av_rescale_q(ch->start, ch->time_base, vtb);
        int64_t end = av_rescale_q(ch->end, ch->time_base, vtb);
        if (end <= a->lo || start >= a->hi)
            continue;
        start = FFMAX(start, a->lo);
        end = FFMIN(end, a->hi);
        AVChapter *out = av_mallocz(sizeof(*out));
        AVChapter **grown = av_realloc_array(a->ofmt->chapters, a->ofmt->nb_chapters + 1,
                                             sizeof(*grown));
        if (!out || !grown || av_dict_copy(&out->metadata, ch->metadata, 0) < 0)
            cli_die("out of memory");
        *out = (AVChapter){.id = ch->id, .time_base = vtb, .start = start - a->shift,
                           .end = end - a->shift, .metadata = out->metadata};
        a->ofmt->chapters = grown;
        grown[a->ofmt->nb_chapters++] = out;
    }
}

/* The output's format, from the real name (the bytes go to a temporary one): known before
 * the input is read, as it decides which streams are kept. */
static void choose_output_format(app *a)
{
    int ret = avformat_alloc_output_context2(&a->ofmt, NULL, a->o.format, a->o.output);
    /* Not av_err: libav's line only repeats ours, from a context it names "NULL" ("Invalid
     * argument (NULL: Unable to find a suitable output format for 'x.xyz')"). */
    if (ret < 0 || !a->ofmt)
        cli_die("%s: no output format for this name (-f FORMAT names one): %s", a->o.output,
                av_err2str(ret));
}

/* -c:v, else libx264 for the usual video containers, else what the name implies (PNG for
 * .png through image2, ...). */
static void choose_encoder(app *a)
{
    const char *ext = strrchr(a->o.output, '.');
    if (a->o.codec)
        a->enc_codec = avcodec_find_encoder_by_name(a->o.codec);
    else if (ext && (!av_strcasecmp(ext, ".mp4") || !av_strcasecmp(ext, ".mkv") ||
                     !av_strcasecmp(ext, ".mov")))
        a->enc_codec = avcodec_find_encoder_by_name("libx264");
    else
        a->enc_codec = avcodec_find_encoder(
            av_guess_codec(a->ofmt->oformat, NULL, a->o.output, NULL, AVMEDIA_TYPE_VIDEO));
    if (!a->enc_codec)
        cli_die("%s: no video encoder %s%s", a->o.output, a->o.codec ? a->o.codec : "for this format",
            a->o.codec ? " in this build" : "");
}

static void open_output(app *a)
{
    char eb[ERR_SIZE];
    /* Segments keep the input's timestamps exactly, so that they join as one run (the join's
     * muxer moves them all as the whole run's would): Matroska and MPEG-TS would otherwise
     * move the first one (only) past its start below zero (AAC's priming samples, B-frames'
     * decoding times). MPEG-TS writes such times under its 33-bit clock's wrap, which its
     * demuxers read as before zero. Other formats keep their muxer's way: FLV's clock wraps
     * such times too, but its demuxer reads them as 2147483 s. */
    const char *mux = a->ofmt->oformat->name;
    if (a->o.segments &&
        (strstr(mux, "matroska") || !strcmp(mux, "webm") || !strcmp(mux, "mpegts")))
        a->ofmt->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    a->rotate = "";
    a->nb_map = a->ifmt->nb_streams;
    a->map = malloc(sizeof(int) * a->nb_map);
    a->mux_dts = malloc(sizeof(int64_t) * a->nb_map); /* no more output streams than input */
    if (!a->map || !a->mux_dts)
        cli_die("out of memory");
    clock_mend_init(a, &a->mend, a->ifmt);
    for (unsigned i = 0; i < a->ifmt->nb_streams; i++) {
        AVStream *ist = a->ifmt->streams[i];
        a->map[i] = -1;
        a->mux_dts[i] = AV_NOPTS_VALUE;
        const char *why;
        if (!stream_kept(a, i, &why)) {
            if (why && !a->o.quiet)
                fprintf(stderr, "srres-video: %s: stream %u (%s) dropped: %s (%s)\n",
                        a->o.input, i, avcodec_get_name(ist->codecpar->codec_id), why,
                        a->ofmt->oformat->name);
            continue;
        }
        /* A rotation the format cannot store is applied to the frames instead, as ffmpeg
         * does, or players would show them on their side. */
        int keep = (int)i != a->vin || output_keeps_rotation(a->ofmt->oformat);
        if (!keep)
            a->rotate = rotation_filter(ist);
        AVStream *ost = avformat_new_stream(a->ofmt, NULL);
        if (!ost || output_copy_stream_info(ost, ist, (int)i == a->vin, keep) < 0)
            cli_die("out of memory");
        a->map[i] = ost->index;
        if ((int)i != a->vin) {
            avcodec_parameters_copy(ost->codecpar, ist->codecpar);
            ost->codecpar->codec_tag = 0; /* tags differ between containers */
            ost->time_base = ist->time_base;
        }
    }
    forget_libav_error(); /* what trial headers of streams now dropped said */
    av_dict_copy(&a->ofmt->metadata, a->ifmt->metadata, 0);
    copy_chapters(a);
    /* An image name with a frame number (out%04d.png) takes a file a frame, written as they
     * come (there is no one file to rename into place); any other image name one picture. */
    char first[PATH_MAX];
    int image2 = !strcmp(a->ofmt->oformat->name, "image2");
    int numbered = image2 && av_get_frame_filename(first, sizeof(first), a->o.output, 1) >= 0;
    a->one_picture = image2 && !numbered;
    a->numbered = numbered;
    /* Said as for one file: image2 gives only "Input/output error" for a missing folder. */
    char folder[PATH_MAX];
    snprintf(folder, sizeof(folder), "%s", a->o.output);
    struct stat st;
    if (numbered && (stat(dirname(folder), &st) < 0 || !S_ISDIR(st.st_mode)))
        cli_die("%s: cannot write: no folder %s", a->o.output, folder);
    if (numbered && numbered_input(a->input_file, a->o.output))
        cli_die("%s: its numbered names include the input's files (%s)", a->o.output,
            a->o.input);
    /* Any of its names, not only the first: the muxer writes over what it meets. */
    if (numbered && !a->o.overwrite && output_numbered_existing(a->o.output, first, sizeof(first)))
        cli_die("%s: already exists (a name of %s); use -y to overwrite", first, a->o.output);
    if (numbered)
        output_target_init_direct(&a->target, a->o.output);
    else
        output_target_init(&a->target, a->o.output);
    /* Fail now, with the reason, if the folder cannot take the file (a fifo would block
     * here until read: it is opened once, when writing starts). */
    int fd = a->target.direct ? -2
                              : open(a->target.temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1)
        cli_die("%s: cannot write: %s", a->o.output, strerror(errno));
    if (fd >= 0)
        close(fd);
    av_freep(&a->ofmt->url); /* muxers that open their own files (image2) use the url */
    a->ofmt->url = av_strdup(a->target.url);
    if (!a->ofmt->url)
        cli_die("out of memory");
    if (!(a->ofmt->oformat->flags & AVFMT_NOFILE)) {
        int ret = avio_open(&a->ofmt->pb, a->target.url, AVIO_FLAG_WRITE);
        if (ret < 0)
            cli_die("%s: cannot write here: %s", a->o.output, av_err(ret, eb));
    }
    if (a->one_picture)
        av_opt_set_int(a->ofmt->priv_data, "update", 1, 0); /* one file, not a pattern */
}

static void open_network(app *a)
{
    if (!a->o.model)
        a->o.model = default_model(a->default_model, sizeof(a->default_model));
    a->model = cli_load_model(a->o.model);
    srres_error e;
    srres_params p = srres_default_params();
    p.threads = a->o.threads;
    p.tile = a->o.tile;
    p.max_memory = a->o.max_memory;
    p.ensemble = a->o.ensemble;
    if (a->o.kernel)
        p.kernel = cli_kernel(a->o.kernel);
    if (a->o.precision)
        p.precision = cli_precision(a->o.precision);
    if (srres_ctx_create(a->model, &p, &a->ctx, &e) != SRRES_OK)
        cli_die("%s: %s", a->o.model, e.message);
    a->scale = srres_model_config(a->model)->scale;
    if (av_image_check_size((unsigned)a->in_w * a->scale, (unsigned)a->in_h * a->scale, 0,
                            NULL) < 0)
        cli_die("%s: %dx%d upscaled x%d is %ldx%ld, beyond the largest frame FFmpeg handles",
            a->o.input, a->in_w, a->in_h, a->scale, (long)a->in_w * a->scale,
            (long)a->in_h * a->scale);
    /* 8-bit sources go through RGB24 (GBRAP with alpha); deeper ones through 16-bit planar
     * RGB (GBRAP16). */
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->src_fmt);
    int depth = 0;
    for (int c = 0; d && c < d->nb_components; c++)
        depth = d->comp[c].depth > depth ? d->comp[c].depth : depth;
    /* Alpha is kept where the output can hold it, upscaled with bicubic beside the network,
     * which sees colour only. */
    enum AVPixelFormat out = output_format(a, a->enc_codec);
    a->alpha = a->src_alpha && has_alpha(out) && alpha_stored(a, a->enc_codec);
    a->grey_out = !has_colour(out);
    /* For later frames' alpha: the first frames' format chose an output without it (a PNG's
     * rgb24), or the output holds none whatever comes (H.264's, VP9 outside Matroska). */
    a->alpha_holdable =
        alpha_stored(a, a->enc_codec) &&
        (a->o.pix_fmt ? has_alpha(av_get_pix_fmt(a->o.pix_fmt))
                      : !a->enc_codec->pix_fmts || encoder_takes(a->enc_codec, has_alpha));
    if (a->alpha)
        a->net_fmt = depth > 8 ? AV_PIX_FMT_GBRAP16 : AV_PIX_FMT_GBRAP;
    else
        a->net_fmt = depth > 8 ? AV_PIX_FMT_GBRP16 : AV_PIX_FMT_RGB24;
    if (!a->o.quiet && (a->alpha_unread || (a->src_alpha && !a->alpha))) {
        char why[160];
        if (a->alpha_unread)
            snprintf(why, sizeof(why), "no libvpx decoder in this FFmpeg reads it");
        else if (!alpha_stored(a, a->enc_codec))
            snprintf(why, sizeof(why), "%s stores no %s alpha (Matroska and WebM do)",
                     a->ofmt->oformat->name, a->enc_codec->name);
        else if (a->o.pix_fmt)
            snprintf(why, sizeof(why), "the output's %s (-pix_fmt) has none",
                     av_get_pix_fmt_name(out));
        else if (encoder_takes(a->enc_codec, is_paletted))
            snprintf(why, sizeof(why), "the %s encoder holds it only in a palette: give -pix_fmt "
                     "pal8 and make one in --vf-post (palettegen, paletteuse)", a->enc_codec->name);
        else
            snprintf(why, sizeof(why), "the %s encoder takes no format with alpha",
                     a->enc_codec->name);
        fprintf(stderr, "srres-video: %s: its alpha channel is dropped: %s\n", a->o.input, why);
    }
}

static long expected_frames(const app *a)
{
    AVStream *ist = a->ifmt->streams[a->vin];
    AVRational fr = av_guess_frame_rate(a->ifmt, ist, NULL);
    double tb = av_q2d(ist->time_base);
    double dur = ist->duration != AV_NOPTS_VALUE ? ist->duration * tb
                 : a->ifmt->duration > 0         ? a->ifmt->duration / (double)AV_TIME_BASE
                                                 : 0;
    /* The frames of the range -ss, -t or --segment chose, at the frame rate. */
    double start = ist->start_time != AV_NOPTS_VALUE ? ist->start_time * tb : 0;
    double from = a->lo != INT64_MIN ? FFMAX(a->lo * tb, start) : start;
    double to = a->hi != INT64_MAX ? FFMIN(a->hi * tb, start + dur) : start + dur;
    long n = a->lo == INT64_MIN && a->hi == INT64_MAX && ist->nb_frames > 0
                 ? (long)ist->nb_frames
             : fr.num && dur > 0 ? (long)((to - from) * av_q2d(fr) + 0.5)
                                 : 0;
    if (a->o.max_frames > 0 && (n <= 0 || n > a->o.max_frames))
        n = a->o.max_frames;
    return n > 0 ? n : 0;
}

static void cleanup(app *a)
{
    if (a->ofmt && !(a->ofmt->oformat->flags & AVFMT_NOFILE))
        avio_closep(&a->ofmt->pb);
    avformat_free_context(a->ofmt);
    for (unsigned i = 0; i < a->nb_adts; i++)
        av_bsf_free(&a->adts[i]);
    av_free(a->adts);
    avformat_close_input(&a->ifmt);
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    video_graph_free(&a->pre);
    video_graph_free(&a->post);
    video_graph_free(&a->fit);
    for (int i = 0; i < a->npending; i++)
        av_packet_free(&a->pending[i]);
    av_free(a->pending);
    frame_queue_free(a->q_in, free_item);
    frame_queue_free(a->q_out, free_item);
    srres_ctx_free(a->ctx);
    sws_freeContext(a->alpha_sws);
    srres_model_free(a->model);
    free(a->map);
    av_dict_free(&a->o.enc_opts);
    clock_mend_free(&a->mend);
    free(a->mux_dts);
    output_target_free(&a->target);
}

int main(int argc, char **argv)
{
    static app a;
    a.o = (options){.crf = -1, .queue = 4, .start_us = AV_NOPTS_VALUE,
                    .duration_us = AV_NOPTS_VALUE};
    a.first_pts_us = AV_NOPTS_VALUE;
    cli_init("srres-video", NULL);
    parse_options(&a.o, argc, argv);
    /* Our own messages say what failed; libav's detail is for -v. SVT-AV1 prints past
     * av_log, at the level SVT_LOG says (1 errors, 3 information); a user's own is kept. */
    av_log_set_level(a.o.verbose ? AV_LOG_INFO : AV_LOG_FATAL);
    av_log_set_callback(on_libav_log);
    setenv("SVT_LOG", a.o.verbose ? "3" : "1", 0);
    if (a.o.concat)
        return concat_segments(a.o.concat, a.o.overwrite, a.o.quiet, argv + optind,
                               argc - optind);
    /* FFmpeg reads "file:NAME" as NAME: the checks against the output look at NAME (the
     * input was replaced, or its numbered files written over, with -y). */
    if (!av_strstart(a.o.input, "file:", &a.input_file))
        a.input_file = a.o.input;
    if (access(a.input_file, F_OK) == 0 && same_file(a.input_file, a.o.output))
        cli_die("%s: the output is the input file", a.o.output);
    if (!a.o.overwrite && access(a.o.output, F_OK) == 0)
        cli_die("%s: already exists; use -y to overwrite", a.o.output);
    pthread_mutex_init(&a.err_lock, NULL);

    choose_output_format(&a);
    open_input(&a);
    choose_encoder(&a);
    open_network(&a);
    open_pre_graph(&a);
    /* Handled from before the temporary file exists, which a signal must not leave behind. */
    struct sigaction sa = {.sa_handler = on_signal}, nudge = {.sa_handler = on_nudge};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed terminal or dropped ssh is a stop request, unless the run was started under
     * nohup, which ignores SIGHUP to ask it to outlive its terminal. */
    struct sigaction hup;
    if (sigaction(SIGHUP, NULL, &hup) != 0 || hup.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &nudge, NULL);
    signal(SIGXFSZ, SIG_IGN); /* past a file size limit a write fails, and the run with it */
    /* A closed reader of stderr (2>&1 | head) or of the output pipe makes writes fail, as an
     * error of the output's or not at all, instead of killing the run mid-file. */
    signal(SIGPIPE, SIG_IGN);
    open_output(&a);
    if (signals_seen) {
        output_target_abandon(&a.target);
        return 128 + last_signal;
    }
    /* Queued frames hold at most QUEUE_BYTES of upscaled pixels (an 8K frame is 100 MB), and
     * at most --queue frames; copied packets share the output queue, a few slots more. */
    size_t out_bytes = (size_t)a.dec->width * a.dec->height * a.scale * a.scale *
                       av_get_padded_bits_per_pixel(av_pix_fmt_desc_get(a.net_fmt)) / 8;
    int depth = (int)(QUEUE_BYTES / out_bytes);
    depth = depth < 1 ? 1 : depth > a.o.queue ? a.o.queue : depth;
    a.q_in = frame_queue_create(depth, 1);
    a.q_out = frame_queue_create(depth + 8, 2); /* sr frames and copied packets */
    if (!a.q_in || !a.q_out)
        cli_die("out of memory");

    if (a.o.verbose)
        fprintf(stderr, "srres-video: %s: %dx%d %s -> x%d %s via %s; %s\n", a.o.input,
                a.dec->width, a.dec->height, av_get_pix_fmt_name(a.dec->pix_fmt), a.scale,
                a.o.output, av_get_pix_fmt_name(a.net_fmt), a.o.model);
    progress prog;
    progress_init(&prog, stderr, expected_frames(&a), a.o.quiet);
    pthread_t reader, sr, writer;
    pthread_create(&reader, NULL, reader_main, &a);
    pthread_create(&sr, NULL, sr_main, &a);
    pthread_create(&writer, NULL, writer_main, &a);
    int announced = 0;
    for (;;) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (signals_seen && !announced) {
            if (!a.o.quiet)
                fprintf(stderr, "\nsrres-video: stopping: finishing the frames in flight "
                                "(again to abort)\n");
            announced = 1;
            pthread_kill(reader, SIGUSR1); /* out of a read that may never return */
        }
        if (signals_seen > 1)
            set_error(&a, "aborted by a second signal");
        progress_update(&prog, atomic_load(&a.frames_out), atomic_load(&a.media_us) / 1e6);
        if (pthread_tryjoin_np(writer, NULL) == 0)
            break;
    }
    pthread_join(reader, NULL);
    pthread_join(sr, NULL);

    int failed = atomic_load(&a.failed);
    if (a.ofmt && !(a.ofmt->oformat->flags & AVFMT_NOFILE) && avio_closep(&a.ofmt->pb) < 0 &&
        !failed) {
        set_error(&a, "%s: cannot finish writing: %s", a.o.output, strerror(errno));
        failed = 1;
    }
    if (!failed && output_target_commit(&a.target) < 0) {
        set_error(&a, "%s: cannot rename the finished file into place: %s", a.o.output,
                  strerror(errno));
        failed = 1;
    }
    if (failed) {
        output_target_abandon(&a.target);
        if (!a.o.quiet && prog.tty)
            fputc('\n', stderr);
        fprintf(stderr, "srres-video: %s\n", a.error);
        cleanup(&a);
        return signals_seen > 1 ? 128 + last_signal : 1; /* aborted: the signal's status */
    }
    progress_finish(&prog, atomic_load(&a.frames_out), atomic_load(&a.media_us) / 1e6,
                    a.o.output);
    if (a.damaged > 1 && !a.o.quiet)
        fprintf(stderr, "srres-video: %s: %ld damaged video packets or frames skipped in all\n",
                a.o.input, a.damaged);
    if (a.damaged_copied > 1 && !a.o.quiet)
        fprintf(stderr, "srres-video: %s: %ld damaged packets of copied streams skipped in all\n",
                a.o.input, a.damaged_copied);
    /* Said even under -q: the file is good to play but not the whole job. */
    if (signals_seen) {
        long done = atomic_load(&a.frames_out), all = expected_frames(&a);
        fprintf(stderr, "srres-video: stopped by a signal: %s holds the first %ld frames",
                a.o.output, done);
        if (all > done)
            fprintf(stderr, " of about %ld", all);
        fputc('\n', stderr);
    }
    if (a.o.verbose) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "srres-video: network busy %.2f s, waiting for input %.2f s; queue high "
                        "water %d of %d; peak memory %ld MB\n",
                a.sr_busy, a.sr_wait, frame_queue_high_water(a.q_in), a.o.queue,
                ru.ru_maxrss / 1024);
    }
    cleanup(&a);
    return signals_seen ? 128 + last_signal : 0;
}
