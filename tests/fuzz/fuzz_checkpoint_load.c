/* fuzz_checkpoint_load.c: libFuzzer target for srres_checkpoint_load_memory: a model and
 * its Adam state (moments and step) from arbitrary bytes, or a clean refusal. Build and run:
 * make fuzz (tests/fuzz/fuzz.mk). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srres.h"

static void check_state(const srres_model *m, const srres_adam *adam)
{
    size_t n = srres_model_num_params(m);
    if (adam->n != n || !adam->m || !adam->v || adam->step < 0)
        abort();
    const float *p = srres_model_params_const(m);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]) || !isfinite(adam->m[i]) || !isfinite(adam->v[i]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srres_model *m = (srres_model *)&m; /* must be overwritten */
    srres_adam adam;
    srres_error err;
    memset(&adam, 0xa5, sizeof(adam));
    memset(err.message, 'x', sizeof(err.message));
    srres_status st = srres_checkpoint_load_memory(data, size, "fuzz", &m, &adam, &err);
    if (st == SRRES_OK) {
        check_state(m, &adam);
        srres_adam_release(&adam);
        srres_model_free(m);
    } else if (m != NULL || !memchr(err.message, 0, sizeof(err.message)) || !err.message[0]) {
        abort();
    }
    return 0;
}
