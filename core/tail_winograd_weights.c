/* tail_winograd_weights.c: the Winograd tail's weights (tail_winograd.h), in plain C so that
 * a CPU without AVX-512 never runs a function compiled for it. */
#include <string.h>

#include "tail_winograd.h"

/* G of F(3x3, 3x3) with interpolation points 0, 1, -1, 2 and infinity: of the choices with
 * small points, the one whose input transform has integer entries, and the most accurate
 * (1e-6 of the output's scale from the float64 sum over 64 channels). */
static const double G[5][3] = {
    {1.0 / 2, 0, 0},
    {-1.0 / 2, -1.0 / 2, -1.0 / 2},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 6, 1.0 / 3, 2.0 / 3},
    {0, 0, 1},
};

size_t tail_winograd_weights_floats(int cip)
{
    return (size_t)25 * 9 * 3 * cip;
}

void tail_winograd_weights(float *U, const float *weight, int cin, int cip)
{
    memset(U, 0, sizeof(float) * tail_winograd_weights_floats(cip));
    for (int co = 0; co < 3; co++)
        for (int ci = 0; ci < cin; ci++) {
            const float *w = weight + ((size_t)co * cin + ci) * 81;
            for (int ab = 0; ab < 9; ab++) {
                int a = ab / 3, b = ab % 3;
                double gw[5][3]; /* G w_ab */
                for (int i = 0; i < 5; i++)
                    for (int l = 0; l < 3; l++) {
                        gw[i][l] = 0;
                        for (int k = 0; k < 3; k++)
                            gw[i][l] += G[i][k] * w[(3 * a + k) * 9 + 3 * b + l];
                    }
                for (int i = 0; i < 5; i++)
                    for (int j = 0; j < 5; j++) {
                        double u = 0;
                        for (int l = 0; l < 3; l++)
                            u += gw[i][l] * G[j][l];
                        U[(((size_t)(i * 5 + j) * 9 + ab) * 3 + co) * cip + ci] = (float)u;
                    }
            }
        }
}
