/* concat.c: joining segments. Segments keep their input's timestamps (srres-video
 * --segment), so packets are copied as they are, in order; the streams of every segment must
 * match the first's (same encoder settings), or the joined stream would not decode. */
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
#include "output_file.h"

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
    for (unsigned i = 0; i < first->nb_streams; i++) {
        AVStream *ist = first->streams[i], *ost = avformat_new_stream(out, NULL);
        if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0)
            cli_die("out of memory");
        ost->codecpar->codec_tag = 0;
        ost->time_base = ist->time_base;
        if (output_copy_stream_info(ost, ist) < 0)
            cli_die("out of memory");
    }
    av_dict_copy(&out->metadata, first->metadata, 0);
    char *temp = output_temp_name(output);
    av_freep(&out->url);
    out->url = av_strdup(temp);
    if (!(out->oformat->flags & AVFMT_NOFILE) &&
        (ret = avio_open(&out->pb, temp, AVIO_FLAG_WRITE)) < 0)
        cli_die("%s: cannot write: %s", output, av_err2str(ret));
    if ((ret = avformat_write_header(out, NULL)) < 0) {
        unlink(temp);
        cli_die("%s: cannot write the header: %s", output, av_err2str(ret));
    }
    AVPacket *pkt = av_packet_alloc();
    const char *error = NULL;
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
        while (!error && av_read_frame(in, pkt) >= 0) {
            AVStream *ist = in->streams[pkt->stream_index];
            av_packet_rescale_ts(pkt, ist->time_base, out->streams[pkt->stream_index]->time_base);
            pkt->pos = -1;
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
    if (!error && (ret = av_write_trailer(out)) < 0)
        error = output;
    if (!(out->oformat->flags & AVFMT_NOFILE) && avio_closep(&out->pb) < 0)
        error = output;
    avformat_free_context(out);
    avformat_close_input(&first);
    if (!error && rename(temp, output) < 0)
        error = output;
    if (error) {
        unlink(temp);
        free(temp);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "srres-video: joined %d segments into %s\n", n, output);
    free(temp);
    return 0;
}
