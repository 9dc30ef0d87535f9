/* colour.c: the source's colour as the graphs' scale filters and the encoder are told it:
 * its matrix, range and chroma siting, kept where the output can say them. Reads a source's
 * description and the output's encoder and format; changes nothing. */
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

/* A palette's colours are RGB too: a palette PNG into H.264 was full range (yuvj444p), as
 * for a full-range YUV source, and its matrix unsaid. */
int source_is_rgb(const source_format *s)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(s->fmt);
    return s->space == AVCOL_SPC_RGB ||
           (d && (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)));
}

const char *matrix_name(enum AVColorSpace cs)
{
    switch (cs) {
    case AVCOL_SPC_BT709: return "bt709";
    case AVCOL_SPC_FCC: return "fcc";
    case AVCOL_SPC_SMPTE240M: return "smpte240m";
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return "bt2020";
    default: return "bt601";
    }
}

/* Whether a filter of the chain sets the frames' matrix (and says so on them). Named: FFmpeg
 * 5.1 gives no way to tell a frame's matrix that a filter left unsaid (tmix, hstack make
 * frames without one) from one it set. */
int sets_matrix(const char *vf)
{
    static const char *const setters[] = {"colormatrix", "colorspace", "setparams", "zscale"};
    for (size_t i = 0; vf && i < sizeof(setters) / sizeof(setters[0]); i++)
        if (strstr(vf, setters[i]))
            return 1;
    return 0;
}

/* Whether the output says a YUV picture's matrix: H.264, HEVC, VP9, AV1, MPEG-2 and ProRes
 * code it in the stream; Matroska and WebM store it beside any codec. MPEG-1 and MPEG-4
 * part 2 as FFmpeg writes them, FLV1, Theora, JPEG and YUV4MPEG cannot, and players read
 * those as BT.601. (MP4 and MOV store it only beside primaries and transfer: not counted.) */
static int matrix_carried(const app *a)
{
    static const enum AVCodecID coded[] = {AV_CODEC_ID_H264,       AV_CODEC_ID_HEVC,
                                           AV_CODEC_ID_VP9,        AV_CODEC_ID_AV1,
                                           AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_PRORES};
    for (size_t i = 0; a->enc_codec && i < sizeof(coded) / sizeof(coded[0]); i++)
        if (a->enc_codec->id == coded[i])
            return 1;
    return a->ofmt &&
           (!strcmp(a->ofmt->oformat->name, "matroska") || !strcmp(a->ofmt->oformat->name, "webm"));
}

/* The matrix YUV out of the network's RGB is made with and tagged: the source's where the
 * output says it, else BT.601, which players take for unsaid (ffmpeg keeps a BT.709
 * source's matrix in an MPEG-4 AVI, and green 0 188 0 played as 13 218 6). An RGB source
 * says BT.601 too, or players read the YUV planes as RGB. */
enum AVColorSpace output_space(const app *a, const source_format *s, int grey)
{
    /* Grey has no chroma to misread: the matrix only weighs its luma, the source's way (a
     * BT.709 source's grey PNG took BT.601's weights, green 21 levels darker). */
    if (grey && !source_is_rgb(s))
        return s->space;
    if (source_is_rgb(s) || (strcmp(matrix_name(s->space), "bt601") && !matrix_carried(a)))
        return AVCOL_SPC_SMPTE170M;
    return s->space;
}

/* Whether the post graph's conversion into out keeps the matrix --vf-post's frames say, and
 * the output is tagged with it (kept_space): where --vf-post sets one (a tone mapping to SDR
 * ends in zscale=m=bt709), the output is YUV in colour and says its matrix, and the source is
 * YUV (an RGB source's output is BT.601). Elsewhere the conversion names the output's
 * (output_space): a tone-mapped output stayed bt2020nc beside BT.709 primaries and
 * transfer, where ffmpeg's is bt709. */
int post_keeps_matrix(const app *a, enum AVPixelFormat out)
{
    return sets_matrix(a->o.vf_post) && is_colour_yuv(out) && matrix_carried(a) &&
           !source_is_rgb(&a->post_src);
}

/* The output's matrix where the post graph kept --vf-post's (post_keeps): the one its frames
 * say, any YUV matrix (BT.470BG is not SMPTE 170M's to a reader, though the same numbers);
 * where they say none, the output's, as it was before --vf-post could set it. */
enum AVColorSpace kept_space(const app *a, enum AVColorSpace said)
{
    if (said == AVCOL_SPC_RGB || said == AVCOL_SPC_UNSPECIFIED || said == AVCOL_SPC_RESERVED ||
        said >= AVCOL_SPC_NB)
        return output_space(a, &a->post_src, 0);
    return said;
}

/* Whether the output says a YUV picture's range: H.264, HEVC, VP9 and AV1 code it in the
 * stream; Matroska, WebM and YUV4MPEG store it beside any codec (FFV1's, VP8's). MPEG-1/2/4,
 * FLV1 and ProRes in AVI, MPEG-PS/TS, FLV or MOV cannot: full-range planes there were read as
 * limited, their black and white clipped. */
static int range_carried(const app *a)
{
    static const char *const muxers[] = {"matroska", "webm", "yuv4mpegpipe"};
    enum AVCodecID id = a->enc_codec ? a->enc_codec->id : AV_CODEC_ID_NONE;
    if (id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC || id == AV_CODEC_ID_VP9 ||
        id == AV_CODEC_ID_AV1)
        return 1;
    for (size_t i = 0; i < sizeof(muxers) / sizeof(muxers[0]); i++)
        if (a->ofmt && !strcmp(a->ofmt->oformat->name, muxers[i]))
            return 1;
    return 0;
}

/* Whether output in format out is full range. YUV: JPEG's yuvj formats, and a full-range YUV
 * source's range kept where the output says it (range_carried; elsewhere it is made limited,
 * as ffmpeg's scale makes it). From RGB it is limited, as ffmpeg makes it (it was full, the
 * range an RGB source is tagged with: H.264 players took it for an unusual stream). So is a
 * yuvj source's (a phone's H.264) in a format without the j, as ffmpeg makes it: MPEG-1/2/4
 * and ProRes cannot say full range, and players stretched its levels, clipping black and
 * white. */
int full_range_out(const app *a, const source_format *s, enum AVPixelFormat out)
{
    /* Grey is full range, as PNG's is and as swscale and ffmpeg make it from RGB, unless a
     * grey source says it is limited: black came out at 16 (washed out), in a PNG too. */
    if (!has_colour(out))
        return has_colour(s->fmt) || s->range != AVCOL_RANGE_MPEG;
    return is_yuvj(out) || (!source_is_rgb(s) && s->range == AVCOL_RANGE_JPEG && !is_yuvj(s->fmt) &&
                            range_carried(a));
}

/* The scale filter's chroma position options for the source's chroma location, for frames
 * of format fmt, into buf ("" if it has none or fmt is not subsampled): the pre graph reads
 * the chroma where it is sited and the post graph sites it there again. The output said
 * "left" (MPEG-2's) for any source, and BT.2020's "topleft" chroma came out half a line off.
 * An axis that is not subsampled has its chroma on the luma's samples. */
const char *chroma_sited(const source_format *s, const char *side, enum AVPixelFormat fmt,
                         char *buf, size_t n)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    int x, y;
    if (!d || !(d->log2_chroma_w || d->log2_chroma_h) || s->chroma == AVCHROMA_LOC_UNSPECIFIED ||
        avcodec_enum_to_chroma_pos(&x, &y, s->chroma) < 0)
        return "";
    snprintf(buf, n, ":%s_h_chr_pos=%d:%s_v_chr_pos=%d", side, d->log2_chroma_w ? x : 0, side,
             d->log2_chroma_h ? y : 0);
    return buf;
}
