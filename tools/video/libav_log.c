/* libav_log.c: libav's log, kept for srres-video's own messages: the last error libav
 * logged (the reason behind an AVERROR) and libx264's refusal of a -x264-params key. Touches
 * only what it keeps, under its own lock: any thread may log. */
#include <libavutil/avstring.h>
#include <libavutil/log.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libav_log.h"

/* The last error libav logged: its log is off (its lines name no file), but the reason
 * behind an "Invalid argument" is often only there ("muxer does not support non seekable
 * output"). Held until a message of ours gives it or a handled failure drops it. */
static pthread_mutex_t libav_lock = PTHREAD_MUTEX_INITIALIZER;
static char libav_error[200];
/* Its line is not ended: libav writes some in pieces ("Error initializing filter 'scale'",
 * " with args 'abc'", "\n"), and the next piece goes on it. */
static int libav_error_open;
/* libx264 (and libx264rgb) takes a mistyped -x264-params key or value with a warning ("Error
 * parsing option 'keyintt = 48'"), which its log being off hid: the first is held, and the
 * run refused. */
static char x264_param_error[X264_PARAM_ERROR_SIZE];

void on_libav_log(void *obj, int level, const char *fmt, va_list vl)
{
    if (level <= AV_LOG_WARNING) {
        const AVClass *cls = obj ? *(const AVClass **)obj : NULL;
        char line[160];
        va_list copy;
        va_copy(copy, vl);
        vsnprintf(line, sizeof(line), fmt, copy);
        va_end(copy);
        size_t len = strcspn(line, "\n");
        int ends = line[len] == '\n';
        line[len] = '\0';
        pthread_mutex_lock(&libav_lock);
        if (level == AV_LOG_WARNING) {
            const char *option;
            if (!x264_param_error[0] && cls && av_strstart(cls->item_name(obj), "libx264", NULL) &&
                av_strstart(line, "Error parsing option ", &option)) {
                size_t n = strlen(option);
                n -= n && option[n - 1] == '.'; /* the sentence's full stop */
                snprintf(x264_param_error, sizeof(x264_param_error), "%.*s", (int)n, option);
            }
            pthread_mutex_unlock(&libav_lock);
            av_log_default_callback(obj, level, fmt, vl);
            return;
        }
        if (libav_error_open)
            av_strlcat(libav_error, line, sizeof(libav_error));
        else if (line[0])
            snprintf(libav_error, sizeof(libav_error), "%s%s%s", cls ? cls->item_name(obj) : "",
                     cls ? ": " : "", line);
        libav_error_open = libav_error[0] && !ends;
        pthread_mutex_unlock(&libav_lock);
    }
    av_log_default_callback(obj, level, fmt, vl);
}

/* The input's URL and its name as given: libav's reasons say the name, not the URL made of
 * it (file:t10:30:%02d.png for t10:30:%02d.png). Set before any thread logs. */
static const char *input_url_said, *input_name;

void name_input_url(const char *url, const char *name)
{
    input_url_said = url;
    input_name = name;
}

/* The error held, into reason (size n; none when n is 0), and no longer held. */
static void take_libav_error(char *reason, size_t n)
{
    pthread_mutex_lock(&libav_lock);
    size_t len = input_url_said ? strlen(input_url_said) : 0;
    const char *from = libav_error, *at;
    if (n)
        reason[0] = '\0';
    while (n && len && (at = strstr(from, input_url_said))) {
        snprintf(reason + strlen(reason), n - strlen(reason), "%.*s%s", (int)(at - from), from,
                 input_name);
        from = at + len;
    }
    if (n)
        av_strlcat(reason, from, n);
    libav_error[0] = '\0';
    libav_error_open = 0;
    pthread_mutex_unlock(&libav_lock);
}

void forget_libav_error(void)
{
    take_libav_error(NULL, 0);
}

/* A message (size n) with libav's own reason after it when it logged one. */
const char *with_libav_reason(char *msg, size_t n)
{
    char reason[sizeof(libav_error)];
    take_libav_error(reason, sizeof(reason));
    if (reason[0])
        snprintf(msg + strlen(msg), n - strlen(msg), " (%s)", reason);
    return msg;
}

/* An AVERROR as text, with libav's own reason for it when it logged one. */
const char *av_err(int ret, char *buf)
{
    av_strerror(ret, buf, AV_ERROR_MAX_STRING_SIZE);
    return with_libav_reason(buf, ERR_SIZE);
}

/* The -x264-params key or value libx264 could not parse, into buf (size n): "" if none. */
void get_x264_param_error(char *buf, size_t n)
{
    pthread_mutex_lock(&libav_lock);
    snprintf(buf, n, "%s", x264_param_error);
    pthread_mutex_unlock(&libav_lock);
}
