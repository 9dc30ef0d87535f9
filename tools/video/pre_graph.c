/* pre_graph.c: the pre graph, --vf-pre and the conversion to the network's format. Built
 * for the first frames before the threads start (which also sets the time base and frame
 * rate after it, net_*, and a segment's output size, out_*), then the reader thread's: it
 * sends the frames through it into q_in, and builds it anew where they change size or
 * format. Touches the pre graph and the reader's fields for it (in_*, pre_*, told_dropped). */
#include <errno.h>
#include <libavfilter/buffersink.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "app.h"
#include "libav_log.h"

/* The name of the sink beside the conversion that takes the frames --vf-pre gives, whose
 * colour description the conversion loses (RGB). */
#define PRE_COLOUR "buffersink@srres_pre_colour"

/* The user's --vf-pre and the conversion to the network's format, for frames of w x h fmt
 * with pixel aspect ratio sar, from the source in_src. */
static int build_pre_graph(app *a, int w, int h, enum AVPixelFormat fmt, AVRational sar, char *err,
                           int errlen)
{
    char desc[2048], chroma[64], matrix[16];
    AVStream *ist = a->ifmt->streams[a->vin];
    /* Frames --vf-pre makes of a new size mid-stream (scale's eval=frame) keep it. Such a
     * scale resizes the link into the conversion's scale as it goes, which that scale does
     * not follow (FFmpeg 5.1 lost every other frame where the height changed, and scaled them
     * back to the first size where the width did; ffmpeg hangs). null between leaves it a
     * link of the first size, so that it sees each frame's change, and eval=frame takes the
     * frame's size (iw, ih) where the first's was kept. The writer fits them (fit_frame).
     * A palette's colours are looked up exactly into packed RGBA first: swscale took them
     * to planar RGBA through its YUV, a level off in a third of the bytes. A rotation the
     * output cannot store comes before --vf-pre, so that --vf-pre and --vf-post see the
     * picture upright, as ffmpeg's -vf does (--vf-pre saw it on its side, and crop=W:H cut
     * H wide and W high), and is done at the input's size, not the output's. */
    /* A copy of each of --vf-pre's frames goes to PRE_COLOUR, which says their colour
     * (pre_colour). They are converted with their own matrix where a filter of --vf-pre sets
     * one (colormatrix=bt601:bt709, setparams=colorspace=bt709 were converted with the
     * source's, up to 22 levels off); else with the source's, as filters that make frames
     * anew (tmix, hstack) say none, which the scale took for BT.601, 30 levels off. A
     * filter that changes the matrix without saying so (scale=out_color_matrix=bt709 alone)
     * is taken at its word, as ffmpeg takes it. */
    snprintf(matrix, sizeof(matrix), "%s",
             sets_matrix(a->o.vf_pre) ? "auto" : matrix_name(a->in_src.space));
    int n = snprintf(desc, sizeof(desc),
             "%s%s%s%sscale=w=iw:h=ih:eval=frame:in_color_matrix=%s:in_range=auto%s,"
             "format=pix_fmts=%s",
             is_paletted(fmt) ? "format=rgba," : "", a->rotate, a->o.vf_pre ? a->o.vf_pre : "",
             a->o.vf_pre ? ",null,split@srres_pre_split[srres_net][srres_colour];"
                           "[srres_colour]" PRE_COLOUR ";[srres_net]"
                         : "",
             matrix, chroma_sited(&a->in_src, "in", fmt, chroma, sizeof(chroma)),
             av_get_pix_fmt_name(a->net_fmt));
    if (n < 0 || n >= (int)sizeof(desc)) {
        snprintf(err, errlen, "too long (%zu characters)", strlen(a->o.vf_pre));
        return AVERROR(EINVAL);
    }
    int ret = video_graph_init(&a->pre, desc, w, h, fmt, ist->time_base, sar,
                               av_guess_frame_rate(a->ifmt, ist, NULL), err, errlen);
    a->pre_colour = ret < 0 ? NULL : avfilter_graph_get_filter(a->pre.graph, PRE_COLOUR);
    return ret;
}

/* The source of a frame out of the pre graph: in_src, in the colour --vf-pre gave it, which
 * its copy in PRE_COLOUR says (the last, where several wait). Those copies are taken as the
 * frames are, so that they do not pile up. */
static int pre_colour(app *a, source_format *s)
{
    *s = a->in_src;
    AVFrame *copy = a->pre_colour ? av_frame_alloc() : NULL;
    if (a->pre_colour && !copy)
        return AVERROR(ENOMEM);
    while (copy &&
           av_buffersink_get_frame_flags(a->pre_colour, copy, AV_BUFFERSINK_FLAG_NO_REQUEST) >= 0) {
        a->pre_src = frame_source(copy);
        a->pre_src_known = 1;
        av_frame_unref(copy);
    }
    av_frame_free(&copy);
    /* What the frames leave unsaid stays the source's, and an RGB or grey frame's matrix
     * and range are no YUV's (an RGB filter made an HDR10 output BT.601, a grey one full
     * range). */
    const source_format *p = &a->pre_src;
    if (a->pre_colour && a->pre_src_known) {
        int yuv = has_colour(p->fmt) && !source_is_rgb(p);
        if (yuv && sets_matrix(a->o.vf_pre) && p->space != AVCOL_SPC_UNSPECIFIED)
            s->space = p->space;
        if (yuv && p->range != AVCOL_RANGE_UNSPECIFIED)
            s->range = p->range;
        if (p->primaries != AVCOL_PRI_UNSPECIFIED)
            s->primaries = p->primaries;
        if (p->trc != AVCOL_TRC_UNSPECIFIED)
            s->trc = p->trc;
    }
    return 0;
}

/* The pre graph for the stream's first frames (rebuilt by the reader where they are
 * another shape). A segment's output has the shape of the input's first picture upscaled
 * (segment_bounds); any other output, that of its own first frame (writer_main). */
void open_pre_graph(app *a)
{
    char err[512];
    a->rotate = rotation_to_apply(a);
    a->in_fmt = a->src.fmt;
    if (build_pre_graph(a, a->in_w, a->in_h, a->in_fmt, a->in_sar, err, sizeof(err)) < 0)
        cli_die("--vf-pre: %s", with_libav_reason(err, sizeof(err)));
    a->net_tb = av_buffersink_get_time_base(a->pre.sink);
    a->net_rate = av_buffersink_get_frame_rate(a->pre.sink);
    if (a->o.segments) {
        a->out_w = av_buffersink_get_w(a->pre.sink) * a->scale;
        a->out_h = av_buffersink_get_h(a->pre.sink) * a->scale;
        a->out_sar = av_buffersink_get_sample_aspect_ratio(a->pre.sink);
    }
}

/* Sends a frame (NULL: the end) into the pre graph and what comes out into q_in. */
int push_pre(app *a, AVFrame *frame)
{
    char eb[ERR_SIZE];
    int ret = video_graph_push(&a->pre, frame);
    if (ret < 0) {
        set_error(a, "%s: --vf-pre graph: %s", a->o.input, av_err(ret, eb));
        return ret;
    }
    for (;;) {
        AVFrame *out = av_frame_alloc();
        if (!out) {
            set_error(a, "out of memory");
            return AVERROR(ENOMEM);
        }
        ret = video_graph_pull(&a->pre, out);
        if (ret < 0) {
            av_frame_free(&out);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
                return 0;
            /* Said, or the reader ended quietly and the run wrote a short file with status 0 */
            set_error(a, "%s: --vf-pre graph: %s", a->o.input, av_err(ret, eb));
            return ret;
        }
        /* A graph built anew restarts the clocks of --vf-pre's filters (setpts=PTS-STARTPTS,
         * setpts=N/FRAME_RATE/TB): its frames went back to zero, and came out one tick after
         * the last each. Where they go back, they continue a frame after the last instead. */
        if (out->pts != AV_NOPTS_VALUE && a->pre_fresh) {
            int64_t ticks =
                a->net_rate.num > 0 ? av_rescale_q(1, av_inv_q(a->net_rate), a->net_tb) : 1;
            int back = a->pre_last != AV_NOPTS_VALUE && out->pts < a->pre_last;
            a->pre_shift = back ? a->pre_last + ticks - out->pts : 0;
            a->pre_fresh = 0;
        }
        if (out->pts != AV_NOPTS_VALUE) {
            out->pts += a->pre_shift;
            a->pre_last = out->pts;
        }
        /* A frame whose colour --vf-pre changed says so to the writer, which converts and
         * tags the output by it (a numbered image carries its own source anyway). */
        source_format s;
        if (pre_colour(a, &s) < 0 ||
            ((a->numbered || !same_source(&s, &a->src)) && attach_source(out, &s) < 0)) {
            av_frame_free(&out);
            set_error(a, "out of memory");
            return AVERROR(ENOMEM);
        }
        if (frame_queue_push(a->q_in, out, KIND_FRAME, upscaled_bytes(out, a->scale)) < 0) {
            av_frame_free(&out);
            return AVERROR_EXIT;
        }
    }
}

/* A frame of another size, pixel format or pixel aspect ratio than the ones before (a
 * stream that changes resolution: WebRTC recordings, broadcast, joined files), or a numbered
 * image from another source: the pre graph is flushed and built anew for it (filters such as
 * scale=iw*sar:ih read the aspect ratio when built), and the network upscales it at its own
 * size; a numbered image, from its own source to its own network format. */
int reopen_pre_graph(app *a, const AVFrame *frame)
{
    char err[512];
    int ret = push_pre(a, NULL);
    if (ret < 0)
        return ret;
    video_graph_free(&a->pre);
    if (a->numbered) {
        a->in_src = frame_source(frame);
        a->net_fmt = network_format(a, &a->in_src);
    }
    if (build_pre_graph(a, frame->width, frame->height, frame->format, frame->sample_aspect_ratio,
                        err, sizeof(err)) < 0) {
        /* Said: the same --vf-pre took the frames before (a crop wider than the new ones) */
        set_error(a, "%s: the frames change to %dx%d %s, which --vf-pre cannot take: %s",
                  a->o.input, frame->width, frame->height, av_get_pix_fmt_name(frame->format),
                  with_libav_reason(err, sizeof(err)));
        return AVERROR(EINVAL);
    }
    int w = av_buffersink_get_w(a->pre.sink), h = av_buffersink_get_h(a->pre.sink);
    if (av_image_check_size((unsigned)w * a->scale, (unsigned)h * a->scale, 0, NULL) < 0) {
        set_error(a,
                  "%s: its frames change size to %dx%d, which upscaled x%d is beyond the "
                  "largest frame FFmpeg handles",
                  a->o.input, w, h, a->scale);
        return AVERROR(EINVAL);
    }
    a->in_w = frame->width;
    a->in_h = frame->height;
    a->in_fmt = frame->format;
    a->in_sar = frame->sample_aspect_ratio;
    a->pre_fresh = 1;
    /* The output's format is chosen for the first frames: a later frame's alpha, or its
     * colour after grey ones, is dropped, as by ffmpeg, but said (a transparent PNG or a
     * colour one in a sequence lost it without a word). Colour frames after colour ones
     * lose nothing more (-pix_fmt gray dropped it from the first). Numbered images lose
     * only what their output cannot hold, as each would alone. An alpha of 255s holds
     * nothing to lose (alpha_below_opaque, on the frame that changes). */
    int alpha_lost = a->numbered
                         ? a->in_src.alpha && !has_alpha(a->net_fmt)
                         : !a->src.alpha && has_alpha(frame->format) && !is_paletted(frame->format);
    alpha_lost = alpha_lost && alpha_below_opaque(frame);
    const char *dropped =
        alpha_lost ? "alpha"
        : !a->numbered && a->grey_out && !has_colour(a->src.fmt) && has_colour(frame->format)
            ? "colour"
            : NULL;
    if (dropped && !a->told_dropped && !a->o.quiet) {
        if (!strcmp(dropped, "alpha") && !a->alpha_holdable)
            fprintf(stderr,
                    "srres-video: %s: the frames change to %s, whose alpha is dropped: "
                    "the output (%s) holds none\n",
                    a->o.input, av_get_pix_fmt_name(frame->format), a->enc_codec->name);
        else
            fprintf(stderr,
                    "srres-video: %s: the frames change to %s, whose %s is dropped: "
                    "the output's format is chosen for the first frames' %s\n",
                    a->o.input, av_get_pix_fmt_name(frame->format), dropped,
                    av_get_pix_fmt_name(a->src.fmt));
        a->told_dropped = 1;
    }
    return 0;
}
