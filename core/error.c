/* error.c: status names and error messages. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

const char *srres_status_string(srres_status status)
{
    switch (status) {
    case SRRES_OK: return "success";
    case SRRES_ERR_IO: return "input/output error";
    case SRRES_ERR_FORMAT: return "malformed file";
    case SRRES_ERR_INVALID: return "invalid argument";
    case SRRES_ERR_NOMEM: return "out of memory";
    case SRRES_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

/* One line, whatever a file puts in the names it quotes: a tensor name or metadata key of a
 * hostile header may hold line breaks or a terminal's escape sequences, shown as '?'. */
static void format(srres_error *err, int errnum, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    for (char *c = err->message; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    err->sys_errno = errnum;
}

srres_status srres_fail(srres_error *err, srres_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        format(err, 0, fmt, ap);
        va_end(ap);
    }
    return status;
}

srres_status srres_fail_errno(srres_error *err, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        format(err, errnum, fmt, ap);
        va_end(ap);
    }
    return SRRES_ERR_IO;
}
