// Parseval regularisation's penalty on one weight matrix (learn/parseval.c), exposed for its
// finite-difference test.
#ifndef WS_LEARN_PARSEVAL_H
#define WS_LEARN_PARSEVAL_H

#include <stdint.h>

#include "core/ctx.h"

// W is rows x cols, row-major (a Linear weight (out, in); a convolution's kernel as (out,
// in*kh*kw)). Returns coef * ||W W^T - s I||_F^2 (in double, from W W^T in float) and, with g
// non-NULL, adds its gradient coef * 4 (W W^T - s I) W to g. The products run on ctx's backend.
// scratch: ws_parseval_scratch(rows, cols) floats.
double ws_parseval_penalty(ws_ctx *ctx, const float *w, float *g, int rows, int64_t cols, float s, float coef,
                           float *scratch);
int64_t ws_parseval_scratch(int rows, int64_t cols);

#endif
