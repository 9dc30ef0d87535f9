/**
 * @file
 * SRResNet super-resolution through libsrres (Ledig et al., "Photo-Realistic Single Image
 * Super-Resolution Using a Generative Adversarial Network", https://arxiv.org/abs/1609.04802).
 *
 * The network runs on RGB: the filter takes packed 8-bit RGB (rgb24, bgr0) or planar 8- or
 * 16-bit RGB (gbrp, gbrp16, and gbrap, gbrap16 with alpha, which is upscaled beside the
 * network with bicubic) as they are, planar RGB of 9 to 14 bits widened to 16 and back, and
 * YUV (planar, with alpha or not, and nv12, nv21 and p010) and grey (with alpha or not, and
 * 1-bit), converted to RGB and back here with the
 * frames' own matrix, range and chroma siting, as srres-video converts them. Left to the
 * graph, a YUV source came back in BT.601 with its matrix unset (colours off on HD video)
 * and 4:4:4 where it was 4:2:0, and a grey one in colour. Other formats are left to the
 * graph to convert.
 * libsrres has threads of its own rather than FFmpeg's slice threads: as many as every
 * filter's threads option says (FFmpeg takes that name before a filter's own options), else
 * one per CPU it may use, and never more than the graph's limit (-filter_threads).
 */

#include <srres.h>

#include "libavcodec/avcodec.h"
#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/cpu.h"
#include "libavutil/detection_bbox.h"
#include "libavutil/hdr_dynamic_metadata.h"
#include "libavutil/imgutils.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libswscale/swscale.h"
#include "avfilter.h"
#include "formats.h"
#include "internal.h"
#include "video.h"

/* What sets up a conversion between YUV (or grey) and the network's RGB at one size. */
typedef struct ConversionKey {
    int w, h;
    enum AVPixelFormat from, to;
    enum AVColorSpace matrix;
    int from_full, to_full;
    int h_pos, v_pos; /* the YUV side's chroma siting, in 1/256 of a pixel; -513: default */
} ConversionKey;

typedef struct Conversion {
    ConversionKey key;
    struct SwsContext *sws;
} Conversion;

typedef struct SRResNetContext {
    const AVClass *class;
    char *model_path;
    int tile;
    int ensemble;
    int precision;
    int64_t max_memory;

    srres_model *model;
    srres_ctx *srres;
    int scale;
    int in_w, in_h; /* the input size the output link is set up for */
    int told_interlaced;
    struct SwsContext *alpha_sws;
    Conversion to_rgb, from_rgb; /* a YUV or grey input's and output's */
    AVFrame *rgb_in, *rgb_out;   /* their RGB sides */
} SRResNetContext;

#define OFFSET(x) offsetof(SRResNetContext, x)
#define FLAGS AV_OPT_FLAG_FILTERING_PARAM | AV_OPT_FLAG_VIDEO_PARAM

/* A build that installs a model may name it, making the model option optional:
 * --extra-cflags=-DSRRES_DEFAULT_MODEL=/usr/share/srres/x4.safetensors. A bare path, made a
 * string here, because FFmpeg's configure drops the quotes of a string literal; so it must
 * not hold two slashes in a row, which the preprocessor takes for a comment. Its folder is
 * the models folder, where model=x2 finds x2.safetensors (resolve_model). */
#ifdef SRRES_DEFAULT_MODEL
#define DEFAULT_MODEL AV_STRINGIFY(SRRES_DEFAULT_MODEL)
#else
#define DEFAULT_MODEL NULL
#endif
static const AVOption srresnet_options[] = {
    { "model",   "model file (safetensors), or the name of one in the models folder (e.g. x2)", OFFSET(model_path), AV_OPT_TYPE_STRING, { .str = DEFAULT_MODEL }, 0, 0, FLAGS },
    { "tile",    "side of the input tiles processed at a time, in pixels (32 or more)", OFFSET(tile), AV_OPT_TYPE_INT, { .i64 = 0 }, -1, INT_MAX, FLAGS, "tile" },
        { "auto",    "tile only frames too large for memory", 0, AV_OPT_TYPE_CONST, { .i64 =  0 }, 0, 0, FLAGS, "tile" },
        { "untiled", "process each frame whole",              0, AV_OPT_TYPE_CONST, { .i64 = -1 }, 0, 0, FLAGS, "tile" },
    { "ensemble", "mean over 1, 2, 4 or 8 flips/transposes of each frame (N times the time)", OFFSET(ensemble), AV_OPT_TYPE_INT, { .i64 = 1 }, 1, 8, FLAGS },
    { "precision", "arithmetic of the network", OFFSET(precision), AV_OPT_TYPE_INT, { .i64 = SRRES_PRECISION_FP32 }, SRRES_PRECISION_FP32, SRRES_PRECISION_BF16, FLAGS, "precision" },
        { "fp32", "single precision",                                   0, AV_OPT_TYPE_CONST, { .i64 = SRRES_PRECISION_FP32 }, 0, 0, FLAGS, "precision" },
        { "bf16", "bfloat16 products (faster on Zen 4, slower on Intel Xeons)", 0, AV_OPT_TYPE_CONST, { .i64 = SRRES_PRECISION_BF16 }, 0, 0, FLAGS, "precision" },
    { "max_memory", "bytes of buffers automatic tiles keep within, at least 16Mi (e.g. 512Mi; M is 10^6); 0 = 1 GiB", OFFSET(max_memory), AV_OPT_TYPE_INT64, { .i64 = 0 }, 0, INT64_MAX, FLAGS },
    { NULL }
};

AVFILTER_DEFINE_CLASS(srresnet);

/* An HDR10+ processing window's corner, in pixels, of an image upscaled by scale: the upper
 * left one goes to the first of the pixels its pixel becomes, the lower right one (last) to
 * the last. libavutil's header calls the corners fractions of the picture, but FFmpeg's
 * HEVC decoder gives pixels ({x, 1}: the SEI's 16-bit fields as they are) and FFmpeg 6's
 * av_dynamic_hdr_plus_to_t35 writes them back so; re-expressed as fractions they would
 * select the wrong pixels. Kept within those 16 bits. */
static AVRational scale_corner(AVRational c, int scale, int last)
{
    int64_t num = (int64_t)c.num * scale + (last ? (int64_t)(scale - 1) * c.den : 0);
    AVRational r = c;

    if (c.den > 0)
        av_reduce(&r.num, &r.den, FFMIN(num, (int64_t)UINT16_MAX * c.den), c.den, INT_MAX);
    return r;
}

/* Side data in the input's pixel coordinates: regions of interest (which encoders read),
 * detection boxes and HDR10+'s processing windows and their ellipses (which players tone-map
 * by) are scaled to the output; motion vectors, the decoder's block parameters and pan-scan,
 * which describe the coded input, are dropped. srres-video does the same in its
 * map_side_data (tools/video/network.c, which also moves them for its fitting of frames of
 * another size): this file builds inside FFmpeg's tree and cannot share the tools' code;
 * tests/test_filter.sh and tests/test_video.sh hold both to the same figures (HDR10+ from an
 * HEVC stream given the SEI by hand, as no encoder of FFmpeg 5.1 writes it). */
static int scale_side_data(AVFrame *out, int scale)
{
    static const enum AVFrameSideDataType dropped[] = {
        AV_FRAME_DATA_MOTION_VECTORS, AV_FRAME_DATA_VIDEO_ENC_PARAMS, AV_FRAME_DATA_PANSCAN};
    for (size_t i = 0; i < FF_ARRAY_ELEMS(dropped); i++)
        av_frame_remove_side_data(out, dropped[i]);
    for (int i = 0; i < out->nb_side_data; i++) {
        AVFrameSideData *sd = out->side_data[i];
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
                                ? ((AVRegionOfInterest *)sd->data)->self_size : 0;
            for (size_t at = 0; step >= sizeof(AVRegionOfInterest) && at + step <= sd->size;
                 at += step) {
                AVRegionOfInterest *roi = (AVRegionOfInterest *)(sd->data + at);
                roi->top *= scale;
                roi->bottom *= scale;
                roi->left *= scale;
                roi->right *= scale;
            }
        } else if (sd->type == AV_FRAME_DATA_DYNAMIC_HDR_PLUS) {
            AVDynamicHDRPlus *hdr = (AVDynamicHDRPlus *)sd->data;
            int windows = sd->size >= sizeof(*hdr)
                              ? FFMIN(hdr->num_windows, FF_ARRAY_ELEMS(hdr->params)) : 0;
            /* Window 0 is the whole picture; the other windows' corners and the ellipses
             * that select their pixels are in pixels. A centre goes to the middle of the
             * pixels its pixel becomes. */
            for (int w = 1; w < windows; w++) {
                AVHDRPlusColorTransformParams *p = &hdr->params[w];
                p->window_upper_left_corner_x =
                    scale_corner(p->window_upper_left_corner_x, scale, 0);
                p->window_upper_left_corner_y =
                    scale_corner(p->window_upper_left_corner_y, scale, 0);
                p->window_lower_right_corner_x =
                    scale_corner(p->window_lower_right_corner_x, scale, 1);
                p->window_lower_right_corner_y =
                    scale_corner(p->window_lower_right_corner_y, scale, 1);
                p->center_of_ellipse_x = FFMIN(p->center_of_ellipse_x * scale + (scale - 1) / 2,
                                               UINT16_MAX);
                p->center_of_ellipse_y = FFMIN(p->center_of_ellipse_y * scale + (scale - 1) / 2,
                                               UINT16_MAX);
                p->semimajor_axis_internal_ellipse =
                    FFMIN(p->semimajor_axis_internal_ellipse * scale, UINT16_MAX);
                p->semimajor_axis_external_ellipse =
                    FFMIN(p->semimajor_axis_external_ellipse * scale, UINT16_MAX);
                p->semiminor_axis_external_ellipse =
                    FFMIN(p->semiminor_axis_external_ellipse * scale, UINT16_MAX);
            }
        } else if (sd->size >= sizeof(AVDetectionBBoxHeader)) {
            AVDetectionBBoxHeader *h = (AVDetectionBBoxHeader *)sd->data;
            if (h->bbox_size < sizeof(AVDetectionBBox) ||
                h->bboxes_offset + (uint64_t)h->nb_bboxes * h->bbox_size > sd->size)
                continue;
            for (uint32_t k = 0; k < h->nb_bboxes; k++) {
                AVDetectionBBox *b = av_get_detection_bbox(h, k);
                b->x *= scale;
                b->y *= scale;
                b->w *= scale;
                b->h *= scale;
            }
        }
    }
    return 0;
}

static int averror_from_error(srres_status status, const srres_error *err)
{
    switch (status) {
    case SRRES_OK:              return 0;
    case SRRES_ERR_IO:          return AVERROR(err->sys_errno ? err->sys_errno : EIO);
    case SRRES_ERR_FORMAT:      return AVERROR_INVALIDDATA;
    case SRRES_ERR_NOMEM:       return AVERROR(ENOMEM);
    case SRRES_ERR_UNSUPPORTED: return AVERROR(ENOSYS);
    default:                    return AVERROR(EINVAL);
    }
}

/* model=x2 names a model in the models folder, as srres-video's -m x2 does, by the rules of
 * srres_model_find; the name is replaced by the file's path. */
static int resolve_model(AVFilterContext *ctx)
{
    SRResNetContext *s = ctx->priv;
    char *copy = NULL, path[4096];
    const char *dir = NULL;
    srres_error err;
    srres_status status;

    if (DEFAULT_MODEL) {
        if (!(copy = av_strdup(DEFAULT_MODEL)))
            return AVERROR(ENOMEM);
        dir = av_dirname(copy);
    }
    status = srres_model_find(s->model_path, &dir, dir ? 1 : 0, path, sizeof(path), &err);
    av_free(copy);
    if (status == SRRES_OK) {
        char *found = av_strdup(path);
        if (!found)
            return AVERROR(ENOMEM);
        av_free(s->model_path);
        s->model_path = found;
        return 0;
    }
    if (!DEFAULT_MODEL)
        av_log(ctx, AV_LOG_ERROR, "model=%s: no such file, and this srresnet was built without "
               "a models folder (-DSRRES_DEFAULT_MODEL): give the model file's path.\n",
               s->model_path);
    else
        av_log(ctx, AV_LOG_ERROR, "model=%s.\n", err.message);
    return averror_from_error(status, &err);
}

static av_cold int init(AVFilterContext *ctx)
{
    SRResNetContext *s = ctx->priv;
    int ret;

    if (!s->model_path || !*s->model_path) {
        av_log(ctx, AV_LOG_ERROR, "No model file given: set the model option.\n");
        return AVERROR(EINVAL);
    }
    if ((ret = resolve_model(ctx)) < 0)
        return ret;
    /* As srres-video: each tile computes a border of the network's reach (39 input pixels
     * at x4) on every side, so tiles of 8 pixels ran 30 to 80 times slower. */
    if (s->tile > 0 && s->tile < 32) {
        av_log(ctx, AV_LOG_ERROR, "tile %d: tiles under 32 pixels a side spend nearly all "
               "their time on their borders; use 32 or more, auto (0) or untiled (-1).\n",
               s->tile);
        return AVERROR(EINVAL);
    }
    /* As srres-video: tiles within less are a few pixels each, hundreds of times slower. */
    if (s->max_memory && s->max_memory < 16 << 20) {
        av_log(ctx, AV_LOG_ERROR, "max_memory %"PRId64" is below 16Mi (0 = 1 GiB).\n",
               s->max_memory);
        return AVERROR(EINVAL);
    }
    return 0;
}

/* The model is loaded as the input is configured, not in init: ffmpeg 5.1 sets up a
 * -filter_complex graph twice, the first time only to learn its inputs and outputs, and
 * configures only the second. A model that cannot be loaded still fails the graph before
 * any frame. */
static int config_input(AVFilterLink *inlink)
{
    AVFilterContext *ctx = inlink->dst;
    SRResNetContext *s = ctx->priv;
    srres_params params = srres_default_params();
    const srres_config *config;
    srres_error err;
    srres_status status;

    params.threads = ctx->nb_threads ? ctx->nb_threads : av_cpu_count();
    if (ctx->graph->nb_threads > 0)
        params.threads = FFMIN(params.threads, ctx->graph->nb_threads);
    params.tile    = s->tile;
    params.ensemble = s->ensemble;
    params.precision = s->precision;
    params.max_memory = (uint64_t)s->max_memory > SIZE_MAX ? SIZE_MAX : (size_t)s->max_memory;
    status = srres_model_load(s->model_path, &s->model, &err);
    if (status == SRRES_OK)
        status = srres_ctx_create(s->model, &params, &s->srres, &err);
    if (status != SRRES_OK) {
        av_log(ctx, AV_LOG_ERROR, "%s\n", err.message);
        return averror_from_error(status, &err);
    }

    config = srres_model_config(s->model);
    s->scale = config->scale;
    av_log(ctx, AV_LOG_VERBOSE, "%s: x%d, %d residual blocks of %d channels; threads: %d\n",
           s->model_path, config->scale, config->blocks, config->channels, params.threads);
    return 0;
}

/* The YUV both sides take, converted here (query_formats). */
#define YUV_FORMATS                                                                      \
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,                           \
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P,                        \
    AV_PIX_FMT_YUV420P10, AV_PIX_FMT_YUV422P10, AV_PIX_FMT_YUV444P10,                     \
    AV_PIX_FMT_YUV420P12, AV_PIX_FMT_YUV422P12, AV_PIX_FMT_YUV444P12,                     \
    AV_PIX_FMT_YUVA420P, AV_PIX_FMT_YUVA422P, AV_PIX_FMT_YUVA444P,                        \
    AV_PIX_FMT_YUVA420P10, AV_PIX_FMT_YUVA422P10, AV_PIX_FMT_YUVA444P10,                  \
    AV_PIX_FMT_YUVA422P12, AV_PIX_FMT_YUVA444P12,                                         \
    AV_PIX_FMT_YUV411P, AV_PIX_FMT_YUVJ411P, AV_PIX_FMT_YUV440P, AV_PIX_FMT_YUVJ440P,    \
    AV_PIX_FMT_YUV440P10, AV_PIX_FMT_YUV440P12,                                           \
    AV_PIX_FMT_YUV420P9, AV_PIX_FMT_YUV422P9, AV_PIX_FMT_YUV444P9,                        \
    AV_PIX_FMT_YUV420P14, AV_PIX_FMT_YUV422P14, AV_PIX_FMT_YUV444P14,                     \
    AV_PIX_FMT_YUV420P16, AV_PIX_FMT_YUV422P16, AV_PIX_FMT_YUV444P16,                     \
    AV_PIX_FMT_YUVA420P9, AV_PIX_FMT_YUVA422P9, AV_PIX_FMT_YUVA444P9,                     \
    AV_PIX_FMT_YUVA420P16, AV_PIX_FMT_YUVA422P16, AV_PIX_FMT_YUVA444P16,                  \
    AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_P010

/* The grey both sides take, converted here too (query_formats); 16 bits are listed apart,
 * native on the input and also PNG's big-endian on the output. */
#define GREY_FORMATS                                                                     \
    AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY9, AV_PIX_FMT_GRAY10, AV_PIX_FMT_GRAY12,            \
    AV_PIX_FMT_GRAY14, AV_PIX_FMT_YA8, AV_PIX_FMT_MONOBLACK

/* Planar RGB of 9 to 14 bits, with alpha or not, which both sides take and the filter widens
 * to 16 bits for the network and narrows back (query_formats). */
#define DEEP_RGB_FORMATS                                                                 \
    AV_PIX_FMT_GBRP9, AV_PIX_FMT_GBRP10, AV_PIX_FMT_GBRP12, AV_PIX_FMT_GBRP14,           \
    AV_PIX_FMT_GBRAP10, AV_PIX_FMT_GBRAP12

/* The input's and the output's formats are negotiated apart: a list shared by both would let
 * a sink without 16-bit RGB (e.g. the PNG encoder) make a deep source run through the
 * network in 8 bits. Apart, the input follows the source and the output the sink; where
 * the sink takes several, the output's is the one nearest the input's. bgr0 is there for
 * FFV1, whose only 8-bit RGB it is (it was given 16 bits from an 8-bit source), gbrp for
 * sources and sinks of planar 8-bit RGB, and gbrap and gbrap16 for those with alpha (it
 * was dropped as the graph converted). The output takes bgra too, FFV1's only 8-bit RGB
 * with alpha (it was given gbrap16 from an 8-bit source). Planar YUV, 8 to 16 bits, with
 * alpha too, is converted here, so that a YUV source comes out in its own format and matrix
 * where the sink takes it (yuva420p came out as bgra into FFV1, as BT.601 yuv444p into
 * H.264, and 16-bit YUV as gbrp16 into FFV1, as BT.601 yuv444p10 into H.264); so are nv12, nv21 and p010, read as srres-video reads them (nv12 through yuv420p
 * took swscale's faster, coarser route to RGB: 5 levels off), and NTSC DV's 4:1:1 and some
 * JPEGs' 4:4:0 (4:1:1 came out 4:2:2, a level off). The output takes the packed RGB of
 * PNG, TIFF and BMP too (rgb48be, rgb48le, bgr24, rgba, rgba64be, rgba64le), repacked
 * here: FFmpeg merges two lists that both hold formats with alpha only where they share
 * one, and for a sink that shares none the graph picked the YUV nearest a YUV input and
 * converted that to RGB, its chroma subsampled once more (a 10-bit source into PNG came out
 * 32 dB from srres-video's). A palette (pal8) is left to the graph, which gives it as rgb24
 * (FFmpeg picks formats without alpha for a palette; format=rgba before the filter keeps a
 * transparent one's): taken here, pal8 was what FFmpeg picked for a grey source too, 8 bits
 * a pixel, converting it into swscale's fixed 3-3-2 palette. Grey of 1 to 16 bits, with
 * alpha too, is converted here, so that it comes out grey where the sink takes it, as from
 * srres-video (the graph made it rgb24, gbrp16 or gbrap16, and it came out in colour: rgb24
 * into PNG, bgr0 into FFV1, yuv444p into H.264); the output takes PNG's big-endian 16 bits
 * beside the native ones. Grey loses any other source's colour, so FFmpeg picks it for none
 * (a listing of every format FFV1 and PNG hold into both and H.264 changed only grey's).
 * Planar RGB of 9 to 14 bits is widened here, as srres-video widens it, so that the output
 * can keep the source's depth (the graph widened gbrp10 to gbrp16, which FFV1 got). */
static int query_formats(AVFilterContext *ctx)
{
    static const enum AVPixelFormat in_formats[] = {
        AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR0, AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRP16,
        AV_PIX_FMT_GBRAP, AV_PIX_FMT_GBRAP16, DEEP_RGB_FORMATS, YUV_FORMATS, GREY_FORMATS,
        AV_PIX_FMT_GRAY16, AV_PIX_FMT_YA16, AV_PIX_FMT_NONE
    };
    static const enum AVPixelFormat out_formats[] = {
        AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR0, AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRP16,
        AV_PIX_FMT_GBRAP, AV_PIX_FMT_GBRAP16, AV_PIX_FMT_BGRA, AV_PIX_FMT_RGB48BE,
        AV_PIX_FMT_RGB48LE, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_RGBA64BE,
        AV_PIX_FMT_RGBA64LE, DEEP_RGB_FORMATS, YUV_FORMATS, GREY_FORMATS, AV_PIX_FMT_GRAY16LE,
        AV_PIX_FMT_GRAY16BE, AV_PIX_FMT_YA16LE, AV_PIX_FMT_YA16BE, AV_PIX_FMT_NONE
    };
    int ret;

    ret = ff_formats_ref(ff_make_format_list(in_formats), &ctx->inputs[0]->outcfg.formats);
    if (ret < 0)
        return ret;
    return ff_formats_ref(ff_make_format_list(out_formats), &ctx->outputs[0]->incfg.formats);
}

/* Checks that w x h input frames can be upscaled and says how: tiled or not. */
static int take_size(AVFilterContext *ctx, int w, int h)
{
    SRResNetContext *s = ctx->priv;
    int64_t out_w = (int64_t)w * s->scale, out_h = (int64_t)h * s->scale;
    int tile;

    /* FFmpeg's own line names only the output size. */
    if (out_w > INT_MAX || out_h > INT_MAX || av_image_check_size(out_w, out_h, 0, ctx) < 0) {
        av_log(ctx, AV_LOG_ERROR, "%dx%d at x%d is %"PRId64"x%"PRId64", larger than FFmpeg's "
               "frames may be; downscale it first or use a model of a lower scale.\n", w, h,
               s->scale, out_w, out_h);
        return AVERROR(EINVAL);
    }
    s->in_w = w;
    s->in_h = h;
    tile = srres_ctx_tile_size(s->srres, w, h);
    if (tile)
        av_log(ctx, AV_LOG_VERBOSE, "%dx%d -> %dx%d in tiles of %dx%d\n", w, h, w * s->scale,
               h * s->scale, tile, tile);
    else
        av_log(ctx, AV_LOG_VERBOSE, "%dx%d -> %dx%d untiled\n", w, h, w * s->scale,
               h * s->scale);
    return 0;
}

static int config_props(AVFilterLink *outlink)
{
    AVFilterContext *ctx = outlink->src;
    SRResNetContext *s = ctx->priv;
    AVFilterLink *inlink = ctx->inputs[0];
    int ret = take_size(ctx, inlink->w, inlink->h);

    if (ret < 0)
        return ret;
    outlink->w = inlink->w * s->scale;
    outlink->h = inlink->h * s->scale;
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;
    return 0;
}

/* libsrres's planar images are R, G, B; FFmpeg's planar RGB is G, B, R. */
static void image_from_frame(srres_image *img, const AVFrame *frame)
{
    memset(img, 0, sizeof(*img));
    img->width  = frame->width;
    img->height = frame->height;
    if (frame->format == AV_PIX_FMT_RGB24 || frame->format == AV_PIX_FMT_BGR0 ||
        frame->format == AV_PIX_FMT_BGRA) { /* bgra's alpha is written after, as bgr0's 255 */
        img->format      = frame->format == AV_PIX_FMT_RGB24 ? SRRES_PIXEL_RGB24
                                                             : SRRES_PIXEL_BGR0;
        img->data[0]     = frame->data[0];
        img->linesize[0] = frame->linesize[0];
    } else { /* gbrap's and gbrap16's fourth plane, alpha, is not the network's */
        img->format      = frame->format == AV_PIX_FMT_GBRP || frame->format == AV_PIX_FMT_GBRAP
                           ? SRRES_PIXEL_RGBP8 : SRRES_PIXEL_RGBP16;
        img->data[0]     = frame->data[2];
        img->data[1]     = frame->data[0];
        img->data[2]     = frame->data[1];
        img->linesize[0] = frame->linesize[2];
        img->linesize[1] = frame->linesize[0];
        img->linesize[2] = frame->linesize[1];
    }
}

static int has_alpha(int format)
{
    return !!(av_pix_fmt_desc_get(format)->flags & AV_PIX_FMT_FLAG_ALPHA);
}

/* The network output's alpha plane: the network input's upscaled with bicubic (and to the
 * output's depth), or opaque from an input without alpha; a YUVA source's is read from its
 * RGB, as srres-video reads it, for that alpha is at 16 bits there. bgra's, packed, is
 * upscaled into a plane of its own and copied in. From 8 bits to 16, swscale's scaling
 * gives 255 as 65280, which is not opaque, so 8-bit alpha is upscaled in 8 bits, into a
 * plane of its own, and widened. */
static int upscale_alpha(SRResNetContext *s, const AVFrame *in, AVFrame *out)
{
    enum AVPixelFormat from = in->format == AV_PIX_FMT_GBRAP ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_GRAY16;
    int widen = from == AV_PIX_FMT_GRAY8 && out->format == AV_PIX_FMT_GBRAP16;
    enum AVPixelFormat to = out->format == AV_PIX_FMT_GBRAP16 && !widen ? AV_PIX_FMT_GRAY16
                                                                        : AV_PIX_FMT_GRAY8;
    uint8_t *plane[4] = { out->data[3] };
    int linesize[4] = { out->linesize[3] };
    int ret;

    if (!has_alpha(in->format) && out->format == AV_PIX_FMT_BGRA)
        return 0; /* written 255, as bgr0's */
    if (!has_alpha(in->format)) {
        for (int y = 0; y < out->height; y++)
            memset(out->data[3] + y * out->linesize[3], 0xff,
                   out->width * (to == AV_PIX_FMT_GRAY8 ? 1 : 2));
        return 0;
    }
    s->alpha_sws = sws_getCachedContext(s->alpha_sws, in->width, in->height, from, out->width,
                                        out->height, to, SWS_BICUBIC | SWS_ACCURATE_RND,
                                        NULL, NULL, NULL);
    if (!s->alpha_sws)
        return AVERROR(ENOMEM);
    if ((out->format == AV_PIX_FMT_BGRA || widen) &&
        (ret = av_image_alloc(plane, linesize, out->width, out->height, to, 64)) < 0)
        return ret;
    ret = sws_scale(s->alpha_sws, (const uint8_t *const *)&in->data[3], &in->linesize[3], 0,
                    in->height, plane, linesize);
    if (out->format == AV_PIX_FMT_BGRA) {
        for (int y = 0; y < out->height; y++)
            for (int x = 0; x < out->width; x++)
                out->data[0][y * out->linesize[0] + 4 * x + 3] = plane[0][y * linesize[0] + x];
    } else if (widen) {
        for (int y = 0; y < out->height; y++) {
            uint16_t *row = (uint16_t *)(out->data[3] + y * out->linesize[3]);
            for (int x = 0; x < out->width; x++)
                row[x] = plane[0][y * linesize[0] + x] * 257;
        }
    }
    if (plane[0] != out->data[3])
        av_freep(&plane[0]);
    return ret < 0 ? ret : 0;
}

/* Whether swscale converts a format as YUV: grey is YUV without chroma to it. */
static int is_yuv(int format)
{
    return !(av_pix_fmt_desc_get(format)->flags & AV_PIX_FMT_FLAG_RGB);
}

static int is_yuvj(int format)
{
    return format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P ||
           format == AV_PIX_FMT_YUVJ444P || format == AV_PIX_FMT_YUVJ411P ||
           format == AV_PIX_FMT_YUVJ440P;
}

/* Grey (with alpha or not, or 1-bit): no colour and no palette. */
static int is_grey(int format)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    return d->nb_components <= 2 && !(d->flags & AV_PIX_FMT_FLAG_PAL);
}

/* The RGB a frame of this format runs through the network in where libsrres cannot take
 * it as it is: 16-bit planar for one deeper than 8 bits, as srres-video runs it; planar
 * with an alpha plane where that is wanted. */
static enum AVPixelFormat network_format(int format, int alpha)
{
    int deep = av_pix_fmt_desc_get(format)->comp[0].depth > 8;
    if (alpha)
        return deep ? AV_PIX_FMT_GBRAP16 : AV_PIX_FMT_GBRAP;
    return deep ? AV_PIX_FMT_GBRP16 : AV_PIX_FMT_RGB24;
}

/* swscale's coefficients for a matrix, as vf_scale names them for srres-video: BT.601 for
 * an unknown one. */
static const int *matrix_coefficients(enum AVColorSpace matrix)
{
    switch (matrix) {
    case AVCOL_SPC_BT709:      return sws_getCoefficients(SWS_CS_ITU709);
    case AVCOL_SPC_FCC:        return sws_getCoefficients(SWS_CS_FCC);
    case AVCOL_SPC_SMPTE240M:  return sws_getCoefficients(SWS_CS_SMPTE240M);
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:  return sws_getCoefficients(SWS_CS_BT2020);
    default:                   return sws_getCoefficients(SWS_CS_DEFAULT);
    }
}

/* A YUV format's chroma siting, as srres-video gives it to vf_scale: the frames' where they
 * say one, else vf_scale's default (for yuv420p, MPEG-2's: centred vertically). */
static void chroma_siting(int format, enum AVChromaLocation location, int *h, int *v)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    int x, y;

    *h = *v = -513;
    if ((d->log2_chroma_w || d->log2_chroma_h) && location != AVCHROMA_LOC_UNSPECIFIED &&
        avcodec_enum_to_chroma_pos(&x, &y, location) >= 0) {
        *h = d->log2_chroma_w ? x : 0;
        *v = d->log2_chroma_h ? y : 0;
    }
    if (format == AV_PIX_FMT_YUV420P && *v == -513)
        *v = 128;
}

/* Converts src into dst, both key->w x key->h, setting the converter up anew when the key
 * changes (a stream's size or colour description may); from RGB to RGB it repacks. */
static int convert(Conversion *c, const ConversionKey *key, const AVFrame *src, AVFrame *dst)
{
    const int *table = matrix_coefficients(key->matrix);
    int yuv_from = is_yuv(key->from), yuv = yuv_from || is_yuv(key->to), ret;

    if (!c->sws || memcmp(&c->key, key, sizeof(*key))) {
        sws_freeContext(c->sws);
        c->sws = sws_alloc_context();
        if (!c->sws)
            return AVERROR(ENOMEM);
        av_opt_set_int(c->sws, "srcw", key->w, 0);
        av_opt_set_int(c->sws, "srch", key->h, 0);
        av_opt_set_int(c->sws, "src_format", key->from, 0);
        av_opt_set_int(c->sws, "dstw", key->w, 0);
        av_opt_set_int(c->sws, "dsth", key->h, 0);
        av_opt_set_int(c->sws, "dst_format", key->to, 0);
        av_opt_set_int(c->sws, "sws_flags", SWS_BICUBIC, 0);
        if (yuv) {
            av_opt_set_int(c->sws, yuv_from ? "src_h_chr_pos" : "dst_h_chr_pos", key->h_pos, 0);
            av_opt_set_int(c->sws, yuv_from ? "src_v_chr_pos" : "dst_v_chr_pos", key->v_pos, 0);
        }
        ret = sws_init_context(c->sws, NULL, NULL);
        if (ret < 0) {
            sws_freeContext(c->sws);
            c->sws = NULL;
            return ret;
        }
        if (yuv)
            sws_setColorspaceDetails(c->sws, table, key->from_full, table, key->to_full, 0,
                                     1 << 16, 1 << 16);
        c->key = *key;
    }
    ret = sws_scale(c->sws, (const uint8_t *const *)src->data, src->linesize, 0, key->h,
                    dst->data, dst->linesize);
    return ret < 0 ? ret : 0;
}

/* A frame of the filter's own for the conversions, kept while its size and format hold. */
static int keep_frame(AVFrame **f, int w, int h, enum AVPixelFormat format)
{
    int ret;

    if (*f && (*f)->width == w && (*f)->height == h && (*f)->format == format)
        return 0;
    av_frame_free(f);
    if (!(*f = av_frame_alloc()))
        return AVERROR(ENOMEM);
    (*f)->width  = w;
    (*f)->height = h;
    (*f)->format = format;
    ret = av_frame_get_buffer(*f, 0);
    if (ret < 0) /* not kept: the next frame of this size would find it without buffers */
        av_frame_free(f);
    return ret;
}

/* The formats libsrres reads and writes itself (bgra as bgr0). */
static int network_takes(int format)
{
    return format == AV_PIX_FMT_RGB24 || format == AV_PIX_FMT_BGR0 ||
           format == AV_PIX_FMT_BGRA || format == AV_PIX_FMT_GBRP ||
           format == AV_PIX_FMT_GBRP16 || format == AV_PIX_FMT_GBRAP ||
           format == AV_PIX_FMT_GBRAP16;
}

/* The RGB the network writes an output in that libsrres does not write, converted after.
 * Without a source alpha it has none, and the conversion makes the output opaque: swscale
 * widened a plane of 255s into rgba64 as 65280 and into yuva444p10 as 1020, not opaque. An
 * 8-bit alpha kept into a deeper output goes through 16 bits, as upscale_alpha widens it. */
static enum AVPixelFormat repacked_format(int in, int out)
{
    int alpha = has_alpha(in) && has_alpha(out);
    if (alpha && av_pix_fmt_desc_get(out)->comp[0].depth > 8)
        return AV_PIX_FMT_GBRAP16;
    return network_format(in, alpha);
}

/* What lets a frame whose buffers do not fit in memory through: max_memory bounds only the
 * automatic tiles. */
static const char *memory_hint(const SRResNetContext *s)
{
    if (s->tile < 0)
        return "tile=auto processes it in tiles";
    if (s->tile > 0)
        return "a smaller tile needs less";
    return "a lower max_memory gives smaller tiles (e.g. max_memory=256Mi)";
}

/* Runs the network from in to out, through the network's RGB where either is YUV, grey,
 * RGB of 9 to 14 bits or packed RGB libsrres does not write. */
static int upscale(AVFilterContext *ctx, const AVFrame *in, AVFrame *out)
{
    SRResNetContext *s = ctx->priv;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(out->format);
    const AVFrame *net_in = in;
    AVFrame *net_out = out;
    srres_image src, dst;
    srres_error err;
    srres_status status;
    ConversionKey key;
    int ret;

    if (!network_takes(in->format)) {
        memset(&key, 0, sizeof(key));
        key.w = in->width;
        key.h = in->height;
        key.from = in->format;
        key.to = network_format(in->format, has_alpha(in->format) && has_alpha(out->format));
        key.matrix = in->colorspace;
        /* A frame of no stated range is full range if yuvj or grey, as swscale reads it
         * for srres-video. */
        key.from_full = in->color_range == AVCOL_RANGE_JPEG ||
                        (in->color_range == AVCOL_RANGE_UNSPECIFIED &&
                         (is_yuvj(in->format) || is_grey(in->format)));
        chroma_siting(in->format, in->chroma_location, &key.h_pos, &key.v_pos);
        if ((ret = keep_frame(&s->rgb_in, key.w, key.h, key.to)) < 0 ||
            (ret = convert(&s->to_rgb, &key, in, s->rgb_in)) < 0)
            return ret;
        net_in = s->rgb_in;
    }
    if (!network_takes(out->format)) {
        ret = keep_frame(&s->rgb_out, out->width, out->height,
                         repacked_format(in->format, out->format));
        if (ret < 0)
            return ret;
        net_out = s->rgb_out;
    }

    image_from_frame(&src, net_in);
    image_from_frame(&dst, net_out);
    status = srres_upscale(s->srres, &src, &dst, &err);
    if (status != SRRES_OK) {
        if (status == SRRES_ERR_NOMEM)
            av_log(ctx, AV_LOG_ERROR, "%s; %s\n", err.message, memory_hint(s));
        else
            av_log(ctx, AV_LOG_ERROR, "%s\n", err.message);
        return averror_from_error(status, &err);
    }
    if (has_alpha(net_out->format) && (ret = upscale_alpha(s, net_in, net_out)) < 0)
        return ret;

    /* An RGB output's matrix is RGB and its range full, as vf_scale and srres-video tag it:
     * from an RGB source the frames' unset ones were kept, and FFV1 said unknown (a 10-bit
     * one's were set by the graph's conversion to 16 bits, which is now the filter's). */
    if (!is_yuv(out->format)) {
        out->colorspace = AVCOL_SPC_RGB;
        out->color_range = AVCOL_RANGE_JPEG;
        if (is_yuv(in->format))
            out->chroma_location = AVCHROMA_LOC_UNSPECIFIED;
    }
    if (net_out == out)
        return 0;
    memset(&key, 0, sizeof(key));
    key.w = out->width;
    key.h = out->height;
    key.from = net_out->format;
    key.to = out->format;
    if (!is_yuv(out->format)) /* RGB: repacked, or planar RGB of 9 to 14 bits narrowed */
        return convert(&s->from_rgb, &key, net_out, out);
    /* Back with the source's matrix; an RGB source's YUV is BT.601 and limited range, as
     * srres-video makes it, and so is a yuvj source's in a format without the j, whose range
     * encoders other than JPEG's cannot say. */
    key.matrix = is_yuv(in->format) ? in->colorspace : AVCOL_SPC_SMPTE170M;
    key.to_full = is_yuvj(out->format) || (is_yuv(in->format) && !is_yuvj(in->format) &&
                                           in->color_range == AVCOL_RANGE_JPEG);
    /* Grey is full range, as FFmpeg makes it, unless a grey source says limited (as
     * srres-video's). */
    if (is_grey(out->format))
        key.to_full = !is_grey(in->format) || in->color_range != AVCOL_RANGE_MPEG;
    /* A siting is said only of subsampled chroma, as srres-video says it: 4:4:4 from
     * H.264's 4:2:0 was tagged "left". */
    if (!is_yuv(in->format) || !(desc->log2_chroma_w || desc->log2_chroma_h))
        out->chroma_location = AVCHROMA_LOC_UNSPECIFIED;
    chroma_siting(out->format, out->chroma_location, &key.h_pos, &key.v_pos);
    out->colorspace = key.matrix;
    out->color_range = key.to_full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    return convert(&s->from_rgb, &key, net_out, out);
}

static int filter_frame(AVFilterLink *inlink, AVFrame *in)
{
    AVFilterContext *ctx = inlink->dst;
    SRResNetContext *s = ctx->priv;
    AVFilterLink *outlink = ctx->outputs[0];
    AVFrame *out = NULL;
    int ret;

    /* The link's format stays as negotiated, but a source read without the graph being
     * rebuilt (-reinit_filter 0) may send frames of another: libsrres would see only a
     * missing plane. */
    if (in->format != inlink->format) {
        av_log(ctx, AV_LOG_ERROR, "the frames' pixel format changed from %s to %s mid-stream; "
               "let ffmpeg rebuild the graph (without -reinit_filter 0) or convert them before "
               "srresnet (e.g. format=%s)\n", av_get_pix_fmt_name(inlink->format),
               av_get_pix_fmt_name(in->format), av_get_pix_fmt_name(inlink->format));
        ret = AVERROR(EINVAL);
        goto fail;
    }
    /* Frames may change size mid-stream (a scale with eval=frame before us, images of
     * different sizes): the output follows, as vf_scale's does. The output link keeps its
     * size, so that a scaler after us (one ffmpeg inserts before the encoder) sees the
     * frames differ from it and sets itself up anew: told the new size, it kept converting
     * at the old one and ffmpeg waited forever. */
    if (in->width != s->in_w || in->height != s->in_h) {
        av_log(ctx, AV_LOG_VERBOSE, "frame size changed from %dx%d to %dx%d\n", s->in_w,
               s->in_h, in->width, in->height);
        ret = take_size(ctx, in->width, in->height);
        if (ret < 0)
            goto fail;
    }

    out = ff_get_video_buffer(outlink, in->width * s->scale, in->height * s->scale);
    if (!out) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    ret = av_frame_copy_props(out, in);
    if (ret >= 0)
        ret = scale_side_data(out, s->scale);
    if (ret < 0)
        goto fail;
    /* The cropping an application leaves to after the graph (a decoder's with apply_cropping
     * off, for av_frame_apply_cropping) is in pixels: copied as it was, it cut the upscaled
     * frame's padding only part way. */
    out->crop_top    *= s->scale;
    out->crop_bottom *= s->scale;
    out->crop_left   *= s->scale;
    out->crop_right  *= s->scale;
    /* A woven frame upscaled as one picture has no fields left: each line of a field is
     * now two lines, in both of the new picture's fields. */
    if (in->interlaced_frame && !s->told_interlaced) {
        av_log(ctx, AV_LOG_WARNING, "interlaced frames are upscaled as whole pictures and "
               "output progressive; deinterlace them first (e.g. yadif before srresnet)\n");
        s->told_interlaced = 1;
    }
    out->interlaced_frame = out->top_field_first = 0;

    if ((ret = upscale(ctx, in, out)) < 0)
        goto fail;

    av_frame_free(&in);
    return ff_filter_frame(outlink, out);

fail:
    av_frame_free(&in);
    av_frame_free(&out);
    return ret;
}

static av_cold void uninit(AVFilterContext *ctx)
{
    SRResNetContext *s = ctx->priv;

    /* The context uses the model, so it goes first. */
    srres_ctx_free(s->srres);
    srres_model_free(s->model);
    sws_freeContext(s->alpha_sws);
    sws_freeContext(s->to_rgb.sws);
    sws_freeContext(s->from_rgb.sws);
    av_frame_free(&s->rgb_in);
    av_frame_free(&s->rgb_out);
}

static const AVFilterPad srresnet_inputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .filter_frame = filter_frame,
        .config_props = config_input,
    },
};

static const AVFilterPad srresnet_outputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .config_props = config_props,
    },
};

const AVFilter ff_vf_srresnet = {
    .name          = "srresnet",
    .description   = NULL_IF_CONFIG_SMALL("Upscale with an SRResNet super-resolution network."),
    .priv_size     = sizeof(SRResNetContext),
    .priv_class    = &srresnet_class,
    .init          = init,
    .uninit        = uninit,
    FILTER_INPUTS(srresnet_inputs),
    FILTER_OUTPUTS(srresnet_outputs),
    FILTER_QUERY_FUNC(query_formats),
};
