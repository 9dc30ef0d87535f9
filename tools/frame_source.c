/* frame_source.c: decoding frame N of a file: seek to the keyframe at or before it, then
 * decode forward; reading frames in increasing order never seeks. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "frame_source.h"
#include "key_set.h"
#include "yuvj.h"

/* Frames ahead past which a read seeks rather than decodes its way on: x264's default
 * keyframe interval, so the seek most often lands past the frame decoded last. */
#define SEEK_AHEAD 250

/* Frames a picture may be shown after it is decoded (H.264's most pictures held back). */
#define REORDER_MAX 16

/* Damaged packets and keyframes among the packets decoded last, kept to tell which frames
 * are predicted from damage: a frame is shown a few packets after its own is decoded. */
#define EVENTS 32

typedef struct decode_event {
    int64_t at;    /* the packet's place in decoding order since the decoder was flushed */
    int64_t known; /* the packets sent when it was noted */
    int damaged;   /* else a keyframe */
} decode_event;

struct frame_source {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame, *last; /* last: the previous frame, kept in case the stream ends */
    struct SwsContext *sws;
    int stream, count, width, height;
    int64_t start_pts, frame_pts; /* pts of frame 0 and the pts step of one frame */
    int next_index;               /* index of the frame the decoder delivers next, or -1 */
    uint8_t *rgb;
    uint16_t *rgb48; /* sources of more than 8 bits of RGB or grey, before rounding */
    uint8_t *alpha;  /* the frame's alpha, 8 bits, where its format has one */
    int has_alpha;
    uint16_t *line; /* a row of one component, as av_read_image_line2 gives it */
    int eof;
    int interlaced; /* a frame read was coded interlaced */
    int reach_x, reach_y; /* frame_source_colour_reach's */
    int intra_only;              /* no frame is predicted from another */
    int64_t sent;                /* packets sent since the decoder was last flushed */
    decode_event events[EVENTS]; /* in decoding order */
    int nevents;
    int given;        /* the index of the frame the read gives */
    key_set damaged;  /* frame_source_damaged's keys */
};

static int fail(char *err, int errlen, const char *path, const char *what, int ret)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(ret, buf, sizeof(buf));
    snprintf(err, errlen, "%s: %s: %s", path, what, buf);
    return ret;
}

/* Reads the next packet of the stream into fs->pkt. */
static int read_packet(frame_source *fs)
{
    for (;;) {
        int ret = av_read_frame(fs->fmt, fs->pkt);
        if (ret < 0 || fs->pkt->stream_index == fs->stream)
            return ret;
        av_packet_unref(fs->pkt);
    }
}

/* Whether path is an animated WebP: a VP8X header with its animation flag. FFmpeg's
 * decoder skips such a file's frames, so its stream has no frame size, and "no frame size:
 * Invalid data" read as a damaged file. */
static int animated_webp(const char *path)
{
    uint8_t h[21];
    FILE *f = fopen(path, "rb");
    int animated = f && fread(h, 1, sizeof(h), f) == sizeof(h) && !memcmp(h, "RIFF", 4) &&
                   !memcmp(h + 8, "WEBPVP8X", 8) && h[20] & 0x02;
    if (f)
        fclose(f);
    return animated;
}

/* Opens the demuxer of fs->path and reads its stream information. An empty file (a copy
 * cut off before its first byte) and a link to nothing (its file moved away) are said to be
 * what they are: "Invalid data" and "No such file" of a file the user sees listed puzzled.
 * The path is given as a file: URL, as it names a file: libavformat took a name with a colon
 * after letters and digits for a protocol's URL ("2024-01-01T10:30:00.png": protocol not
 * found; "file:a.png" read a.png, "pipe:0.png" standard input). */
static int open_input(frame_source *fs, char *err, int errlen)
{
    char *url = av_asprintf("file:%s", fs->path);
    if (!url)
        return fail(err, errlen, fs->path, "cannot open", AVERROR(ENOMEM));
    int ret = avformat_open_input(&fs->fmt, url, NULL, NULL);
    av_free(url);
    struct stat st;
    if (ret < 0 && stat(fs->path, &st) == 0 && S_ISREG(st.st_mode) && !st.st_size) {
        snprintf(err, errlen, "%s: an empty file", fs->path);
        return AVERROR_INVALIDDATA;
    }
    if (ret == AVERROR(ENOENT) && lstat(fs->path, &st) == 0 && S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "%s: a link to a file that does not exist", fs->path);
        return ret;
    }
    if (ret < 0)
        return fail(err, errlen, fs->path, "cannot open", ret);
    if ((ret = avformat_find_stream_info(fs->fmt, NULL)) < 0)
        return fail(err, errlen, fs->path, "cannot read stream information", ret);
    return 0;
}

/* The packets of the stream, counted by reading the whole file, which is then opened anew:
 * the frame count of a stream whose container gives neither a count nor a duration (raw
 * H.264, HEVC, MPEG video), one packet a frame. Such a stream's timestamps are made up by
 * the parser (raw MPEG video's start a frame late), so its frames are numbered in the
 * order they decode, and reading back means reading from the start. */
static int count_packets(frame_source *fs, char *err, int errlen)
{
    int64_t n = 0;
    int ret;
    while ((ret = read_packet(fs)) >= 0) {
        n++;
        av_packet_unref(fs->pkt);
    }
    if (ret != AVERROR_EOF)
        return fail(err, errlen, fs->path, "cannot read", ret);
    avformat_close_input(&fs->fmt);
    if ((ret = open_input(fs, err, errlen)) < 0)
        return ret;
    fs->count = (int)FFMIN(n, INT_MAX);
    fs->frame_pts = 0;
    return 0;
}

int frame_source_open(frame_source **out, const char *path, char *err, int errlen)
{
    *out = NULL;
    frame_source *fs = av_mallocz(sizeof(*fs));
    if (!fs)
        return fail(err, errlen, path, "cannot open", AVERROR(ENOMEM));
    fs->path = av_strdup(path);
    fs->pkt = av_packet_alloc();
    fs->frame = av_frame_alloc();
    fs->last = av_frame_alloc();
    if (!fs->path || !fs->pkt || !fs->frame || !fs->last) {
        frame_source_close(fs);
        return fail(err, errlen, path, "cannot open", AVERROR(ENOMEM));
    }
    int ret = open_input(fs, err, errlen);
    if (ret < 0) {
        frame_source_close(fs);
        return ret;
    }
    const AVCodec *codec = NULL;
    fs->stream = av_find_best_stream(fs->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (fs->stream < 0) {
        frame_source_close(fs);
        return fail(err, errlen, path, "no video stream or image", fs->stream);
    }
    AVStream *st = fs->fmt->streams[fs->stream];
    if (!(fs->dec = avcodec_alloc_context3(codec))) {
        frame_source_close(fs);
        return fail(err, errlen, path, "cannot open", AVERROR(ENOMEM));
    }
    avcodec_parameters_to_context(fs->dec, st->codecpar);
    fs->dec->thread_count = 1; /* callers run many sources in parallel */
    /* FFmpeg's JPEG decoder fills what a cut or damaged scan lacks with grey and reports
     * nothing unless asked to fail: asked, such a picture is a damaged packet (skipped), so a
     * JPEG cut short decodes no frame. A missing end marker alone, no data lost, still passes. */
    if (codec->id == AV_CODEC_ID_MJPEG)
        fs->dec->err_recognition |= AV_EF_EXPLODE;
    const AVCodecDescriptor *desc = avcodec_descriptor_get(codec->id);
    fs->intra_only = desc && desc->props & AV_CODEC_PROP_INTRA_ONLY;
    if ((ret = avcodec_open2(fs->dec, codec, NULL)) < 0) {
        frame_source_close(fs);
        return fail(err, errlen, path, "cannot open the decoder", ret);
    }
    fs->width = st->codecpar->width;
    fs->height = st->codecpar->height;
    if (fs->width < 1 || fs->height < 1) {
        int animated = codec->id == AV_CODEC_ID_WEBP && animated_webp(path);
        frame_source_close(fs);
        if (animated) {
            snprintf(err, errlen, "%s: an animated WebP, whose frames FFmpeg's WebP decoder does "
                     "not read; convert it to PNG frames or a video first", path);
            return AVERROR_PATCHWELCOME;
        }
        return fail(err, errlen, path, "no frame size", AVERROR_INVALIDDATA);
    }
    AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    fs->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    fs->frame_pts = rate.num ? av_rescale_q(1, av_inv_q(rate), st->time_base) : 0;
    /* The stream's frame count, else its duration, else the file's (Matroska and WebM
     * give only that), else its packets: a count too high is found out at the end
     * (frame_source_read). */
    int64_t duration = st->duration > 0 ? st->duration
                       : fs->fmt->duration > 0
                           ? av_rescale_q(fs->fmt->duration, AV_TIME_BASE_Q, st->time_base)
                           : 0;
    fs->count = st->nb_frames > 0 && st->nb_frames <= INT_MAX ? (int)st->nb_frames : 0;
    if (fs->count <= 0 && fs->frame_pts > 0 && duration > 0)
        fs->count = (int)FFMIN(duration / fs->frame_pts, INT_MAX);
    if (fs->count <= 0 && (ret = count_packets(fs, err, errlen)) < 0) {
        frame_source_close(fs);
        return ret;
    }
    if (fs->count <= 0)
        fs->count = 1; /* no packet: the read says what is wrong */
    fs->next_index = 0;
    *out = fs;
    return 0;
}

void frame_source_close(frame_source *fs)
{
    if (!fs)
        return;
    avcodec_free_context(&fs->dec);
    avformat_close_input(&fs->fmt);
    av_packet_free(&fs->pkt);
    av_frame_free(&fs->frame);
    av_frame_free(&fs->last);
    sws_freeContext(fs->sws);
    av_free(fs->rgb);
    av_free(fs->rgb48);
    av_free(fs->alpha);
    av_free(fs->line);
    key_set_free(&fs->damaged);
    av_free(fs->path);
    av_free(fs);
}

int frame_source_count(const frame_source *fs)
{
    return fs->count;
}

int frame_source_width(const frame_source *fs)
{
    return fs->width;
}

int frame_source_height(const frame_source *fs)
{
    return fs->height;
}

int frame_source_interlaced(const frame_source *fs)
{
    return fs->interlaced;
}

void frame_source_colour_reach(const frame_source *fs, int *across, int *down)
{
    *across = fs->reach_x;
    *down = fs->reach_y;
}

const uint8_t *frame_source_alpha(const frame_source *fs)
{
    return fs->has_alpha ? fs->alpha : NULL;
}

/* fs->alpha = the alpha of frame f (format d), rounded to 8 bits as its colours are. A
 * palette's alpha is its entries' (ARGB words), which the descriptor has no component for.
 * An alpha of 0 everywhere is none: writers of 32-bit TGA (which FFmpeg reads as BGRA) and
 * BMP leave the fourth byte 0 in pictures without alpha, and FFmpeg's BMP decoder takes such
 * a picture as opaque too. */
static int read_alpha(frame_source *fs, const AVFrame *f, const AVPixFmtDescriptor *d, char *err,
                      int errlen)
{
    size_t w = (size_t)f->width;
    if (!fs->alpha && !(fs->alpha = av_malloc(w * f->height)))
        return fail(err, errlen, fs->path, "out of memory", AVERROR(ENOMEM));
    if (d->flags & AV_PIX_FMT_FLAG_PAL) {
        const uint32_t *pal = (const uint32_t *)f->data[1];
        for (int y = 0; y < f->height; y++)
            for (size_t x = 0; x < w; x++)
                fs->alpha[y * w + x] = (uint8_t)(pal[f->data[0][y * f->linesize[0] + x]] >> 24);
    } else {
        if (!fs->line && !(fs->line = av_malloc(sizeof(uint16_t) * w)))
            return fail(err, errlen, fs->path, "out of memory", AVERROR(ENOMEM));
        int c = d->nb_components - 1;
        unsigned max = (1u << d->comp[c].depth) - 1;
        for (int y = 0; y < f->height; y++) {
            av_read_image_line2(fs->line, (const uint8_t **)f->data, f->linesize, d, 0, y, c,
                                f->width, 0, 2);
            for (size_t x = 0; x < w; x++)
                fs->alpha[y * w + x] = (uint8_t)((fs->line[x] * 255u + max / 2) / max);
        }
    }
    size_t n = w * f->height, i = 0;
    while (i < n && !fs->alpha[i])
        i++;
    fs->has_alpha = i < n;
    return 0;
}

/* Whether a JPEG's scans give every coefficient of every component its last bit (a scan
 * with Al 0 covering it), which a baseline JPEG's one scan does and a progressive one's
 * last scans do. FFmpeg's decoder takes a progressive JPEG cut between scans, or before
 * the first, as whole (it only warns "component 0 is incomplete"), and gives the picture
 * as far as it goes: blurred, its colours wrong, or grey. */
static int jpeg_scans_complete(const uint8_t *p, int size)
{
    int ids[4], ncomp = 0, progressive = 0;
    uint64_t done[4] = {0};
    for (int i = 0; i + 1 < size;) {
        if (p[i] != 0xff || p[i + 1] == 0xff || p[i + 1] == 0) {
            i++; /* entropy-coded data, stuffed bytes, fill bytes */
            continue;
        }
        int m = p[i + 1];
        i += 2;
        if (m == 0xd9)
            break;
        if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7))
            continue; /* no length */
        if (i + 2 > size)
            break;
        int len = p[i] << 8 | p[i + 1];
        if (len < 2 || i + len > size)
            break;
        const uint8_t *seg = p + i + 2;
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc && len >= 8) {
            if (m != 0xc2)
                return 1; /* a baseline scan cut short is the decoder's to find */
            progressive = 1;
            for (ncomp = 0; ncomp < seg[5] && ncomp < 4 && 8 + 3 * ncomp < len; ncomp++)
                ids[ncomp] = seg[6 + 3 * ncomp];
        } else if (m == 0xda && len >= 3 && len >= 6 + 2 * seg[0]) {
            int ns = seg[0], ss = seg[1 + 2 * ns], se = seg[2 + 2 * ns] & 63,
                al = seg[3 + 2 * ns] & 15;
            for (int k = 0; k < ns && !al && ss <= se; k++)
                for (int c = 0; c < ncomp; c++)
                    if (ids[c] == seg[1 + 2 * k])
                        done[c] |= (se == 63 ? ~0ull : (2ull << se) - 1) & ~((1ull << ss) - 1);
        }
        i += len;
    }
    if (!progressive)
        return 1; /* no frame header: the decoder's to refuse */
    for (int c = 0; c < ncomp; c++)
        if (~done[c])
            return 0;
    return ncomp > 0;
}

/* The frame index of a timestamp of the stream. */
static int index_at(const frame_source *fs, int64_t pts)
{
    return (int)((pts - fs->start_pts + fs->frame_pts / 2) / fs->frame_pts);
}

/* The frame's own timestamp, as its packet had it, where there is one: around a damaged
 * packet the decoder's best guess took the packets' decoding times for another frame's. */
static int index_of(const frame_source *fs, const AVFrame *f)
{
    int64_t pts = f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE || fs->frame_pts <= 0)
        return -1;
    return index_at(fs, pts);
}

/* The key of damaged frame `index` in fs->damaged: the index, or in a stream without
 * timestamps, where a packet is named by its place in it and a frame by its place among those
 * decoded, which the two are. */
static int64_t damaged_key(const frame_source *fs, int64_t index, int packet)
{
    return fs->frame_pts > 0 ? index : index * 2 + packet;
}

/* Whether a frame from index `from` up to, not with, `to` is known damaged. */
static int damaged_between(const frame_source *fs, int from, int to)
{
    const key_set *d = &fs->damaged;
    for (int i = key_set_find(d, damaged_key(fs, from, 0));
         i < d->n && d->keys[i] < damaged_key(fs, to, 0); i++)
        if (fs->frame_pts > 0 || !(d->keys[i] & 1))
            return 1;
    return 0;
}

/* Notes damaged frame `index` (from a packet's timestamp, or a frame's) for
 * frame_source_damaged and frame_source_read. */
static int note_damaged(frame_source *fs, int64_t index, int packet)
{
    return key_set_add(&fs->damaged, damaged_key(fs, index, packet)) < 0 ? AVERROR(ENOMEM) : 0;
}

/* Notes that packet `at` of the decoding order was damaged, or a keyframe: what frames
 * decoded after it are predicted from. The oldest goes once EVENTS are kept. */
static void note_event(frame_source *fs, int64_t at, int damaged)
{
    if (fs->intra_only)
        return;
    if (fs->nevents == EVENTS)
        memmove(fs->events, fs->events + 1, sizeof(*fs->events) * --fs->nevents);
    int i = fs->nevents++;
    for (; i > 0 && fs->events[i - 1].at > at; i--)
        fs->events[i] = fs->events[i - 1];
    fs->events[i] = (decode_event){at, fs->sent, damaged};
}

/* The event a frame decoded from packet `at` is predicted from: the last damage or keyframe
 * before it in decoding order (its own packet's, a keyframe), or NULL. */
static const decode_event *event_before(const frame_source *fs, int64_t at)
{
    for (int i = fs->nevents - 1; i >= 0; i--)
        if (fs->events[i].at < at || (fs->events[i].at == at && !fs->events[i].damaged))
            return &fs->events[i];
    return NULL;
}

/* Sends fs->pkt to the decoder. A damaged packet is skipped, as ffmpeg does, and noted, and so
 * is one decoded after damage before the next keyframe, whose frame the decoder may give or
 * drop (H.264 drops frames that refer to a picture it lost). Each packet's place in decoding
 * order comes back with its frame (reordered_opaque). */
static int send_packet(frame_source *fs)
{
    /* Where the stream has no timestamps, it is read from the start each time (seek_to), so
     * a packet's place in it names it. */
    int64_t ts = fs->pkt->pts != AV_NOPTS_VALUE ? fs->pkt->pts : fs->pkt->dts;
    int64_t index = fs->frame_pts > 0 && ts != AV_NOPTS_VALUE ? index_at(fs, ts) : fs->sent;
    int key = fs->pkt->flags & AV_PKT_FLAG_KEY, ret = AVERROR_INVALIDDATA;
    fs->dec->reordered_opaque = ++fs->sent;
    if (fs->dec->codec_id != AV_CODEC_ID_MJPEG ||
        jpeg_scans_complete(fs->pkt->data, fs->pkt->size))
        ret = avcodec_send_packet(fs->dec, fs->pkt);
    av_packet_unref(fs->pkt);
    if (ret == AVERROR_INVALIDDATA) {
        note_event(fs, fs->sent, 1);
        return note_damaged(fs, index, 1);
    }
    if (ret < 0)
        return ret;
    if (key) {
        note_event(fs, fs->sent, 0);
        return 0;
    }
    const decode_event *e = event_before(fs, fs->sent);
    return e && e->damaged ? note_damaged(fs, index, 1) : 0;
}

/* Whether fs->frame (frame `got`) is damaged: the decoder concealed errors in it (H.264's flags
 * them rather than fail), or it was decoded after damaged packets or pictures with no keyframe
 * in between, predicted from what the damage left, which shows until the next keyframe. A
 * frame decoded before the damage and shown after it is whole. Returns 1 (noted), 0, or a
 * negative AVERROR. */
static int frame_damaged(frame_source *fs, int got)
{
    const AVFrame *f = fs->frame;
    int64_t at = f->reordered_opaque;
    const decode_event *e = event_before(fs, at);
    int flagged = f->decode_error_flags || f->flags & AV_FRAME_FLAG_CORRUPT;
    int tainted = e && e->damaged, noted = tainted && at > e->known; /* as its packet was sent */
    if (!flagged && !tainted)
        return 0;
    if (flagged)
        note_event(fs, at, 1);
    if (noted)
        return 1;
    int ret = note_damaged(fs, got, 0);
    return ret < 0 ? ret : 1;
}

/* Decodes the next frame into fs->frame; AVERROR_EOF after the last. */
static int decode_next(frame_source *fs)
{
    for (;;) {
        int ret = avcodec_receive_frame(fs->dec, fs->frame);
        if (ret != AVERROR(EAGAIN))
            return ret;
        if (fs->eof)
            return AVERROR_EOF;
        ret = read_packet(fs);
        if (ret == AVERROR_EOF) {
            fs->eof = 1;
            avcodec_send_packet(fs->dec, NULL);
            continue;
        }
        if (ret < 0 || (ret = send_packet(fs)) < 0)
            return ret;
    }
}

static int to_rgb(frame_source *fs, char *err, int errlen)
{
    AVFrame *f = fs->frame;
    if (f->width != fs->width || f->height != fs->height) {
        /* The size can change part way (programmes spliced, a stream that switches its
         * resolution): each frame comes at its own, rather than a run stopping the first
         * time it draws one past the change, hours in. */
        av_freep(&fs->rgb);
        av_freep(&fs->rgb48);
        av_freep(&fs->alpha);
        av_freep(&fs->line);
        fs->width = f->width;
        fs->height = f->height;
    }
    fs->interlaced |= f->interlaced_frame;
    if (!fs->rgb && !(fs->rgb = av_malloc((size_t)fs->width * fs->height * 3)))
        return fail(err, errlen, fs->path, "out of memory", AVERROR(ENOMEM));
    /* Tagged matrix and range, else BT.601 limited range (swscale's and ffmpeg's default).
     * The deprecated yuvj formats are full-range yuv: convert them as such. */
    enum AVPixelFormat fmt = yuvj_plain(f->format);
    int full = f->color_range == AVCOL_RANGE_JPEG || fmt != f->format;
    /* swscale rounds 16-bit RGB and grey to 8 bits off by one in about 40% of values
     * (0x8080 gives 129, not 128): it takes them to 16-bit RGB, exactly, and the rounding
     * to 8 bits, v * 255 / 65535 to nearest, is done here. */
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    int deep = d && d->comp[0].depth > 8 &&
               ((d->flags & AV_PIX_FMT_FLAG_RGB) || d->nb_components <= 2);
    if (deep && !fs->rgb48 &&
        !(fs->rgb48 = av_malloc(sizeof(uint16_t) * 3 * (size_t)fs->width * fs->height)))
        return fail(err, errlen, fs->path, "out of memory", AVERROR(ENOMEM));
    fs->sws = sws_getCachedContext(fs->sws, f->width, f->height, fmt, f->width, f->height,
                                   deep ? AV_PIX_FMT_RGB48 : AV_PIX_FMT_RGB24,
                                   SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL,
                                   NULL, NULL);
    if (!fs->sws)
        return fail(err, errlen, fs->path, "cannot convert its pixel format",
                    AVERROR(ENOSYS));
    int cs = f->colorspace != AVCOL_SPC_UNSPECIFIED ? f->colorspace : SWS_CS_DEFAULT;
    sws_setColorspaceDetails(fs->sws, sws_getCoefficients(cs), full,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    uint8_t *dst[4] = {deep ? (uint8_t *)fs->rgb48 : fs->rgb};
    int dst_stride[4] = {fs->width * 3 * (deep ? 2 : 1)};
    sws_scale(fs->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
              dst_stride);
    if (deep)
        for (size_t i = 0; i < (size_t)fs->width * fs->height * 3; i++)
            fs->rgb[i] = (uint8_t)((fs->rgb48[i] * 255u + 32767) / 65535);
    /* swscale's bicubic chroma taps reach two samples either side of a pixel's, each sample
     * made from 1 << log2_chroma pixels and sited up to one off: four samples' pixels bound
     * it (measured on 4:2:0: 4 across, 7 down). */
    fs->reach_x = d && d->log2_chroma_w ? 4 << d->log2_chroma_w : 0;
    fs->reach_y = d && d->log2_chroma_h ? 4 << d->log2_chroma_h : 0;
    fs->has_alpha = d && d->flags & AV_PIX_FMT_FLAG_ALPHA;
    return fs->has_alpha ? read_alpha(fs, f, d, err, errlen) : 0;
}

static void flush_decoder(frame_source *fs)
{
    avcodec_flush_buffers(fs->dec);
    fs->eof = 0;
    fs->sent = 0;
    fs->nevents = 0;
}

/* Back to the first frame: a seek to the first timestamp if the first keyframe read after
 * it is frame 0, else (MPEG-TS seeks by bytes and may land past it; raw streams cannot seek
 * at all) the file opened anew. */
static int rewind_input(frame_source *fs, char *err, int errlen)
{
    flush_decoder(fs);
    fs->next_index = 0;
    if (fs->frame_pts > 0 &&
        av_seek_frame(fs->fmt, fs->stream, fs->start_pts, AVSEEK_FLAG_BACKWARD) >= 0) {
        int ret = read_packet(fs);
        if (ret >= 0 && fs->pkt->flags & AV_PKT_FLAG_KEY && fs->pkt->pts != AV_NOPTS_VALUE &&
            index_at(fs, fs->pkt->pts) <= 0)
            return (ret = send_packet(fs)) < 0 ? fail(err, errlen, fs->path, "cannot decode", ret)
                                               : 0;
        av_packet_unref(fs->pkt);
    }
    avformat_close_input(&fs->fmt);
    int ret = open_input(fs, err, errlen);
    if (ret >= 0 && (fs->stream >= (int)fs->fmt->nb_streams ||
                     fs->fmt->streams[fs->stream]->codecpar->codec_id != fs->dec->codec_id))
        ret = fail(err, errlen, fs->path, "changed while read", AVERROR_INVALIDDATA);
    return ret;
}

/* Seeks so that the decoder next delivers frame `index` or one before it. A seek by
 * timestamp lands on a keyframe at or before it in most containers but anywhere in some
 * (MPEG-TS searches by bytes), where the packets before the next keyframe cannot be
 * decoded: they are skipped, and a keyframe past `index` means a seek further back. A
 * keyframe with a decoding time but no presentation time (an MPEG program stream's) may be
 * shown up to REORDER_MAX frames after it: landing so near, a read of a frame just before
 * the keyframe gave the keyframe. */
static int seek_to(frame_source *fs, int index, char *err, int errlen)
{
    for (int back = 0; fs->frame_pts > 0 && index - back > 0; back = back ? 2 * back : 16) {
        int64_t ts = fs->start_pts + (int64_t)(index - back) * fs->frame_pts;
        if (av_seek_frame(fs->fmt, fs->stream, ts, AVSEEK_FLAG_BACKWARD) < 0)
            break;
        flush_decoder(fs);
        int ret;
        while ((ret = read_packet(fs)) >= 0 && !(fs->pkt->flags & AV_PKT_FLAG_KEY))
            av_packet_unref(fs->pkt);
        if (ret < 0)
            continue; /* past the last keyframe */
        int64_t pts = fs->pkt->pts != AV_NOPTS_VALUE ? fs->pkt->pts : fs->pkt->dts;
        if (pts == AV_NOPTS_VALUE) {
            av_packet_unref(fs->pkt);
            break;
        }
        int at = index_at(fs, pts);
        if (at + (fs->pkt->pts == AV_NOPTS_VALUE ? REORDER_MAX : 0) <= index) {
            fs->next_index = FFMAX(at, 0);
            return (ret = send_packet(fs)) < 0 ? fail(err, errlen, fs->path, "cannot decode", ret)
                                               : 0;
        }
        av_packet_unref(fs->pkt);
    }
    return rewind_input(fs, err, errlen);
}

/* Decodes on to frame `index`, or the first whole one after it, into fs->frame; at the end of
 * the stream, the last whole one before. Returns 0, a negative AVERROR, or 1 where no whole
 * frame came from the decoder's start (*from) to the end. */
static int decode_to(frame_source *fs, int index, int *from, char *err, int errlen)
{
    int ret;
    /* Far ahead, a seek lands on a keyframe past the frames in between: decoding them all
     * took a loader a third of a long video a draw. A stream without timestamps to seek by
     * is read on. */
    if ((index < fs->next_index || fs->next_index < 0 ||
         (fs->frame_pts > 0 && index - fs->next_index > SEEK_AHEAD)) &&
        (ret = seek_to(fs, index, err, errlen)) < 0)
        return ret;
    *from = fs->next_index;
    int last = -1; /* the index of fs->last, a whole frame before `index` */
    av_frame_unref(fs->last);
    for (;;) {
        ret = decode_next(fs);
        if (ret == AVERROR_EOF) {
            /* The count overestimated, or the frames to the end are damaged: the frames are
             * the ones decoded, and the next read seeks. */
            if (fs->next_index > 0)
                fs->count = fs->next_index;
            if (last < 0)
                return 1;
            av_frame_move_ref(fs->frame, fs->last);
            fs->given = last;
            fs->next_index = -1;
            return 0;
        }
        if (ret < 0)
            return fail(err, errlen, fs->path, "cannot decode", ret);
        int got = index_of(fs, fs->frame);
        if (got < 0)
            got = fs->next_index;
        fs->next_index = got + 1;
        if ((ret = frame_damaged(fs, got))) {
            av_frame_unref(fs->frame);
            if (ret < 0)
                return fail(err, errlen, fs->path, "cannot decode", ret);
            continue;
        }
        if (got >= index) {
            fs->given = got;
            return 0;
        }
        last = got;
        av_frame_unref(fs->last);
        av_frame_move_ref(fs->last, fs->frame);
    }
}

int frame_source_read(frame_source *fs, int index, const uint8_t **rgb, char *err, int errlen)
{
    if (index < 0)
        index = 0;
    if (index >= fs->count)
        index = fs->count - 1;
    int from, ret, at = index;
    while ((ret = decode_to(fs, at, &from, err, errlen)) == 1) {
        /* No whole frame from `from` on: the last one before it that is. */
        if (from <= 0)
            return fail(err, errlen, fs->path, "no frame decodes (truncated or damaged?)",
                        AVERROR_INVALIDDATA);
        at = from - 1;
    }
    if (ret < 0)
        return ret;
    ret = to_rgb(fs, err, errlen);
    av_frame_unref(fs->frame);
    *rgb = fs->rgb;
    if (ret < 0)
        return ret;
    /* A damaged frame at or after the one asked for, before the one given. */
    return fs->given != index &&
           damaged_between(fs, index, fs->given > index ? fs->given : INT_MAX);
}

int frame_source_damaged(const frame_source *fs, const int64_t **keys)
{
    *keys = fs->damaged.keys;
    return fs->damaged.n;
}
