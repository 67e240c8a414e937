// Every unit-test suite, run by test_main.c.
#ifndef WS_TESTS_SUITES_H
#define WS_TESTS_SUITES_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"

Suite *core_suite(void);
Suite *ops_suite(void);
Suite *model_suite(void);
Suite *optim_suite(void);
Suite *idx_suite(void);
Suite *safetensors_suite(void);
Suite *train_suite(void);
Suite *linear_fast_suite(void);
Suite *conv_ops_suite(void);
Suite *onednn_suite(void);
Suite *loaders_suite(void);
Suite *online_suite(void);
Suite *learners_suite(void);
Suite *report_suite(void);
Suite *resume_suite(void);
Suite *config_suite(void);
Suite *regularisers_suite(void);
Suite *stats_suite(void);
Suite *estimate_suite(void);
Suite *claims_suite(void);
Suite *continual_suite(void);
Suite *inside_suite(void);
Suite *api_suite(void);
Suite *bf16_suite(void);

// Helpers shared by the suites (test_util.c).
// A fresh temporary directory (removed by the OS's tmp cleaning; tests use unique names).
const char *test_tmpdir(void);
// Write bytes to dir/name; returns the full path (static buffer rotated over 8 calls).
const char *test_write_file(const char *name, const void *data, size_t n);
// Finite differences: max |analytic - numeric| / max |numeric| over the n
// entries of x, each perturbed by +-h (central differences) while the
// objective f (computed in double) is re-evaluated.
typedef double (*objective)(void *user);
double fd_error(float *x, const float *analytic, int64_t n, objective f, void *user, float h);

// Logistic regression on one example, in double: g[k] = softmax(W x + b)[k] - [k == label]
// (the loss gradient is g for the bias and g x^T for the weights); W is (K, D).
void test_logreg_residual(const float *W, const float *b, const double *x, int D, int K, int label, double *g);

// A separable toy problem: n examples of 8 pixels (1x2x4), three classes told apart by which
// third of the pixels is bright, drawn from a fixed stream; xs holds n*8 bytes, ys and idx n
// (idx: 0..n-1). The dataset points into xs and ys.
ws_dataset test_toy_dataset(int n, uint8_t *xs, int32_t *ys, int32_t *idx);

// Write bytes gzip-compressed.
const char *test_write_gz(const char *name, const void *data, size_t n);

#endif
