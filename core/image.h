/* image.h: moving pixels between caller images (srres_image) and float planes. */
#ifndef SRRES_IMAGE_H
#define SRRES_IMAGE_H

#include "srres.h"

/* Checks format, size, pointers and line sizes; `what` names the image in messages. */
srres_status image_check(const srres_image *img, const char *what, srres_error *err);

/* Whether two checked images share any byte: each plane is taken as the whole range from its
 * first row to its last, so images whose rows interleave count as overlapping too. */
int images_overlap(const srres_image *a, const srres_image *b);

/* dst [3][h][w] = the w x h region at (x, y) of img, as floats in [0, 1]. */
void image_read(const srres_image *img, int x, int y, int w, int h, float *dst);

/* Writes the w x h region at (sx, sy) of src [3][src_h][src_w] to img at (x, y):
 * clamped to [0, 1], scaled to the format's range and rounded to nearest. */
void image_write(const srres_image *img, int x, int y, int w, int h, const float *src,
                 int src_w, int src_h, int sx, int sy);

#endif
