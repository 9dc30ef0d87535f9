/* concat.c: joining segments. Segments keep their input's timestamps (srres-video
 * --segment), so packets are copied as they are, in order; the segments' streams must match
 * (same encoder settings), or the joined stream would not decode. */
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/bprint.h>
#include <libavutil/opt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
#include "input_name.h"
#include "output_file.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* A stream of the joined file: the segments' streams with this id, and the first segment
 * stream whose parameters are all known, which it takes (its segment held open until the
 * output has them). */
typedef struct joined_stream {
    int id;
    const AVStream *from;
    int out; /* its index in the output, or -1: the output's format cannot hold it */
} joined_stream;

/* The joined stream a segment's stream goes to, or -1: the one with its id where the demuxer
 * gives ids (MP4's tracks, MPEG-TS's PIDs), as the MP4 muxer leaves an empty track out and
 * the next ones move down; else the one at its index. Ids are compared within one format,
 * the first segment's: a segment in another (an MP4 after a Matroska one) goes by index, as
 * its streams were all taken as new, each joined twice, half empty. */
static int joined_index(const joined_stream *js, int nb, const AVFormatContext *in,
                        const AVInputFormat *first, const AVStream *st)
{
    int by_id = st->id && in->iformat == first;
    for (int j = 0; j < nb; j++)
        if (by_id ? js[j].id == st->id : j == st->index)
            return j;
    return -1;
}

/* Whether a segment's stream is none of the join's: MP4's chapter track, which the demuxer
 * reads as the chapters (and discards), and a timecode track (tmcd) whose timecode the video
 * carries as its tag, from which the MOV and MP4 muxers make it anew (as a run's output
 * does; copied, it was a stream of codec "none" no muxer takes). */
static int stream_left_out(const AVFormatContext *in, const AVStream *st)
{
    const AVDictionaryEntry *tc = av_dict_get(st->metadata, "timecode", NULL, 0), *v = NULL;
    for (unsigned i = 0; i < in->nb_streams && !v; i++)
        if (in->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
            v = av_dict_get(in->streams[i]->metadata, "timecode", NULL, 0);
    return st->discard == AVDISCARD_ALL || (st->codecpar->codec_type == AVMEDIA_TYPE_DATA &&
                                            st->codecpar->codec_tag == MKTAG('t', 'm', 'c', 'd') &&
                                            tc && v && !strcmp(tc->value, v->value));
}

/* Whether two segments' streams are the same: the same codec, size and configuration. Text
 * subtitles' configuration (mov_text's) is left aside: FFmpeg 5.1's MP4 demuxer appends each
 * file's own bit rates (a btrt box) to it. */
static int same_stream(const AVCodecParameters *p, const AVCodecParameters *q)
{
    int text = p->codec_type == AVMEDIA_TYPE_SUBTITLE;
    return p->codec_id == q->codec_id && p->width == q->width && p->height == q->height &&
           (text ||
            (p->extradata_size == q->extradata_size &&
             (!p->extradata_size || !memcmp(p->extradata, q->extradata, p->extradata_size))));
}

/* Whether a stream's parameters are all known: an MPEG-TS segment without any of an audio
 * stream's packets has no sample rate or channels (ADTS says them in each packet). */
static int parameters_known(const AVCodecParameters *p)
{
    if (p->codec_type == AVMEDIA_TYPE_AUDIO)
        return p->sample_rate > 0 && p->ch_layout.nb_channels > 0;
    return p->codec_type != AVMEDIA_TYPE_VIDEO || (p->width > 0 && p->height > 0);
}

/* Whether a format's names (a demuxer's are a list: "mov,mp4,m4a,3gp,3g2,mj2") hold one of
 * those whose segments join. A file in another was not written by --segment, or would not
 * join (every AVI, Y4M or MXF segment starts at zero). */
static int joined_format(const char *names)
{
    static const char *const joined[] = {"mp4", "mov", "matroska", "webm", "mpegts"};
    for (size_t i = 0; i < sizeof(joined) / sizeof(*joined); i++)
        if (av_match_name(joined[i], names))
            return 1;
    return 0;
}

int segments_join(const AVOutputFormat *format)
{
    return joined_format(format->name);
}

/* MPEG-TS keeps no global tags: its SDT's provider name holds SEGMENT_TAG and its value
 * after this, which the muxer takes from this metadata key and the demuxer gives back as the
 * program's, then the input's own provider name after TS_PROVIDER_SEP, for the join to give
 * back. Players show it, if at all, as the channel's provider (FFmpeg's is "FFmpeg"). */
#define TS_TAG_KEY "service_provider"
#define TS_TAG_PREFIX SEGMENT_TAG "="
#define TS_PROVIDER_SEP ";"

static int64_t to_us(int64_t ts, AVRational time_base)
{
    return av_rescale_q(ts, time_base, AV_TIME_BASE_Q);
}

/* The chapters of `out` as SEGMENT_CHAPTERS_TAG says them (none: no tag). */
static int tag_chapters(AVFormatContext *out)
{
    if (!out->nb_chapters)
        return 0;
    AVBPrint text;
    av_bprint_init(&text, 0, AV_BPRINT_SIZE_UNLIMITED);
    for (unsigned i = 0; i < out->nb_chapters; i++) {
        const AVChapter *ch = out->chapters[i];
        av_bprintf(&text, "%s%" PRId64 " %" PRId64 " %" PRId64, i ? ";" : "", ch->id,
                   to_us(ch->start, ch->time_base), to_us(ch->end, ch->time_base));
    }
    char *value;
    if (av_bprint_finalize(&text, &value) < 0)
        return AVERROR(ENOMEM);
    return av_dict_set(&out->metadata, SEGMENT_CHAPTERS_TAG, value, AV_DICT_DONT_STRDUP_VAL);
}

int tag_segment_piece(AVFormatContext *out, const char *piece)
{
    if (av_dict_set(&out->metadata, SEGMENT_TAG, piece, 0) < 0 ||
        av_dict_set(&out->metadata, SEGMENT_CHAPTERS_TAG, NULL, 0) < 0)
        return AVERROR(ENOMEM);
    if (!piece)
        return 0;
    /* MP4 and MOV write only the tags iTunes and QuickTime name, unless as metadata keys */
    if (av_opt_find(out->priv_data, "movflags", NULL, 0, 0)) {
        av_opt_set(out->priv_data, "movflags", "+use_metadata_tags", 0);
        if (tag_chapters(out) < 0)
            return AVERROR(ENOMEM);
    }
    if (!strcmp(out->oformat->name, "mpegts")) {
        const AVDictionaryEntry *own = av_dict_get(out->metadata, TS_TAG_KEY, NULL, 0);
        /* The SDT holds 254 bytes of a name (255 without UTF-8): a provider that leaves no
         * room for the tag is left out of the segments, which failed at their header. */
        if (own && strlen(TS_TAG_PREFIX TS_PROVIDER_SEP) + strlen(piece) + strlen(own->value) > 254)
            own = NULL;
        char *provider = av_asprintf(TS_TAG_PREFIX "%s%s%s", piece, own ? TS_PROVIDER_SEP : "",
                                     own ? own->value : "");
        if (!provider ||
            av_dict_set(&out->metadata, TS_TAG_KEY, provider, AV_DICT_DONT_STRDUP_VAL) < 0)
            return AVERROR(ENOMEM);
    }
    return 0;
}

/* The program of an MPEG-TS segment whose provider name holds SEGMENT_TAG, or NULL; *value
 * its value, the input's provider name after TS_PROVIDER_SEP (tag_segment_piece). */
static const AVProgram *tagged_program(const AVFormatContext *in, const char **value)
{
    for (unsigned i = 0; i < in->nb_programs; i++) {
        const AVDictionaryEntry *t = av_dict_get(in->programs[i]->metadata, TS_TAG_KEY, NULL, 0);
        if (t && av_strstart(t->value, TS_TAG_PREFIX, value))
            return in->programs[i];
    }
    return NULL;
}

/* A segment's SEGMENT_TAG value, or NULL: its global tag, or in MPEG-TS its program's
 * provider name (tag_segment_piece), the input's own after it included. */
static const char *segment_tag(const AVFormatContext *in)
{
    const AVDictionaryEntry *t = av_dict_get(in->metadata, SEGMENT_TAG, NULL, 0);
    const char *value = NULL;
    if (t)
        return t->value;
    return tagged_program(in, &value) ? value : NULL;
}

/* The input's service name and provider an MPEG-TS segment keeps, given back to the join's
 * global tags, which the MPEG-TS muxer writes as its SDT (a whole run's keeps them; the join
 * wrote FFmpeg's): the name as the segment's program has it, but for the muxer's own name of a
 * program without one, and the provider after the segment's tag. */
static int restore_ts_service(AVDictionary **metadata, const AVFormatContext *in)
{
    const char *value;
    const AVProgram *prog = tagged_program(in, &value);
    if (!prog)
        return 0;
    const AVDictionaryEntry *name = av_dict_get(prog->metadata, "service_name", NULL, 0);
    const char *own = strstr(value, TS_PROVIDER_SEP);
    if (name && strcmp(name->value, "Service01") &&
        av_dict_set(metadata, "service_name", name->value, 0) < 0)
        return AVERROR(ENOMEM);
    return own ? av_dict_set(metadata, TS_TAG_KEY, own + strlen(TS_PROVIDER_SEP), 0) : 0;
}

int write_empty_segment(AVFormatContext *out, const char *output, int i, int n,
                        const AVDictionary *mux_opts, int (*stopped)(void))
{
    if (stopped())
        return AVERROR_EXIT;
    char piece[64];
    snprintf(piece, sizeof(piece), "%d/%d, empty", i, n);
    AVStream *st = avformat_new_stream(out, NULL);
    if (!st || tag_segment_piece(out, piece) < 0)
        return AVERROR(ENOMEM);
    st->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
    /* MP4's and MOV's name none; MPEG-TS's none either, and its M2TS mode gives mov_text no
     * PID: a PGS subtitle goes in both modes. */
    int ts = !strcmp(out->oformat->name, "mpegts");
    st->codecpar->codec_id = ts ? AV_CODEC_ID_HDMV_PGS_SUBTITLE
                             : out->oformat->subtitle_codec != AV_CODEC_ID_NONE
                                 ? out->oformat->subtitle_codec
                                 : AV_CODEC_ID_MOV_TEXT;
    st->time_base = (AVRational){1, 1000};
    /* What has the name is replaced, as before: -y is not passed here, and the piece is
     * written moments after srres-video's own check for an existing file. */
    output_target target;
    output_target_init(&target, output, 1);
    av_freep(&out->url);
    out->url = av_strdup(target.url);
    int ret = out->url ? 0 : AVERROR(ENOMEM);
    if (ret >= 0 && !(out->oformat->flags & AVFMT_NOFILE))
        ret = avio_open(&out->pb, target.url, AVIO_FLAG_WRITE);
    /* --mux-opt as for the segment's frames (movflags for a pipe); what this muxer leaves was
     * refused before */
    AVDictionary *opts = NULL;
    if (ret >= 0 && (ret = av_dict_copy(&opts, mux_opts, 0)) >= 0 &&
        (ret = avformat_write_header(out, &opts)) >= 0) {
        /* One empty subtitle (mov_text's is its text's length, 0; PGS's an end of display
         * set, 0x80 and a length of 0, as a packet of nothing made a file that does not open
         * again): FFmpeg 5.1 cannot read a Matroska file without a cluster back, and MP4 would
         * leave out an empty track. */
        static uint8_t none[3 + AV_INPUT_BUFFER_PADDING_SIZE],
            pgs_end[3 + AV_INPUT_BUFFER_PADDING_SIZE] = {0x80};
        enum AVCodecID id = st->codecpar->codec_id;
        AVPacket pkt = {.data = id == AV_CODEC_ID_HDMV_PGS_SUBTITLE ? pgs_end : none,
                        .size = id == AV_CODEC_ID_MOV_TEXT           ? 2
                                : id == AV_CODEC_ID_HDMV_PGS_SUBTITLE ? 3
                                                                      : 0,
                        .pts = 0,
                        .dts = 0,
                        .duration = 1,
                        .stream_index = 0};
        if ((ret = av_write_frame(out, &pkt)) >= 0)
            ret = av_write_trailer(out);
    }
    av_dict_free(&opts);
    if (out->pb && avio_closep(&out->pb) < 0 && ret >= 0)
        ret = AVERROR(EIO);
    /* A signal while it was written (its open interrupted: a fifo without a reader) leaves
     * nothing, as it does a piece with frames: a finished file and the signal's status made
     * a scheduler's requeued piece fail, the file being there. */
    if (stopped())
        ret = AVERROR_EXIT;
    if (ret >= 0 && output_target_commit(&target) < 0)
        ret = AVERROR(errno);
    if (ret < 0)
        output_target_abandon(&target);
    output_target_free(&target);
    return ret;
}

/* A segment's name is opened as srres-video's input is (input_url): a file whose name holds a
 * colon is that file, not a protocol's URL. */
static int open_segment(AVFormatContext **in, const char *file)
{
    const char *path;
    char *url = input_url(file, &path);
    int ret = avformat_open_input(in, url, NULL, NULL);
    av_free(url);
    if (ret >= 0 && (ret = avformat_find_stream_info(*in, NULL)) < 0)
        avformat_close_input(in);
    return ret;
}

/* Frames are taken in decoding order into a window this long, from which they come in
 * presentation order: B-frames are reordered by fewer. */
#define FRAME_WINDOW 16

/* Where a segment runs, in microseconds: its video from its first frame's start to its last
 * frame's start (`last`) and end, one frame's length (`frame`, from the rate) and the longest
 * time from one frame to the next (`longest`: pauses of a variable rate); its first audio
 * stream from its first packet's start to its last one's end. What is not known (no such
 * stream, a pipe's end before it is copied) is INT64_MAX as a start and INT64_MIN as an end. */
typedef struct segment_span {
    int64_t start, last, end, frame, longest;
    int64_t audio_start, audio_end;
    int64_t window[FRAME_WINDOW]; /* while reading: the frames not yet in presentation order */
    int nb_window;
} segment_span;

/* The first stream of a type, or -1: a run writes one video stream, and audio stays in the
 * input's order. */
static int first_stream(const AVFormatContext *in, enum AVMediaType type)
{
    for (unsigned i = 0; i < in->nb_streams; i++)
        if (in->streams[i]->codecpar->codec_type == type &&
            !(in->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    return -1;
}

/* An empty span, its frame's length from the video's rate (25 fps where none is known, as a
 * run takes it), its starts those the demuxer found where it gives them (a pipe's, that
 * cannot be read ahead). */
static segment_span span_init(AVFormatContext *in)
{
    int v = first_stream(in, AVMEDIA_TYPE_VIDEO), a = first_stream(in, AVMEDIA_TYPE_AUDIO);
    AVRational rate = v >= 0 ? av_guess_frame_rate(in, in->streams[v], NULL) : (AVRational){0, 1};
    segment_span sp = {.start = INT64_MAX,
                       .last = INT64_MIN,
                       .end = INT64_MIN,
                       .frame = rate.num > 0 && rate.den > 0
                                    ? av_rescale(AV_TIME_BASE, rate.den, rate.num)
                                    : AV_TIME_BASE / 25,
                       .audio_start = INT64_MAX,
                       .audio_end = INT64_MIN};
    if (v >= 0 && in->streams[v]->start_time != AV_NOPTS_VALUE)
        sp.start = to_us(in->streams[v]->start_time, in->streams[v]->time_base);
    if (a >= 0 && in->streams[a]->start_time != AV_NOPTS_VALUE)
        sp.audio_start = to_us(in->streams[a]->start_time, in->streams[a]->time_base);
    return sp;
}

/* The earliest frame in the window comes next in presentation order. */
static void show_frame(segment_span *sp)
{
    int64_t t = sp->window[0];
    if (sp->last != INT64_MIN && t > sp->last)
        sp->longest = FFMAX(sp->longest, t - sp->last);
    sp->last = FFMAX(sp->last, t);
    memmove(sp->window, sp->window + 1, sizeof(*sp->window) * --sp->nb_window);
}

/* The frames left in the window, once the segment is read. */
static void span_finish(segment_span *sp)
{
    while (sp->nb_window)
        show_frame(sp);
}

/* A packet of the video or the first audio stream in the span; a video packet without a
 * duration lasts a frame. */
static void span_add(segment_span *sp, const AVFormatContext *in, const AVPacket *pkt)
{
    const AVStream *st = in->streams[pkt->stream_index];
    int video = pkt->stream_index == first_stream(in, AVMEDIA_TYPE_VIDEO);
    if (pkt->pts == AV_NOPTS_VALUE ||
        (!video && pkt->stream_index != first_stream(in, AVMEDIA_TYPE_AUDIO)))
        return;
    int64_t start = to_us(pkt->pts, st->time_base);
    int64_t end = pkt->duration > 0 ? to_us(pkt->pts + pkt->duration, st->time_base)
                  : video           ? start + sp->frame
                                    : start;
    if (video) {
        int i = sp->nb_window++;
        for (; i > 0 && sp->window[i - 1] > start; i--)
            sp->window[i] = sp->window[i - 1];
        sp->window[i] = start;
        if (sp->nb_window == FRAME_WINDOW)
            show_frame(sp);
        sp->start = FFMIN(sp->start, start);
        sp->end = FFMAX(sp->end, end);
    } else {
        sp->audio_start = FFMIN(sp->audio_start, start);
        sp->audio_end = FFMAX(sp->audio_end, end);
    }
}

/* A segment file's span, from all its packets, read through a context of its own (the one
 * that found its streams may be held, its first packets kept for the copy). */
static segment_span measure_segment(const char *file)
{
    AVFormatContext *in = NULL;
    int ret = open_segment(&in, file);
    if (ret < 0)
        cli_die("%s: cannot open: %s", file, av_err2str(ret));
    segment_span sp = span_init(in);
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        cli_die("out of memory");
    while (av_read_frame(in, pkt) >= 0) {
        span_add(&sp, in, pkt);
        av_packet_unref(pkt);
    }
    span_finish(&sp);
    av_packet_free(&pkt);
    avformat_close_input(&in);
    return sp;
}

/* Gives an MP4 or MOV segment's chapters the ids and times its SEGMENT_CHAPTERS_TAG says, where
 * it says them all. Returns whether it did. */
static int restore_chapters(AVFormatContext *in)
{
    const AVDictionaryEntry *t = av_dict_get(in->metadata, SEGMENT_CHAPTERS_TAG, NULL, 0);
    int64_t(*said)[3] = t ? av_malloc_array(in->nb_chapters, sizeof(*said)) : NULL;
    const char *p = t ? t->value : "";
    unsigned n = 0;
    int len = 0;
    while (said && n < in->nb_chapters && (n == 0 || *p++ == ';') &&
           sscanf(p, "%" SCNd64 " %" SCNd64 " %" SCNd64 "%n", &said[n][0], &said[n][1], &said[n][2],
                  &len) == 3) {
        p += len;
        n++;
    }
    int whole = said && n == in->nb_chapters && !*p;
    for (unsigned i = 0; whole && i < n; i++) {
        AVChapter *ch = in->chapters[i];
        ch->id = said[i][0];
        ch->time_base = AV_TIME_BASE_Q;
        ch->start = said[i][1];
        ch->end = said[i][2];
    }
    av_free(said);
    return whole;
}

/* Whether two chapters have the same title, or neither has one. */
static int same_title(const AVChapter *c, const AVChapter *d)
{
    const AVDictionaryEntry *t = av_dict_get(c->metadata, "title", NULL, 0);
    const AVDictionaryEntry *u = av_dict_get(d->metadata, "title", NULL, 0);
    return t && u ? !strcmp(t->value, u->value) : !t && !u;
}

/* A segment's chapters added to the join's (*chapters, *nb), numbered anew: the segments
 * number theirs each from 1. Each segment holds those of its time, cut to it, under the
 * input's ids (Matroska keeps them): a segment's first, of the id and title of the last one
 * taken (*last_id) and starting where that one ends, is that one split by the cut, and
 * extends it. The titles are compared too: segments of an MP4 input written before
 * copy_chapters kept its ids apart gave one id to two chapters (b ending at the cut, c
 * starting there). */
static void take_chapters(AVChapter ***chapters, unsigned *nb, int64_t *last_id,
                          const AVFormatContext *in)
{
    for (unsigned i = 0; i < in->nb_chapters; i++) {
        const AVChapter *ch = in->chapters[i];
        AVChapter *last = *nb ? (*chapters)[*nb - 1] : NULL;
        int64_t from = to_us(ch->start, ch->time_base), to = to_us(ch->end, ch->time_base);
        if (to <= from)
            continue;
        if (i == 0 && last && ch->id == *last_id && same_title(ch, last) &&
            llabs(from - to_us(last->end, last->time_base)) <= 1000) {
            last->end = FFMAX(last->end, av_rescale_q(to, AV_TIME_BASE_Q, last->time_base));
            continue;
        }
        AVChapter *c = av_mallocz(sizeof(*c));
        AVChapter **grown = av_realloc_array(*chapters, *nb + 1, sizeof(*grown));
        if (!c || !grown || av_dict_copy(&c->metadata, ch->metadata, 0) < 0)
            cli_die("out of memory");
        c->id = *nb + 1;
        c->time_base = AV_TIME_BASE_Q;
        c->start = from;
        c->end = to;
        *chapters = grown;
        grown[(*nb)++] = c;
        *last_id = ch->id;
    }
}

/* The piece of its input a segment holds, from its SEGMENT_TAG: the i-th of n, whether it
 * runs to the input's end, and whether it holds no frame (write_empty_segment); n = 0 where
 * it has no such tag (nor did the segments of srres-video before it wrote them, nor MPEG-TS
 * ones before it wrote theirs). */
typedef struct segment_piece {
    int i, n, last, empty;
} segment_piece;

static segment_piece piece_of(const AVFormatContext *in)
{
    segment_piece p = {0};
    const char *tag = segment_tag(in);
    char t[64]; /* the tag alone, without an MPEG-TS input's provider name */
    int len = 0;
    if (tag)
        snprintf(t, sizeof(t), "%.*s", (int)strcspn(tag, TS_PROVIDER_SEP), tag);
    if (!tag || sscanf(t, "%d/%d%n", &p.i, &p.n, &len) != 2 || p.i < 1 || p.i > p.n)
        return (segment_piece){0};
    p.last = !strcmp(t + len, ", last");
    p.empty = !strcmp(t + len, ", empty");
    if (t[len] && !p.last && !p.empty)
        return (segment_piece){0};
    return p.i < p.n || p.last || p.empty ? p : (segment_piece){0}; /* N/N runs to the end */
}

/* Whether a segment is a piece that holds no frame (write_empty_segment): its tag says so, or
 * it has no video, as every other segment has (an MP4 whose --mux-opt movflags replaced
 * use_metadata_tags keeps no tag, nor did MPEG-TS segments of srres-video before). */
static int empty_piece(const AVFormatContext *in)
{
    return piece_of(in).empty || first_stream(in, AVMEDIA_TYPE_VIDEO) < 0;
}

/* Whether the segments' tags, where every one has its own, say that the first starts the
 * input and the last ends it; otherwise says which is missing in `why`. Between them the
 * times tell (segments_meet): a cut with too few keyframes leaves pieces empty, passed over. */
static int pieces_whole(char **files, const segment_piece *p, int n, char *why, size_t size)
{
    for (int s = 0; s < n; s++)
        if (!p[s].n)
            return 1;
    const segment_piece *end = &p[n - 1];
    if (p[0].i != 1) {
        snprintf(why, size, "%s: segment %d/%d: the first segment (--segment 1/N) is missing",
                 files[0], p[0].i, p[0].n);
        return 0;
    }
    if (!end->last) {
        char missing[64];
        if (end->i + 1 == end->n)
            snprintf(missing, sizeof(missing), "the last segment (--segment %d/%d) is", end->n,
                     end->n);
        else
            snprintf(missing, sizeof(missing), "segments %d/%d to %d/%d are", end->i + 1, end->n,
                     end->n, end->n);
        snprintf(why, size, "%s: segment %d/%d ends before the input does: %s missing",
                 files[n - 1], end->i, end->n, missing);
        return 0;
    }
    return 1;
}

/* Whether `cur` starts where `prev` ends: each --segment piece starts at the keyframe where
 * the one before it stops, so a gap is a piece left out and an overlap pieces of two cuts
 * (1/2 and 2/4). The frames of one cut never overlap. From the last frame to the next is a
 * gap where it is longer, by more than half a frame, than a frame or the longest such step
 * within the two, and the audio does not go on without a break: the last frame's duration is
 * one frame's, and a variable rate's pause at the cut passes it. Otherwise says why in
 * `why`, naming both. */
static int segments_meet(const char *prev_file, const segment_span *prev, const char *file,
                         const segment_span *cur, char *why, size_t size)
{
    if (prev->end == INT64_MIN || cur->start == INT64_MAX)
        return 1;
    int64_t tolerance = FFMAX(prev->frame, cur->frame) / 2, gap = cur->start - prev->end;
    int64_t step = FFMAX(FFMAX(prev->frame, cur->frame), FFMAX(prev->longest, cur->longest));
    if (cur->start <= prev->last) {
        snprintf(why, size,
                 "%s: starts at %.3f s, before %s ends (%.3f s): the segments overlap; give the "
                 "pieces of one --segment I/N cut (one N), each once",
                 file, cur->start / (double)AV_TIME_BASE, prev_file,
                 prev->end / (double)AV_TIME_BASE);
        return 0;
    }
    int audio_goes_on = prev->audio_end != INT64_MIN && cur->audio_start != INT64_MAX &&
                        llabs(cur->audio_start - prev->audio_end) <= tolerance;
    if (cur->start - prev->last > step + tolerance && !audio_goes_on) {
        snprintf(why, size,
                 "%s: starts at %.3f s, %.3f s after %s ends: a segment between them is missing",
                 file, cur->start / (double)AV_TIME_BASE, gap / (double)AV_TIME_BASE, prev_file);
        return 0;
    }
    return 1;
}

int concat_segments(const char *output, int overwrite, int quiet, const AVDictionary *mux_opts,
                    char **files, int n)
{
    if (n < 1)
        cli_die("--concat %s: no segment files given", output);
    int given = n; /* the empty pieces among them are left out */
    if (!overwrite && access(output, F_OK) == 0)
        cli_die("%s: already exists; use -y to overwrite", output);
    /* -y replaces only a file the user may write, as for a run's own output: the rename put
     * the joined file in place of a read-only one, its folder being writable. */
    if (overwrite && !output_is_url(output) && access(output, F_OK) == 0 &&
        access(output, W_OK) != 0)
        cli_die("%s: cannot overwrite it: %s", output, strerror(errno));
    /* The joined file's streams, from every segment's: one may lack some (an empty MP4
     * track). Each segment is opened here, so that its streams are known and a bad one
     * refused before the output is made, and again to copy its packets; those whose streams
     * the output takes, and pipes, which cannot be opened twice, are held open instead. */
    AVFormatContext **held = calloc(n, sizeof(*held)), *out = NULL;
    segment_span *spans = malloc(sizeof(*spans) * n);
    segment_piece *pieces = malloc(sizeof(*pieces) * n);
    joined_stream *js = NULL;
    AVChapter **chapters = NULL;
    unsigned nb_chapters = 0;
    int64_t last_chapter = 0; /* the input's id of the last chapter taken */
    int chapters_lost = 0;    /* a segment's chapters could not be joined: the join has none */
    int nb = 0, ret;
    if (!held || !spans || !pieces)
        cli_die("out of memory");
    int64_t prev_start = AV_NOPTS_VALUE, first_late = AV_NOPTS_VALUE;
    int piped = 0; /* a segment read once, whose times are known as it is copied */
    const AVInputFormat *first = NULL;
    for (int s = 0; s < n; s++) {
        AVFormatContext *in = NULL;
        if ((ret = open_segment(&in, files[s])) < 0)
            cli_die("%s: cannot open: %s", files[s], av_err2str(ret));
        if (!joined_format(in->iformat->name))
            cli_die("%s: --concat joins segments in MP4, MOV, Matroska, WebM or MPEG-TS, as "
                    "--segment writes them; not %s",
                    files[s], in->iformat->long_name ? in->iformat->long_name : in->iformat->name);
        /* Left out, as if not given: the pieces on either side of it meet, and where it was
         * the last, the one before it runs to the input's end (its tag says so). */
        if (empty_piece(in)) {
            avformat_close_input(&in);
            memmove(files + s, files + s + 1, sizeof(*files) * (n - s - 1));
            n--;
            s--;
            continue;
        }
        first = s == 0 ? in->iformat : first;
        /* Only a demuxer that gives ids can lack a stream the others have. */
        int same = s == 0 || in->nb_streams == (unsigned)nb ||
                   (in->nb_streams && in->streams[0]->id && in->iformat == first);
        for (unsigned i = 0; same && i < in->nb_streams; i++) {
            const AVStream *st = in->streams[i];
            if (stream_left_out(in, st))
                continue;
            int j = joined_index(js, nb, in, first, st);
            if (j >= 0) {
                const AVCodecParameters *p = st->codecpar, *q = js[j].from->codecpar;
                same = same_stream(p, q);
                if (!parameters_known(q) && parameters_known(p)) {
                    js[j].from = st;
                    held[s] = in;
                }
                continue;
            }
            /* before the first stream that follows it here: the run's order */
            int at = nb;
            for (unsigned k = i + 1; k < in->nb_streams && at == nb; k++)
                if ((j = joined_index(js, nb, in, first, in->streams[k])) >= 0)
                    at = j;
            joined_stream *grown = av_realloc_array(js, nb + 1, sizeof(*js));
            if (!grown)
                cli_die("out of memory");
            js = grown;
            memmove(js + at + 1, js + at, sizeof(*js) * (nb - at));
            js[at] = (joined_stream){.id = st->id, .from = st};
            nb++;
            held[s] = in;
        }
        if (!same)
            cli_die("%s: its streams differ from %s's; segments must come from one srres-video "
                    "command line",
                    files[s], files[0]);
        /* Segments keep the input's timestamps: one out of order (a shell's * puts seg10
         * before seg2) or given twice would go back in time, which the muxer refuses as
         * "Invalid argument". */
        if (in->start_time != AV_NOPTS_VALUE && prev_start != AV_NOPTS_VALUE &&
            in->start_time <= prev_start)
            cli_die("%s: starts at %.3f s, not after %s (%.3f s): give the segments in their "
                    "order, each once",
                    files[s], in->start_time / (double)AV_TIME_BASE, files[s - 1],
                    prev_start / (double)AV_TIME_BASE);
        prev_start = in->start_time;
        pieces[s] = piece_of(in);
        /* Where its video and audio run; a pipe's end, as it is read once, when it is copied. */
        int seekable = in->pb && (in->pb->seekable & AVIO_SEEKABLE_NORMAL);
        piped |= !seekable;
        spans[s] = seekable ? measure_segment(files[s]) : span_init(in);
        /* The first piece starts with the input, at zero (a run's output starts there), or
         * before it: AAC's priming samples. Told only by its audio: a video alone starts
         * late where the input's did (audio that was dropped starting first, frames before
         * the first that decodes). */
        if (s == 0 && first_stream(in, AVMEDIA_TYPE_VIDEO) >= 0 &&
            first_stream(in, AVMEDIA_TYPE_AUDIO) >= 0 && in->start_time != AV_NOPTS_VALUE &&
            in->start_time > spans[0].frame / 2)
            first_late = in->start_time;
        /* FFmpeg 5.1 reads an MP4 or MOV segment's first chapter as starting at 0 and one
         * alone as ending at its length: their times survive a cut only in the segment's
         * tag. Without it (segments of srres-video before it wrote one, or an absolute
         * movflags) they are not joined (they came out cut short, or split in two), nor are
         * the others' (the MP4 muxer ends each chapter at the next one's start, so a gap
         * became a wrong end), and that is said. */
        if (!strstr(in->iformat->name, "mp4") || restore_chapters(in))
            take_chapters(&chapters, &nb_chapters, &last_chapter, in);
        else if (in->nb_chapters && !chapters_lost++ && !quiet)
            fprintf(stderr,
                    "srres-video: %s: the chapters of MP4 and MOV segments are not joined "
                    "without their times, which this one does not say (made by an older "
                    "srres-video, or --mux-opt movflags left out use_metadata_tags): the join "
                    "has no chapters\n",
                    files[s]);
        if (s == 0 || !seekable)
            held[s] = in; /* the first for its metadata */
        else if (!held[s])
            avformat_close_input(&in);
    }
    if (n < 1)
        cli_die("--concat %s: every segment given holds no frames", output);
    /* After the order is known good: a segment given out of place is said as such. */
    if (first_late != AV_NOPTS_VALUE)
        cli_die("%s: starts at %.3f s, not at the input's start: the first segment (--segment "
                "1/N) is missing",
                files[0], first_late / (double)AV_TIME_BASE);
    char why[1024];
    for (int s = 1; s < n; s++)
        if (!segments_meet(files[s - 1], &spans[s - 1], files[s], &spans[s], why, sizeof(why)))
            cli_die("%s", why);
    /* After the times, which say a problem between segments first; a pipe's, after its copy. */
    if (!piped && !pieces_whole(files, pieces, n, why, sizeof(why)))
        cli_die("%s", why);
    if ((ret = avformat_alloc_output_context2(&out, NULL, NULL, output)) < 0 || !out)
        cli_die("%s: no output format for this name: %s", output, av_err2str(ret));
    /* Matroska keeps no decoding times; with B-frames MP4 and the like need them. */
    int reordered = 0;
    for (int j = 0; j < nb; j++)
        reordered |= js[j].from->codecpar->video_delay > 0;
    if (reordered && strstr(held[0]->iformat->name, "matroska") &&
        !strstr(out->oformat->name, "matroska") && strcmp(out->oformat->name, "webm"))
        cli_die("%s: Matroska segments with B-frames keep no decoding times, which %s needs: "
                "join them into .mkv",
                output, out->oformat->name);
    int m2ts = output_m2ts(out->oformat, output, mux_opts);
    for (int j = 0; j < nb; j++) {
        const AVStream *ist = js[j].from;
        enum AVMediaType type = ist->codecpar->codec_type;
        /* Dropped as a run drops it (stream_kept): mov_text into Matroska failed the header
         * ("Function not implemented"). Matroska's query knows no fonts. */
        js[j].out = -1;
        if (type != AVMEDIA_TYPE_VIDEO &&
            !(type == AVMEDIA_TYPE_ATTACHMENT && !strcmp(out->oformat->name, "matroska")) &&
            !output_takes_stream(out->oformat, ist, m2ts)) {
            if (!quiet)
                fprintf(stderr,
                        "srres-video: %s: stream %d (%s) dropped: it cannot go into this format "
                        "(%s)\n",
                        files[0], j, avcodec_get_name(ist->codecpar->codec_id), out->oformat->name);
            continue;
        }
        AVStream *ost = avformat_new_stream(out, NULL);
        if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0)
            cli_die("out of memory");
        ost->codecpar->codec_tag = 0;
        ost->time_base = ist->time_base;
        ost->avg_frame_rate = ist->avg_frame_rate; /* the MOV muxer's timecode track needs it */
        if (output_copy_stream_info(ost, ist, 0, 1) < 0)
            cli_die("out of memory");
        js[j].out = ost->index;
    }
    for (unsigned i = 0; chapters_lost && i < nb_chapters; i++) {
        av_dict_free(&chapters[i]->metadata);
        av_freep(&chapters[i]);
    }
    out->chapters = chapters;
    out->nb_chapters = chapters_lost ? 0 : nb_chapters;
    av_dict_copy(&out->metadata, held[0]->metadata, 0);
    if (restore_ts_service(&out->metadata, held[0]) < 0 ||
        tag_segment_piece(out, NULL) < 0) /* the join is no segment */
        cli_die("out of memory");
    /* A join stopped by a signal leaves no partial file, as a failed one does not. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    output_target target;
    output_target_init(&target, output, overwrite);
    av_freep(&out->url);
    out->url = av_strdup(target.url);
    if (!out->url)
        cli_die("out of memory");
    char refused[PATH_MAX + 128];
    if (!(out->oformat->flags & AVFMT_NOFILE) &&
        (ret = avio_open(&out->pb, target.url, AVIO_FLAG_WRITE)) < 0) {
        if (ret == AVERROR(EACCES) || ret == AVERROR(EPERM))
            cli_die("%s", output_target_refused(&target, output, AVUNERROR(ret), refused,
                                                sizeof(refused)));
        cli_die("%s: cannot write: %s", output, av_err2str(ret));
    }
    /* --mux-opt as for a run's own output: what the muxer leaves is no option of its own. */
    AVDictionary *opts = NULL;
    if (av_dict_copy(&opts, mux_opts, 0) < 0)
        cli_die("out of memory");
    ret = avformat_write_header(out, &opts);
    const AVDictionaryEntry *left = av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (ret < 0 || left) {
        output_target_abandon(&target);
        if (ret < 0)
            cli_die("%s: cannot write the header: %s", output, av_err2str(ret));
        cli_die("--mux-opt %s: the %s muxer does not take it", left->key, out->oformat->name);
    }
    av_dict_free(&opts);
    AVPacket *pkt = av_packet_alloc();
    int64_t *last_dts = malloc(sizeof(int64_t) * (nb ? nb : 1));
    if (!pkt || !last_dts)
        cli_die("out of memory");
    for (int j = 0; j < nb; j++)
        last_dts[j] = AV_NOPTS_VALUE;
    const char *error = NULL;
    int prev_end_unknown = 0; /* the segment before ended where its copy did: a pipe */
    for (int s = 0; s < n && !error; s++) {
        AVFormatContext *in = held[s]; /* its packets read to find its streams are kept */
        held[s] = NULL;
        if (!in && (ret = open_segment(&in, files[s])) < 0) {
            fprintf(stderr, "srres-video: %s: cannot open: %s\n", files[s], av_err2str(ret));
            error = files[s];
            break;
        }
        /* After a pipe's segment: whether this one starts where it ended, before a packet of
         * it is written (one that goes back fails the muxer, naming neither). */
        if (s > 0 && prev_end_unknown &&
            !segments_meet(files[s - 1], &spans[s - 1], files[s], &spans[s], why, sizeof(why))) {
            fprintf(stderr, "srres-video: %s\n", why);
            error = files[s];
            avformat_close_input(&in);
            break;
        }
        int end_unknown = spans[s].end == INT64_MIN;
        segment_span seen = span_init(in);
        while (!error && !stop_signal && av_read_frame(in, pkt) >= 0) {
            AVStream *ist = in->streams[pkt->stream_index];
            if (end_unknown)
                span_add(&seen, in, pkt);
            int j = joined_index(js, nb, in, first, ist);
            /* A segment holds the subtitles that start in it, but MP4's muxer starts a text
             * track at 0 with an empty sample up to the first: in a later segment, that one
             * went back past the cues before it ("non monotonically increasing dts"). */
            int filler = s > 0 && ist->codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE &&
                         pkt->pts != AV_NOPTS_VALUE && spans[s].start != INT64_MAX &&
                         to_us(pkt->pts, ist->time_base) < spans[s].start - spans[s].frame / 2;
            /* j < 0: a stream that appeared mid-file, for which the header has no place, or
             * one left out (stream_left_out) */
            if (j < 0 || js[j].out < 0 || filler) {
                av_packet_unref(pkt);
                continue;
            }
            AVStream *ost = out->streams[js[j].out];
            pkt->stream_index = ost->index;
            av_packet_rescale_ts(pkt, ist->time_base, ost->time_base);
            int64_t delay = output_codec_delay(out, ost);
            if (pkt->pts != AV_NOPTS_VALUE)
                pkt->pts += delay;
            if (pkt->dts != AV_NOPTS_VALUE)
                pkt->dts += delay;
            pkt->pos = -1;
            /* Matroska keeps no decoding times: its demuxer leaves them unset on the packets
             * before the first B-frames, which at a segment's start would go back past the
             * last one's; they come a tick after it instead. */
            int64_t *last = &last_dts[j];
            if (pkt->dts == AV_NOPTS_VALUE && *last != AV_NOPTS_VALUE &&
                (pkt->pts == AV_NOPTS_VALUE || pkt->pts > *last))
                pkt->dts = *last + 1;
            /* A packet without a duration lasts as long as the one before it: MP4 ends its
             * stream at the last packet's end, and would cut the last frame off. */
            if (pkt->duration <= 0 && pkt->dts != AV_NOPTS_VALUE && *last != AV_NOPTS_VALUE &&
                pkt->dts > *last)
                pkt->duration = pkt->dts - *last;
            if (pkt->dts != AV_NOPTS_VALUE)
                *last = pkt->dts;
            if ((ret = av_interleaved_write_frame(out, pkt)) < 0) {
                fprintf(stderr, "srres-video: %s: cannot write: %s\n", output, av_err2str(ret));
                error = output;
            }
            av_packet_unref(pkt);
        }
        avformat_close_input(&in);
        if (end_unknown) {
            span_finish(&seen);
            spans[s].last = seen.last;
            spans[s].longest = seen.longest;
            spans[s].end = seen.end;
            spans[s].audio_end = seen.audio_end;
        }
        prev_end_unknown = end_unknown;
    }
    if (piped && !error && !stop_signal && !pieces_whole(files, pieces, n, why, sizeof(why))) {
        fprintf(stderr, "srres-video: %s\n", why);
        error = files[n - 1];
    }
    for (int s = 0; s < n; s++)
        avformat_close_input(&held[s]);
    free(held);
    free(spans);
    free(pieces);
    av_packet_free(&pkt);
    free(last_dts);
    av_free(js);
    if (stop_signal && !error) {
        fprintf(stderr, "srres-video: %s: stopped by a signal; nothing written\n", output);
        error = output;
    }
    if (!error && (ret = av_write_trailer(out)) < 0)
        error = output;
    if (!(out->oformat->flags & AVFMT_NOFILE) && avio_closep(&out->pb) < 0)
        error = output;
    avformat_free_context(out);
    if (!error && output_target_commit(&target) < 0) {
        if (errno == EEXIST)
            fprintf(stderr, "srres-video: %s: " OUTPUT_APPEARED "\n", output);
        else
            fprintf(stderr, "srres-video: %s: cannot rename the joined file into place: %s\n",
                    output, strerror(errno));
        error = output;
    }
    if (error) {
        output_target_abandon(&target);
        output_target_free(&target);
        return stop_signal ? 128 + stop_signal : 1;
    }
    char empty[48] = "";
    if (given > n)
        snprintf(empty, sizeof(empty), " (and %d empty passed over)", given - n);
    if (!quiet)
        fprintf(stderr, "srres-video: joined %d segment%s%s into %s\n", n, n == 1 ? "" : "s",
                empty, output);
    output_target_free(&target);
    return 0;
}
