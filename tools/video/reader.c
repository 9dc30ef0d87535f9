/* reader.c: the reader thread. Demuxes the input, decodes the video (damaged packets
 * skipped), keeps the frames within the part written with increasing timestamps, and sends
 * them through the pre graph into q_in; the copied streams' packets go to q_out. Touches
 * the input, the decoder and the app's reader fields. */
#include <errno.h>
#include <libavutil/avstring.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/opt.h>
#include <libavutil/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "libav_log.h"

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
        /* After a stop signal, the frames fed before it: those the decoder holds back for
         * reordering are dropped, as frames shown between them are not read yet (the last
         * came a jump after the one before). A first frame goes through. */
        if (a->stop_pts != INT64_MAX && a->fed_end != INT64_MIN &&
            (pts == AV_NOPTS_VALUE || pts >= a->stop_pts))
            return 1;
        if (a->o.max_frames > 0 && atomic_load(&a->frames_in) >= a->o.max_frames)
            return 1;
        frame->sample_aspect_ratio = frame_sar(a, frame);
        /* The first frame's own rotation (frame_rotation); not for a segment, whose output
         * size is set from the stream's before any frame. */
        int turn = 0;
        if (!a->rotate_checked && !a->o.segments) {
            const char *r = frame_rotation(a, frame);
            turn = strcmp(r, a->rotate) != 0;
            a->rotate = r;
            a->rotate_checked = 1;
        }
        /* A numbered image's palette with transparency or without is another source. */
        int new_palette = a->numbered && is_paletted(frame->format) &&
                          palette_transparent_in(frame) != a->in_src.alpha;
        /* In one output, the first picture's palette chose it (open_input): a later one's
         * transparency is dropped, as by ffmpeg, but said, as a later rgba frame's alpha is
         * (reopen_pre_graph); a palette sequence lost it without a word. */
        if (!a->numbered && !a->src.alpha && !a->told_dropped && !a->o.quiet &&
            is_paletted(frame->format) && palette_transparent_in(frame)) {
            fprintf(stderr,
                    "srres-video: %s: the picture at %.3f s has transparent pixels (of its "
                    "palette), whose alpha is dropped: %s\n",
                    a->o.input,
                    pts == AV_NOPTS_VALUE ? 0 : pts * av_q2d(a->ifmt->streams[a->vin]->time_base),
                    a->alpha_holdable ? "the output's format is chosen for the first pictures, "
                                        "which have none"
                                      : "the output holds no alpha");
            a->told_dropped = 1;
        }
        if ((!same_shape(frame, a->in_w, a->in_h, a->in_sar) || frame->format != a->in_fmt ||
             new_palette || turn) &&
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
        a->fed_end = FFMAX(a->fed_end, out + a->shift + a->frame_ticks);
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

/* Whether an MPEG-TS file, which declares no duration, ends inside one of its fixed-size
 * packets: the bytes after the start of the last packet read (`packet_at`, or -1) are no
 * whole number of packets, counted from there, not from the first, as bytes before it (a
 * capture begun mid-packet) or lost mid-stream shift them. A file whose last packets' sync
 * bytes (0x47; 4 bytes in for M2TS's 192-byte packets) are not where they would be, though
 * whole packets fill it, was damaged there, not cut (`*damaged`): its second half
 * overwritten was said to be cut off. A pipe, whose size is unknown, is judged by the bytes
 * read. A file cut on a packet's end is not seen: its last PES may be short, but FFmpeg's
 * muxer gives video PES no length to check, and an audio one the demuxer finds short is
 * flagged as damaged, as one mid-file is. */
static int ts_ends_inside_packet(const app *a, int64_t packet_at, int *damaged)
{
    AVIOContext *pb = a->ifmt->pb;
    int64_t ps, size = pb ? avio_size(pb) : -1;
    *damaged = 0;
    if (strcmp(a->ifmt->iformat->name, "mpegts") ||
        av_opt_get_int(a->ifmt->priv_data, "ts_packetsize", 0, &ps) < 0 || ps <= 0)
        return 0;
    if (size < 0 && !(pb->seekable & AVIO_SEEKABLE_NORMAL))
        return packet_at >= 0 && (avio_tell(pb) - packet_at) % ps != 0;
    if (size < 2 * ps)
        return 0;
    /* Where the last packet read starts, its sync byte says the packets' size: random bytes
     * read after it (or at the end, for the duration) can change the demuxer's mind, from
     * 188 to 192. */
    uint8_t h[5];
    if (packet_at >= 0 && avio_seek(pb, packet_at, SEEK_SET) >= 0 && avio_read(pb, h, 5) == 5) {
        if (ps == 192 && h[0] == 0x47 && h[4] != 0x47)
            ps = 188;
        else if (ps != 192 && h[0] != 0x47 && h[4] == 0x47)
            ps = 192;
    }
    int sync = ps == 192 ? 4 : 0, whole = packet_at < 0 || (size - packet_at) % ps == 0;
    for (int k = 1; k <= 2; k++) {
        if (avio_seek(pb, size - k * ps + sync, SEEK_SET) < 0)
            return 0;
        if (avio_r8(pb) != 0x47) {
            *damaged = whole;
            return !whole;
        }
    }
    return 0;
}

/* A Matroska element size (EBML's variable-length number) at pb, or -1 where it says
 * "unknown" (all ones: a file written to a pipe) or is no such number. */
static int64_t ebml_size(AVIOContext *pb)
{
    int first = avio_r8(pb), len = 1;
    while (len <= 8 && !(first & (0x100 >> len)))
        len++;
    if (len > 8)
        return -1;
    uint64_t v = first & (0xFF >> len), ones = (1ULL << (7 * len)) - 1;
    for (int k = 1; k < len; k++)
        v = v << 8 | avio_r8(pb);
    return v == ones ? -1 : (int64_t)v;
}

/* The bytes the file's own top-level structure says it holds, or -1 where it says none: MP4's
 * boxes, each of which gives its size, and Matroska's Segment, whose size the muxer writes
 * once it knows it. More than the file has: it was cut off, however near its end ("partial
 * file", ffmpeg says); no more: what stopped reading short was damage inside. */
static int64_t declared_bytes(const app *a, int64_t size)
{
    AVIOContext *pb = a->ifmt->pb;
    const char *name = a->ifmt->iformat->name;
    if (av_match_name("mp4", name)) {
        int64_t at = 0;
        while (at < size) {
            if (at + 8 > size) /* a box's header cut */
                return at + 8;
            if (avio_seek(pb, at, SEEK_SET) < 0)
                return -1;
            int64_t box = avio_rb32(pb);
            avio_skip(pb, 4); /* its type */
            if (box == 1)
                box = at + 16 > size ? 16 : (int64_t)avio_rb64(pb);
            else if (box == 0) /* to the end of the file */
                return size;
            if (box < 8)
                return -1;
            if (box > size - at) /* past the end (no sum: a garbage size could overflow it) */
                return size + 1;
            at += box;
        }
        return at;
    }
    if (av_match_name("matroska", name)) {
        if (avio_seek(pb, 0, SEEK_SET) < 0 || avio_rb32(pb) != 0x1A45DFA3)
            return -1;
        int64_t header = ebml_size(pb);
        if (header < 0 || avio_skip(pb, header) < 0 || avio_rb32(pb) != 0x18538067)
            return -1;
        int64_t segment = ebml_size(pb);
        return segment < 0 ? -1 : avio_tell(pb) + segment;
    }
    return -1;
}

/* A file that ends short of what its container declares was cut off: a download or recording
 * that stopped. Said, as ffmpeg's demuxers say it in their own words ("partial file", "File
 * ended prematurely"), which srres-video's log (off) hid: the run ended as complete, a part of
 * the video missing: a file that ends well short of the duration its container declares
 * (MP4's index, Matroska's header). Where the file's structure gives its size
 * (declared_bytes), that decides: a file shorter is cut off, whatever was read (an MP4 a
 * tenth short, 0.32 s of 4 s, went unsaid, the duration's margin being 0.5 s, which VFR and
 * edit lists need); one that holds it all, where reading stopped short, is damaged, said
 * with where it stopped (`read_to`, the end of the furthest packet read): a Matroska file
 * zeroed at 80% was said cut off at 3.22 s though whole. Durations estimated from the
 * packets or the bit rate (MPEG-TS, MPEG-PS) are no declaration; MPEG-TS is seen by its
 * packets (ts_ends_inside_packet). Nor are the lengths of formats whose muxer writes a
 * placeholder where it cannot seek back to the header (AVI written to a pipe declared
 * 42949672.96 s, and 187.60 s once saved, of a whole second; WAV, FLV): only MP4's and
 * Matroska's muxers write a length once they know it, and none otherwise. */
static void say_if_cut_off(const app *a, int64_t read_end, int64_t packet_at, int64_t read_to)
{
    const AVFormatContext *f = a->ifmt;
    AVIOContext *pb = f->pb;
    int damaged;
    if (a->o.quiet)
        return;
    if (ts_ends_inside_packet(a, packet_at, &damaged)) {
        fprintf(stderr,
                "srres-video: %s: the input ends inside an MPEG-TS packet: it was cut off; the "
                "output holds what there is\n",
                a->o.input);
        return;
    }
    /* No time: MPEG-TS carries audio ahead of its video, and declares no duration. */
    if (damaged && read_to >= 0) {
        fprintf(stderr,
                "srres-video: %s: the input is damaged after byte %" PRId64 ": reading stopped "
                "there; the output holds what there is\n",
                a->o.input, read_to);
        return;
    }
    if (f->duration <= 0 || read_end == INT64_MIN ||
        f->duration_estimation_method != AVFMT_DURATION_FROM_STREAM ||
        !(av_match_name("mp4", f->iformat->name) || av_match_name("matroska", f->iformat->name)))
        return;
    int64_t size = pb && (pb->seekable & AVIO_SEEKABLE_NORMAL) ? avio_size(pb) : -1;
    int64_t bytes = size > 0 ? declared_bytes(a, size) : -1;
    /* Both declare where the file ends, counted from 0, not from its start: a piece of
     * 1 to 2 s (a --segment) declares 2 s, and was said cut off at 2 s of 3. */
    int64_t declared = f->duration;
    int short_of = declared - read_end > AV_TIME_BASE / 2;
    if (bytes > size || (bytes < 0 && short_of))
        fprintf(stderr,
                "srres-video: %s: the input ends at %.2f s of the %.2f s it declares: it "
                "was cut off; the output holds what there is\n",
                a->o.input, read_end / (double)AV_TIME_BASE, declared / (double)AV_TIME_BASE);
    else if (bytes >= 0 && short_of && read_to >= 0)
        fprintf(stderr,
                "srres-video: %s: the input is damaged after byte %" PRId64 ": reading stopped "
                "there, at %.2f s of the %.2f s it declares; the output holds what there is\n",
                a->o.input, read_to, read_end / (double)AV_TIME_BASE,
                declared / (double)AV_TIME_BASE);
}

/* libvpx's decoder, once it has read alpha, gives no frame for a packet without it: a WebM
 * joined from clips with alpha and without lost the frames of those without (10 frames
 * came out 5). A new decoder reads them from their keyframe on. Alpha whose first packet
 * is no keyframe (a WebM cut or joined inside a group of pictures) cannot be decoded before
 * its next one: libvpx failed each frame till then, skipped as damaged (3 of 5). They come
 * out in colour, opaque, their alpha left unread and said so. */
static int restart_at_opaque_keyframe(app *a, AVPacket *pkt)
{
    char eb[ERR_SIZE];
    size_t n;
    const uint8_t *extra = av_packet_get_side_data(pkt, AV_PKT_DATA_MATROSKA_BLOCKADDITIONAL, &n);
    int alpha = extra && n >= 8 && AV_RB64(extra) == 1; /* BlockAddID 1: alpha */
    if (alpha && !a->vpx_alpha_read && !(pkt->flags & AV_PKT_FLAG_KEY)) {
        if (!a->told_alpha_unkeyed && !a->o.quiet) {
            AVRational tb = a->ifmt->streams[a->vin]->time_base;
            fprintf(stderr,
                    "srres-video: %s: the alpha at %.3f s starts between keyframes, where it "
                    "cannot be decoded: the pictures up to the next keyframe come out opaque\n",
                    a->o.input, pkt->pts == AV_NOPTS_VALUE ? 0 : pkt->pts * av_q2d(tb));
            a->told_alpha_unkeyed = 1;
        }
        return av_packet_shrink_side_data(pkt, AV_PKT_DATA_MATROSKA_BLOCKADDITIONAL, 0);
    }
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

/* libvpx's decoders, which read WebM's alpha, are chosen where the stream's header says it
 * has some (open_input): alpha that starts later (a WebM joined from an opaque clip and one
 * with alpha) goes to FFmpeg's own, which give the colour alone. It is dropped, as a later
 * rgba frame's alpha is, and said so: it was dropped without a word. */
static void tell_unread_alpha(app *a, const AVPacket *pkt)
{
    size_t n;
    const uint8_t *extra = av_packet_get_side_data(pkt, AV_PKT_DATA_MATROSKA_BLOCKADDITIONAL, &n);
    if (!extra || n < 8 || AV_RB64(extra) != 1 || a->alpha_unread || a->told_dropped || a->o.quiet)
        return;
    AVRational tb = a->ifmt->streams[a->vin]->time_base;
    fprintf(stderr,
            "srres-video: %s: the picture at %.3f s has alpha (WebM's, beside the frames), "
            "which is dropped: %s\n",
            a->o.input, pkt->pts == AV_NOPTS_VALUE ? 0 : pkt->pts * av_q2d(tb),
            a->alpha_holdable ? "the stream's header says it has none, and the output's "
                                "format is chosen for the first pictures"
                              : "the output holds no alpha");
    a->told_dropped = 1;
}

/* Decodes what the packet (NULL: flush) yields and feeds it on, counting in *concealed the
 * frames the decoder gave with errors it concealed. */
static int decode_packet(app *a, AVPacket *pkt, AVFrame *frame, long *concealed)
{
    char eb[ERR_SIZE];
    if (pkt && !a->vpx_alpha)
        tell_unread_alpha(a, pkt);
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
        /* Kept, as ffmpeg keeps them, but counted: H.264 with a damaged slice came out with
         * its macroblocks guessed and not a word, where ffmpeg says "concealing". */
        *concealed += frame->decode_error_flags || frame->flags & AV_FRAME_FLAG_CORRUPT;
        ret = feed_frame(a, frame);
        av_frame_unref(frame);
        if (ret)
            return ret;
    }
}

/* The copied audio streams not yet read past the video's end, which are read on for. */
static int audio_short_of(const app *a, const char *past)
{
    int n = 0;
    for (unsigned i = 0; i < a->nb_map; i++)
        n += a->map[i] >= 0 && !past[i] &&
             a->ifmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    return n;
}

void *reader_main(void *arg)
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
    int64_t video_after = 0;      /* video packets read past the end */
    int64_t read_end = INT64_MIN; /* the latest end of a packet read, in AV_TIME_BASE */
    int64_t packet_at = -1;       /* where the last packet read that says it starts */
    int64_t read_to = -1;         /* the end of the furthest packet read that says where */
    int at_eof = 0, stopping = 0;
    long concealed = 0; /* frames decoded with errors the decoder concealed */
    int64_t hi = a->hi; /* the video's end: -t's, a segment's, or the last frame's at a signal */
    AVRational vtb = a->ifmt->streams[a->vin]->time_base;
    while (ret >= 0 && (!video_done || short_of > 0) && signals_received() < 2 &&
           !atomic_load(&a->failed)) {
        /* A stop signal ends the video at the frames fed (feed_frame), and the copied streams
         * are read on up to their end, as to -t's (the audio ended with the packets read,
         * a third of a second short of the video). The reads' time to give up counts from
         * here: the reader may have waited for the network since one began. */
        if (signals_received() && !stopping) {
            stopping = 1;
            a->stop_pts = a->fed_end;
            if (a->fed_end != INT64_MIN)
                hi = FFMIN(hi, a->fed_end);
            a->read_on_from = av_gettime_relative();
        }
        ret = av_read_frame(a->ifmt, pkt);
        if (ret == AVERROR_EOF) {
            ret = 0;
            at_eof = 1;
            break;
        }
        /* A stop signal interrupts the read (input_interrupted) a while after it came, which a
         * pipe still open blocks in: the input ends there, and the frames read are finished,
         * those the decoder holds too where the signal came in the read. */
        if (ret == AVERROR_EXIT && signals_received() && !atomic_load(&a->failed)) {
            ret = 0;
            break;
        }
        if (ret < 0) {
            set_error(a, "%s: cannot read: %s", a->o.input, av_err(ret, eb));
            break;
        }
        AVStream *ist = a->ifmt->streams[pkt->stream_index];
        if (pkt->pos >= 0) {
            packet_at = pkt->pos;
            read_to = FFMAX(read_to, pkt->pos + pkt->size);
        }
        if (pkt->pts != AV_NOPTS_VALUE)
            read_end = FFMAX(read_end, av_rescale_q(pkt->pts + FFMAX(pkt->duration, 0),
                                                    ist->time_base, AV_TIME_BASE_Q));
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
                ts = hi + video_after * a->frame_ticks;
            if (av_compare_ts(ts - hi, vtb, 10, (AVRational){1, 1}) > 0)
                short_of = 0;
        } else if (pkt->stream_index == a->vin) {
            ret = decode_packet(a, pkt, frame, &concealed);
            if (ret == 1) {
                video_done = 1;
                ret = 0;
                if (stopping) /* a first frame fed after the signal */
                    hi = FFMIN(hi, a->fed_end);
                /* Not when --frames ended the video short of that end: the audio after its
                 * last frame is not its own (-t 100 --frames 5 copied 100 s of audio). */
                int by_count = a->o.max_frames > 0 && atomic_load(&a->frames_in) >= a->o.max_frames;
                short_of = hi != INT64_MAX && !by_count ? audio_short_of(a, past) : 0;
            }
        } else if (a->map[pkt->stream_index] >= 0) {
            /* Copied streams are cut at packet granularity on the video's clock. */
            int64_t shift = av_rescale_q(a->shift, vtb, ist->time_base);
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            int keep =
                ts == AV_NOPTS_VALUE || (av_compare_ts(ts, ist->time_base, a->lo, vtb) >= 0 &&
                                         av_compare_ts(ts, ist->time_base, hi, vtb) < 0);
            /* A text subtitle on screen at -ss (begun before it, ending after) is kept from
             * there on, as ffmpeg keeps it: dropped, the clip's first line went unseen. Not
             * at a segment's start: the segment before holds it. Bitmap subtitles time
             * themselves partly inside their packets, and are cut as before. */
            int64_t late = 0;
            const AVCodecDescriptor *cd = avcodec_descriptor_get(ist->codecpar->codec_id);
            if (!keep && ts != AV_NOPTS_VALUE && !a->o.segments && pkt->duration > 0 && cd &&
                (cd->props & AV_CODEC_PROP_TEXT_SUB) &&
                av_compare_ts(ts, ist->time_base, a->lo, vtb) < 0 &&
                av_compare_ts(ts + pkt->duration, ist->time_base, a->lo, vtb) > 0) {
                late = av_rescale_q_rnd(a->lo, vtb, ist->time_base, AV_ROUND_UP) - ts;
                keep = late < pkt->duration;
            }
            if (ts != AV_NOPTS_VALUE && !past[pkt->stream_index] &&
                ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO &&
                av_compare_ts(ts, ist->time_base, hi, vtb) >= 0) {
                past[pkt->stream_index] = 1;
                short_of -= video_done;
            }
            if (keep) {
                AVPacket *copy = av_packet_clone(pkt);
                if (!copy) {
                    ret = AVERROR(ENOMEM);
                } else {
                    copy->duration -= late;
                    if (copy->pts != AV_NOPTS_VALUE)
                        copy->pts += late - shift;
                    if (copy->dts != AV_NOPTS_VALUE)
                        copy->dts += late - shift;
                    if (frame_queue_push(a->q_out, copy, KIND_PACKET, 0) < 0) {
                        av_packet_free(&copy);
                        ret = AVERROR_EXIT;
                    }
                }
            }
        }
        av_packet_unref(pkt);
    }
    atomic_store(&a->reading_done, 1);
    if (at_eof && !video_done)
        say_if_cut_off(a, read_end, packet_at, read_to);
    /* Flush the decoder and the pre graph, unless aborting. */
    if (ret >= 0 && !atomic_load(&a->failed)) {
        if (!video_done)
            ret = decode_packet(a, NULL, frame, &concealed);
        if (ret >= 0)
            feed_frame(a, NULL);
    }
    if (concealed && !a->o.quiet)
        fprintf(stderr,
                "srres-video: %s: %ld video frame%s decoded with errors, concealed by the "
                "decoder and kept, as ffmpeg does\n",
                a->o.input, concealed, concealed > 1 ? "s" : "");
    av_packet_free(&pkt);
    av_frame_free(&frame);
    free(past);
    frame_queue_close(a->q_in);
    frame_queue_close(a->q_out);
    return NULL;
}
