/* network.c: the network: its model opened and the pixel format it is given chosen (alpha
 * or not, 8 or 16 bits), before the threads start; then the sr thread, which upscales each
 * frame from q_in into q_out, with its alpha and side data. The sr thread writes only its
 * own fields (alpha_sws, told_interlaced, sr_wait, sr_busy, frames_sr). */
#include <errno.h>
#include <libavutil/common.h>
#include <libavutil/detection_bbox.h>
#include <libavutil/hdr_dynamic_metadata.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>

#include "bundled_model.h"
#include "cli.h"
#include "progress.h"

#include "app.h"

/* The network's format for pictures of source s: 8-bit sources go through RGB24, deeper
 * ones through 16-bit planar RGB (GBRP16); with alpha where the output can hold it
 * (GBRAP, GBRAP16), upscaled with bicubic beside the network, which sees colour only. */
enum AVPixelFormat network_format(const app *a, const source_format *s)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(s->fmt);
    int depth = 0;
    for (int c = 0; d && c < d->nb_components; c++)
        depth = d->comp[c].depth > depth ? d->comp[c].depth : depth;
    if (s->alpha && has_alpha(output_format(a, a->enc_codec, s)) && alpha_stored(a, a->enc_codec))
        return depth > 8 ? AV_PIX_FMT_GBRAP16 : AV_PIX_FMT_GBRAP;
    return depth > 8 ? AV_PIX_FMT_GBRP16 : AV_PIX_FMT_RGB24;
}

void open_network(app *a)
{
    char dir[PATH_MAX];
    if (a->o.model)
        a->o.model = bundled_model_resolve(a->model_file, sizeof(a->model_file), "-m", a->o.model);
    else if (!(a->o.model = bundled_model(a->model_file, sizeof(a->model_file), dir, "x4")))
        cli_die("no model: give -m FILE (no default model x4.safetensors in %s)", dir);
    a->model = cli_load_model(a->o.model);
    srres_error e;
    srres_params p = srres_default_params();
    p.threads = a->o.threads;
    p.tile = a->o.tile;
    p.max_memory = a->o.max_memory;
    p.ensemble = a->o.ensemble;
    if (a->o.kernel)
        p.kernel = cli_kernel(a->o.kernel);
    if (a->o.precision)
        p.precision = cli_precision(a->o.precision);
    if (srres_ctx_create(a->model, &p, &a->ctx, &e) != SRRES_OK)
        cli_die("%s: %s", a->o.model, e.message);
    a->scale = srres_model_config(a->model)->scale;
    if (av_image_check_size((unsigned)a->in_w * a->scale, (unsigned)a->in_h * a->scale, 0, NULL) <
        0)
        cli_die("%s: %dx%d upscaled x%d is %ldx%ld, beyond the largest frame FFmpeg handles",
                a->o.input, a->in_w, a->in_h, a->scale, (long)a->in_w * a->scale,
                (long)a->in_h * a->scale);
    a->net_fmt = network_format(a, &a->src);
    enum AVPixelFormat out = output_format(a, a->enc_codec, &a->src);
    a->grey_out = !has_colour(out);
    /* For later frames' alpha: the first frames' format chose an output without it (a PNG's
     * rgb24), or the output holds none whatever comes (H.264's, VP9 outside Matroska). */
    a->alpha_holdable =
        alpha_stored(a, a->enc_codec) &&
        (a->o.pix_fmt ? has_alpha(av_get_pix_fmt(a->o.pix_fmt))
                      : !a->enc_codec->pix_fmts || encoder_takes(a->enc_codec, has_alpha));
    /* Said only when the alpha holds something: a palette's is checked already (src.alpha),
     * others' on the first picture. The network's format stays the source's either way. */
    if (!a->o.quiet &&
        (a->alpha_unread || (a->src.alpha && !has_alpha(a->net_fmt) &&
                             (is_paletted(a->src.fmt) || first_picture_transparent(a))))) {
        char why[160];
        if (a->alpha_unread)
            snprintf(why, sizeof(why), "no libvpx decoder in this FFmpeg reads it");
        else if (!alpha_stored(a, a->enc_codec))
            snprintf(why, sizeof(why), "%s stores no %s alpha (Matroska and WebM do)",
                     a->ofmt->oformat->name, a->enc_codec->name);
        else if (a->o.pix_fmt)
            snprintf(why, sizeof(why), "the output's %s (-pix_fmt) has none",
                     av_get_pix_fmt_name(out));
        else
            snprintf(why, sizeof(why), "the %s encoder takes no format with alpha",
                     a->enc_codec->name);
        fprintf(stderr, "srres-video: %s: its alpha channel is dropped: %s\n", a->o.input, why);
    }
}

static srres_image image_of(const AVFrame *f)
{
    srres_image im = {0};
    im.width = f->width;
    im.height = f->height;
    if (f->format == AV_PIX_FMT_RGB24) {
        im.format = SRRES_PIXEL_RGB24;
        im.data[0] = f->data[0];
        im.linesize[0] = f->linesize[0];
    } else { /* GBR(A)P(16): FFmpeg orders the planes G, B, R (and A, not the network's) */
        im.format = f->format == AV_PIX_FMT_GBRAP ? SRRES_PIXEL_RGBP8 : SRRES_PIXEL_RGBP16;
        int order[3] = {2, 0, 1};
        for (int c = 0; c < 3; c++) {
            im.data[c] = f->data[order[c]];
            im.linesize[c] = f->linesize[order[c]];
        }
    }
    return im;
}

/* An HDR10+ processing window's corner, in pixels, mapped by m's s and off: the upper left
 * one goes to the first of the pixels its pixel becomes, the lower right one (last) to the
 * last. libavutil's header calls the corners fractions of the picture, but FFmpeg's HEVC
 * decoder gives pixels ({x, 1}: the SEI's 16-bit fields as they are) and FFmpeg 6's
 * av_dynamic_hdr_plus_to_t35 writes them back so; re-expressed as fractions they would
 * select the wrong pixels. Kept within those 16 bits. */
static AVRational map_corner(AVRational c, AVRational s, int off, int last)
{
    int64_t den = (int64_t)c.den * s.den;
    int64_t num =
        (int64_t)c.num * s.num + (int64_t)off * den + (last ? (int64_t)c.den * (s.num - s.den) : 0);
    AVRational r = c;

    if (c.den > 0)
        av_reduce(&r.num, &r.den, av_clip64(num, 0, (int64_t)UINT16_MAX * den), den, INT_MAX);
    return r;
}

/* A pixel's position (an HDR10+ ellipse's centre), to the middle of the pixels it becomes. */
static uint16_t map_centre(uint16_t v, AVRational s, int off)
{
    int64_t at = ((2 * (int64_t)v + 1) * s.num - s.den) / (2 * (int64_t)s.den) + off;
    return (uint16_t)av_clip64(at, 0, UINT16_MAX);
}

/* An edge between pixels (a region's, a box's), to the nearest edge of the mapped ones. */
static int map_edge(int v, AVRational s, int off)
{
    return (int)av_rescale(v, s.num, s.den) + off;
}

/* Motion vectors, the decoder's block parameters and pan-scan, which describe the coded
 * input, are dropped. The filter does the same for its scale (filter/vf_srresnet.c, which
 * builds inside FFmpeg's tree and shares no code with us). */
int map_side_data(AVFrame *f, const side_data_map *m)
{
    static const enum AVFrameSideDataType dropped[] = {
        AV_FRAME_DATA_MOTION_VECTORS, AV_FRAME_DATA_VIDEO_ENC_PARAMS, AV_FRAME_DATA_PANSCAN};
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
        av_frame_remove_side_data(f, dropped[i]);
    for (int i = 0; i < f->nb_side_data; i++) {
        AVFrameSideData *sd = f->side_data[i];
        int ret;
        if (sd->type != AV_FRAME_DATA_REGIONS_OF_INTEREST &&
            sd->type != AV_FRAME_DATA_DETECTION_BBOXES &&
            sd->type != AV_FRAME_DATA_DYNAMIC_HDR_PLUS)
            continue;
        if ((ret = av_buffer_make_writable(&sd->buf)) < 0)
            return ret;
        sd->data = sd->buf->data;
        if (sd->type == AV_FRAME_DATA_REGIONS_OF_INTEREST) {
            uint32_t step = sd->size >= sizeof(AVRegionOfInterest)
                                ? ((AVRegionOfInterest *)sd->data)->self_size
                                : 0;
            for (size_t at = 0; step >= sizeof(AVRegionOfInterest) && at + step <= sd->size;
                 at += step) {
                AVRegionOfInterest *roi = (AVRegionOfInterest *)(sd->data + at);
                roi->top = map_edge(roi->top, m->sy, m->off_y);
                roi->bottom = map_edge(roi->bottom, m->sy, m->off_y);
                roi->left = map_edge(roi->left, m->sx, m->off_x);
                roi->right = map_edge(roi->right, m->sx, m->off_x);
            }
        } else if (sd->type == AV_FRAME_DATA_DYNAMIC_HDR_PLUS) {
            AVDynamicHDRPlus *hdr = (AVDynamicHDRPlus *)sd->data;
            int windows = sd->size >= sizeof(*hdr)
                              ? FFMIN(hdr->num_windows, FF_ARRAY_ELEMS(hdr->params)) : 0;
            /* Window 0 is the whole picture; the other windows' corners and the ellipses
             * that select their pixels are in pixels. */
            for (int w = 1; w < windows; w++) {
                AVHDRPlusColorTransformParams *p = &hdr->params[w];
                p->window_upper_left_corner_x =
                    map_corner(p->window_upper_left_corner_x, m->sx, m->off_x, 0);
                p->window_upper_left_corner_y =
                    map_corner(p->window_upper_left_corner_y, m->sy, m->off_y, 0);
                p->window_lower_right_corner_x =
                    map_corner(p->window_lower_right_corner_x, m->sx, m->off_x, 1);
                p->window_lower_right_corner_y =
                    map_corner(p->window_lower_right_corner_y, m->sy, m->off_y, 1);
                p->center_of_ellipse_x = map_centre(p->center_of_ellipse_x, m->sx, m->off_x);
                p->center_of_ellipse_y = map_centre(p->center_of_ellipse_y, m->sy, m->off_y);
                /* Lengths along any angle: a fitted frame keeps its shape, sx is sy but
                 * for rounding. */
                p->semimajor_axis_internal_ellipse = (uint16_t)FFMIN(
                    av_rescale(p->semimajor_axis_internal_ellipse, m->sx.num, m->sx.den),
                    UINT16_MAX);
                p->semimajor_axis_external_ellipse = (uint16_t)FFMIN(
                    av_rescale(p->semimajor_axis_external_ellipse, m->sx.num, m->sx.den),
                    UINT16_MAX);
                p->semiminor_axis_external_ellipse = (uint16_t)FFMIN(
                    av_rescale(p->semiminor_axis_external_ellipse, m->sx.num, m->sx.den),
                    UINT16_MAX);
            }
        } else if (sd->size >= sizeof(AVDetectionBBoxHeader)) {
            AVDetectionBBoxHeader *h = (AVDetectionBBoxHeader *)sd->data;
            if (h->bbox_size < sizeof(AVDetectionBBox) ||
                h->bboxes_offset + (uint64_t)h->nb_bboxes * h->bbox_size > sd->size)
                continue;
            for (uint32_t k = 0; k < h->nb_bboxes; k++) {
                AVDetectionBBox *b = av_get_detection_bbox(h, k);
                int right = map_edge(b->x + b->w, m->sx, m->off_x);
                int bottom = map_edge(b->y + b->h, m->sy, m->off_y);
                b->x = map_edge(b->x, m->sx, m->off_x);
                b->y = map_edge(b->y, m->sy, m->off_y);
                b->w = right - b->x;
                b->h = bottom - b->y;
            }
        }
    }
    return 0;
}

/* The alpha plane (plane 3 of GBRAP and GBRAP16), bicubic. */
static int upscale_alpha(app *a, const AVFrame *in, AVFrame *out)
{
    enum AVPixelFormat gray = in->format == AV_PIX_FMT_GBRAP ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_GRAY16;
    a->alpha_sws =
        sws_getCachedContext(a->alpha_sws, in->width, in->height, gray, out->width, out->height,
                             gray, SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!a->alpha_sws)
        return AVERROR(ENOMEM);
    int ret = sws_scale(a->alpha_sws, (const uint8_t *const *)&in->data[3], &in->linesize[3], 0,
                        in->height, &out->data[3], &out->linesize[3]);
    return ret < 0 ? ret : 0;
}

void *sr_main(void *arg)
{
    app *a = arg;
    void *item;
    double waited;
    while (frame_queue_pop(a->q_in, &item, NULL, &waited) == 1) {
        a->sr_wait += waited;
        AVFrame *in = item, *out = av_frame_alloc();
        double t0 = progress_now();
        int ok = out != NULL;
        if (ok) {
            out->format = in->format;
            out->width = in->width * a->scale;
            out->height = in->height * a->scale;
            ok = av_frame_get_buffer(out, 0) >= 0 && av_frame_copy_props(out, in) >= 0 &&
                 map_side_data(out, &(side_data_map){{a->scale, 1}, {a->scale, 1}, 0, 0}) >= 0;
            /* A woven frame upscaled as one picture has no fields left: each line of a
             * field is now two lines, in both of the new picture's fields. */
            out->interlaced_frame = out->top_field_first = 0;
            if (in->interlaced_frame && !a->told_interlaced && !a->o.quiet) {
                fprintf(stderr,
                        "srres-video: %s: interlaced frames are upscaled as whole "
                        "pictures and written progressive; deinterlace them first "
                        "(--vf-pre yadif)\n",
                        a->o.input);
                a->told_interlaced = 1;
            }
        }
        if (!ok) {
            set_error(a, "out of memory for a %dx%d frame", in->width * a->scale,
                      in->height * a->scale);
        } else {
            srres_image si = image_of(in), so = image_of(out);
            srres_error e;
            if (srres_upscale(a->ctx, &si, &so, &e) != SRRES_OK) {
                set_error(a, "%s: %s", a->o.model, e.message);
                ok = 0;
            } else if (has_alpha(in->format) && upscale_alpha(a, in, out) < 0) {
                set_error(a, "out of memory to upscale a %dx%d frame's alpha", in->width,
                          in->height);
                ok = 0;
            }
        }
        a->sr_busy += progress_now() - t0;
        av_frame_free(&in);
        if (!ok || frame_queue_push(a->q_out, out, KIND_FRAME, upscaled_bytes(out, 1)) < 0) {
            av_frame_free(&out);
            break;
        }
        atomic_fetch_add(&a->frames_sr, 1);
    }
    frame_queue_close(a->q_out);
    return NULL;
}
