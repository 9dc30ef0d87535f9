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
 * hostile header may hold line breaks or a terminal's escape sequences, its control
 * characters (C0, DEL, and C1 as UTF-8 spells them: U+009B is a CSI) shown as '?'. */
static void format(srres_error *err, int errnum, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    unsigned char *in = (unsigned char *)err->message, *out = in;
    for (; *in; in++) {
        if (in[0] == 0xc2 && in[1] >= 0x80 && in[1] <= 0x9f) { /* U+0080..U+009F */
            *out++ = '?';
            in++;
        } else {
            *out++ = *in < 0x20 || *in == 0x7f ? '?' : *in;
        }
    }
    *out = '\0';
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
