/* yuvj.h: FFmpeg's deprecated full-range YUV formats (yuvj420p and kin), which say their
 * range by their name, and the limited-range formats of the same layout. */
#ifndef SRRES_YUVJ_H
#define SRRES_YUVJ_H

#include <libavutil/pixfmt.h>

/* yuv420p -> yuvj420p and the like; any other format as it is. */
enum AVPixelFormat yuvj_full(enum AVPixelFormat f);
/* yuvj420p -> yuv420p and the like (the same planes, read as full range); any other as it is. */
enum AVPixelFormat yuvj_plain(enum AVPixelFormat f);

#endif
