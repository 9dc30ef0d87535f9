/* libav_log.h: libav's log, kept for srres-video's messages (libav_log.c). */
#ifndef SRRES_VIDEO_LIBAV_LOG_H
#define SRRES_VIDEO_LIBAV_LOG_H

#include <libavutil/error.h>
#include <stdarg.h>
#include <stddef.h>

#define ERR_SIZE (AV_ERROR_MAX_STRING_SIZE + 224) /* av_err's: its text and libav's reason */
#define X264_PARAM_ERROR_SIZE 160

/* av_log_set_callback's: keeps the last error and libx264's first -x264-params warning,
 * then logs as libav's own callback does. */
void on_libav_log(void *obj, int level, const char *fmt, va_list vl);

/* The input's URL (input_url) that libav's reasons say as the name given. */
void name_input_url(const char *url, const char *name);

/* The last error kept, dropped or given after a message of ours or an AVERROR's text (in
 * a buf of ERR_SIZE); either way it is no longer kept. */
void forget_libav_error(void);
const char *with_libav_reason(char *msg, size_t n);
const char *av_err(int ret, char *buf);

/* libx264's first refusal of a -x264-params key or value, "" if none. */
void get_x264_param_error(char *buf, size_t n);

#endif
