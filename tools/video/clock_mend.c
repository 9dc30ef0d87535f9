/* clock_mend.c: the jumps of an MPEG-TS or MPEG-PS clock (files joined with cat, a reset
 * broadcast clock) taken out of every stream's timestamps, as ffmpeg does. Touches the
 * clock_mend it is given and the packets passed through it; clock_jumps reads the input
 * anew, on an opening of its own, to find whether it jumps at all. */
#include <stdlib.h>

#include "cli.h"

#include "app.h"

/* A mender of the clock of f, an opening of the input. The streams the run keeps, video and
 * audio, say where it jumps; the others (-an's too) have no say, as in ffmpeg. */
void clock_mend_init(const app *a, clock_mend *m, const AVFormatContext *f)
{
    *m = (clock_mend){.next_dts = malloc(sizeof(int64_t) * (f->nb_streams + 1)),
                      .pts_end = malloc(sizeof(int64_t) * (f->nb_streams + 1)),
                      .says = calloc(f->nb_streams + 1, 1),
                      .count = FFMIN(f->nb_streams, a->ifmt->nb_streams)};
    if (!m->next_dts || !m->pts_end || !m->says)
        cli_die("out of memory");
    for (unsigned i = 0; i < m->count; i++) {
        enum AVMediaType type = f->streams[i]->codecpar->codec_type;
        const char *why;
        m->next_dts[i] = m->pts_end[i] = AV_NOPTS_VALUE;
        m->says[i] =
            (type == AVMEDIA_TYPE_VIDEO || type == AVMEDIA_TYPE_AUDIO) && stream_kept(a, i, &why);
    }
}

void clock_mend_free(clock_mend *m)
{
    free(m->next_dts);
    free(m->pts_end);
    free(m->says);
}

/* An MPEG-TS or MPEG-PS clock can jump: files joined with cat, a broadcast whose clock was
 * reset. A stream's jump back (by over 0.1 s) or ahead (by over 10 s) from where its last
 * packet ended is taken out of every stream from there on, as ffmpeg does: the copied
 * packets went back in time, which the muxer refused, and the video frames were squeezed
 * one tick apart after the last one. */
void smooth_jumps(const app *a, clock_mend *m, const AVFormatContext *f, AVPacket *pkt)
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
    int64_t *next = &m->next_dts[pkt->stream_index], *end = &m->pts_end[pkt->stream_index];
    int64_t pts = pkt->pts == AV_NOPTS_VALUE
                      ? AV_NOPTS_VALUE
                      : av_rescale_q(pkt->pts, st->time_base, AV_TIME_BASE_Q);
    if (*next != AV_NOPTS_VALUE &&
        (dts < *next - AV_TIME_BASE / 10 || dts > *next + 10 * (int64_t)AV_TIME_BASE)) {
        /* The new part's first picture is shown after the last one before: parts whose
         * decoders hold back pictures differently (0.08 s at 25 fps, 0.04 s at 50) gave two
         * pictures one time where only their decoding times followed on. */
        int64_t jump = dts - *next;
        if (pts != AV_NOPTS_VALUE && *end != AV_NOPTS_VALUE)
            jump = FFMIN(jump, pts - *end);
        int64_t ticks = av_rescale_q(jump, AV_TIME_BASE_Q, st->time_base);
        m->offset -= jump;
        m->jumps++;
        dts -= jump;
        if (pts != AV_NOPTS_VALUE)
            pts -= jump;
        if (pkt->pts != AV_NOPTS_VALUE)
            pkt->pts -= ticks;
        pkt->dts -= ticks;
    }
    int64_t duration = pkt->duration > 0             ? pkt->duration
                       : pkt->stream_index == a->vin ? a->frame_ticks
                                                     : 0;
    duration = av_rescale_q(duration, st->time_base, AV_TIME_BASE_Q);
    *next = dts + duration;
    if (pts != AV_NOPTS_VALUE)
        *end = *end == AV_NOPTS_VALUE ? pts + duration : FFMAX(*end, pts + duration);
}

/* Whether the input's clock jumps anywhere: a seek for -ss goes by the raw times, which
 * then repeat or leap, and lands elsewhere (-ss 3 on two 2 s files joined with cat gave the
 * frames from 5 s; -ss 1, none). Reads packets only, to the first jump, and only where clocks
 * jump (MPEG-TS, -PS). */
int clock_jumps(app *a)
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
