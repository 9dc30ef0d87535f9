/* error.h: filling an srres_error and returning its status in one statement. */
#ifndef SRRES_ERROR_H
#define SRRES_ERROR_H

#include "srres.h"

/* Formats the message into `err` (if not NULL) and returns `status`. */
srres_status srres_fail(srres_error *err, srres_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same for a failed system call: SRRES_ERR_IO, with its errno kept in err->sys_errno. */
srres_status srres_fail_errno(srres_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
