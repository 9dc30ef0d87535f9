/* writer.c: the writer thread. Takes the upscaled frames and copied packets from q_out,
 * fits frames of another size into the output's, sends them through the post graph
 * (--vf-post and the conversion back) into the encoder, and ends the file. Touches the
 * app's writer fields, the post and fit graphs, the encoder and the output. The post graph
 * is built for the first frames before the threads start (check_post_graph). */
#include <errno.h>
#include <libavfilter/buffersink.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "app.h"
#include "libav_log.h"

/* The names of srres-video's own filters after --vf-post in the post graph: the first takes
 * what the user's graph gives, the last sets the output's format. */
#define POST_END "null@srres_post_end"
#define POST_OUT "format@srres_post_out"
/* The conversion into the output's format, between them */
#define POST_SCALE "scale@srres_post_scale"
/* A palette of each picture's own colours, made after --vf-post for an output in a palette
 * (GIF's) that --vf-post makes none for: swscale's fixed 3-3-2 one banded upscaled colour
 * (testsrc2 into GIF: 34.8 dB against 42.9). One a picture, so that nothing waits for the
 * end; GIF keeps each as its frame's own. */
#define PALETTE_NAME "srres_palette"
#define PALETTE                                                                              \
    "split@" PALETTE_NAME "[" PALETTE_NAME "_a][" PALETTE_NAME "_b];[" PALETTE_NAME           \
    "_a]palettegen@" PALETTE_NAME "=stats_mode=single:reserve_transparent=%d[" PALETTE_NAME    \
    "_p];[" PALETTE_NAME "_b][" PALETTE_NAME "_p]paletteuse@" PALETTE_NAME                    \
    "=new=1:dither=bayer:bayer_scale=3,"

/* The pixel format --vf-post gives (NONE without --vf-post). */
static enum AVPixelFormat post_end_format(const video_graph *g)
{
    for (unsigned i = 0; i < g->graph->nb_filters; i++) {
        const AVFilterContext *c = g->graph->filters[i];
        if (!strcmp(c->name, POST_END) && c->nb_inputs)
            return c->inputs[0]->format;
    }
    return AV_PIX_FMT_NONE;
}

/* The pixel format --vf-post ends in by a format filter of its own (format=gray): the user's
 * choice, which the output keeps (it was converted to the source's yuv420p). NONE where the
 * graph names none, or a filter after it gives another (format=rgb24,hqdn3d). Read from the
 * post graph itself: a graph of the user's alone, built to find it, ran the filters' set-up
 * (libass's font scan, lut3d's file, vidstabdetect's file) once more each time. */
static enum AVPixelFormat named_format(const video_graph *g)
{
    enum AVPixelFormat end = post_end_format(g), named = AV_PIX_FMT_NONE;
    for (unsigned i = 0; i < g->graph->nb_filters; i++) {
        const AVFilterContext *c = g->graph->filters[i];
        /* not ours: POST_OUT, and those video_graph_init adds */
        if (!strcmp(c->filter->name, "format") && strcmp(c->name, POST_OUT) &&
            strncmp(c->name, VIDEO_GRAPH_OWN, strlen(VIDEO_GRAPH_OWN)) && c->nb_outputs &&
            c->outputs[0]->format == end)
            named = end;
    }
    return named;
}

/* Whether every filter of the graph that changes the frame's size scales the whole picture
 * (scale, zscale), so that a position in it moves by the sizes' ratio; not where one crops,
 * pads, turns or tiles it. */
static int only_scales(const video_graph *g)
{
    for (unsigned i = 0; i < g->graph->nb_filters; i++) {
        const AVFilterContext *c = g->graph->filters[i];
        const char *name = c->filter->name;
        if (strstr(c->name, PALETTE_NAME)) /* its palette is no picture */
            continue;
        for (unsigned k = 0; c->nb_inputs && c->inputs[0] && k < c->nb_outputs; k++)
            if ((c->outputs[k]->w != c->inputs[0]->w || c->outputs[k]->h != c->inputs[0]->h) &&
                strcmp(name, "scale") && strcmp(name, "zscale"))
                return 0;
    }
    return 1;
}

/* Side data in pixels (regions of interest, which encoders read; detection boxes) of a frame
 * going into the post graph, which libavfilter leaves where they are: scaled to the graph's
 * output where --vf-post only scales the pixels (scale=3840:2160 took x264's regions to the
 * upper left quarter), else dropped, with a message: a crop or pad puts them over other
 * pixels (HDR10+'s windows are left: FFmpeg 5.1's encoders write none). Done here, not on
 * the frames out, so that a region --vf-post adds (addroi after its scale) is where it says,
 * as in ffmpeg. */
static int post_side_data(app *a, AVFrame *f)
{
    int w = av_buffersink_get_w(a->post.sink), h = av_buffersink_get_h(a->post.sink);
    if (a->post_scales) {
        side_data_map m = {{w, f->width}, {h, f->height}, 0, 0};
        return w == f->width && h == f->height ? 0 : map_side_data(f, &m);
    }
    int held = av_frame_get_side_data(f, AV_FRAME_DATA_REGIONS_OF_INTEREST) ||
               av_frame_get_side_data(f, AV_FRAME_DATA_DETECTION_BBOXES);
    av_frame_remove_side_data(f, AV_FRAME_DATA_REGIONS_OF_INTEREST);
    av_frame_remove_side_data(f, AV_FRAME_DATA_DETECTION_BBOXES);
    if (held && !a->told_side_moved++ && !a->o.quiet)
        fprintf(stderr, "srres-video: --vf-post changes the frames' size otherwise than by scaling "
                        "them: their regions of interest and detection boxes are dropped\n");
    return 0;
}

/* Whether the output format plays a frame a frame slot of a fixed rate: those that store no
 * timestamps (raw video, a raw H.264 stream; not an image sequence, a file a frame),
 * YUV4MPEG, MPEG-PS (DVD's, VCD's...: a timestamp a PES packet, which holds several small
 * frames, the others' times counted at the stream's frame rate, H.264's too) and RealMedia
 * (its muxer counts frames). FFmpeg's flags do not tell them from MP4 and the like, which
 * store every frame's time: the ones here are named. MPEG-1/2 video keeps a variable rate's
 * times in MPEG-TS and Matroska. */
static int frame_slots(const AVOutputFormat *fmt)
{
    static const char *const names[] = {"yuv4mpegpipe", "mpeg", "vcd", "svcd", "dvd", "vob", "rm"};
    if ((fmt->flags & AVFMT_NOTIMESTAMPS) && strncmp(fmt->name, "image2", 6))
        return 1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(fmt->name, names[i]))
            return 1;
    return 0;
}

/* The post graph for frames like f, converted at its end into out, into a->post. */
static int build_post(app *a, const AVFrame *f, enum AVPixelFormat out)
{
    char err[512], desc[2048], chroma[64];
    /* Where a frame takes a slot, frames are repeated or dropped to the rate, as ffmpeg does,
     * or a variable frame rate's timing was lost (a 1 s gap closed, the video short of its
     * audio; an MPEG-PS's frames up to 0.33 s early). */
    const char *cfr = frame_slots(a->ofmt->oformat) && a->net_rate.num > 0 ? "fps=source_fps," : "";
    /* Into the output's range (full_range_out) and matrix (output_space), unless the matrix
     * is --vf-post's own (post_keeps_matrix): scale, its output matrix unnamed, keeps the
     * frames' and the tag they carry, which the encoder takes. A palette has neither: without
     * them the scale passes a palette made in --vf-post (paletteuse) as it is, where it was
     * converted again into swscale's fixed one, which lost its colours and its transparency
     * (a transparent GIF came out opaque). */
    /* null before the conversion, as in build_pre_graph, where --vf-post changes the size
     * mid-stream: here each frame is scaled to the first one's, which the encoder keeps
     * (every other frame was lost where the height changed). */
    int keep = post_keeps_matrix(a, out);
    const char *space = matrix_name(output_space(a, &a->post_src, !has_colour(out)));
    char matrix[128], named[40] = "";
    if (!keep)
        snprintf(named, sizeof(named), "out_color_matrix=%s:", space);
    snprintf(matrix, sizeof(matrix), "=%sout_range=%s%s", named,
             full_range_out(a, &a->post_src, out) ? "pc" : "tv",
             chroma_sited(&a->post_src, "out", out, chroma, sizeof(chroma)));
    char palette[512] = "";
    if (out == AV_PIX_FMT_PAL8 && !(a->o.vf_post && strstr(a->o.vf_post, "paletteuse")))
        snprintf(palette, sizeof(palette), PALETTE, a->post_src.alpha);
    int n = snprintf(desc, sizeof(desc), "%s%s%s" POST_SCALE "%s,%s" POST_OUT "=pix_fmts=%s",
                     a->o.vf_post ? a->o.vf_post : "", a->o.vf_post ? "," POST_END "," : "", cfr,
                     is_paletted(out) ? "" : matrix, palette, av_get_pix_fmt_name(out));
    if (n < 0 || n >= (int)sizeof(desc)) { /* cut short, it failed with another reason */
        set_error(a, "--vf-post: too long (%zu characters)", strlen(a->o.vf_post));
        return AVERROR(EINVAL);
    }
    int ret = video_graph_init(&a->post, desc, f->width, f->height, f->format, a->net_tb,
                               f->sample_aspect_ratio, a->net_rate, err, sizeof(err));
    if (ret < 0) { /* libav's reason names the filter or option at fault */
        set_error(a, "--vf-post: %s", with_libav_reason(err, sizeof(err)));
        return ret;
    }
    /* RGB or grey frames out of --vf-post (zscale=w=..:h=.. alone) have no matrix to keep:
     * scale would take BT.601 for them (a BT.709 source resized by zscale came out BT.601).
     * Which they are is known once the graph is built; the output's matrix is named then, not
     * by building it again, which set the user's filters up twice (lut3d's file read twice).
     * scale reads the option at each frame, and RGB or grey into YUV is a conversion whether
     * it is named when the graph is configured or not (never passed through as it is). */
    a->post_keeps = keep && is_colour_yuv(post_end_format(&a->post));
    if (keep && !a->post_keeps &&
        (ret = av_opt_set(avfilter_graph_get_filter(a->post.graph, POST_SCALE), "out_color_matrix",
                          space, AV_OPT_SEARCH_CHILDREN)) < 0) {
        video_graph_free(&a->post);
        set_error(a, "--vf-post graph: %s", av_err(ret, err));
    }
    return ret;
}

static int init_post(app *a, const AVFrame *f)
{
    a->post_src = *source_of(a, f);
    enum AVPixelFormat chosen = output_format(a, a->enc_codec, &a->post_src), out = chosen;
    if (out == AV_PIX_FMT_NONE) {
        set_error(a, "-pix_fmt %s: unknown pixel format", a->o.pix_fmt);
        return AVERROR(EINVAL);
    }
    /* Built for the format the graph named the last time, it is built once, not again for
     * its named format (numbered images each build one). */
    if (a->post_named != AV_PIX_FMT_NONE &&
        named_output_format(a->enc_codec, a->post_named) != AV_PIX_FMT_NONE)
        out = named_output_format(a->enc_codec, a->post_named);
    int ret = build_post(a, f, out);
    /* -pix_fmt, where given, is the output's format, whatever --vf-post gives */
    a->post_named = ret < 0 || a->o.pix_fmt ? AV_PIX_FMT_NONE : named_format(&a->post);
    enum AVPixelFormat wanted = a->post_named == AV_PIX_FMT_NONE
                                    ? chosen
                                    : named_output_format(a->enc_codec, a->post_named);
    if (ret >= 0 && wanted == AV_PIX_FMT_NONE) {
        video_graph_free(&a->post);
        set_error(a,
                  "--vf-post ends in %s, which the %s encoder does not take (-c:v another "
                  "encoder, or a format it takes: %s)",
                  av_get_pix_fmt_name(a->post_named), a->enc_codec->name,
                  av_get_pix_fmt_name(chosen));
        return AVERROR(EINVAL);
    }
    if (ret >= 0 && wanted != out) {
        video_graph_free(&a->post);
        ret = build_post(a, f, wanted);
    }
    a->post_ready = ret >= 0;
    a->post_scales = ret >= 0 && only_scales(&a->post);
    a->post_w = f->width;
    a->post_h = f->height;
    a->post_fmt = f->format;
    a->post_sar = f->sample_aspect_ratio;
    return ret;
}

/* The post graph built for the first frames before the threads start, which the writer takes
 * for the first frame out where that is like them: a --vf-post libavfilter refuses, or a
 * format it names that the encoder does not take, ends the run before a frame is upscaled,
 * and the user's filters are set up once, not again for the writer (lut3d's file read anew,
 * vidstabdetect's written anew). */
void check_post_graph(app *a)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        cli_die("out of memory");
    f->width = av_buffersink_get_w(a->pre.sink) * a->scale;
    f->height = av_buffersink_get_h(a->pre.sink) * a->scale;
    f->format = a->net_fmt;
    f->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(a->pre.sink);
    a->post_named = AV_PIX_FMT_NONE;
    if (init_post(a, f) < 0)
        cli_die("%s", a->error);
    av_frame_free(&f);
    enum AVPixelFormat out = av_buffersink_get_format(a->post.sink);
    if (a->o.pix_fmt && out != av_get_pix_fmt(a->o.pix_fmt) && !a->o.quiet)
        fprintf(stderr, "srres-video: -pix_fmt %s: the %s encoder does not take it; %s instead\n",
                a->o.pix_fmt, a->enc_codec->name, av_get_pix_fmt_name(out));
}

/* Whether the post graph is built for frames like f: their size and source. */
static int post_takes(const app *a, const AVFrame *f)
{
    return same_shape(f, a->post_w, a->post_h, a->post_sar) &&
           same_source(source_of(a, f), &a->post_src);
}

/* Pulls what the post graph has, encodes and writes it. */
static int encode_ready(app *a)
{
    char eb[ERR_SIZE];
    AVFrame *f = av_frame_alloc();
    int ret = f ? 0 : AVERROR(ENOMEM);
    while (ret >= 0) {
        ret = video_graph_pull(&a->post, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            ret = 0;
            break;
        }
        if (ret < 0) {
            set_error(a, "--vf-post graph: %s", av_err(ret, eb));
            break;
        }
        if (!a->enc && (ret = open_encoder(a, f)) < 0)
            break;
        if (a->one_picture && atomic_load(&a->frames_out) == 1) {
            set_error(a,
                      "%s is one picture and %s has more frames: give a numbered name "
                      "(e.g. out%%04d.png) for a file a frame, or --frames 1",
                      a->o.output, a->o.input);
            ret = AVERROR(EINVAL);
            break;
        }
        f->pict_type = AV_PICTURE_TYPE_NONE;
        /* ProRes, PNG and libvpx write the frame's colour description, not the encoder's: the
         * post graph's scale left the matrix unspecified (ProRes said so in the output). */
        f->colorspace = a->enc->colorspace;
        f->color_range = a->enc->color_range;
        f->color_primaries = a->enc->color_primaries;
        f->color_trc = a->enc->color_trc;
        f->chroma_location = a->enc->chroma_sample_location;
        if (f->pts != AV_NOPTS_VALUE) {
            /* In one tick a frame, frames closer than that would share a timestamp. */
            int64_t pts =
                av_rescale_q(f->pts, av_buffersink_get_time_base(a->post.sink), a->enc->time_base);
            if (a->enc_pts != AV_NOPTS_VALUE && pts <= a->enc_pts)
                pts = a->enc_pts + 1;
            f->pts = a->enc_pts = pts;
        }
        ret = avcodec_send_frame(a->enc, f);
        int64_t pts = f->pts;
        av_frame_unref(f);
        if (ret < 0) {
            set_error(a, "%s: cannot encode: %s", a->o.output, av_err(ret, eb));
            break;
        }
        ret = drain_encoder(a);
        atomic_fetch_add(&a->frames_out, 1);
        /* Media written: from the first frame's start to this one's end. */
        if (pts != AV_NOPTS_VALUE) {
            int64_t us = av_rescale_q(pts, a->enc->time_base, AV_TIME_BASE_Q);
            if (a->first_pts_us == AV_NOPTS_VALUE)
                a->first_pts_us = us;
            int64_t frame_us = a->enc->framerate.num > 0
                                   ? av_rescale_q(1, av_inv_q(a->enc->framerate), AV_TIME_BASE_Q)
                                   : 0;
            atomic_store(&a->media_us, us - a->first_pts_us + frame_us);
        }
    }
    av_frame_free(&f);
    return ret;
}

/* A frame upscaled from a size or pixel aspect ratio other than the first frames' is scaled
 * to fit the output's size, keeping its shape (its pixels' aspect ratio too), and padded, as a
 * player shows it: the encoder and the output keep one size and aspect ratio, as ffmpeg keeps
 * them (a broadcast's 16:9 frames at 720x576 after 4:3 ones came out squeezed). */
static int fit_frame(app *a, AVFrame **f)
{
    char err[512], desc[256], eb[ERR_SIZE];
    AVFrame *in = *f;
    if (!a->fit.graph || !same_shape(in, a->fit_w, a->fit_h, a->fit_sar)) {
        video_graph_free(&a->fit);
        AVRational fs = in->sample_aspect_ratio.num ? in->sample_aspect_ratio : (AVRational){1, 1};
        AVRational os = a->out_sar.num ? a->out_sar : (AVRational){1, 1};
        /* The frame's display aspect ratio over the output's, as reduced rationals: a pixel
         * aspect ratio's terms go up to INT_MAX (a PNG's pHYs), and their products in 64
         * bits overflowed (a fitted frame came out black). */
        AVRational r = av_div_q(av_mul_q((AVRational){in->width, in->height}, fs),
                                av_mul_q((AVRational){a->out_w, a->out_h}, os));
        int w = a->out_w, h = a->out_h;
        if (r.num > r.den)
            h = (int)av_rescale(a->out_h, r.den, r.num);
        else if (r.num < r.den)
            w = (int)av_rescale(a->out_w, r.num, r.den);
        w = FFMAX(w, 1);
        h = FFMAX(h, 1);
        snprintf(desc, sizeof(desc),
                 "scale=%d:%d:flags=lanczos+accurate_rnd,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:"
                 "color=black@0,setsar=%d/%d",
                 w, h, a->out_w, a->out_h, os.num, os.den);
        if (video_graph_init(&a->fit, desc, in->width, in->height, in->format, a->net_tb,
                             in->sample_aspect_ratio, a->net_rate, err, sizeof(err)) < 0) {
            set_error(a, "%s: cannot fit a %dx%d frame into %dx%d: %s", a->o.input, in->width,
                      in->height, a->out_w, a->out_h, with_libav_reason(err, sizeof(err)));
            return AVERROR(EINVAL);
        }
        double at = in->pts == AV_NOPTS_VALUE ? 0 : in->pts * av_q2d(a->net_tb);
        if (!a->fit_w && !a->o.quiet && (in->width != a->out_w || in->height != a->out_h))
            fprintf(stderr,
                    "srres-video: %s: the frame size changes at %.3f s: frames are "
                    "upscaled at their own size and fitted into the output's %dx%d (--vf-pre "
                    "scale=W:H,setsar=1 gives every frame one shape)\n",
                    a->o.input, at, a->out_w, a->out_h);
        else if (!a->fit_w && !a->o.quiet)
            fprintf(stderr,
                    "srres-video: %s: the pixel aspect ratio changes at %.3f s: frames "
                    "are fitted into the output's %dx%d at %d:%d, keeping their shape\n",
                    a->o.input, at, a->out_w, a->out_h, os.num, os.den);
        a->fit_w = in->width;
        a->fit_h = in->height;
        a->fit_in_w = w;
        a->fit_in_h = h;
        a->fit_sar = in->sample_aspect_ratio;
    }
    AVFrame *out = av_frame_alloc();
    int ret = out ? video_graph_push(&a->fit, in) : AVERROR(ENOMEM);
    if (ret >= 0)
        ret = video_graph_pull(&a->fit, out);
    if (ret >= 0) {
        /* Regions of interest and the like follow the pixels, which libavfilter's scale and
         * pad leave where they were. pad takes whole chroma samples: its offsets are rounded
         * down to them. */
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(out->format);
        side_data_map m = {{a->fit_in_w, in->width},
                           {a->fit_in_h, in->height},
                           (a->out_w - a->fit_in_w) / 2 >> d->log2_chroma_w << d->log2_chroma_w,
                           (a->out_h - a->fit_in_h) / 2 >> d->log2_chroma_h << d->log2_chroma_h};
        ret = map_side_data(out, &m);
    }
    if (ret < 0) {
        av_frame_free(&out);
        set_error(a, "%s: cannot fit a %dx%d frame into %dx%d: %s", a->o.input, in->width,
                  in->height, a->out_w, a->out_h, av_err(ret, eb));
        return ret;
    }
    av_frame_free(f);
    *f = out;
    return 0;
}

/* A numbered image of another size or source (alpha, colour, depth) than the one before
 * keeps its own: the post graph and the encoder are flushed and made anew for it. */
static int restart_post(app *a)
{
    int ret = video_graph_push(&a->post, NULL);
    if (ret >= 0)
        ret = encode_ready(a);
    if (ret >= 0 && a->enc) {
        avcodec_send_frame(a->enc, NULL);
        ret = drain_encoder(a);
    }
    avcodec_free_context(&a->enc);
    video_graph_free(&a->post);
    a->post_ready = 0;
    return ret;
}

void *writer_main(void *arg)
{
    app *a = arg;
    char eb[ERR_SIZE];
    void *item;
    int kind, ret = 0, fed = 0; /* fed: a frame went into the post graph */
    while (ret >= 0 && frame_queue_pop(a->q_out, &item, &kind, NULL) == 1) {
        if (kind == KIND_PACKET) {
            AVPacket *pkt = item;
            if (a->header_written) {
                ret = write_copied(a, pkt);
                av_packet_free(&pkt);
            } else {
                AVPacket **grown = av_realloc_array(a->pending, a->npending + 1, sizeof(*grown));
                if (!grown) {
                    av_packet_free(&pkt);
                    ret = AVERROR(ENOMEM);
                    set_error(a, "out of memory");
                    break;
                }
                a->pending = grown;
                a->pending[a->npending++] = pkt;
            }
            continue;
        }
        AVFrame *f = item;
        if (!a->out_w) {
            a->out_w = f->width;
            a->out_h = f->height;
            a->out_sar = f->sample_aspect_ratio;
        }
        if (a->numbered && fed && !post_takes(a, f))
            ret = restart_post(a);
        else if (!a->numbered && !same_shape(f, a->out_w, a->out_h, a->out_sar))
            ret = fit_frame(a, &f);
        /* check_post_graph's graph, built for the first frames as the pre graph gave them,
         * is built anew where the first frame out is not like them: none went into it yet. */
        if (ret >= 0 && !fed && (!post_takes(a, f) || f->format != a->post_fmt)) {
            video_graph_free(&a->post);
            a->post_ready = 0;
        }
        if (ret >= 0 && !a->post_ready)
            ret = init_post(a, f);
        /* The network's RGB says the output's matrix: a scale that --vf-post's YUV filters
         * (format=yuv420p, vidstabdetect) make libavfilter insert converts with the frame's,
         * and said RGB it took BT.601, which the conversion after --vf-post then turned into
         * a BT.709 source's through RGB again (3 to 6 levels off in 4:2:0). */
        f->colorspace = output_space(a, &a->post_src, a->grey_out);
        if (ret >= 0 &&
            ((ret = post_side_data(a, f)) < 0 || (ret = video_graph_push(&a->post, f)) < 0))
            set_error(a, "--vf-post graph: %s", av_err(ret, eb));
        fed |= ret >= 0;
        av_frame_free(&f);
        if (ret >= 0)
            ret = encode_ready(a);
    }
    if (ret < 0 || atomic_load(&a->failed))
        return NULL;
    if (!fed) {
        /* -t counts from the input's start, which its audio can lead (MPEG-TS) */
        set_error(a, "%s: no video frames to write (%s)", a->o.input,
                  a->o.start_us != AV_NOPTS_VALUE      ? "is -ss past the end?"
                  : a->o.duration_us != AV_NOPTS_VALUE ? "-t ends before the first one"
                                                       : "empty video");
        return NULL;
    }
    if (video_graph_push(&a->post, NULL) >= 0 && encode_ready(a) >= 0 && a->enc) {
        avcodec_send_frame(a->enc, NULL);
        ret = drain_encoder(a);
    }
    if (!a->header_written && !atomic_load(&a->failed))
        set_error(a, "%s: the filters produced no frames", a->o.input);
    if (!atomic_load(&a->failed) && (ret = av_write_trailer(a->ofmt)) < 0)
        set_error(a, "%s: cannot finish the file: %s", a->o.output, av_err(ret, eb));
    return NULL;
}
