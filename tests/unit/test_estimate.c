// The cost estimate's arithmetic (exp/estimate.h) on made-up calibrations: seconds of steps and
// evaluations, steps of runs over a pool, core-hours, the Slurm tasks for a budget (never more
// than the units, none when a unit alone overruns), and the budget's parsing and refusals.
#include <math.h>
#include <string.h>

#include "exp/estimate.h"
#include "suites.h"

START_TEST(t_seconds_of_work) {
    ws_cost c = {.step_s = 0.002, .eval_s = 0.5};
    ws_work w = {.steps = 10000, .evals = 30};
    ck_assert_double_eq_tol(ws_estimate_seconds(&c, &w), 20.0 + 15.0, 1e-9);
    ws_work none = {0};
    ck_assert_double_eq_tol(ws_estimate_seconds(&c, &none), 0, 1e-12);
}
END_TEST

START_TEST(t_steps_of_runs) {
    // 3 runs of 20 epochs over 3,333 examples in batches of 128: 27 steps an epoch (the last partial).
    ck_assert_double_eq_tol(ws_estimate_steps(3, 20, 3333, 128), 3 * 20 * 27, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_steps(1, 1, 128, 128), 1, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_steps(1, 1, 129, 128), 2, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_steps(2, 5, 0, 128), 0, 1e-12);
}
END_TEST

START_TEST(t_core_hours_and_tasks) {
    ck_assert_double_eq_tol(ws_estimate_core_hours(7200, 4), 8, 1e-12);
    // 20 h of work, an 8 h budget: 3 tasks (2.5 rounded up); within the 30 units.
    ck_assert_int_eq(ws_estimate_tasks(20 * 3600.0, 8 * 3600.0, 30), 3);
    ck_assert_int_eq(ws_estimate_tasks(16 * 3600.0, 8 * 3600.0, 30), 2);
    ck_assert_int_eq(ws_estimate_tasks(60, 8 * 3600.0, 30), 1);
    // 10 units of 10 h each cannot finish in 8 h however many tasks: none.
    ck_assert_int_eq(ws_estimate_tasks(100 * 3600.0, 8 * 3600.0, 10), 1e-12);
    // ... but at 10 h they can, one unit a task.
    ck_assert_int_eq(ws_estimate_tasks(100 * 3600.0, 10 * 3600.0, 10), 10);
}
END_TEST

START_TEST(t_median) {
    double v[] = {5, 1, 100, 2, 3};
    ck_assert_double_eq_tol(ws_median(v, 5), 3, 1e-12);
    double w[] = {4, 1, 2, 3};
    ck_assert_double_eq_tol(ws_median(w, 4), 2.5, 1e-12);
}
END_TEST

START_TEST(t_budget_parsed_and_refused) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    double s = 0;
    ck_assert_int_eq(ws_duration_parse(&ctx, "8h", &s), WS_OK);
    ck_assert_double_eq_tol(s, 28800, 1e-12);
    ck_assert_int_eq(ws_duration_parse(&ctx, "90m", &s), WS_OK);
    ck_assert_double_eq_tol(s, 5400, 1e-12);
    ck_assert_int_eq(ws_duration_parse(&ctx, "1.5d", &s), WS_OK);
    ck_assert_double_eq_tol(s, 129600, 1e-12);
    ck_assert_int_eq(ws_duration_parse(&ctx, "3600", &s), WS_OK);
    ck_assert_double_eq_tol(s, 3600, 1e-12);
    ck_assert_int_eq(ws_duration_parse(&ctx, "45s", &s), WS_OK);
    ck_assert_double_eq_tol(s, 45, 1e-12);
    const char *bad[] = {"", "h", "8x", "8hh", "-1h", "0", "abc", "nanh"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(ws_duration_parse(&ctx, bad[i], &s), WS_ERR_ARG);
        ck_assert_ptr_nonnull(strstr(ctx.err, "--budget"));
    }
    ck_assert_int_eq(ws_duration_parse(&ctx, NULL, &s), WS_ERR_ARG);
    ws_ctx_release(&ctx);
}
END_TEST

Suite *estimate_suite(void) {
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("arithmetic");
    tcase_add_test(tc, t_seconds_of_work);
    tcase_add_test(tc, t_steps_of_runs);
    tcase_add_test(tc, t_core_hours_and_tasks);
    tcase_add_test(tc, t_median);
    tcase_add_test(tc, t_budget_parsed_and_refused);
    suite_add_tcase(s, tc);
    return s;
}
