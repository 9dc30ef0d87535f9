/* yuvj.c: the yuvj formats and their limited-range twins, one table both ways. */
#include <stddef.h>

#include "yuvj.h"

static const enum AVPixelFormat twins[][2] = {
    {AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P}, {AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P},
    {AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ444P}, {AV_PIX_FMT_YUV440P, AV_PIX_FMT_YUVJ440P},
    {AV_PIX_FMT_YUV411P, AV_PIX_FMT_YUVJ411P}};

static enum AVPixelFormat twin(enum AVPixelFormat f, int from)
{
    for (size_t i = 0; i < sizeof(twins) / sizeof(twins[0]); i++)
        if (twins[i][from] == f)
            return twins[i][!from];
    return f;
}

enum AVPixelFormat yuvj_full(enum AVPixelFormat f)
{
    return twin(f, 0);
}

enum AVPixelFormat yuvj_plain(enum AVPixelFormat f)
{
    return twin(f, 1);
}
