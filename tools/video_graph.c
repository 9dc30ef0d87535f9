/* video_graph.c: buffer/buffersink plumbing around a parsed filter description. */
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <string.h>

#include "video_graph.h"

static int fail(char *err, int errlen, const char *desc, int ret)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(ret, buf, sizeof(buf));
    snprintf(err, errlen, "filter graph '%s': %s", desc, buf);
    return ret;
}

/* libvidstab 1.1.0 aborts the process on the packed RGB formats its filters offer first to
 * RGB frames (the network's, a PNG's): "vsFrameAllocate: Assertion `fi->planes==1' failed",
 * in ffmpeg too. Each of its filters is given the planar formats it handles instead. */
static int vidstab_planar(AVFilterGraph *graph)
{
    unsigned n = graph->nb_filters; /* those of the description: not the ones added here */
    for (unsigned i = 0; i < n; i++) {
        AVFilterContext *f = graph->filters[i], *fmt;
        if (strncmp(f->filter->name, "vidstab", 7) || !f->nb_inputs || !f->inputs[0])
            continue;
        char name[64];
        snprintf(name, sizeof(name), VIDEO_GRAPH_OWN "vidstab_in%u", i);
        int ret = avfilter_graph_create_filter(
            &fmt, avfilter_get_by_name("format"), name,
            "pix_fmts=yuv444p|yuv422p|yuv420p|yuv440p|yuv411p|yuv410p|yuva420p|gray", NULL, graph);
        if (ret >= 0)
            ret = avfilter_insert_filter(f->inputs[0], fmt, 0, 0);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int video_graph_init(video_graph *g, const char *desc, int w, int h, enum AVPixelFormat fmt,
                     AVRational time_base, AVRational sar, AVRational frame_rate, char *err,
                     int errlen)
{
    *g = (video_graph){avfilter_graph_alloc(), NULL, NULL, 0, AV_NOPTS_VALUE};
    if (frame_rate.num > 0 && frame_rate.den > 0)
        g->frame_ticks = av_rescale_q(1, av_inv_q(frame_rate), time_base);
    if (!g->graph)
        return fail(err, errlen, desc, AVERROR(ENOMEM));
    g->graph->nb_threads = 1; /* the network has the cores; conversions are light */
    char args[256];
    snprintf(args, sizeof(args),
             "video_size=%dx%d:pix_fmt=%s:time_base=%d/%d:pixel_aspect=%d/%d:frame_rate=%d/%d",
             w, h, av_get_pix_fmt_name(fmt), time_base.num, time_base.den,
             sar.num ? sar.num : 0, sar.num ? sar.den : 1, frame_rate.num,
             frame_rate.num ? frame_rate.den : 1);
    int ret = avfilter_graph_create_filter(&g->src, avfilter_get_by_name("buffer"), "in", args,
                                           NULL, g->graph);
    if (ret >= 0)
        ret = avfilter_graph_create_filter(&g->sink, avfilter_get_by_name("buffersink"), "out",
                                           NULL, NULL, g->graph);
    AVFilterInOut *outputs = avfilter_inout_alloc(), *inputs = avfilter_inout_alloc();
    if (ret >= 0 && (!outputs || !inputs))
        ret = AVERROR(ENOMEM);
    if (ret >= 0) {
        /* The description's input is fed by "in"; its output feeds "out". */
        outputs->name = av_strdup("in");
        outputs->filter_ctx = g->src;
        inputs->name = av_strdup("out");
        inputs->filter_ctx = g->sink;
        ret = avfilter_graph_parse_ptr(g->graph, desc, &inputs, &outputs, NULL);
    }
    avfilter_inout_free(&inputs);
    avfilter_inout_free(&outputs);
    if (ret >= 0)
        ret = vidstab_planar(g->graph);
    if (ret >= 0)
        ret = avfilter_graph_config(g->graph, NULL);
    if (ret < 0) {
        video_graph_free(g);
        return fail(err, errlen, desc, ret);
    }
    return 0;
}

void video_graph_free(video_graph *g)
{
    avfilter_graph_free(&g->graph);
    g->src = g->sink = NULL;
}

int video_graph_push(video_graph *g, AVFrame *frame)
{
    /* The stream ends where its last frame does, as in ffmpeg: ended at that frame's start,
     * the fps filter dropped it (--vf-pre fps=50 made 18 frames of 0.4 s, not 20). */
    if (!frame)
        return av_buffersrc_close(g->src, g->end, 0);
    if (frame->pts != AV_NOPTS_VALUE && g->frame_ticks > 0)
        g->end = frame->pts + g->frame_ticks;
    return av_buffersrc_add_frame_flags(g->src, frame, AV_BUFFERSRC_FLAG_KEEP_REF);
}

int video_graph_pull(video_graph *g, AVFrame *frame)
{
    return av_buffersink_get_frame(g->sink, frame);
}
