/* simd_avx2.h: the vector layer of simd_avx512.h on AVX2 + FMA, with the same names: 8
 * lanes, 16 registers, masks as vectors of all-ones lanes, and no scatter (done lane by
 * lane). */
#ifndef SRRES_SIMD_AVX2_H
#define SRRES_SIMD_AVX2_H

#include <immintrin.h>

#define VL 8
#define ISA_NAME(name) name##_avx2

typedef __m256 vf;
typedef __m256i vi;
typedef __m256i vmask;

static inline vf vf_zero(void)
{
    return _mm256_setzero_ps();
}

static inline vf vf_set1(float x)
{
    return _mm256_set1_ps(x);
}

static inline vf vf_load(const float *p) /* p 32-byte aligned */
{
    return _mm256_load_ps(p);
}

static inline vf vf_loadu(const float *p)
{
    return _mm256_loadu_ps(p);
}

static inline void vf_store(float *p, vf v)
{
    _mm256_store_ps(p, v);
}

static inline void vf_storeu(float *p, vf v)
{
    _mm256_storeu_ps(p, v);
}

static inline vf vf_add(vf a, vf b)
{
    return _mm256_add_ps(a, b);
}

static inline vf vf_sub(vf a, vf b)
{
    return _mm256_sub_ps(a, b);
}

static inline vf vf_mul(vf a, vf b)
{
    return _mm256_mul_ps(a, b);
}

/* v, kept in a register: where a loaded vector feeds several multiply-adds, GCC can fold
 * its load into each of them, a load per use; the empty asm makes it load once. */
static inline vf vf_keep(vf v)
{
    __asm__("" : "+v"(v));
    return v;
}

static inline vf vf_fmadd(vf a, vf b, vf c)
{
    return _mm256_fmadd_ps(a, b, c);
}

static inline vf vf_fnmadd(vf a, vf b, vf c)
{
    return _mm256_fnmadd_ps(a, b, c);
}

static inline vmask vf_negative(vf v)
{
    return _mm256_castps_si256(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
}

static inline vf vf_mask_mul(vf v, vmask m, vf a)
{
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, a), _mm256_castsi256_ps(m));
}

static inline vf vf_maskz_mul(vmask m, vf a, vf b)
{
    return _mm256_and_ps(_mm256_mul_ps(a, b), _mm256_castsi256_ps(m));
}

static inline vf vf_prelu(vf v, vf slope)
{
    return vf_mask_mul(v, vf_negative(v), slope);
}

static inline float vf_reduce_add(vf v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static inline vmask vmask_lanes(const int *ok)
{
    int m[VL];
    for (int l = 0; l < VL; l++)
        m[l] = ok[l] ? -1 : 0;
    return _mm256_loadu_si256((const __m256i *)m);
}

static inline vmask vmask_first(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline vi vi_loadu(const int *p)
{
    return _mm256_loadu_si256((const __m256i *)p);
}

static inline vi vi_add1(vi a, int b)
{
    return _mm256_add_epi32(a, _mm256_set1_epi32(b));
}

static inline vf vf_gather(const float *base, vi at, vmask live)
{
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, at, _mm256_castsi256_ps(live), 4);
}

static inline void vf_scatter(float *base, vi at, vmask live, vf v)
{
    int to[VL], ok[VL];
    float x[VL];
    _mm256_storeu_si256((__m256i *)to, at);
    _mm256_storeu_si256((__m256i *)ok, live);
    _mm256_storeu_ps(x, v);
    for (int l = 0; l < VL; l++)
        if (ok[l])
            base[to[l]] = x[l];
}

static inline vf vf_maskz_loadu(vmask live, const float *p)
{
    return _mm256_maskload_ps(p, live);
}

static inline void vf_mask_storeu(float *p, vmask live, vf v)
{
    _mm256_maskstore_ps(p, live, v);
}

typedef struct vdsum {
    __m256d lo, hi;
} vdsum;

static inline vdsum vdsum_zero(void)
{
    return (vdsum){_mm256_setzero_pd(), _mm256_setzero_pd()};
}

static inline void vdsum_add(vdsum *s, vf v)
{
    s->lo = _mm256_add_pd(s->lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    s->hi = _mm256_add_pd(s->hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

static inline double vdsum_total(vdsum s)
{
    __m256d t = _mm256_add_pd(s.lo, s.hi);
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* r[i][j] -> r[j][i] (layout_template.c): pairs of rows interleaved, then pairs of pairs,
 * then the 128-bit halves swapped between rows four apart. */
static inline void vf_transpose(vf r[VL])
{
    vf t[VL], u[VL];
    #pragma GCC unroll 4
    for (int i = 0; i < VL; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    #pragma GCC unroll 2
    for (int i = 0; i < VL; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

#endif
