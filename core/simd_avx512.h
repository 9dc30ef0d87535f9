/* simd_avx512.h: the vector layer the shared kernels (*_template.c) are written in, on
 * AVX-512: VL lanes of float, and the few operations the kernels use. Its twin, simd_avx2.h,
 * has the same names on AVX2 + FMA; a kernel file includes one, then its template. */
#ifndef SRRES_SIMD_AVX512_H
#define SRRES_SIMD_AVX512_H

#include <immintrin.h>

#define VL 16
/* Names of the kernels built from a template: AVX-512's are the plain names. */
#define ISA_NAME(name) name

typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vmask;

static inline vf vf_zero(void)
{
    return _mm512_setzero_ps();
}

static inline vf vf_set1(float x)
{
    return _mm512_set1_ps(x);
}

static inline vf vf_load(const float *p) /* p 64-byte aligned */
{
    return _mm512_load_ps(p);
}

static inline vf vf_loadu(const float *p)
{
    return _mm512_loadu_ps(p);
}

static inline void vf_store(float *p, vf v)
{
    _mm512_store_ps(p, v);
}

static inline void vf_storeu(float *p, vf v)
{
    _mm512_storeu_ps(p, v);
}

static inline vf vf_add(vf a, vf b)
{
    return _mm512_add_ps(a, b);
}

static inline vf vf_sub(vf a, vf b)
{
    return _mm512_sub_ps(a, b);
}

static inline vf vf_mul(vf a, vf b)
{
    return _mm512_mul_ps(a, b);
}

/* v, kept in a register: where a loaded vector feeds several multiply-adds, GCC can fold
 * its load into each of them, a load per use; the empty asm makes it load once. */
static inline vf vf_keep(vf v)
{
    __asm__("" : "+v"(v));
    return v;
}

static inline vf vf_fmadd(vf a, vf b, vf c) /* a b + c */
{
    return _mm512_fmadd_ps(a, b, c);
}

static inline vf vf_fnmadd(vf a, vf b, vf c) /* c - a b */
{
    return _mm512_fnmadd_ps(a, b, c);
}

/* The lanes where v < 0. */
static inline vmask vf_negative(vf v)
{
    return _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
}

/* v a in the lanes of m, v in the others. */
static inline vf vf_mask_mul(vf v, vmask m, vf a)
{
    return _mm512_mask_mul_ps(v, m, v, a);
}

/* a b in the lanes of m, 0 in the others. */
static inline vf vf_maskz_mul(vmask m, vf a, vf b)
{
    return _mm512_maskz_mul_ps(m, a, b);
}

/* v where v >= 0 (or NaN), else v slope: PReLU. */
static inline vf vf_prelu(vf v, vf slope)
{
    return vf_mask_mul(v, vf_negative(v), slope);
}

static inline float vf_reduce_add(vf v)
{
    return _mm512_reduce_add_ps(v);
}

/* Lanes whose ok[lane] is non-zero. */
static inline vmask vmask_lanes(const int *ok)
{
    vmask m = 0;
    for (int l = 0; l < VL; l++)
        m |= (vmask)((ok[l] != 0) << l);
    return m;
}

static inline vmask vmask_first(int n)
{
    return (vmask)(n >= VL ? 0xffff : (1u << n) - 1);
}

static inline vi vi_loadu(const int *p)
{
    return _mm512_loadu_si512(p);
}

static inline vi vi_add1(vi a, int b)
{
    return _mm512_add_epi32(a, _mm512_set1_epi32(b));
}

/* base[at[lane]] for the live lanes, 0 in the others. */
static inline vf vf_gather(const float *base, vi at, vmask live)
{
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, at, base, 4);
}

static inline void vf_scatter(float *base, vi at, vmask live, vf v)
{
    _mm512_mask_i32scatter_ps(base, live, at, v, 4);
}

/* p[lane] for the live lanes (the others are not read), 0 in the others. */
static inline vf vf_maskz_loadu(vmask live, const float *p)
{
    return _mm512_maskz_loadu_ps(live, p);
}

/* p[lane] = v[lane] for the live lanes; the others are not written. */
static inline void vf_mask_storeu(float *p, vmask live, vf v)
{
    _mm512_mask_storeu_ps(p, live, v);
}

/* A sum of floats kept in double, lane by lane: the low and the high half of each vector. */
typedef struct vdsum {
    __m512d lo, hi;
} vdsum;

static inline vdsum vdsum_zero(void)
{
    return (vdsum){_mm512_setzero_pd(), _mm512_setzero_pd()};
}

static inline void vdsum_add(vdsum *s, vf v)
{
    s->lo = _mm512_add_pd(s->lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    __m256 upper = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    s->hi = _mm512_add_pd(s->hi, _mm512_cvtps_pd(upper));
}

static inline double vdsum_total(vdsum s)
{
    return _mm512_reduce_add_pd(_mm512_add_pd(s.lo, s.hi));
}

/* r[i][j] -> r[j][i] (layout_template.c), in four butterfly stages of distance d = 8, 4, 2,
 * 1: each swaps bit d of the row index with bit d of the column index between rows i and
 * i + d, the low row taking its partner's low half, the high row its partner's high half.
 * The indices are constants, which the compiler keeps in registers across a loop. */
static inline void vf_transpose(vf r[VL])
{
    const __m512i lo[4] = {
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
        _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
        _mm512_setr_epi32(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
        _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)};
    const __m512i hi[4] = {
        _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31),
        _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31),
        _mm512_setr_epi32(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31),
        _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31)};
    #pragma GCC unroll 4
    for (int s = 0; s < 4; s++) {
        int d = 8 >> s;
        #pragma GCC unroll 16
        for (int i = 0; i < VL; i++) {
            if (i & d)
                continue;
            vf a = r[i], b = r[i + d];
            r[i] = _mm512_permutex2var_ps(a, lo[s], b);
            r[i + d] = _mm512_permutex2var_ps(a, hi[s], b);
        }
    }
}

#endif
