/* run_metadata.c: see run_metadata.h. */
#include "run_metadata.h"

#include <string.h>

void run_metadata_strip(srres_model *m)
{
    for (int i = srres_model_metadata_count(m) - 1; i >= 0; i--) {
        const char *key = srres_model_metadata_key(m, i);
        if (!strncmp(key, "train.", 6))
            srres_model_set_metadata(m, key, NULL, NULL);
    }
}
