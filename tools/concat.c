/* concat.c: joining segments. Segments keep their input's timestamps (srres-video
 * --segment), so packets are copied as they are, in order; the streams of every segment must
 * match the first's (same encoder settings), or the joined stream would not decode. */
#include <libavformat/avformat.h>
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

int concat_segments(const char *output, int overwrite, int quiet, char **files, int n)
{
    if (n < 1)
        cli_die("--concat %s: no segment files given", output);
    if (!overwrite && access(output, F_OK) == 0)
        cli_die("%s: already exists; use -y to overwrite", output);
    AVFormatContext *first = NULL, *out = NULL;
    int ret = avformat_open_input(&first, files[0], NULL, NULL);
    if (ret < 0 || (ret = avformat_find_stream_info(first, NULL)) < 0)
        cli_die("%s: cannot open: %s", files[0], av_err2str(ret));
    if ((ret = avformat_alloc_output_context2(&out, NULL, NULL, output)) < 0 || !out)
        cli_die("%s: no output format for this name: %s", output, av_err2str(ret));
    /* Matroska keeps no decoding times; with B-frames MP4 and the like need them. */
    int reordered = 0;
    for (unsigned i = 0; i < first->nb_streams; i++)
        reordered |= first->streams[i]->codecpar->video_delay > 0;
    if (reordered && strstr(first->iformat->name, "matroska") &&
        !strstr(out->oformat->name, "matroska") && strcmp(out->oformat->name, "webm"))
        cli_die("%s: Matroska segments with B-frames keep no decoding times, which %s needs: "
                "join them into .mkv",
                output, out->oformat->name);
    for (unsigned i = 0; i < first->nb_streams; i++) {
        AVStream *ist = first->streams[i], *ost = avformat_new_stream(out, NULL);
        if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0)
            cli_die("out of memory");
        ost->codecpar->codec_tag = 0;
        ost->time_base = ist->time_base;
        if (output_copy_stream_info(ost, ist, 0, 1) < 0)
            cli_die("out of memory");
    }
    av_dict_copy(&out->metadata, first->metadata, 0);
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
    if ((ret = avformat_write_header(out, NULL)) < 0) {
        output_target_abandon(&target);
        cli_die("%s: cannot write the header: %s", output, av_err2str(ret));
    }
    AVPacket *pkt = av_packet_alloc();
    int64_t *last_dts = malloc(sizeof(int64_t) * first->nb_streams);
    if (!pkt || !last_dts)
        cli_die("out of memory");
    for (unsigned i = 0; i < first->nb_streams; i++)
        last_dts[i] = AV_NOPTS_VALUE;
    const char *error = NULL;
    int64_t prev_start = AV_NOPTS_VALUE;
    for (int s = 0; s < n && !error; s++) {
        AVFormatContext *in = NULL;
        if (s == 0) {
            in = first;
        } else if ((ret = avformat_open_input(&in, files[s], NULL, NULL)) < 0 ||
                   (ret = avformat_find_stream_info(in, NULL)) < 0) {
            fprintf(stderr, "srres-video: %s: cannot open: %s\n", files[s], av_err2str(ret));
            error = files[s];
            break;
        }
        int same = in->nb_streams == first->nb_streams;
        for (unsigned i = 0; same && i < in->nb_streams; i++) {
            const AVCodecParameters *p = in->streams[i]->codecpar, *q = first->streams[i]->codecpar;
            same = p->codec_id == q->codec_id && p->width == q->width && p->height == q->height &&
                   p->extradata_size == q->extradata_size &&
                   (!p->extradata_size || !memcmp(p->extradata, q->extradata, p->extradata_size));
        }
        if (!same) {
            fprintf(stderr, "srres-video: %s: its streams differ from %s's; segments must come "
                            "from one srres-video command line\n", files[s], files[0]);
            error = files[s];
        }
        /* Segments keep the input's timestamps: one out of order (a shell's * puts seg10
         * before seg2) or given twice would go back in time, which the muxer refuses as
         * "Invalid argument". */
        if (!error && in->start_time != AV_NOPTS_VALUE && prev_start != AV_NOPTS_VALUE &&
            in->start_time <= prev_start) {
            fprintf(stderr, "srres-video: %s: starts at %.3f s, not after %s (%.3f s): give the "
                            "segments in their order, each once\n", files[s],
                    in->start_time / (double)AV_TIME_BASE, files[s - 1],
                    prev_start / (double)AV_TIME_BASE);
            error = files[s];
        }
        prev_start = in->start_time;
        while (!error && !stop_signal && av_read_frame(in, pkt) >= 0) {
            AVStream *ist = in->streams[pkt->stream_index];
            av_packet_rescale_ts(pkt, ist->time_base, out->streams[pkt->stream_index]->time_base);
            pkt->pos = -1;
            /* Matroska keeps no decoding times: its demuxer leaves them unset on the packets
             * before the first B-frames, which at a segment's start would go back past the
             * last one's; they come a tick after it instead. */
            int64_t *last = &last_dts[pkt->stream_index];
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
                fprintf(stderr, "srres-video: %s: cannot write: %s\n", output,
                        av_err2str(ret));
                error = output;
            }
            av_packet_unref(pkt);
        }
        if (in != first)
            avformat_close_input(&in);
    }
    av_packet_free(&pkt);
    free(last_dts);
    if (stop_signal && !error) {
        fprintf(stderr, "srres-video: %s: stopped by a signal; nothing written\n", output);
        error = output;
    }
    if (!error && (ret = av_write_trailer(out)) < 0)
        error = output;
    if (!(out->oformat->flags & AVFMT_NOFILE) && avio_closep(&out->pb) < 0)
        error = output;
    avformat_free_context(out);
    avformat_close_input(&first);
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
