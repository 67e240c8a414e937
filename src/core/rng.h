// Seeded random numbers: PCG32 (O'Neill, pcg-random.org), one independent
// stream per purpose. Every random choice in warmstart draws from a stream named
// by (seed, purpose, index) -- e.g. ("init", round) or ("shuffle", epoch) -- so
// that adding a draw in one place never shifts the numbers drawn elsewhere, and
// two learners given the same stream see the same data order.
#ifndef WS_CORE_RNG_H
#define WS_CORE_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc; // stream selector, always odd
} ws_rng;

// A stream for (seed, purpose, index).
ws_rng ws_rng_stream(uint64_t seed, const char *purpose, uint64_t index);

uint32_t ws_rng_u32(ws_rng *r);
// Uniform in [0, 1) with 24 random bits (exactly representable as float).
float ws_rng_uniform(ws_rng *r);
// Uniform integer in [0, n), unbiased (Lemire's method).
uint32_t ws_rng_below(ws_rng *r, uint32_t n);
// Standard normal (Box-Muller, one value per call; deterministic).
float ws_rng_normal(ws_rng *r);
// n standard normals at once, both of each Box-Muller pair's values used and in float (about
// four times as fast as n calls of ws_rng_normal, and another sequence): the noise drawn per
// parameter per update (UPGD's).
void ws_rng_normals(ws_rng *r, float *out, int64_t n);
// Fisher-Yates shuffle of an int array.
void ws_rng_shuffle(ws_rng *r, int32_t *a, int64_t n);

#endif
