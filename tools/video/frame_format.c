/* frame_format.c: what a pixel format holds (alpha, a palette, colour, JPEG's full range),
 * whether a frame has a given size and pixel aspect ratio, and the source a frame comes from
 * (which numbered images carry with their frames, attach_source). Nothing here keeps state. */
#include <errno.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <string.h>

#include "yuvj.h"

#include "app.h"

int has_alpha(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
}

int is_paletted(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_PAL);
}

int has_colour(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->nb_components >= 3 || (d->flags & AV_PIX_FMT_FLAG_PAL));
}

/* YUV in colour: a format with a matrix. */
int is_colour_yuv(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && d->nb_components >= 3 && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));
}

int is_yuvj(enum AVPixelFormat f)
{
    return yuvj_plain(f) != f;
}

/* Whether a frame is w x h with pixel aspect ratio sar, an unknown one counting as square. */
int same_shape(const AVFrame *f, int w, int h, AVRational sar)
{
    AVRational fs = f->sample_aspect_ratio.num ? f->sample_aspect_ratio : (AVRational){1, 1};
    return f->width == w && f->height == h && !av_cmp_q(fs, sar.num ? sar : (AVRational){1, 1});
}

/* The bytes of a frame's pixels upscaled by scale (1: as it is), for the queues' bound. */
size_t upscaled_bytes(const AVFrame *f, int scale)
{
    return (size_t)f->width * scale * f->height * scale *
           av_get_padded_bits_per_pixel(av_pix_fmt_desc_get(f->format)) / 8;
}

/* Whether a palette frame has a pixel whose colour is not opaque: most palettes with a
 * transparent entry use none (palettegen reserves one). */
int palette_transparent_in(const AVFrame *f)
{
    int transparent = 0;
    for (int y = 0; f->data[1] && y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            int i = f->data[0][y * f->linesize[0] + x];
            transparent |= AV_RN32(f->data[1] + 4 * i) >> 24 != 0xff;
        }
    return transparent;
}

/* Whether a frame has a pixel less than opaque: its palette colour, or its alpha component
 * (the last) below its maximum; a float alpha is taken to have one. An rgba PNG or a GIF
 * (bgra) of 255s was said to lose its alpha into H.264. */
int alpha_below_opaque(const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d || !(d->flags & AV_PIX_FMT_FLAG_ALPHA))
        return 0;
    if (d->flags & AV_PIX_FMT_FLAG_PAL)
        return palette_transparent_in(f);
    if (d->flags & AV_PIX_FMT_FLAG_FLOAT)
        return 1;
    int c = d->nb_components - 1;
    uint32_t opaque = (uint32_t)((1ULL << d->comp[c].depth) - 1);
    uint32_t *line = av_malloc_array(f->width, sizeof(*line));
    int below = !line;
    for (int y = 0; line && !below && y < f->height; y++) {
        av_read_image_line2(line, (const uint8_t **)f->data, f->linesize, d, 0, y, c, f->width, 0,
                            sizeof(*line));
        for (int x = 0; !below && x < f->width; x++)
            below = line[x] < opaque;
    }
    av_free(line);
    return below;
}

/* A picture's source as its decoded frame describes it. */
source_format frame_source(const AVFrame *f)
{
    return (source_format){
        .fmt = f->format,
        .alpha = has_alpha(f->format) && (!is_paletted(f->format) || palette_transparent_in(f)),
        .space = f->colorspace,
        .range = f->color_range,
        .primaries = f->color_primaries,
        .trc = f->color_trc,
        .chroma = f->chroma_location,
    };
}

int same_source(const source_format *x, const source_format *y)
{
    return x->fmt == y->fmt && x->alpha == y->alpha && x->space == y->space &&
           x->range == y->range && x->primaries == y->primaries && x->trc == y->trc &&
           x->chroma == y->chroma;
}

/* Gives a frame its source, which goes with it through the network (av_frame_copy_props) to
 * the writer: numbered images' outputs are each chosen for their own. */
int attach_source(AVFrame *f, const source_format *s)
{
    av_buffer_unref(&f->opaque_ref);
    f->opaque_ref = av_buffer_alloc(sizeof(*s));
    if (!f->opaque_ref)
        return AVERROR(ENOMEM);
    memcpy(f->opaque_ref->data, s, sizeof(*s));
    return 0;
}

/* The source a frame was attached, else the first frames'. */
const source_format *source_of(const app *a, const AVFrame *f)
{
    return f->opaque_ref ? (const source_format *)f->opaque_ref->data : &a->src;
}
