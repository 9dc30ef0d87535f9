/* run_metadata.h: srres-train keeps a run's resume state (options, sampler position) as
 * "train.*" metadata of the checkpoint's model; a finished model must not carry it. */
#ifndef SRRES_RUN_METADATA_H
#define SRRES_RUN_METADATA_H

#include "srres.h"

/* Removes every "train.*" key of m. */
void run_metadata_strip(srres_model *m);

#endif
