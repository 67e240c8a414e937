#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

ws_rng ws_rng_stream(uint64_t seed, const char *purpose, uint64_t index) {
    uint64_t key = splitmix64(seed ^ splitmix64(fnv1a(purpose) ^ splitmix64(index)));
    ws_rng r;
    r.state = 0;
    r.inc = (splitmix64(key ^ 0xD1B54A32D192ED03ull) << 1) | 1u;
    ws_rng_u32(&r);
    r.state += key;
    ws_rng_u32(&r);
    return r;
}

uint32_t ws_rng_u32(ws_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ull + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

float ws_rng_uniform(ws_rng *r) { return (float)(ws_rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

uint32_t ws_rng_below(ws_rng *r, uint32_t n) {
    uint64_t m = (uint64_t)ws_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)ws_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float ws_rng_normal(ws_rng *r) {
    // u1 in (0, 1] so that log() is finite.
    double u1 = ((double)(ws_rng_u32(r) >> 8) + 1.0) / 16777216.0;
    double u2 = (double)(ws_rng_u32(r) >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void ws_rng_normals(ws_rng *r, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i += 2) {
        // u1 in (0, 1] so that logf() is finite.
        const float u1 = ((float)(ws_rng_u32(r) >> 8) + 1.0f) * (1.0f / 16777216.0f);
        const float u2 = (float)(ws_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
        const float radius = sqrtf(-2.0f * logf(u1)), angle = 6.28318530718f * u2;
        out[i] = radius * cosf(angle);
        if (i + 1 < n) out[i + 1] = radius * sinf(angle);
    }
}

void ws_rng_shuffle(ws_rng *r, int32_t *a, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = ws_rng_below(r, (uint32_t)(i + 1));
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
