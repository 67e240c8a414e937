// Runs every unit-test suite (Check). Exit status non-zero on any failure.
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "suites.h"

int main(void) {
    // Check's default 4 s per test is too little on a loaded 2-core machine;
    // suites that need more set their own (CK_DEFAULT_TIMEOUT still overrides).
    setenv("CK_DEFAULT_TIMEOUT", "30", 0);
    SRunner *sr = srunner_create(core_suite());
    srunner_add_suite(sr, ops_suite());
    srunner_add_suite(sr, model_suite());
    srunner_add_suite(sr, optim_suite());
    srunner_add_suite(sr, idx_suite());
    srunner_add_suite(sr, safetensors_suite());
    srunner_add_suite(sr, train_suite());
    srunner_add_suite(sr, linear_fast_suite());
    srunner_add_suite(sr, conv_ops_suite());
    srunner_add_suite(sr, onednn_suite());
    srunner_add_suite(sr, loaders_suite());
    srunner_add_suite(sr, online_suite());
    srunner_add_suite(sr, learners_suite());
    srunner_add_suite(sr, report_suite());
    srunner_add_suite(sr, resume_suite());
    srunner_add_suite(sr, config_suite());
    srunner_add_suite(sr, regularisers_suite());
    srunner_add_suite(sr, stats_suite());
    srunner_add_suite(sr, estimate_suite());
    srunner_add_suite(sr, claims_suite());
    srunner_add_suite(sr, continual_suite());
    srunner_add_suite(sr, inside_suite());
    srunner_add_suite(sr, api_suite());
    srunner_add_suite(sr, bf16_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
