/* input.c: the input, opened before the threads start: its demuxer and video decoder, the
 * source's format and colour, the part written (-ss, -t, --segment's bounds) and the seek
 * there, and the ADTS configs segments need. Sets the app's input fields; a failure ends the
 * run (cli_die). The reader thread calls in too, for a new decoder (open_decoder) and a
 * frame's aspect ratio (frame_sar). */
#include <errno.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/time.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "app.h"
#include "libav_log.h"

/* The container's aspect ratio over the frame's, as ffmpeg takes it: ProRes and VP9 code
 * none, and their output lost it. */
AVRational frame_sar(const app *a, const AVFrame *frame)
{
    AVRational sar = a->ifmt->streams[a->vin]->sample_aspect_ratio;
    return sar.num ? sar : frame->sample_aspect_ratio;
}

/* A decoder of the video stream st, into *dec (freed by the caller, also on failure). */
int open_decoder(const AVStream *st, const AVCodec *codec, AVCodecContext **dec)
{
    *dec = avcodec_alloc_context3(codec);
    if (!*dec)
        return AVERROR(ENOMEM);
    int ret = avcodec_parameters_to_context(*dec, st->codecpar);
    (*dec)->pkt_timebase = st->time_base;
    (*dec)->thread_count = 1;
    return ret < 0 ? ret : avcodec_open2(*dec, codec, NULL);
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
        int64_t ts =
            target == INT64_MIN ? INT64_MIN : av_rescale_q(target, ist->time_base, AV_TIME_BASE_Q);
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

/* Reading gives up once the run fails or a second signal aborts it, and READ_ON_US after a
 * first one: the copied streams are read on up to the video's end, but a stalled input (a
 * pipe nobody writes to) would hold the run forever. */
#define READ_ON_US 2000000
static int input_interrupted(void *arg)
{
    app *a = arg;
    if (signals_received() > 1 || atomic_load(&a->failed))
        return 1;
    if (!signals_received())
        return 0;
    int64_t now = av_gettime_relative();
    if (a->read_on_from == AV_NOPTS_VALUE)
        a->read_on_from = now;
    return now - a->read_on_from > READ_ON_US;
}

/* The input's demuxer, its streams probed for `probe_us` microseconds of the input (NULL:
 * libavformat's default, 5 s). */
AVFormatContext *open_demuxer(app *a, const char *probe_us)
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
    int ret = input_open(&f, a->input_url, a->o.input, a->o.input_format, a->o.demux_opts, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        cli_die("%s: cannot open: %s", a->o.input, av_err(ret, eb));
    if ((ret = avformat_find_stream_info(f, NULL)) < 0)
        cli_die("%s: cannot read stream information: %s", a->o.input, av_err(ret, eb));
    return f;
}

/* Whether a stream lacks what a muxer's header needs, which its packets tell: none was met
 * within the probe (audio that starts late in an MPEG-TS recording). */
int unprobed(const AVStream *st)
{
    const AVCodecParameters *p = st->codecpar;
    if (p->codec_type == AVMEDIA_TYPE_AUDIO)
        return p->sample_rate <= 0 || p->ch_layout.nb_channels <= 0;
    return p->codec_type == AVMEDIA_TYPE_VIDEO && (p->width <= 0 || p->height <= 0);
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
 * take their config (take_adts_config). A piece whose range holds no keyframe gets lo >= hi:
 * it has no frame, and main writes it empty once the command line is checked as any piece's.
 * Returns whether the clock jumped. */
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
    *lo = cut[0];
    *hi = cut[1];
    return mend.jumps > 0;
}

/* Whether the first picture has a pixel less than opaque (alpha_below_opaque). Most palettes
 * have none (a PNG without tRNS, or with an unused transparent entry, as palettegen
 * reserves), and their output had an alpha channel of 255s (an rgba PNG, VP9's alpha coded)
 * and a message that alpha was dropped into H.264. A pipe is not read twice: it, as a
 * picture that cannot be decoded, counts as transparent. */
int first_picture_transparent(app *a)
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
            avcodec_receive_frame(dec, frame) >= 0) {
            transparent = alpha_below_opaque(frame);
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

void open_input(app *a)
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
        again |= unprobed(st) && (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO || !a->o.no_audio);
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
                            : codec->id == AV_CODEC_ID_VP9
                                ? avcodec_find_decoder_by_name("libvpx-vp9")
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
    a->in_sar =
        ist->sample_aspect_ratio.num ? ist->sample_aspect_ratio : a->dec->sample_aspect_ratio;
    /* libvpx says its frames have alpha as it decodes them; the colour alone is what the
     * stream's parameters say. */
    a->src.fmt =
        libvpx && a->dec->pix_fmt == AV_PIX_FMT_YUV420P ? AV_PIX_FMT_YUVA420P : a->dec->pix_fmt;
    a->src.alpha =
        has_alpha(a->src.fmt) && (!is_paletted(a->src.fmt) || first_picture_transparent(a));
    a->src.space = a->dec->colorspace;
    a->src.range = a->dec->color_range;
    a->src.primaries = a->dec->color_primaries;
    a->src.trc = a->dec->color_trc;
    a->src.chroma = a->dec->chroma_sample_location;
    a->in_src = a->post_src = a->src;
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
                    "file, not a pipe",
                    a->o.input);
        jumped = segment_bounds(a, &a->lo, &a->hi);
    } else if (a->o.start_us != AV_NOPTS_VALUE) {
        clock = a->lo = a->shift =
            clock + av_rescale_q(a->o.start_us, AV_TIME_BASE_Q, ist->time_base);
        jumped = input_seekable(a) && clock_jumps(a);
    }
    /* Rounded up: a -t under half a tick (a still's 1/25 s) was no time at all. */
    if (a->o.duration_us != AV_NOPTS_VALUE)
        a->hi =
            clock + av_rescale_q_rnd(a->o.duration_us, AV_TIME_BASE_Q, ist->time_base, AV_ROUND_UP);
    if (a->lo != INT64_MIN && a->lo < a->hi && !jumped)
        seek_before(a, a->lo);
    a->last_pts = a->enc_pts = a->pre_last = AV_NOPTS_VALUE;
    a->fed_end = INT64_MIN;
    a->stop_pts = INT64_MAX;
    a->read_on_from = AV_NOPTS_VALUE;
}
