/* rng.c: xoshiro256** seeded through splitmix64, as its authors recommend. */
#include <math.h>

#include "srres.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void srres_rng_seed(srres_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t srres_rng_u64(srres_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t srres_rng_below(srres_rng *rng, uint32_t n)
{
    /* Lemire's multiply-shift; the bias is below 2^-32 and the result stays reproducible. */
    return (uint32_t)(((srres_rng_u64(rng) >> 32) * (uint64_t)n) >> 32);
}

double srres_rng_uniform(srres_rng *rng)
{
    return (double)(srres_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double srres_rng_normal(srres_rng *rng)
{
    /* Box-Muller, one value per call so the state sequence stays simple to checkpoint. */
    double u1 = 1.0 - srres_rng_uniform(rng);
    double u2 = srres_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
