/* fuzz_model_load.c: libFuzzer target for srres_model_load_memory. Any input must give
 * either a model whose every parameter is finite and whose configuration is valid, or a
 * status with a non-empty, NUL-terminated message and no model; never a crash, a leak or
 * undefined behaviour. Build and run: make fuzz (tests/fuzz/fuzz.mk). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srres.h"

/* Checks what a successful load promises; aborts (a finding) when it does not hold. */
static void check_model(const srres_model *m)
{
    const srres_config *c = srres_model_config(m);
    if (c->scale != 2 && c->scale != 3 && c->scale != 4 && c->scale != 8)
        abort();
    if (c->blocks < 0 || c->channels < 1)
        abort();
    const float *p = srres_model_params_const(m);
    for (size_t i = 0; i < srres_model_num_params(m); i++)
        if (!isfinite(p[i]))
            abort();
}

static void check_error(srres_status st, const srres_model *m, const srres_error *err)
{
    if (st == SRRES_OK || m != NULL)
        abort();
    if (!memchr(err->message, 0, sizeof(err->message)) || !err->message[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srres_model *m = (srres_model *)&m; /* must be overwritten */
    srres_error err;
    memset(err.message, 'x', sizeof(err.message));
    srres_status st = srres_model_load_memory(data, size, "fuzz", &m, &err);
    if (st == SRRES_OK) {
        check_model(m);
        srres_model_free(m);
    } else {
        check_error(st, m, &err);
    }
    return 0;
}
