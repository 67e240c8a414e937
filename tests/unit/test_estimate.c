// The cost estimate's arithmetic (exp/estimate.h) on made-up calibrations: seconds of steps and
// evaluations, steps of runs over a pool, the loop's step from two timings (what a run pays once
// drops out), the jobs' makespan (--jobs: not the sum), core-hours, the Slurm tasks for a budget
// (never more than the units, none when a unit alone overruns), the epochs table, and the
// budget's parsing and refusals (exp/options.h, the option table's --budget).
#include <math.h>
#include <string.h>

#include "exp/estimate.h"
#include "exp/options.h"
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
    ck_assert_int_eq(ws_estimate_tasks(100 * 3600.0, 8 * 3600.0, 10), 0);
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

START_TEST(t_step_from_two_timings) {
    // A run pays 0.5 s once and 2 ms a step: 2 steps take 0.504 s, 10 take 0.520 s.
    ck_assert_double_eq_tol(ws_estimate_step_seconds(0.504, 2, 0.520, 10), 0.002, 1e-12);
    // The per-batch loop's work is in both timings' steps, so it stays in the step: a bare step of
    // 1 ms plus 1.5 ms of gathering and hooks a batch is priced 2.5 ms, not 1.
    ck_assert_double_eq_tol(ws_estimate_step_seconds(0.1 + 2 * 0.0025, 2, 0.1 + 10 * 0.0025, 10), 0.0025, 1e-12);
    // Timer noise (the long run no slower than the short): the long run's mean, never <= 0.
    ck_assert_double_eq_tol(ws_estimate_step_seconds(0.5, 2, 0.5, 10), 0.05, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_step_seconds(0.6, 2, 0.5, 10), 0.05, 1e-12);
}
END_TEST

START_TEST(t_jobs_makespan) {
    const double g[] = {10, 10, 10, 10, 10};
    // One job: the sum. Two: 3 rounds of 10 (the fifth group alone). Five or more: one group's.
    ck_assert_double_eq_tol(ws_estimate_makespan(g, 5, 1), 50, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_makespan(g, 5, 0), 50, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_makespan(g, 5, 2), 30, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_makespan(g, 5, 5), 10, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_makespan(g, 5, 8), 10, 1e-12);
    // Unequal groups in seed order, each to the job free first (exp/jobs.c's claim): 8 | 1, 1, 1 ->
    // job A 8, job B 1+1+1 = 3: 8, not the sum 11 nor the even share 5.5.
    const double u[] = {8, 1, 1, 1};
    ck_assert_double_eq_tol(ws_estimate_makespan(u, 4, 2), 8, 1e-12);
    // 1 | 8 then 1, 1 go to the job that took 1: 1+1+1 = 3 against 8.
    const double v[] = {1, 8, 1, 1};
    ck_assert_double_eq_tol(ws_estimate_makespan(v, 4, 2), 8, 1e-12);
    // 3, 3, 2, 2, 2 on two jobs: A 3+2, B 3+2, then A or B +2: 7 (list scheduling, not optimal 6).
    const double w[] = {3, 3, 2, 2, 2};
    ck_assert_double_eq_tol(ws_estimate_makespan(w, 5, 2), 7, 1e-12);
    ck_assert_double_eq_tol(ws_estimate_makespan(w, 0, 2), 0, 1e-12);
}
END_TEST

START_TEST(t_epochs_table) {
    // A measured row states its source; a run continuing from a trained model needs fewer epochs.
    ws_epochs_assumed a = ws_estimate_epochs(WS_MODEL_MLP, WS_OPT_ADAM, 0);
    ck_assert(a.fresh > 0 && a.warm > 0 && a.warm < a.fresh);
    ck_assert_ptr_nonnull(strstr(a.source, "CPU-scale"));
    ws_epochs_assumed o = ws_estimate_epochs(WS_MODEL_MLP, WS_OPT_ADAM, 1);
    ck_assert(o.fresh < a.fresh); // a round's pool is a share of the whole: fewer epochs to 99 %
    ws_epochs_assumed r = ws_estimate_epochs(WS_MODEL_RESNET18, WS_OPT_ADAM, 0);
    ck_assert(r.fresh < a.fresh); // the ResNet rows reach the threshold in a few epochs
    // No row: the stated guess.
    ws_epochs_assumed g = ws_estimate_epochs(WS_MODEL_CNN, WS_OPT_SGD, 1);
    ck_assert_double_eq(g.fresh, WS_ESTIMATE_ASSUMED_EPOCHS);
    ck_assert_ptr_nonnull(strstr(g.source, "a guess"));
}
END_TEST

START_TEST(t_budget_parsed_and_refused) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    double s = 0;
    const struct {
        const char *text;
        double s;
    } good[] = {{"8h", 28800}, {"90m", 5400}, {"1.5d", 129600}, {"3600", 3600}, {"3600s", 3600}, {"45s", 45},
                {"0.5h", 1800}, {".5h", 1800}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ck_assert_int_eq(ws_duration_parse(&ctx, "budget", good[i].text, &s), WS_OK);
        ck_assert_double_eq_tol(s, good[i].s, 1e-9);
    }
    const char *bad[] = {"", "h", "8x", "8hh", "-1h", "0", "0h", "abc", "nanh", "inf", " 8h", "8 h", "0x10", "1e999",
                         "8H", "+8h"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s = -7;
        ck_assert_msg(ws_duration_parse(&ctx, "budget", bad[i], &s) == WS_ERR_ARG, "'%s' accepted", bad[i]);
        ck_assert_ptr_nonnull(strstr(ctx.err, "--budget '"));
        ck_assert_double_eq(s, -7); // untouched
    }
    ck_assert_int_eq(ws_duration_parse(&ctx, "budget", NULL, &s), WS_ERR_ARG);
    // Through the option table, as a command line or an experiment file sets it.
    ws_options o;
    ws_options_defaults(&o, WS_CMD_ONLINE);
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_ONLINE, &o, "budget", "90m"), WS_OK);
    ck_assert_double_eq_tol(o.budget, 5400, 1e-9);
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_ONLINE, &o, "budget", "8x"), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--budget '8x': not a wall-clock time: a positive number with s, m, h or d (8h, 90m, "
                              "3600s, 1.5d; plain: seconds)");
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_ONLINE, &o, "budget", NULL), WS_ERR_ARG);
    ck_assert_ptr_nonnull(ws_option_find(WS_CMD_BATCH, "budget"));
    ck_assert_int_eq(ws_option_find(WS_CMD_BATCH, "budget")->runner, 1); // how to run, not what: not in run.json
    ck_assert_ptr_nonnull(ws_option_find(WS_CMD_CONTINUAL, "estimate"));
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
    tcase_add_test(tc, t_step_from_two_timings);
    tcase_add_test(tc, t_jobs_makespan);
    tcase_add_test(tc, t_epochs_table);
    tcase_add_test(tc, t_budget_parsed_and_refused);
    suite_add_tcase(s, tc);
    return s;
}
