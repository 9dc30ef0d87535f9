/* frame_format.c: what a pixel format holds (alpha, a palette, colour, JPEG's full range)
 * and whether a frame has a given size and pixel aspect ratio. Questions only: nothing here
 * keeps or changes state. */
#include <libavutil/pixdesc.h>

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
