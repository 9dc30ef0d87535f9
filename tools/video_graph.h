/* video_graph.h: a libavfilter graph with one video input and one output, for the
 * conversions and the user's --vf-pre / --vf-post chains around the network. */
#ifndef SRRES_VIDEO_GRAPH_H
#define SRRES_VIDEO_GRAPH_H

#include <libavfilter/avfilter.h>
#include <libavutil/frame.h>

typedef struct video_graph {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    int64_t frame_ticks; /* a frame at the frame rate, in the time base; 0 if unknown */
    int64_t end;         /* where the frames pushed end: the last one's pts and a frame (or none) */
} video_graph;

/* The start of the names of the format filters video_graph_init adds to a description
 * (before libvidstab's filters), which are not the user's. */
#define VIDEO_GRAPH_OWN "format@srres_"

/* buffer (w x h, fmt, tb, sar, frame rate) -> desc -> buffersink. Returns 0 or an AVERROR
 * with a message naming the graph in err. */
int video_graph_init(video_graph *g, const char *desc, int w, int h, enum AVPixelFormat fmt,
                     AVRational time_base, AVRational sar, AVRational frame_rate, char *err,
                     int errlen);
void video_graph_free(video_graph *g);

/* Feeds a frame (NULL: end of stream, at the end of the last frame); the frame stays the
 * caller's (the graph takes its own reference). */
int video_graph_push(video_graph *g, AVFrame *frame);

/* 0 with a frame, AVERROR(EAGAIN) when it needs input, AVERROR_EOF when drained. */
int video_graph_pull(video_graph *g, AVFrame *frame);

#endif
