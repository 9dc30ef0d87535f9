/* ensemble.h: the eight flips and transposes of a square's symmetry group (the dihedral
 * group), applied to float planes, for self-ensemble inference. */
#ifndef SRRES_ENSEMBLE_H
#define SRRES_ENSEMBLE_H

#define ENSEMBLE_MAX 8

/* Whether transform t (0..7) swaps width and height. */
int ensemble_transposes(int t);

/* dst [c][w][h] when t transposes, else [c][h][w] = transform t of src [c][h][w].
 * Transforms 0..n-1 form a group for n = 1, 2, 4 and 8, so a network's mean over them
 * commutes with each of them (up to float rounding). */
void ensemble_transform(float *dst, const float *src, int c, int h, int w, int t);

/* acc [c][h][w] += transform t undone on src, an output of the transformed image: src is
 * [c][w][h] when t transposes, else [c][h][w]. */
void ensemble_accumulate(float *acc, const float *src, int c, int h, int w, int t);

#endif
