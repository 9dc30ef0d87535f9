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
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavfilter/buffersink.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/detection_bbox.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libgen.h>
#include <libswscale/swscale.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
#include "frame_queue.h"
#include "output_file.h"
#include "progress.h"
#include "same_file.h"
#include "srres.h"
#include "video/libav_log.h"
#include "video/options.h"
#include "video_graph.h"
#include "yuvj.h"

#ifndef SRRES_DATADIR
#define SRRES_DATADIR "/usr/local/share/srres"
#endif

enum { KIND_FRAME = 1, KIND_PACKET = 2 };

#define QUEUE_BYTES ((size_t)256 << 20)

/* What is added to an input's timestamps after its clock's jumps (MPEG-TS and -PS), and each
 * of its first `count` streams' next decoding time, both in AV_TIME_BASE units; `says` marks
 * the streams whose jumps count. */
typedef struct clock_mend {
    int64_t offset, *next_dts;
    char *says;
    unsigned count; /* the streams at the start: those that appear mid-file are dropped */
    int jumps;
} clock_mend;

typedef struct app {
    options o;
    output_target target; /* target.temp is written, then renamed to target.final */
    const char *input_file; /* the input's path: -i, less a "file:" before it */
    int one_picture;      /* an image output without a frame number in its name */
    int numbered;         /* an image output with one: a file a frame, written directly */
    long images;          /* writer: the video packets written, the numbered files made */
    const char *rotate;   /* filters that apply a rotation the output cannot store, or "" */
    int told_interlaced;  /* sr thread: said that interlaced frames come out progressive */
    int told_dropped;     /* reader: said that later frames lose their alpha or colour */
    /* reader: the frame size, format and pixel aspect ratio the pre graph is built for */
    int in_w, in_h;
    enum AVPixelFormat in_fmt;
    AVRational in_sar;
    /* The time base and frame rate the pre graph gives, and the output's frame size and
     * aspect ratio, into which the writer fits frames of other sizes (open_pre_graph). */
    AVRational net_tb, net_rate, out_sar;
    int out_w, out_h;
    video_graph fit;      /* writer: scales and pads a frame of another size to out_w x out_h */
    int fit_w, fit_h;     /* the frame size and aspect ratio fit is built for */
    AVRational fit_sar;
    /* The decoder's format and colour description as the pipeline was built: the reader's
     * decoder rewrites its own (H.264 at every SPS) while the writer builds the output. */
    enum AVPixelFormat src_fmt;
    enum AVColorSpace src_space;
    enum AVColorRange src_range;
    enum AVColorPrimaries src_primaries;
    enum AVColorTransferCharacteristic src_trc;
    enum AVChromaLocation src_chroma;
    AVFormatContext *ifmt, *ofmt;
    int vin;           /* input video stream */
    int *map;          /* input stream -> output stream, -1 dropped */
    unsigned nb_map;   /* the input's streams at the start, which map covers */
    unsigned told_new; /* reader: streams below this index that appeared later were said */
    AVCodecContext *dec, *enc;
    const AVCodec *enc_codec;
    video_graph pre, post;
    int post_ready, header_written;
    int post_w, post_h; /* the frame size and aspect ratio the post graph is built for */
    AVRational post_sar;
    srres_model *model;
    srres_ctx *ctx;
    int scale;
    enum AVPixelFormat net_fmt; /* RGB24 or GBRP16; GBRAP or GBRAP16 to carry alpha */
    int src_alpha;              /* the input has alpha (a palette: a pixel not opaque) */
    int alpha;                  /* the input's alpha goes to the output, upscaled beside */
    int grey_out;               /* the output's format has no colour (a grey source's PNG) */
    int alpha_holdable;         /* the output would keep alpha, had the first frames any */
    int alpha_unread;           /* WebM alpha that no decoder here reads */
    int vpx_alpha;              /* reader: libvpx decodes WebM alpha ... */
    int vpx_alpha_read;         /* ... and has read some since it was opened */
    struct SwsContext *alpha_sws; /* sr thread: upscales the alpha plane */
    frame_queue *q_in, *q_out;
    AVBSFContext **adts; /* --segment: by input stream, an ADTS AAC one's header remover */
    unsigned nb_adts;    /* the streams adts covers: those at the start */
    AVPacket **pending; /* copied packets that arrived before the header */
    int npending;
    /* The part of the input written, in the video stream's time base: frames and packets
     * with timestamps in [lo, hi) (-ss/-t or --segment), moved earlier by shift (the output
     * starts at zero: at the input's start, or at -ss; segments all move by the input's
     * start, so they join back). */
    int64_t lo, hi, shift;
    int64_t last_pts, frame_ticks; /* reader: the last frame's timestamp, one frame's ticks */
    /* reader: the last timestamp out of the pre graph, what is added to those of one built
     * anew (reopen_pre_graph), and whether it has given a frame yet */
    int64_t pre_last, pre_shift;
    int pre_fresh;
    int64_t enc_pts;               /* writer: the last frame's timestamp at the encoder */
    long damaged;                  /* reader: damaged video packets and frames skipped */
    long damaged_copied;           /* writer: damaged packets of copied streams skipped */
    clock_mend mend; /* reader: the input's clock jumps taken out */
    const char *probe_us; /* how far the input was probed (NULL: libavformat's default) */
    int64_t *mux_dts; /* writer: each output stream's last decoding time, in its time base */
    char default_model[PATH_MAX + 64]; /* o.model when -m is not given: said under -v too */
    atomic_long frames_in, frames_sr, frames_out;
    atomic_llong media_us; /* media written, for the progress line */
    int64_t first_pts_us;  /* writer thread: the first frame's start */
    double sr_wait, sr_busy; /* seconds the sr thread waited for input / ran the network */
    pthread_mutex_t err_lock;
    char error[1024];
    atomic_int failed;
} app;

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

/* Records the first error and stops the pipeline. */
static void set_error(app *a, const char *fmt, ...)
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

static int has_alpha(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
}

static int is_paletted(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_PAL);
}

static int has_colour(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->nb_components >= 3 || (d->flags & AV_PIX_FMT_FLAG_PAL));
}

/* Whether a frame is w x h with pixel aspect ratio sar, an unknown one counting as square. */
static int same_shape(const AVFrame *f, int w, int h, AVRational sar)
{
    AVRational fs = f->sample_aspect_ratio.num ? f->sample_aspect_ratio : (AVRational){1, 1};
    return f->width == w && f->height == h &&
           !av_cmp_q(fs, sar.num ? sar : (AVRational){1, 1});
}

/* ---- Reader ---------------------------------------------------------------------------- */

static int build_pre_graph(app *a, int w, int h, enum AVPixelFormat fmt, AVRational sar,
                           char *err, int errlen);

/* The container's aspect ratio over the frame's, as ffmpeg takes it: ProRes and VP9 code
 * none, and their output lost it. */
static AVRational frame_sar(const app *a, const AVFrame *frame)
{
    AVRational sar = a->ifmt->streams[a->vin]->sample_aspect_ratio;
    return sar.num ? sar : frame->sample_aspect_ratio;
}

/* Sends a frame (NULL: the end) into the pre graph and what comes out into q_in. */
static int push_pre(app *a, AVFrame *frame)
{
    char eb[ERR_SIZE];
    int ret = video_graph_push(&a->pre, frame);
    if (ret < 0) {
        set_error(a, "%s: --vf-pre graph: %s", a->o.input, av_err(ret, eb));
        return ret;
    }
    for (;;) {
        AVFrame *out = av_frame_alloc();
        if (!out) {
            set_error(a, "out of memory");
            return AVERROR(ENOMEM);
        }
        ret = video_graph_pull(&a->pre, out);
        if (ret < 0) {
            av_frame_free(&out);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
                return 0;
            /* Said, or the reader ended quietly and the run wrote a short file with status 0 */
            set_error(a, "%s: --vf-pre graph: %s", a->o.input, av_err(ret, eb));
            return ret;
        }
        /* A graph built anew restarts the clocks of --vf-pre's filters (setpts=PTS-STARTPTS,
         * setpts=N/FRAME_RATE/TB): its frames went back to zero, and came out one tick after
         * the last each. Where they go back, they continue a frame after the last instead. */
        if (out->pts != AV_NOPTS_VALUE && a->pre_fresh) {
            int64_t ticks =
                a->net_rate.num > 0 ? av_rescale_q(1, av_inv_q(a->net_rate), a->net_tb) : 1;
            int back = a->pre_last != AV_NOPTS_VALUE && out->pts < a->pre_last;
            a->pre_shift = back ? a->pre_last + ticks - out->pts : 0;
            a->pre_fresh = 0;
        }
        if (out->pts != AV_NOPTS_VALUE) {
            out->pts += a->pre_shift;
            a->pre_last = out->pts;
        }
        if (frame_queue_push(a->q_in, out, KIND_FRAME) < 0) {
            av_frame_free(&out);
            return AVERROR_EXIT;
        }
    }
}

/* A frame of another size, pixel format or pixel aspect ratio than the ones before (a
 * stream that changes resolution: WebRTC recordings, broadcast, joined files): the pre graph
 * is flushed and built anew for it (filters such as scale=iw*sar:ih read the aspect ratio
 * when built), and the network upscales it at its own size. */
static int reopen_pre_graph(app *a, const AVFrame *frame)
{
    char err[512];
    int ret = push_pre(a, NULL);
    if (ret < 0)
        return ret;
    video_graph_free(&a->pre);
    if (build_pre_graph(a, frame->width, frame->height, frame->format,
                        frame->sample_aspect_ratio, err, sizeof(err)) < 0) {
        /* Said: the same --vf-pre took the frames before (a crop wider than the new ones) */
        set_error(a, "%s: the frames change to %dx%d %s, which --vf-pre cannot take: %s",
                  a->o.input, frame->width, frame->height, av_get_pix_fmt_name(frame->format),
                  with_libav_reason(err, sizeof(err)));
        return AVERROR(EINVAL);
    }
    int w = av_buffersink_get_w(a->pre.sink), h = av_buffersink_get_h(a->pre.sink);
    if (av_image_check_size((unsigned)w * a->scale, (unsigned)h * a->scale, 0, NULL) < 0) {
        set_error(a, "%s: its frames change size to %dx%d, which upscaled x%d is beyond the "
                  "largest frame FFmpeg handles", a->o.input, w, h, a->scale);
        return AVERROR(EINVAL);
    }
    a->in_w = frame->width;
    a->in_h = frame->height;
    a->in_fmt = frame->format;
    a->in_sar = frame->sample_aspect_ratio;
    a->pre_fresh = 1;
    /* The output's format is chosen for the first frames: a later frame's alpha, or its
     * colour after grey ones, is dropped, as by ffmpeg, but said (a transparent PNG or a
     * colour one in a sequence lost it without a word). Colour frames after colour ones
     * lose nothing more (-pix_fmt gray dropped it from the first). */
    const char *dropped =
        !a->src_alpha && has_alpha(frame->format) && !is_paletted(frame->format) ? "alpha"
        : a->grey_out && !has_colour(a->src_fmt) && has_colour(frame->format)   ? "colour"
                                                                                 : NULL;
    if (dropped && !a->told_dropped && !a->o.quiet) {
        if (!strcmp(dropped, "alpha") && !a->alpha_holdable)
            fprintf(stderr, "srres-video: %s: the frames change to %s, whose alpha is dropped: "
                    "the output (%s) holds none\n", a->o.input,
                    av_get_pix_fmt_name(frame->format), a->enc_codec->name);
        else
            fprintf(stderr, "srres-video: %s: the frames change to %s, whose %s is dropped: "
                    "the output's format is chosen for the first frames' %s\n", a->o.input,
                    av_get_pix_fmt_name(frame->format), dropped,
                    av_get_pix_fmt_name(a->src_fmt));
        a->told_dropped = 1;
    }
    return 0;
}

/* Sends a decoded frame through the pre graph into q_in. Returns 0, 1 when a limit is
 * reached (stop reading), or an AVERROR. */
static int feed_frame(app *a, AVFrame *frame)
{
    int ret;
    if (frame) {
        int64_t pts = frame->best_effort_timestamp;
        if (pts != AV_NOPTS_VALUE && pts < a->lo)
            return 0; /* decoded from the keyframe before -ss */
        /* Against what the pre graph was built for: the decoder's own may already be the
         * next frames'. */
        if (pts != AV_NOPTS_VALUE && pts >= a->hi)
            return 1;
        if (a->o.max_frames > 0 && atomic_load(&a->frames_in) >= a->o.max_frames)
            return 1;
        frame->sample_aspect_ratio = frame_sar(a, frame);
        if ((!same_shape(frame, a->in_w, a->in_h, a->in_sar) || frame->format != a->in_fmt) &&
            (ret = reopen_pre_graph(a, frame)) < 0)
            return ret;
        /* The encoder and muxer need increasing timestamps, which raw streams, the end of some
         * MPEG-PS files and broken ones do not give: a frame without one comes a frame after
         * the one before, one that repeats or goes back a tick after it. */
        int64_t out = pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : pts - a->shift;
        if (out == AV_NOPTS_VALUE)
            out = a->last_pts == AV_NOPTS_VALUE ? 0 : a->last_pts + a->frame_ticks;
        else if (a->last_pts != AV_NOPTS_VALUE && out <= a->last_pts)
            out = a->last_pts + 1;
        frame->pts = a->last_pts = out;
        atomic_fetch_add(&a->frames_in, 1);
    }
    return push_pre(a, frame);
}

/* The first damaged packet or frame is said, the others counted for the end. */
static void skip_damaged(app *a, int ret)
{
    char eb[ERR_SIZE];
    av_err(ret, eb);
    if (a->damaged++ == 0 && !a->o.quiet)
        fprintf(stderr, "srres-video: %s: skipping a damaged video packet: %s\n", a->o.input, eb);
}

/* A decoder of the video stream st, into *dec (freed by the caller, also on failure). */
static int open_decoder(const AVStream *st, const AVCodec *codec, AVCodecContext **dec)
{
    *dec = avcodec_alloc_context3(codec);
    if (!*dec)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_to_context(*dec, st->codecpar);
    (*dec)->pkt_timebase = st->time_base;
    (*dec)->thread_count = 1;
    return ret < 0 ? ret : avcodec_open2(*dec, codec, NULL);
}

/* libvpx's decoder, once it has read alpha, gives no frame for a packet without it: a WebM
 * joined from clips with alpha and without lost the frames of those without (10 frames
 * came out 5). A new decoder reads them from their keyframe on. */
static int restart_at_opaque_keyframe(app *a, const AVPacket *pkt)
{
    char eb[ERR_SIZE];
    size_t n;
    const uint8_t *extra = av_packet_get_side_data(pkt, AV_PKT_DATA_MATROSKA_BLOCKADDITIONAL, &n);
    int alpha = extra && n >= 8 && AV_RB64(extra) == 1; /* BlockAddID 1: alpha */
    if (alpha || !a->vpx_alpha_read || !(pkt->flags & AV_PKT_FLAG_KEY)) {
        a->vpx_alpha_read |= alpha;
        return 0;
    }
    const AVCodec *codec = a->dec->codec;
    avcodec_free_context(&a->dec);
    a->vpx_alpha_read = 0;
    int ret = open_decoder(a->ifmt->streams[a->vin], codec, &a->dec);
    if (ret < 0)
        set_error(a, "%s: cannot open the %s decoder: %s", a->o.input, codec->name,
                  av_err(ret, eb));
    return ret;
}

/* Decodes what the packet (NULL: flush) yields and feeds it on. */
static int decode_packet(app *a, AVPacket *pkt, AVFrame *frame)
{
    char eb[ERR_SIZE];
    int ret = pkt && a->vpx_alpha ? restart_at_opaque_keyframe(a, pkt) : 0;
    if (ret < 0)
        return ret;
    /* A damaged packet or frame is skipped, as ffmpeg does, whatever the decoder calls the
     * damage (PNG's zlib says "Generic error in an external library"): one bad frame must
     * not cost the rest. Only running out of memory stops the run. */
    ret = avcodec_send_packet(a->dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF) {
        if (ret != AVERROR(ENOMEM)) {
            skip_damaged(a, ret);
            return 0;
        }
        set_error(a, "%s: cannot decode video: %s", a->o.input, av_err(ret, eb));
        return ret;
    }
    for (;;) {
        ret = avcodec_receive_frame(a->dec, frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            if (ret != AVERROR(ENOMEM)) {
                skip_damaged(a, ret);
                continue;
            }
            set_error(a, "%s: cannot decode video: %s", a->o.input, av_err(ret, eb));
            return ret;
        }
        ret = feed_frame(a, frame);
        av_frame_unref(frame);
        if (ret)
            return ret;
    }
}

/* An MPEG-TS or MPEG-PS clock can jump: files joined with cat, a broadcast whose clock was
 * reset. A stream's jump back (by over 0.1 s) or ahead (by over 10 s) from where its last
 * packet ended is taken out of every stream from there on, as ffmpeg does: the copied
 * packets went back in time, which the muxer refused, and the video frames were squeezed
 * one tick apart after the last one. */
static void smooth_jumps(const app *a, clock_mend *m, const AVFormatContext *f, AVPacket *pkt)
{
    if ((unsigned)pkt->stream_index >= m->count)
        return;
    AVStream *st = f->streams[pkt->stream_index];
    int64_t offset = av_rescale_q(m->offset, AV_TIME_BASE_Q, st->time_base);
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += offset;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += offset;
    if (!(f->iformat->flags & AVFMT_TS_DISCONT) || pkt->dts == AV_NOPTS_VALUE ||
        !m->says[pkt->stream_index])
        return;
    int64_t dts = av_rescale_q(pkt->dts, st->time_base, AV_TIME_BASE_Q);
    int64_t *next = &m->next_dts[pkt->stream_index];
    if (*next != AV_NOPTS_VALUE &&
        (dts < *next - AV_TIME_BASE / 10 || dts > *next + 10 * (int64_t)AV_TIME_BASE)) {
        int64_t jump = dts - *next, ticks = av_rescale_q(jump, AV_TIME_BASE_Q, st->time_base);
        m->offset -= jump;
        m->jumps++;
        dts -= jump;
        if (pkt->pts != AV_NOPTS_VALUE)
            pkt->pts -= ticks;
        pkt->dts -= ticks;
    }
    int64_t duration = pkt->duration > 0             ? pkt->duration
                       : pkt->stream_index == a->vin ? a->frame_ticks
                                                     : 0;
    *next = dts + av_rescale_q(duration, st->time_base, AV_TIME_BASE_Q);
}

static void *reader_main(void *arg)
{
    app *a = arg;
    char eb[ERR_SIZE];
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    /* Files that group audio (MPEG-TS carries a third of a second of AAC in one packet) hold
     * it after the video it goes with: past the video's end (a segment's, -t's), the audio
     * streams are read on until each passes that end, or the video is 10 s past it. They lost
     * up to a third of a second at every such end. `short_of` counts those still short. */
    char *past = calloc(a->nb_map ? a->nb_map : 1, 1);
    int ret = pkt && frame && past ? 0 : AVERROR(ENOMEM), video_done = 0, short_of = 0;
    int64_t video_after = 0; /* video packets read past the end */
    AVRational vtb = a->ifmt->streams[a->vin]->time_base;
    while (ret >= 0 && (!video_done || short_of > 0) && !signals_seen &&
           !atomic_load(&a->failed)) {
        ret = av_read_frame(a->ifmt, pkt);
        if (ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0) {
            set_error(a, "%s: cannot read: %s", a->o.input, av_err(ret, eb));
            break;
        }
        AVStream *ist = a->ifmt->streams[pkt->stream_index];
        smooth_jumps(a, &a->mend, a->ifmt, pkt);
        /* A stream that appears mid-file (a new MPEG-TS program table, read from a pipe) has
         * no output stream, made at the start: dropped with a message, as ffmpeg drops it
         * (its index read past the map, and the run crashed). */
        if ((unsigned)pkt->stream_index >= a->nb_map) {
            if ((unsigned)pkt->stream_index >= a->told_new && !a->o.quiet)
                fprintf(stderr, "srres-video: %s: stream %d (%s) appeared mid-file: dropped\n",
                        a->o.input, pkt->stream_index, avcodec_get_name(ist->codecpar->codec_id));
            a->told_new = FFMAX(a->told_new, (unsigned)pkt->stream_index + 1);
        } else if (pkt->stream_index == a->vin && video_done) {
            /* 10 s of video past the end, by its timestamps, or its frames where it has none */
            int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
            video_after++;
            if (ts == AV_NOPTS_VALUE)
                ts = a->hi + video_after * a->frame_ticks;
            if (av_compare_ts(ts - a->hi, vtb, 10, (AVRational){1, 1}) > 0)
                short_of = 0;
        } else if (pkt->stream_index == a->vin) {
            ret = decode_packet(a, pkt, frame);
            if (ret == 1) {
                video_done = 1;
                ret = 0;
                /* Not when --frames ended the video short of that end: the audio after its
                 * last frame is not its own (-t 100 --frames 5 copied 100 s of audio). */
                int by_count = a->o.max_frames > 0 && atomic_load(&a->frames_in) >= a->o.max_frames;
                for (unsigned i = 0; a->hi != INT64_MAX && !by_count && i < a->nb_map; i++)
                    short_of += a->map[i] >= 0 && !past[i] &&
                                a->ifmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
            }
        } else if (a->map[pkt->stream_index] >= 0) {
            /* Copied streams are cut at packet granularity on the video's clock. */
            int64_t shift = av_rescale_q(a->shift, vtb, ist->time_base);
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            int keep = ts == AV_NOPTS_VALUE ||
                       (av_compare_ts(ts, ist->time_base, a->lo, vtb) >= 0 &&
                        av_compare_ts(ts, ist->time_base, a->hi, vtb) < 0);
            if (ts != AV_NOPTS_VALUE && !past[pkt->stream_index] &&
                ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO &&
                av_compare_ts(ts, ist->time_base, a->hi, vtb) >= 0) {
                past[pkt->stream_index] = 1;
                short_of -= video_done;
            }
            if (keep) {
                AVPacket *copy = av_packet_clone(pkt);
                if (!copy) {
                    ret = AVERROR(ENOMEM);
                } else {
                    if (copy->pts != AV_NOPTS_VALUE)
                        copy->pts -= shift;
                    if (copy->dts != AV_NOPTS_VALUE)
                        copy->dts -= shift;
                    if (frame_queue_push(a->q_out, copy, KIND_PACKET) < 0) {
                        av_packet_free(&copy);
                        ret = AVERROR_EXIT;
                    }
                }
            }
        }
        av_packet_unref(pkt);
    }
    /* Flush the decoder and the pre graph, unless aborting. */
    if (ret >= 0 && !atomic_load(&a->failed)) {
        if (!video_done)
            ret = decode_packet(a, NULL, frame);
        if (ret >= 0)
            feed_frame(a, NULL);
    }
    av_packet_free(&pkt);
    av_frame_free(&frame);
    free(past);
    frame_queue_close(a->q_in);
    frame_queue_close(a->q_out);
    return NULL;
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

static int input_seekable(const app *a)
{
    return !a->ifmt->pb || (a->ifmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
}

/* The pts of the first video keyframe read from here on (dts if it has none), or
 * AV_NOPTS_VALUE if none comes before the end or in a while; the packets read are
 * dropped. */
static int64_t next_keyframe(app *a)
{
    AVPacket *pkt = av_packet_alloc();
    int64_t ts = AV_NOPTS_VALUE;
    for (int n = 0; pkt && n < 10000 && av_read_frame(a->ifmt, pkt) >= 0; n++) {
        int key = pkt->stream_index == a->vin && (pkt->flags & AV_PKT_FLAG_KEY);
        if (key)
            ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        av_packet_unref(pkt);
        if (key)
            break;
    }
    av_packet_free(&pkt);
    return ts;
}

/* Seeks to the video keyframe at or before lo (in the video's time base). Demuxers that seek
 * by decoding time (MPEG-TS, MPEG-PS) or without an index can land past it, on a later
 * keyframe or none, losing the frames in between: seek earlier until the first keyframe
 * found is not past lo (at worst to the start), then seek there again to read from it. */
static void seek_before(app *a, int64_t lo)
{
    char eb[ERR_SIZE];
    /* A pipe cannot seek: it is read from its start, and the frames before lo dropped. */
    if (!input_seekable(a))
        return;
    AVStream *ist = a->ifmt->streams[a->vin];
    int64_t start = ist->start_time != AV_NOPTS_VALUE ? ist->start_time : 0;
    int64_t second = av_rescale_q(1, (AVRational){1, 1}, ist->time_base);
    for (int64_t back = 0;; back = back ? 2 * back : second) {
        int64_t target = lo - back <= start ? INT64_MIN : lo - back;
        int64_t ts = target == INT64_MIN ? INT64_MIN
                                         : av_rescale_q(target, ist->time_base, AV_TIME_BASE_Q);
        int ret = target == INT64_MIN
                      ? avformat_seek_file(a->ifmt, -1, INT64_MIN, INT64_MIN, INT64_MIN, 0)
                      : avformat_seek_file(a->ifmt, -1, INT64_MIN, ts, ts, 0);
        if (ret < 0)
            cli_die("%s: cannot seek: %s", a->o.input, av_err(ret, eb));
        if (target == INT64_MIN)
            return;
        int64_t key = next_keyframe(a);
        if (key != AV_NOPTS_VALUE && key <= lo) {
            if ((ret = avformat_seek_file(a->ifmt, -1, INT64_MIN, ts, ts, 0)) < 0)
                cli_die("%s: cannot seek: %s", a->o.input, av_err(ret, eb));
            return;
        }
    }
}

/* A palette's colours are RGB too: a palette PNG into H.264 was full range (yuvj444p), as
 * for a full-range YUV source, and its matrix unsaid. */
static int source_is_rgb(const app *a)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->src_fmt);
    return a->src_space == AVCOL_SPC_RGB ||
           (d && (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)));
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

static const char *matrix_name(enum AVColorSpace cs)
{
    switch (cs) {
    case AVCOL_SPC_BT709: return "bt709";
    case AVCOL_SPC_FCC: return "fcc";
    case AVCOL_SPC_SMPTE240M: return "smpte240m";
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return "bt2020";
    default: return "bt601";
    }
}

static int is_yuvj(enum AVPixelFormat f)
{
    return yuvj_plain(f) != f;
}

/* Whether YUV output in format out is full range: JPEG's yuvj formats, and a full-range YUV
 * source's range kept. From RGB it is limited, as ffmpeg makes it (it was full, the range
 * an RGB source is tagged with: H.264 players took it for an unusual stream). So is a yuvj
 * source's (a phone's H.264) in a format without the j, as ffmpeg makes it: MPEG-1/2/4 and
 * ProRes cannot say full range, and players stretched its levels, clipping black and white. */
static int full_range_out(const app *a, enum AVPixelFormat out)
{
    return is_yuvj(out) || (!source_is_rgb(a) && a->src_range == AVCOL_RANGE_JPEG &&
                            !is_yuvj(a->src_fmt));
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

/* The scale filter's chroma position options for the source's chroma location, for frames
 * of format fmt, into buf ("" if it has none or fmt is not subsampled): the pre graph reads
 * the chroma where it is sited and the post graph sites it there again. The output said
 * "left" (MPEG-2's) for any source, and BT.2020's "topleft" chroma came out half a line off.
 * An axis that is not subsampled has its chroma on the luma's samples. */
static const char *chroma_sited(const app *a, const char *side, enum AVPixelFormat fmt,
                                char *buf, size_t n)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    int x, y;
    if (!d || !(d->log2_chroma_w || d->log2_chroma_h) ||
        a->src_chroma == AVCHROMA_LOC_UNSPECIFIED ||
        avcodec_enum_to_chroma_pos(&x, &y, a->src_chroma) < 0)
        return "";
    snprintf(buf, n, ":%s_h_chr_pos=%d:%s_v_chr_pos=%d", side, d->log2_chroma_w ? x : 0, side,
             d->log2_chroma_h ? y : 0);
    return buf;
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

/* Reading gives up once the run stops (a signal, an error), or a stalled input (a pipe
 * nobody writes to) would hold it forever. */
static int input_interrupted(void *arg)
{
    app *a = arg;
    return signals_seen || atomic_load(&a->failed);
}

/* The input's demuxer, its streams probed for `probe_us` microseconds of the input (NULL:
 * libavformat's default, 5 s). */
static AVFormatContext *open_demuxer(app *a, const char *probe_us)
{
    char eb[ERR_SIZE];
    AVFormatContext *f = avformat_alloc_context();
    if (!f)
        cli_die("out of memory");
    f->interrupt_callback = (AVIOInterruptCB){input_interrupted, a};
    /* As ffmpeg opens an input: an MPEG-TS's program tables are all read, not the first. */
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "scan_all_pmts", "1", 0);
    if (probe_us) {
        av_dict_set(&opts, "analyzeduration", probe_us, 0);
        av_dict_set(&opts, "probesize", "400M", 0);
    }
    int ret = avformat_open_input(&f, a->o.input, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        cli_die("%s: cannot open: %s", a->o.input, av_err(ret, eb));
    if ((ret = avformat_find_stream_info(f, NULL)) < 0)
        cli_die("%s: cannot read stream information: %s", a->o.input, av_err(ret, eb));
    return f;
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

/* Whether a stream lacks what a muxer's header needs, which its packets tell: none was met
 * within the probe (audio that starts late in an MPEG-TS recording). */
static int unprobed(const AVStream *st)
{
    const AVCodecParameters *p = st->codecpar;
    if (p->codec_type == AVMEDIA_TYPE_AUDIO)
        return p->sample_rate <= 0 || p->ch_layout.nb_channels <= 0;
    return p->codec_type == AVMEDIA_TYPE_VIDEO && (p->width <= 0 || p->height <= 0);
}

/* Whether input stream i goes into the output (copied; the video upscaled). *why says why
 * not where a message is due, and is NULL where the options or the output format's own
 * handling make it (-an, a timecode track the muxer makes anew). */
static int stream_kept(const app *a, unsigned i, const char **why)
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

/* A mender of the clock of f, an opening of the input. The streams the run keeps, video and
 * audio, say where it jumps; the others (-an's too) have no say, as in ffmpeg. */
static void clock_mend_init(const app *a, clock_mend *m, const AVFormatContext *f)
{
    *m = (clock_mend){.next_dts = malloc(sizeof(int64_t) * (f->nb_streams + 1)),
                      .says = calloc(f->nb_streams + 1, 1),
                      .count = FFMIN(f->nb_streams, a->ifmt->nb_streams)};
    if (!m->next_dts || !m->says)
        cli_die("out of memory");
    for (unsigned i = 0; i < m->count; i++) {
        enum AVMediaType type = f->streams[i]->codecpar->codec_type;
        const char *why;
        m->next_dts[i] = AV_NOPTS_VALUE;
        m->says[i] = (type == AVMEDIA_TYPE_VIDEO || type == AVMEDIA_TYPE_AUDIO) &&
                     stream_kept(a, i, &why);
    }
}

static void clock_mend_free(clock_mend *m)
{
    free(m->next_dts);
    free(m->says);
}

/* Whether the input's clock jumps anywhere: a seek for -ss goes by the raw times, which
 * then repeat or leap, and lands elsewhere (-ss 3 on two 2 s files joined with cat gave the
 * frames from 5 s; -ss 1, none). Reads packets only, to the first jump, and only where clocks
 * jump (MPEG-TS, -PS). */
static int clock_jumps(app *a)
{
    if (!(a->ifmt->iformat->flags & AVFMT_TS_DISCONT))
        return 0;
    AVFormatContext *f = open_demuxer(a, a->probe_us);
    clock_mend mend;
    clock_mend_init(a, &mend, f);
    AVPacket *pkt = av_packet_alloc();
    while (pkt && !mend.jumps && av_read_frame(f, pkt) >= 0) {
        smooth_jumps(a, &mend, f, pkt);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&f);
    clock_mend_free(&mend);
    return mend.jumps > 0;
}

/* An ADTS AAC stream (MPEG-TS's) has no AudioSpecificConfig in its parameters: each packet's
 * header carries it, and the muxer makes it from the first packet (aac_adtstoasc). A segment
 * with none of the stream's packets had none (Matroska reads AAC LTP then) and did not join
 * the others. The input's parameters take it here from pkt, the stream's first packet, as
 * that filter makes it (a PCE too), so every segment's header says the same. The packets'
 * headers then come off through this filter (write_packet), not the muxer's, which would
 * give the config again: Matroska's 5.1 muxer then writes a sample rate over the elements
 * after it. */
static void take_adts_config(app *a, const AVPacket *pkt)
{
    AVCodecParameters *par = a->ifmt->streams[pkt->stream_index]->codecpar;
    if (!a->adts && !(a->adts = av_calloc(a->ifmt->nb_streams, sizeof(*a->adts))))
        cli_die("out of memory");
    a->nb_adts = a->ifmt->nb_streams;
    AVBSFContext **bsf = &a->adts[pkt->stream_index];
    if (!*bsf && (av_bsf_alloc(av_bsf_get_by_name("aac_adtstoasc"), bsf) < 0 ||
                  avcodec_parameters_copy((*bsf)->par_in, par) < 0 || av_bsf_init(*bsf) < 0))
        cli_die("out of memory");
    AVPacket *p = av_packet_clone(pkt);
    if (!p)
        cli_die("out of memory");
    size_t n = 0;
    const uint8_t *asc = NULL;
    /* A damaged header fails, as at the muxer, which takes the next packet's then. */
    if (av_bsf_send_packet(*bsf, p) >= 0 && av_bsf_receive_packet(*bsf, p) >= 0)
        asc = av_packet_get_side_data(p, AV_PKT_DATA_NEW_EXTRADATA, &n);
    if (asc) {
        if (!(par->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE)))
            cli_die("out of memory");
        memcpy(par->extradata, asc, n);
        par->extradata_size = (int)n;
    }
    forget_libav_error(); /* what the filter said of a damaged header */
    av_packet_free(&p);
}

/* [lo, hi) of segment I of N: the input's span cut into N equal time ranges, each cut moved
 * to the next video keyframe so every segment decodes on its own and no frame is lost or
 * repeated. Reads the packets once (no decoding) to find the keyframes, on the clock the
 * reader mends: an MPEG-TS whose clock jumps (files joined with cat) was cut on its raw
 * times, and half its frames were in no segment. On the way, the input's ADTS AAC streams
 * take their config (take_adts_config). Returns whether the clock jumped. */
static int segment_bounds(app *a, int64_t *lo, int64_t *hi)
{
    AVFormatContext *f = open_demuxer(a, a->probe_us);
    clock_mend mend;
    clock_mend_init(a, &mend, f);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    AVCodecContext *dec = NULL;
    int64_t *keys = NULL, first = INT64_MAX, last = INT64_MIN;
    int nkeys = 0;
    /* Every segment's output has the size and pixel aspect ratio of the whole input's first
     * picture upscaled, which a segment that starts after the frames change fits its own into
     * (fit_frame), so that they join: the stream's parameters may say a later picture's, as
     * probed. */
    if (!frame || open_decoder(f->streams[a->vin], a->dec->codec, &dec) < 0)
        avcodec_free_context(&dec);
    while (pkt && av_read_frame(f, pkt) >= 0) {
        smooth_jumps(a, &mend, f, pkt);
        if (dec && pkt->stream_index == a->vin && avcodec_send_packet(dec, pkt) >= 0 &&
            avcodec_receive_frame(dec, frame) >= 0) {
            a->in_w = frame->width;
            a->in_h = frame->height;
            a->in_sar = frame_sar(a, frame);
            avcodec_free_context(&dec);
        }
        const AVCodecParameters *par = (unsigned)pkt->stream_index < a->ifmt->nb_streams
                                           ? a->ifmt->streams[pkt->stream_index]->codecpar
                                           : NULL;
        if (par && par->codec_id == AV_CODEC_ID_AAC && !par->extradata_size && pkt->size > 2 &&
            (AV_RB16(pkt->data) & 0xfff0) == 0xfff0)
            take_adts_config(a, pkt);
        if (pkt->stream_index == a->vin && pkt->pts != AV_NOPTS_VALUE) {
            int64_t end = pkt->pts + (pkt->duration > 0 ? pkt->duration : 0);
            first = pkt->pts < first ? pkt->pts : first;
            last = end > last ? end : last;
            if (pkt->flags & AV_PKT_FLAG_KEY) {
                int64_t *grown = av_realloc_array(keys, nkeys + 1, sizeof(*keys));
                if (!grown)
                    cli_die("out of memory");
                keys = grown;
                keys[nkeys++] = pkt->pts;
            }
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    av_frame_free(&frame);
    avcodec_free_context(&dec);
    avformat_close_input(&f);
    clock_mend_free(&mend);
    if (!nkeys)
        cli_die("%s: no video keyframes to cut segments at", a->o.input);
    /* cut k (1..N-1): the first keyframe at or after the k-th equal division */
    int64_t cut[2];
    for (int e = 0; e < 2; e++) {
        int k = a->o.segment - 1 + e;
        cut[e] = k == 0 ? INT64_MIN : INT64_MAX; /* no keyframe after the division: the end */
        if (k == 0 || k == a->o.segments)
            continue;
        int64_t target = first + (int64_t)((double)(last - first) * k / a->o.segments);
        for (int i = 0; i < nkeys; i++) {
            if (keys[i] >= target) {
                cut[e] = keys[i];
                break;
            }
        }
    }
    av_free(keys);
    if (cut[0] >= cut[1])
        cli_die("%s: segment %d/%d is empty: the video has too few keyframes for %d segments",
            a->o.input, a->o.segment, a->o.segments, a->o.segments);
    *lo = cut[0];
    *hi = cut[1];
    return mend.jumps > 0;
}

/* Whether the first picture has a pixel whose palette colour is not opaque. Most have none
 * (a PNG without tRNS, or with an unused transparent entry, as palettegen reserves), and
 * their output had an alpha channel of 255s (an rgba PNG, VP9's alpha coded) and a message
 * that alpha was dropped into H.264. A pipe is not read twice: it, as a picture that cannot
 * be decoded, counts as transparent. */
static int palette_transparent(app *a)
{
    if (!input_seekable(a))
        return 1;
    AVFormatContext *f = open_demuxer(a, NULL);
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int transparent = 1, ret = pkt && frame ? 0 : AVERROR(ENOMEM);
    if (ret >= 0)
        ret = open_decoder(f->streams[a->vin], a->dec->codec, &dec);
    while (ret >= 0 && (ret = av_read_frame(f, pkt)) >= 0) {
        if (pkt->stream_index == a->vin && avcodec_send_packet(dec, pkt) >= 0 &&
            avcodec_receive_frame(dec, frame) >= 0 && frame->data[1]) {
            transparent = 0;
            for (int y = 0; y < frame->height; y++)
                for (int x = 0; x < frame->width; x++) {
                    int i = frame->data[0][y * frame->linesize[0] + x];
                    transparent |= AV_RN32(frame->data[1] + 4 * i) >> 24 != 0xff;
                }
            ret = AVERROR_EOF;
        }
        av_packet_unref(pkt);
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&f);
    return transparent;
}

static void open_input(app *a)
{
    char eb[ERR_SIZE];
    int ret;
    a->ifmt = open_demuxer(a, NULL);
    /* A stream copied without its parameters would be dropped: a file is probed again,
     * 2 minutes in (ffmpeg's copy fails then and says to raise -analyzeduration). Not for
     * audio that -an drops anyway: the probe holds up to 400 MB of packets. */
    int again = 0;
    for (unsigned i = 0; i < a->ifmt->nb_streams; i++) {
        const AVStream *st = a->ifmt->streams[i];
        again |= unprobed(st) &&
                 (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO || !a->o.no_audio);
    }
    if (again && a->ifmt->pb && (a->ifmt->pb->seekable & AVIO_SEEKABLE_NORMAL)) {
        avformat_close_input(&a->ifmt);
        a->probe_us = "120000000";
        a->ifmt = open_demuxer(a, a->probe_us);
    }
    const AVCodec *codec;
    a->vin = av_find_best_stream(a->ifmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (a->vin < 0)
        cli_die("%s: no video stream (%s)", a->o.input, av_err(a->vin, eb));
    AVStream *ist = a->ifmt->streams[a->vin];
    /* WebM carries VP8's and VP9's alpha beside the frames, which only libvpx's decoders
     * read (FFmpeg's own give the colour alone). */
    const AVDictionaryEntry *alpha_mode = av_dict_get(ist->metadata, "alpha_mode", NULL, 0);
    int webm_alpha = alpha_mode && !strcmp(alpha_mode->value, "1");
    const AVCodec *libvpx = !webm_alpha ? NULL
                            : codec->id == AV_CODEC_ID_VP9 ? avcodec_find_decoder_by_name("libvpx-vp9")
                            : codec->id == AV_CODEC_ID_VP8 ? avcodec_find_decoder_by_name("libvpx")
                                                           : NULL;
    if (libvpx)
        codec = libvpx;
    a->alpha_unread = webm_alpha && !libvpx;
    a->vpx_alpha = libvpx != NULL;
    if ((ret = open_decoder(ist, codec, &a->dec)) < 0)
        cli_die("%s: cannot open the %s decoder: %s", a->o.input, codec->name, av_err(ret, eb));
    if (a->dec->width < 1 || a->dec->height < 1 || a->dec->pix_fmt == AV_PIX_FMT_NONE) {
        /* An MP4 whose index follows its frames (ffmpeg's default) cannot be read from a
         * pipe: its demuxer reaches the frames with nothing said about them. */
        int pipe_mp4 = a->ifmt->pb && !(a->ifmt->pb->seekable & AVIO_SEEKABLE_NORMAL) &&
                       strstr(a->ifmt->iformat->name, "mp4");
        cli_die("%s: the video stream has no frame size or pixel format%s", a->o.input,
                pipe_mp4 ? " (an MP4 read from a pipe needs its index first, as ffmpeg "
                           "-movflags +faststart writes it; or give the file's name)"
                         : "");
    }
    a->in_w = a->dec->width;
    a->in_h = a->dec->height;
    a->in_sar = ist->sample_aspect_ratio.num ? ist->sample_aspect_ratio
                                             : a->dec->sample_aspect_ratio;
    /* libvpx says its frames have alpha as it decodes them; the colour alone is what the
     * stream's parameters say. */
    a->src_fmt = libvpx && a->dec->pix_fmt == AV_PIX_FMT_YUV420P ? AV_PIX_FMT_YUVA420P
                                                                 : a->dec->pix_fmt;
    a->src_alpha = has_alpha(a->src_fmt) && (!is_paletted(a->src_fmt) || palette_transparent(a));
    a->src_space = a->dec->colorspace;
    a->src_range = a->dec->color_range;
    a->src_primaries = a->dec->color_primaries;
    a->src_trc = a->dec->color_trc;
    a->src_chroma = a->dec->chroma_sample_location;
    a->lo = INT64_MIN;
    a->hi = INT64_MAX;
    /* The output starts where the input does, as ffmpeg's does: an MPEG-TS clock, seconds or
     * hours in, became an empty lead in an MP4's edit list (a 2 s clip that played 10 hours),
     * and video frames before zero (a clock that wrapped, corrected back) were cut by it.
     * Audio's priming samples before a video at zero stay where they are. */
    int64_t clock = a->ifmt->start_time != AV_NOPTS_VALUE
                        ? av_rescale_q(a->ifmt->start_time, AV_TIME_BASE_Q, ist->time_base)
                    : ist->start_time != AV_NOPTS_VALUE ? ist->start_time
                                                        : 0;
    int video_early = ist->start_time != AV_NOPTS_VALUE && ist->start_time < 0;
    a->shift = clock > 0 || video_early ? clock : 0;
    AVRational rate = av_guess_frame_rate(a->ifmt, ist, NULL);
    if (!rate.num)
        rate = (AVRational){25, 1};
    a->frame_ticks = FFMAX(1, av_rescale_q(1, av_inv_q(rate), ist->time_base));
    /* A clock that jumps is mended from the start of the input: a seek by the mended times
     * would land elsewhere, so the frames before the segment or -ss are read and dropped. */
    int jumped = 0;
    if (a->o.segments) {
        if (!input_seekable(a))
            cli_die("%s: --segment reads the input twice (once for its keyframes): give a "
                    "file, not a pipe", a->o.input);
        jumped = segment_bounds(a, &a->lo, &a->hi);
    } else if (a->o.start_us != AV_NOPTS_VALUE) {
        clock = a->lo = a->shift = clock + av_rescale_q(a->o.start_us, AV_TIME_BASE_Q,
                                                        ist->time_base);
        jumped = input_seekable(a) && clock_jumps(a);
    }
    /* Rounded up: a -t under half a tick (a still's 1/25 s) was no time at all. */
    if (a->o.duration_us != AV_NOPTS_VALUE)
        a->hi = clock + av_rescale_q_rnd(a->o.duration_us, AV_TIME_BASE_Q, ist->time_base,
                                         AV_ROUND_UP);
    if (a->lo != INT64_MIN && !jumped)
        seek_before(a, a->lo);
    a->last_pts = a->enc_pts = a->pre_last = AV_NOPTS_VALUE;
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

/* The user's --vf-pre and the conversion to the network's format, for frames of w x h fmt
 * with pixel aspect ratio sar. */
static int build_pre_graph(app *a, int w, int h, enum AVPixelFormat fmt, AVRational sar,
                           char *err, int errlen)
{
    char desc[2048], chroma[64];
    AVStream *ist = a->ifmt->streams[a->vin];
    snprintf(desc, sizeof(desc), "%s%sscale=in_color_matrix=%s:in_range=auto%s,format=pix_fmts=%s",
             a->o.vf_pre ? a->o.vf_pre : "", a->o.vf_pre ? "," : "",
             matrix_name(a->src_space), chroma_sited(a, "in", fmt, chroma, sizeof(chroma)),
             av_get_pix_fmt_name(a->net_fmt));
    return video_graph_init(&a->pre, desc, w, h, fmt, ist->time_base, sar,
                            av_guess_frame_rate(a->ifmt, ist, NULL), err, errlen);
}

/* The pre graph for the stream's first frames (rebuilt by the reader where they are
 * another shape). A segment's output has the shape of the input's first picture upscaled
 * (segment_bounds); any other output, that of its own first frame (writer_main). */
static void open_pre_graph(app *a)
{
    char err[512];
    a->in_fmt = a->src_fmt;
    if (build_pre_graph(a, a->in_w, a->in_h, a->in_fmt, a->in_sar, err, sizeof(err)) < 0)
        cli_die("--vf-pre: %s", with_libav_reason(err, sizeof(err)));
    a->net_tb = av_buffersink_get_time_base(a->pre.sink);
    a->net_rate = av_buffersink_get_frame_rate(a->pre.sink);
    if (a->o.segments) {
        a->out_w = av_buffersink_get_w(a->pre.sink) * a->scale;
        a->out_h = av_buffersink_get_h(a->pre.sink) * a->scale;
        a->out_sar = av_buffersink_get_sample_aspect_ratio(a->pre.sink);
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
