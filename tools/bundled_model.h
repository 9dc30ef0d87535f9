/* bundled_model.h: the models srres ships (x2, x4, x2-fast and x4-fast: the .safetensors
 * files of samples/), found by name. A program run from a build folder beside its source
 * takes that tree's samples/; an installed one, the configured prefix's share/srres. */
#ifndef SRRES_BUNDLED_MODEL_H
#define SRRES_BUNDLED_MODEL_H

#include <stddef.h>

/* The model file an -m value names, in buf, by srres_model_find's rules (the filter's too) in
 * the bundled models' folders. NULL for a bare name that is neither a file nor a bundled
 * model, with a line in err naming `opt`, the value and the bundled models there are. */
const char *bundled_model_lookup(char *buf, size_t n, const char *opt, const char *value,
                                 char *err, size_t errlen);
/* The same, ending the program with that line. */
const char *bundled_model_resolve(char *buf, size_t n, const char *opt, const char *value);

/* The bundled model `name` in buf (the default "x4" included), or NULL when there is none;
 * dir (PATH_MAX bytes) gets the folder it was found in, or else the first looked in, for
 * messages. */
const char *bundled_model(char *buf, size_t n, char *dir, const char *name);

#endif
