/* concat.c: joining segments. Segments keep their input's timestamps (srres-video
 * --segment), so packets are copied as they are, in order; the segments' streams must match
 * (same encoder settings), or the joined stream would not decode. */
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
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

int concat_segments(const char *output, int overwrite, int quiet, const AVDictionary *mux_opts,
                    char **files, int n)
{
    if (n < 1)
        cli_die("--concat %s: no segment files given", output);
    if (!overwrite && access(output, F_OK) == 0)
        cli_die("%s: already exists; use -y to overwrite", output);
    /* The joined file's streams, from every segment's: one may lack some (an empty MP4
     * track). Each segment is opened here, so that its streams are known and a bad one
     * refused before the output is made, and again to copy its packets; those whose streams
     * the output takes, and pipes, which cannot be opened twice, are held open instead. */
    AVFormatContext **held = calloc(n, sizeof(*held)), *out = NULL;
    joined_stream *js = NULL;
    int nb = 0, ret;
    if (!held)
        cli_die("out of memory");
    int64_t prev_start = AV_NOPTS_VALUE;
    const AVInputFormat *first = NULL;
    for (int s = 0; s < n; s++) {
        AVFormatContext *in = NULL;
        if ((ret = open_segment(&in, files[s])) < 0)
            cli_die("%s: cannot open: %s", files[s], av_err2str(ret));
        if (!joined_format(in->iformat->name))
            cli_die("%s: --concat joins segments in MP4, MOV, Matroska, WebM or MPEG-TS, as "
                    "--segment writes them; not %s",
                    files[s], in->iformat->long_name ? in->iformat->long_name : in->iformat->name);
        first = s == 0 ? in->iformat : first;
        /* Only a demuxer that gives ids can lack a stream the others have. */
        int same = s == 0 || in->nb_streams == (unsigned)nb ||
                   (in->nb_streams && in->streams[0]->id && in->iformat == first);
        for (unsigned i = 0; same && i < in->nb_streams; i++) {
            const AVStream *st = in->streams[i];
            int j = joined_index(js, nb, in, first, st);
            if (j >= 0) {
                const AVCodecParameters *p = st->codecpar, *q = js[j].from->codecpar;
                same =
                    p->codec_id == q->codec_id && p->width == q->width && p->height == q->height &&
                    p->extradata_size == q->extradata_size &&
                    (!p->extradata_size || !memcmp(p->extradata, q->extradata, p->extradata_size));
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
        if (s == 0 || !in->pb || !(in->pb->seekable & AVIO_SEEKABLE_NORMAL))
            held[s] = in; /* the first for its metadata */
        else if (!held[s])
            avformat_close_input(&in);
    }
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
    for (int j = 0; j < nb; j++) {
        const AVStream *ist = js[j].from;
        AVStream *ost = avformat_new_stream(out, NULL);
        if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0)
            cli_die("out of memory");
        ost->codecpar->codec_tag = 0;
        ost->time_base = ist->time_base;
        if (output_copy_stream_info(ost, ist, 0, 1) < 0)
            cli_die("out of memory");
    }
    av_dict_copy(&out->metadata, held[0]->metadata, 0);
    /* A join stopped by a signal leaves no partial file, as a failed one does not. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    output_target target;
    output_target_init(&target, output);
    av_freep(&out->url);
    out->url = av_strdup(target.url);
    if (!out->url)
        cli_die("out of memory");
    if (!(out->oformat->flags & AVFMT_NOFILE) &&
        (ret = avio_open(&out->pb, target.url, AVIO_FLAG_WRITE)) < 0)
        cli_die("%s: cannot write: %s", output, av_err2str(ret));
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
    for (int s = 0; s < n && !error; s++) {
        AVFormatContext *in = held[s]; /* its packets read to find its streams are kept */
        held[s] = NULL;
        if (!in && (ret = open_segment(&in, files[s])) < 0) {
            fprintf(stderr, "srres-video: %s: cannot open: %s\n", files[s], av_err2str(ret));
            error = files[s];
            break;
        }
        while (!error && !stop_signal && av_read_frame(in, pkt) >= 0) {
            AVStream *ist = in->streams[pkt->stream_index];
            int j = joined_index(js, nb, in, first, ist);
            if (j < 0) { /* a stream that appeared mid-file: the header has no place for it */
                av_packet_unref(pkt);
                continue;
            }
            pkt->stream_index = j;
            av_packet_rescale_ts(pkt, ist->time_base, out->streams[j]->time_base);
            int64_t delay = output_codec_delay(out, out->streams[j]);
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
    }
    for (int s = 0; s < n; s++)
        avformat_close_input(&held[s]);
    free(held);
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
    if (!error && output_target_commit(&target) < 0)
        error = output;
    if (error) {
        output_target_abandon(&target);
        output_target_free(&target);
        return stop_signal ? 128 + stop_signal : 1;
    }
    if (!quiet)
        fprintf(stderr, "srres-video: joined %d segments into %s\n", n, output);
    output_target_free(&target);
    return 0;
}
