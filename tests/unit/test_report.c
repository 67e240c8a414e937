// warmstart report on hand-made results: the page holds the numbers computed
// by hand (means, Student-t intervals, gaps paired by seed), every learner the
// records name (not only warm and random), the sweep's Pareto marks and front,
// and the figures by relative path; broken input gives one line naming the
// file and line, and leaves no page behind.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/claims.h"
#include "report/forest.h"
#include "report/plot.h"
#include "report/report.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 1); }
static void teardown(void) { ws_ctx_release(&ctx); }

// test_tmpdir()/rel, with its folders created.
static const char *mkdirs(const char *rel) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), rel);
    for (char *c = path + strlen(test_tmpdir()) + 1; *c; c++) {
        if (*c != '/') continue;
        *c = 0;
        mkdir(path, 0777);
        *c = '/';
    }
    mkdir(path, 0777);
    return path;
}

// Write JSON written with single quotes (readable in C) as real JSON.
static void write_json(const char *name, const char *text) {
    char *s = strdup(text);
    for (char *c = s; *c; c++)
        if (*c == '\'') *c = '"';
    test_write_file(name, s, strlen(s));
    free(s);
}

static char *slurp(const char *dir, const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc((size_t)n + 1, 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) abort();
    fclose(f);
    return s;
}

static int gnuplot_on_path(void) {
    const char *path = getenv("PATH");
    char dir[4096], exe[4200];
    snprintf(dir, sizeof dir, "%s", path ? path : "");
    for (char *d = strtok(dir, ":"); d; d = strtok(NULL, ":")) {
        snprintf(exe, sizeof exe, "%s/gnuplot", d);
        if (!access(exe, X_OK)) return 1;
    }
    return 0;
}

static long file_size(const char *dir, const char *name) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    return stat(p, &sb) ? -1 : (long)sb.st_size;
}

#define CONFIG(exp)                                                                                                   \
    "'config':{'experiment':'" exp "','data':{'name':'fashion-mnist'},'model':{'arch':'mlp 784-100-100-10'},"        \
    "'phase1':{'optimizer':'adam','lr':0.001,'batch_size':128},'threshold':0.99,'protocol':'default'}"

#define RUN(acc, epochs, secs, conv) "{'test_acc':" #acc ",'epochs':" #epochs ",'seconds':" #secs ",'converged':" #conv "}"

// Two seeds, an extra learner between warm and random. By hand: warm 80, 84 ->
// 82.00 ± t(1) 12.706 * sd 2.828 / sqrt 2 = 25.41; gaps to random (82, 85) per
// seed: warm -2, -1 -> -1.50 ± 6.35; shrink-perturb +4, +3 -> +3.50 ± 6.35.
static void write_batch(const char *rel) {
    char name[256];
    mkdirs(rel);
    snprintf(name, sizeof name, "%s/batch.jsonl", rel);
    write_json(name, "{'seed':1,'n_pool':100,'n_first':50,'n_eval':100,'runs':{'phase1':" RUN(0.70, 10, 1, true)
                     ",'warm':" RUN(0.80, 4, 2, true) ",'shrink-perturb':" RUN(0.86, 6, 2.5, true)
                     ",'random':" RUN(0.82, 12, 3, true) "}," CONFIG("batch") "}\n"
                     "{'seed':2,'n_pool':100,'n_first':50,'n_eval':100,'runs':{'phase1':" RUN(0.72, 12, 1, true)
                     ",'warm':" RUN(0.84, 6, 2, true) ",'shrink-perturb':" RUN(0.88, 8, 2.5, true)
                     ",'random':" RUN(0.85, 14, 3, false) "}," CONFIG("batch") "}\n");
    snprintf(name, sizeof name, "%s/figures", rel);
    mkdirs(name);
    snprintf(name, sizeof name, "%s/figures/accuracy.png", rel);
    test_write_file(name, "\x89PNG", 4);
}

#define ROUND(seen, acc, cum) "{'round':0,'examples_seen':" #seen ",'test_acc':" #acc ",'cumulative_seconds':" #cum ",'converged':true}"

// Two seeds, two rounds; final round warm 80, 82 -> 81.00 ± 12.71, random 84, 84
// -> 84.00 ± 0.00, gap -4, -2 -> -3.00 ± 12.71.
static void write_online(const char *rel) {
    char name[256];
    mkdirs(rel);
    snprintf(name, sizeof name, "%s/online.jsonl", rel);
    write_json(name, "{'seed':1,'n_pool':2000,'n_eval':100,'learners':{'warm':[" ROUND(1000, 0.7, 1) "," ROUND(2000, 0.80, 2)
                     "],'random':[" ROUND(1000, 0.7, 1) "," ROUND(2000, 0.84, 4) "]}," CONFIG("active") "}\n"
                     "{'seed':2,'n_pool':2000,'n_eval':100,'learners':{'warm':[" ROUND(1000, 0.72, 1) "," ROUND(2000, 0.82, 2)
                     "],'random':[" ROUND(1000, 0.72, 1) "," ROUND(2000, 0.84, 4) "]}," CONFIG("active") "}\n");
}

// One seed: means alone, no interval. A learner name that HTML must escape.
static void write_transfer(const char *rel) {
    char name[256];
    mkdirs(rel);
    snprintf(name, sizeof name, "%s/transfer.jsonl", rel);
    write_json(name, "{'seed':1,'pretrain':" RUN(0.9, 5, 1, true) ",'points':["
                     "{'fraction':0.1,'train_examples':300,'warm':" RUN(0.8866, 3, 1, true) ",'random':" RUN(0.884, 3, 1, true)
                     ",'a<b&c':" RUN(0.5, 1, 1, true) ",'warm_body_vs_pretrained':{'pearson':0.9}},"
                     "{'fraction':0.5,'train_examples':1500,'warm':" RUN(0.9252, 3, 1, true) ",'random':" RUN(0.9256, 3, 1, true)
                     ",'a<b&c':" RUN(0.6, 1, 1, true) ",'warm_body_vs_pretrained':{'pearson':0.8}}]," CONFIG("transfer") "}\n");
}

#define SWEEP_ROW(pt, lr, learner, acc, ci, secs, pareto)                                                             \
    "{'point':" #pt ",'params':{'lr':'" lr "','batch':'32'},'learner':'" learner "','test_acc':{'mean':" #acc         \
    ",'ci95':" #ci ",'n':3},'seconds':{'mean':" #secs ",'ci95':0.5,'n':3},'epochs':{'mean':7,'ci95':1,'n':3},"      \
    "'pareto':" #pareto ",'dir':'points/00" #pt "'," CONFIG("sweep") "}\n"

static void write_sweep(const char *rel) {
    char name[256];
    mkdirs(rel);
    snprintf(name, sizeof name, "%s/sweep.jsonl", rel);
    write_json(name, SWEEP_ROW(0, "0.1", "random", 0.92, 0.01, 5, true) SWEEP_ROW(0, "0.1", "warm", 0.90, 0.01, 2, true)
                         SWEEP_ROW(1, "0.01", "warm", 0.85, 0.02, 3, false));
    snprintf(name, sizeof name, "%s/sweep.png", rel);
    test_write_file(name, "\x89PNG", 4);
    // A point's own results are the sweep's rows, not another experiment.
    char points[300];
    snprintf(points, sizeof points, "%s/points/000", rel);
    write_batch(points);
}

// s holds a then b (both present).
static int in_order(const char *s, const char *a, const char *b) {
    const char *x = strstr(s, a), *y = strstr(s, b);
    return x && y && x < y;
}

START_TEST(every_kind_on_one_page) {
    write_batch("all/a-batch");
    write_online("all/b-online");
    write_transfer("all/c-transfer");
    write_sweep("all/d-sweep");
    const char *dir = mkdirs("all");
    int n = -1;
    ck_assert_msg(ws_report_write(&ctx, dir, &n) == WS_OK, "%s", ctx.err);
    ck_assert_int_eq(n, 4);
    char *md = slurp(dir, "report.md"), *html = slurp(dir, "report.html");
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(html);
    // Sorted folders, one section each; the sweep's points/ is not a section.
    ck_assert(in_order(md, "## batch: a-batch", "## active: b-online"));
    ck_assert(in_order(md, "## active: b-online", "## transfer: c-transfer"));
    ck_assert(in_order(md, "## transfer: c-transfer", "## sweep: d-sweep"));
    ck_assert_ptr_null(strstr(md, "## batch: d-sweep/points/000"));
    ck_assert_ptr_nonnull(strstr(md, "](d-sweep/points/000/figures/accuracy.png)")); // its figures, under the sweep
    // The configuration line.
    ck_assert_ptr_nonnull(strstr(md, "fashion-mnist; mlp 784-100-100-10; adam, lr 0.001, batch 128; threshold 0.99; "
                                     "protocol default; 2 seeds; learners: warm, shrink-perturb, random"));
    // Batch: every run in order, hand-computed means, intervals and gaps.
    ck_assert_ptr_nonnull(strstr(md, "| phase 1 | 71.00 ± 12.71 | 11.0 ± 12.7 | 1.00 ± 0.00 | 2/2 | – |"));
    ck_assert_ptr_nonnull(strstr(md, "| warm | 82.00 ± 25.41 | 5.0 ± 12.7 | 2.00 ± 0.00 | 2/2 | -1.50 ± 6.35 |"));
    ck_assert_ptr_nonnull(strstr(md, "| shrink-perturb | 87.00 ± 12.71 | 7.0 ± 12.7 | 2.50 ± 0.00 | 2/2 | +3.50 ± 6.35 |"));
    ck_assert_ptr_nonnull(strstr(md, "| random | 83.50 ± 19.06 | 13.0 ± 12.7 | 3.00 ± 0.00 | 1/2 | – |"));
    ck_assert(in_order(md, "| shrink-perturb |", "| random |"));
    // Online (here active): final round with the paired gap, then per round.
    ck_assert_ptr_nonnull(strstr(md, "| warm | 81.00 ± 12.71 | 2.00 ± 0.00 | 2/2 | -3.00 ± 12.71 |"));
    ck_assert_ptr_nonnull(strstr(md, "| 1000 | 71.00 ± 12.71 | 71.00 ± 12.71 |"));
    ck_assert_ptr_nonnull(strstr(md, "| 2000 | 81.00 ± 12.71 | 84.00 ± 0.00 |"));
    // Transfer, one seed: the means alone; warm_body_vs_pretrained is no learner.
    ck_assert_ptr_nonnull(strstr(md, "pretrained on ?: test acc 90.00 %; 1 seed; learners: warm, random, a"));
    ck_assert_ptr_nonnull(strstr(md, "| 10 | 300 | 88.66 | 88.40 | 50.00 |"));
    ck_assert_ptr_null(strstr(md, "warm_body"));
    ck_assert_ptr_nonnull(strstr(html, "<th>a&lt;b&amp;c</th>"));
    ck_assert_ptr_null(strstr(html, "a<b"));
    // Sweep: params, acc ± ci in %, the Pareto mark; the front fastest first.
    ck_assert_ptr_nonnull(strstr(md, "| 0 | 0.1 | 32 | warm | 90.00 ± 1.00 | 2.00 ± 0.50 | 7.0 ± 1.0 | 3 | ★ |"));
    ck_assert_ptr_nonnull(strstr(md, "| 1 | 0.01 | 32 | warm | 85.00 ± 2.00 | 3.00 ± 0.50 | 7.0 ± 1.0 | 3 |  |"));
    ck_assert_ptr_nonnull(strstr(md, "grid over lr, batch (3 rows); learners: random, warm"));
    ck_assert(in_order(md, "| 2.00 ± 0.50 | 90.00 ± 1.00 | warm | 0 | lr=0.1, batch=32 |",
                       "| 5.00 ± 0.50 | 92.00 ± 1.00 | random | 0 | lr=0.1, batch=32 |"));
    // Figures by path relative to the page.
    ck_assert_ptr_nonnull(strstr(md, "](a-batch/figures/accuracy.png)"));
    ck_assert_ptr_nonnull(strstr(html, "<img src=\"a-batch/figures/accuracy.png\""));
    ck_assert_ptr_nonnull(strstr(html, "<img src=\"d-sweep/sweep.png\""));
    ck_assert_ptr_nonnull(strstr(html, "<table>"));
    ck_assert_ptr_nonnull(strstr(html, "</html>"));
    free(md);
    free(html);
}
END_TEST

// A sweep's points drawn one by one (reproduce plots each point's two-phase figures): shown under
// the sweep, by path relative to the page.
START_TEST(sweep_points_figures_on_the_page) {
    write_sweep("pts/s");
    mkdirs("pts/s/points/000/figures");
    test_write_file("pts/s/points/000/figures/curves-test.png", "\x89PNG", 4);
    const char *dir = mkdirs("pts");
    int n = -1;
    ck_assert_msg(ws_report_write(&ctx, dir, &n) == WS_OK, "%s", ctx.err);
    char *html = slurp(dir, "report.html");
    ck_assert_ptr_nonnull(strstr(html, "Point 000 (its row in the table above):"));
    ck_assert_ptr_nonnull(strstr(html, "<img src=\"s/points/000/figures/curves-test.png\""));
    free(html);
}
END_TEST

START_TEST(results_in_the_folder_itself) {
    write_online("self");
    const char *dir = mkdirs("self");
    int n = 0;
    ck_assert_msg(ws_report_write(&ctx, dir, &n) == WS_OK, "%s", ctx.err);
    ck_assert_int_eq(n, 1);
    char *md = slurp(dir, "report.md");
    ck_assert_ptr_nonnull(strstr(md, "## active: ."));
    free(md);
}
END_TEST

// Four levels below DIR are searched, not five; hidden folders are skipped.
START_TEST(search_depth) {
    write_online("deep/1/2/3/4");
    write_online("deep/1/2/3/4/5");
    write_online("deep/.hidden");
    const char *dir = mkdirs("deep");
    int n = 0;
    ck_assert_msg(ws_report_write(&ctx, dir, &n) == WS_OK, "%s", ctx.err);
    ck_assert_int_eq(n, 1);
    char *md = slurp(dir, "report.md");
    ck_assert_ptr_nonnull(strstr(md, "## active: 1/2/3/4\n"));
    free(md);
}
END_TEST

START_TEST(missing_or_empty_folder) {
    int n = 7;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-folder", test_tmpdir());
    ck_assert_int_eq(ws_report_write(&ctx, missing, &n), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "no-such-folder: No such file or directory"));
    ck_assert_int_eq(n, 0);
    const char *empty = mkdirs("empty/sub");
    ck_assert_int_eq(ws_report_write(&ctx, empty, &n), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "no results found (batch.jsonl, online.jsonl, transfer.jsonl or sweep.jsonl)"));
    const char *file = test_write_file("not-a-folder", "x", 1);
    ck_assert_int_eq(ws_report_write(&ctx, file, &n), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "not a folder"));
}
END_TEST

// No page at all, and no temporary file left, after a failure.
static void assert_no_page(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));) ck_assert_msg(strncmp(e->d_name, "report.", 7), "left %s", e->d_name);
    closedir(d);
}

START_TEST(corrupt_line_names_file_and_line) {
    write_online("bad/a");
    mkdirs("bad/b");
    write_json("bad/b/batch.jsonl", "{'seed':1,'runs':{'warm':" RUN(0.8, 1, 1, true) "}," CONFIG("batch") "}\n{'seed':2,'runs':\n");
    const char *dir = mkdirs("bad");
    int n = 0;
    ck_assert_int_eq(ws_report_write(&ctx, dir, &n), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, "bad/b/batch.jsonl: line 2: not JSON"), "%s", ctx.err);
    assert_no_page(dir);
    // Valid JSON without the fields a batch record needs.
    write_json("bad/b/batch.jsonl", "\n{'seed':1," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_report_write(&ctx, dir, &n), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, "bad/b/batch.jsonl: line 2: no \"runs\" object"), "%s", ctx.err);
    write_json("bad/b/batch.jsonl", "{'seed':1,'runs':{'warm':{'epochs':3}}}\n");
    ck_assert_int_eq(ws_report_write(&ctx, dir, &n), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, "batch.jsonl: line 1: no \"config\" object"), "%s", ctx.err);
    write_json("bad/b/batch.jsonl", "{'seed':1,'runs':{'warm':{'epochs':3}}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_report_write(&ctx, dir, &n), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, "batch.jsonl: line 1: runs.warm has no test_acc"), "%s", ctx.err);
    write_json("bad/b/batch.jsonl", "");
    ck_assert_int_eq(ws_report_write(&ctx, dir, &n), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, "batch.jsonl: no results in the file"), "%s", ctx.err);
    assert_no_page(dir);
}
END_TEST

START_TEST(verdicts_from_paired_differences) {
    ws_summary sm;
    const double above[3] = {2, 3, 4}, around[3] = {-1, 0.5, 1}, below[3] = {-3, -2.5, -2.8};
    ck_assert_int_eq(ws_verdict_paired(above, 3, 0, &sm), WS_VERDICT_HOLDS);
    ck_assert_double_eq_tol(sm.mean, 3, 1e-12);
    ck_assert_int_eq(ws_verdict_paired(around, 3, 0, &sm), WS_VERDICT_NOT_SHOWN);
    ck_assert_int_eq(ws_verdict_paired(below, 3, 0, &sm), WS_VERDICT_OPPOSITE);
    // "within 1 point": -0.5 +- small holds with the margin, not without.
    const double close[3] = {-0.5, -0.45, -0.55};
    ck_assert_int_eq(ws_verdict_paired(close, 3, 1, &sm), WS_VERDICT_HOLDS);
    ck_assert_int_eq(ws_verdict_paired(close, 3, 0, &sm), WS_VERDICT_OPPOSITE);
    ck_assert_int_eq(ws_verdict_paired(above, 1, 0, &sm), WS_VERDICT_NOT_SHOWN); // one seed: no interval
    ck_assert_int_eq(ws_verdict_paired(above, 0, 0, &sm), WS_VERDICT_NO_DATA);
}
END_TEST

// The power of a verdict, on numbers known by hand (exp/stats.c): an interval that includes 0
// is "not shown" when narrower than the paper's effect, "undecided" when not; the seeds that
// would decide it are the smallest n with t(0.975, n-1) sd / sqrt(n) below the effect.
START_TEST(verdicts_sized_by_the_paper_effect) {
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NOT_SHOWN, 3, 0.38, 3.3), WS_VERDICT_NOT_SHOWN);
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NOT_SHOWN, 3, 7.99, 3.3), WS_VERDICT_UNDECIDED);
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NOT_SHOWN, 3, 3.3, 3.3), WS_VERDICT_UNDECIDED); // as wide: could not tell
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NOT_SHOWN, 3, 7.99, NAN), WS_VERDICT_NOT_SHOWN); // no number to size it
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NOT_SHOWN, 1, NAN, 3.3), WS_VERDICT_UNDECIDED); // one seed: no interval
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NOT_SHOWN, 1, NAN, NAN), WS_VERDICT_UNDECIDED);
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_HOLDS, 3, 99, 3.3), WS_VERDICT_HOLDS); // decided: as it was
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_OPPOSITE, 3, 99, 3.3), WS_VERDICT_OPPOSITE);
    ck_assert_int_eq(ws_verdict_sized(WS_VERDICT_NO_DATA, 0, NAN, 3.3), WS_VERDICT_NO_DATA);
    // sd 2, effect 1: t(16) 2.120 x 2 / sqrt 17 = 1.028 is not below 1, t(17) 2.110 x 2 / sqrt 18 = 0.995 is: 18.
    ck_assert_int_eq(ws_seeds_to_decide(2, 1, WS_SEEDS_CAP), 18);
    // sd 3.2146 (the differences 3, -2, 4), effect 3.3: 6 seeds give 3.374, 7 give 2.973.
    ck_assert_int_eq(ws_seeds_to_decide(3.2145502536643185, 3.3, WS_SEEDS_CAP), 7);
    ck_assert_int_eq(ws_seeds_to_decide(0, 1, WS_SEEDS_CAP), 2);
    ck_assert_int_eq(ws_seeds_to_decide(100, 1, WS_SEEDS_CAP), WS_SEEDS_CAP + 1); // ~38,000 seeds: past the cap
    ck_assert_int_eq(ws_seeds_to_decide(2, NAN, WS_SEEDS_CAP), -1);
    ck_assert_int_eq(ws_seeds_to_decide(2, 0, WS_SEEDS_CAP), -1);
    ck_assert_int_eq(ws_seeds_to_decide(NAN, 1, WS_SEEDS_CAP), -1);
}
END_TEST

#define MLP_ADAM "'config':{'experiment':'batch','model':{'kind':'mlp','arch':'mlp'},'phase1':{'optimizer':'adam'}}"

// Table 1's MLP-Adam CIFAR-10 cell (random 39.4, warm 36.1: an effect of 3.3 points) against three
// seeds (11, 12, 13) whose random - warm is d[i] points; extra[i][0..2] go into the seed's phase-1,
// warm and random runs ("" or ",'stop':'cap'").
static void write_gaps(const char *rel, const double d[3], const char *const extra[3][3]) {
    char name[300], text[4000] = "", line[800];
    mkdirs(rel);
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof line,
                 "{'seed':%d,'runs':{'phase1':{'test_acc':0.3,'seconds':1%s},'warm':{'test_acc':0.36,'seconds':1%s},"
                 "'random':{'test_acc':%.6f,'seconds':2%s}}," MLP_ADAM "}\n",
                 11 + i, extra ? extra[i][0] : "", extra ? extra[i][1] : "", 0.36 + d[i] / 100, extra ? extra[i][2] : "");
        strcat(text, line);
    }
    snprintf(name, sizeof name, "%s/batch.jsonl", rel);
    write_json(name, text);
}

// The five verdicts a claim can get from paired runs, with the paper's effect, the half-width
// and the seeds to decide, and the report's row for each.
START_TEST(claims_sized_and_capped) {
    ws_claim c[8];
    int n = 0;
    char text[400];
    const char *dir = mkdirs("sized/table1-cifar10");
    const double holds[3] = {4, 3, 3.5}, narrow[3] = {0.1, -0.2, 0}, wide[3] = {3, -2, 4}, opposite[3] = {-4, -3, -3.5};
    write_gaps("sized/table1-cifar10", holds, NULL);
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", dir, c, 8, &n), WS_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    ck_assert_double_eq_tol(c[0].effect, 3.3, 1e-9);
    ck_assert_double_eq_tol(c[0].mean, 3.5, 1e-6);
    ck_assert_double_eq_tol(c[0].half, 1.2422, 1e-3); // 4.303 x 0.5 / sqrt 3
    ck_assert_int_eq(c[0].n, 3);
    ck_assert_str_eq(c[0].units, "points");
    ck_assert_str_eq(c[0].tag, "gap");
    ck_assert_int_eq(c[0].seeds_needed, -1);
    // Around 0 and narrow (±0.38 < 3.3): the run could have seen the paper's gap, and did not.
    write_gaps("sized/table1-cifar10", narrow, NULL);
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", dir, c, 8, &n), WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_NOT_SHOWN);
    ws_claim_verdict_text(&c[0], text, sizeof text);
    ck_assert_str_eq(text, "not shown: the interval includes 0 and is narrower than the paper's effect");
    ck_assert_int_eq(c[0].seeds_needed, -1);
    // Around 0 and wide (±7.99 >= 3.3): undecided, and 7 seeds at this spread would decide it.
    write_gaps("sized/table1-cifar10", wide, NULL);
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", dir, c, 8, &n), WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_UNDECIDED);
    ck_assert_double_eq_tol(c[0].sd, 3.21455, 1e-4);
    ck_assert_int_eq(c[0].seeds_needed, 7);
    ws_claim_verdict_text(&c[0], text, sizeof text);
    ck_assert_str_eq(text, "undecided: the interval is wider than the paper's effect");
    write_gaps("sized/table1-cifar10", opposite, NULL);
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", dir, c, 8, &n), WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_OPPOSITE);
    // The clear gap again, but seed 13's warm run and seed 11's random run stopped at the epoch cap
    // (seed 11's as an older record says it: converged false, no "stop"), and seed 12's phase 1: no
    // verdict, naming them. A plateau (seed 12's random run) or fixed epochs are not the cap.
    const char *const capped[3][3] = {{"", "", ",'converged':false"},
                                      {",'stop':'cap'", ",'stop':'epochs'", ",'converged':false,'stop':'plateau'"},
                                      {"", ",'converged':false,'stop':'cap'", ",'converged':true,'stop':'threshold'"}};
    write_gaps("sized/table1-cifar10", holds, capped);
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", dir, c, 8, &n), WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_NOT_CONVERGED);
    ck_assert_str_eq(c[0].not_converged, "1 of 3 phase-1 runs (seed 12); 1 of 3 warm runs (seed 13); 1 of 3 random runs (seed 11)");
    ck_assert_double_eq_tol(c[0].mean, 3.5, 1e-6); // the measurement stays, for the plot
    ws_claim_verdict_text(&c[0], text, sizeof text);
    ck_assert_str_eq(text, "no verdict: runs stopped at the epoch cap: 1 of 3 phase-1 runs (seed 12); 1 of 3 warm runs "
                           "(seed 13); 1 of 3 random runs (seed 11)");
    // Only plateaus and fixed epochs: a verdict.
    const char *const stopped[3][3] = {{"", ",'stop':'epochs'", ",'converged':false,'stop':'plateau'"},
                                       {"", "", ""}, {"", "", ""}};
    write_gaps("sized/table1-cifar10", holds, stopped);
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", dir, c, 8, &n), WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    // Online: a round of warm's chain (seed 1) at the cap takes the verdict off each warm claim.
#define OR(acc, stop) "{'test_acc':" #acc ",'examples_seen':100,'seconds':1,'steps':10,'stop':'" stop "'}"
    mkdirs("sized/online");
    write_json("sized/online/online.jsonl",
               "{'seed':1,'learners':{'warm':[" OR(0.5, "threshold") "," OR(0.6, "cap") "],'random':[" OR(0.5, "threshold") ","
               OR(0.7, "threshold") "]}," CONFIG("online") "}\n"
               "{'seed':2,'learners':{'warm':[" OR(0.5, "threshold") "," OR(0.6, "threshold") "],'random':[" OR(0.5, "threshold") ","
               OR(0.7, "threshold") "]}," CONFIG("online") "}\n");
#undef OR
    ck_assert_int_eq(ws_claims_check(&ctx, "online", mkdirs("sized/online"), c, 8, &n), WS_OK);
    ck_assert_int_eq(n, 4);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(c[i].verdict, WS_VERDICT_NOT_CONVERGED);
        ck_assert_str_eq(c[i].not_converged, "1 of 2 warm runs (seed 1)");
    }
    // An equivalence claim (shrink-perturb within 1 point of random) is sized by its tolerance:
    // it - random 0.2, -2.2, 1.0: an interval (±4.0) wider than 1 point, so undecided.
    mkdirs("sized/remedies");
#define OR(acc) "[{'test_acc':" #acc ",'examples_seen':100,'seconds':1,'steps':10}]"
    write_json("sized/remedies/online.jsonl",
               "{'learners':{'warm':" OR(0.5) ",'random':" OR(0.60) ",'shrink-perturb':" OR(0.602) "}," CONFIG("online") "}\n"
               "{'learners':{'warm':" OR(0.5) ",'random':" OR(0.61) ",'shrink-perturb':" OR(0.588) "}," CONFIG("online") "}\n"
               "{'learners':{'warm':" OR(0.5) ",'random':" OR(0.62) ",'shrink-perturb':" OR(0.630) "}," CONFIG("online") "}\n");
#undef OR
    ck_assert_int_eq(ws_claims_check(&ctx, "remedies", mkdirs("sized/remedies"), c, 8, &n), WS_OK);
    ck_assert_ptr_nonnull(strstr(c[1].claim, "shrink-perturb: as accurate as random, within 1 point"));
    ck_assert_double_eq(c[1].tolerance, 1);
    ck_assert_double_eq(c[1].effect, 0);
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_UNDECIDED);
    ws_claim_verdict_text(&c[1], text, sizeof text);
    ck_assert_str_eq(text, "undecided: the interval is wider than the tolerance");
    ck_assert_int_gt(c[1].seeds_needed, 3);
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_NO_DATA); // no dash in these results
    // The report: the numbers in their columns, the verdicts counted in theirs.
    write_gaps("sized/table1-cifar10", wide, NULL);
    write_json("sized/reproduce.json", "{'scale':'cpu','machine':'test','artefacts':["
               "{'name':'table1-cifar10','title':'t','status':'ok','command':'c','seconds':1},"
               "{'name':'online','title':'t','status':'ok','command':'c','seconds':1}]}");
    const char *root = mkdirs("sized");
    if (ws_report_write_in(&ctx, root, "report", &n)) ck_abort_msg("%s", ctx.err);
    char *md = slurp(root, "report/report.md"), *html = slurp(root, "report/index.html");
    ck_assert_ptr_nonnull(strstr(md, "| artefact | data | claims | yes | not shown | undecided | the opposite | no verdict | no data |"));
    ck_assert_ptr_nonnull(strstr(md, "| table1-cifar10 | as in its file | 1 | 0 | 0 | 1 | 0 | 0 | 0 |"));
    ck_assert_ptr_nonnull(strstr(md, "| online | as in its file | 4 | 0 | 0 | 0 | 0 | 4 | 0 |"));
    ck_assert_ptr_nonnull(strstr(md, "| 1 | - | warm start generalises worse than random initialisation (random - "
                                     "warm, test accuracy) | Table 1, cifar10: random 39.4, warm 36.1 (a gap of 3.3 points) | "
                                     "+3.30 points | +1.67 ± 7.99 points (3 seeds) | ±7.99 points | undecided: the interval is "
                                     "wider than the paper's effect | ≈ 7 seeds |"));
    ck_assert_ptr_nonnull(strstr(md, "| 2 | - | warm start generalises worse than random at the last round"));
    ck_assert_ptr_nonnull(strstr(md, "no verdict: runs stopped at the epoch cap: 1 of 2 warm runs (seed 1) | – |"));
    // The forest plot opens the section, before the counts; or, without gnuplot, a sentence saying so.
    if (gnuplot_on_path()) {
        ck_assert(in_order(html, "<figure class=\"wide\"><img src=\"../report/claims-forest.png\"", "<th>undecided</th>"));
        ck_assert_int_gt(file_size(mkdirs("sized/report"), "claims-forest.png"), 1000);
    } else {
        ck_assert(in_order(html, "No forest plot of the claims: gnuplot is not installed", "<th>undecided</th>"));
    }
    free(md);
    free(html);
}
END_TEST

// The forest plot (report/forest.c) on hand-made claims: each row in its panel, normalised by
// the paper's effect (or the tolerance) where there is one, in its own units where not; clipped
// past 6 times the effect with an arrow; a row without a difference left out; taller with more rows.
static ws_claim claim_of(ws_verdict v, double mean, double half, double effect, double tol, const char *units) {
    ws_claim c;
    memset(&c, 0, sizeof c);
    c.verdict = v, c.mean = mean, c.half = half, c.n = 3, c.sd = 1, c.effect = effect, c.tolerance = tol;
    c.two_sided = tol > 0;
    c.seeds_needed = -1;
    snprintf(c.units, sizeof c.units, "%s", units);
    return c;
}

static int script_height(const char *dir, const char *file) {
    char *gp = slurp(dir, file), *at = gp ? strstr(gp, "size 1200,") : NULL;
    int h = at ? atoi(at + strlen("size 1200,")) : -1;
    free(gp);
    return h;
}

START_TEST(forest_plot_of_the_claims) {
    ws_claim c[5] = {
        claim_of(WS_VERDICT_HOLDS, 2, 1, 4, 0, "points"),          // 0.5, 0.25 .. 0.75; the paper at 1
        claim_of(WS_VERDICT_UNDECIDED, -0.5, 1.5, 0, 1, "points"),  // -0.5, -2 .. 1; the paper at 0, ticks at ±1
        claim_of(WS_VERDICT_NOT_SHOWN, 3, 5, NAN, 0, "s"),         // no number: its own panel, in seconds
        claim_of(WS_VERDICT_NOT_CONVERGED, 20, 2, 2, 0, "points"), // 10 ± 1 times the effect: clipped at 6
        claim_of(WS_VERDICT_NO_DATA, NAN, NAN, 3, 0, "points"),    // nothing to draw
    };
    ws_forest_row rows[5];
    for (int i = 0; i < 5; i++) {
        rows[i].c = &c[i];
        snprintf(rows[i].label, sizeof rows[i].label, "#%d art%d: it's", i + 1, i);
    snprintf(rows[2].label, sizeof rows[2].label, "#3 art2: 5 %% of it"); // a tic label is a format: no '%'
    }
    const char *dir = mkdirs("forest");
    int nfigs = 0, left = -1;
    const ws_status st = ws_forest_render(&ctx, rows, 5, dir, "f", &nfigs, &left);
    ck_assert_int_eq(left, 1);
    if (gnuplot_on_path()) {
        ck_assert_msg(st == WS_OK, "%s", ctx.err);
        ck_assert_int_eq(nfigs, 2);
        ck_assert_int_gt(file_size(dir, "f.png"), 1000);
        ck_assert_int_gt(file_size(dir, "f.svg"), 1000);
    } else {
        ck_assert_int_eq(st, WS_ERR_IO);
        ck_assert_str_eq(ctx.err, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    }
    char *dat = slurp(dir, "f.dat"), *gp = slurp(dir, "f.gp");
    ck_assert_ptr_nonnull(dat);
    ck_assert_ptr_nonnull(gp);
    // y, mean, lo, hi, paper, tolerance ticks, colour (#2ca02c = 2924588), the clipping arrows, the
    // clipped mean and where it is written.
    ck_assert_ptr_nonnull(strstr(dat, "\n3 0.5 0.25 0.75 1 NaN NaN 2924588 NaN NaN NaN NaN NaN NaN # #1 art0: it's\n"));
    ck_assert_ptr_nonnull(strstr(dat, "\n2 -0.5 -2 1 0 -1 1 16744206 NaN NaN NaN NaN NaN NaN # #2 art1: it's\n"));
    ck_assert_ptr_nonnull(strstr(dat, "\n1 NaN 6 6 1 NaN NaN 9725885 NaN NaN 5.6 0.4 10 6 # #4 art3: it's\n"));
    ck_assert_ptr_nonnull(strstr(dat, "# panel 1 (s)"));
    ck_assert_ptr_nonnull(strstr(dat, "\n1 3 -2 8 NaN NaN NaN 9211020 NaN NaN NaN NaN NaN NaN # #3 art2: 5 % of it\n"));
    ck_assert_ptr_nonnull(strstr(gp, "set ytics ('#3 art2: 5 pct of it' 1)"));
    ck_assert_ptr_null(strstr(dat, "art4"));
    // The labels (a quote escaped for gnuplot), the paper's open diamond, the verdicts' legend, PNG and SVG.
    ck_assert_ptr_nonnull(strstr(gp, "set ytics ('#1 art0: it''s' 3, '#2 art1: it''s' 2, '#4 art3: it''s' 1)"));
    ck_assert_ptr_nonnull(strstr(gp, "pt 12"));
    ck_assert_ptr_nonnull(strstr(gp, "lc rgb '#ff7f0e' title 'undecided'"));
    ck_assert_ptr_nonnull(strstr(gp, "lc rgb '#9467bd' title 'no verdict'"));
    ck_assert_ptr_nonnull(strstr(gp, "/f.png'"));
    ck_assert_ptr_nonnull(strstr(gp, "/f.svg'"));
    free(dat);
    free(gp);
    // Taller with more rows: twice the rows, ROW_PX (18) pixels each more.
    ws_forest_row more[8];
    for (int i = 0; i < 8; i++) more[i] = rows[i % 4];
    const int h5 = script_height(dir, "f.gp");
    ws_forest_render(&ctx, more, 8, dir, "g", &nfigs, &left);
    ck_assert_int_eq(script_height(dir, "g.gp") - h5, 4 * 18);
    // A row's name: where, shortened, and the claim's tag.
    char label[200];
    ws_claim x = claim_of(WS_VERDICT_HOLDS, 1, 1, 1, 0, "points");
    snprintf(x.where, sizeof x.where, "5 %% of the target");
    snprintf(x.tag, sizeof x.tag, "gap");
    ws_claim_label(&x, label, sizeof label);
    ck_assert_str_eq(label, " 5 %: gap");
    snprintf(x.where, sizeof x.where, "within 1 point of random (means): lambda=0.6:sigma=0.01");
    snprintf(x.tag, sizeof x.tag, "sp λ0.6 σ0.01 ≈ random");
    ws_claim_label(&x, label, sizeof label);
    ck_assert_str_eq(label, ": sp λ0.6 σ0.01 ≈ random");
    snprintf(x.where, sizeof x.where, "model=mlp opt=adam");
    ws_claim_label(&x, label, sizeof label);
    ck_assert_str_eq(label, " model=mlp opt=adam: sp λ0.6 σ0.01 ≈ random");
    // Nothing to draw: an error, no script.
    ck_assert_int_eq(ws_forest_render(&ctx, rows + 4, 1, dir, "h", &nfigs, &left), WS_ERR_ARG);
    ck_assert_int_eq(file_size(dir, "h.gp"), -1);
}
END_TEST

#define SWEEP_STATS                                                                                               \
    "'test_acc':{'mean':0.37,'ci95':0.01,'n':2},'seconds':{'mean':1,'ci95':0,'n':2},'epochs':{'mean':5,'ci95':0,'n':2},"  \
    "'converged_seeds':2,'pareto':true,'dir':'points/000'"

// Synthetic results where the paper's claim fails: the report must say so.
START_TEST(claims_say_when_the_data_disagree) {
    const char *dir = mkdirs("claims/partial-noise-ewc");
    char name[600];
    // warm above random in every seed (the claim "warm is worse" fails); noise below random
    // (its claim holds); partial on either side (not shown).
    snprintf(name, sizeof name, "claims/partial-noise-ewc/batch.jsonl");
    write_json(name, "{'runs':{'phase1':{'test_acc':0.5,'seconds':1},'warm':{'test_acc':0.82,'seconds':1},"
                     "'random':{'test_acc':0.80,'seconds':2},'noise':{'test_acc':0.70,'seconds':1},"
                     "'partial':{'test_acc':0.81,'seconds':1}}," CONFIG("batch") "}\n"
                     "{'runs':{'warm':{'test_acc':0.83,'seconds':1},'random':{'test_acc':0.805,'seconds':2},"
                     "'noise':{'test_acc':0.71,'seconds':1},'partial':{'test_acc':0.79,'seconds':1}}," CONFIG("batch") "}\n"
                     "{'runs':{'warm':{'test_acc':0.81,'seconds':1},'random':{'test_acc':0.79,'seconds':2},"
                     "'noise':{'test_acc':0.69,'seconds':1},'partial':{'test_acc':0.80,'seconds':1}}," CONFIG("batch") "}\n");
    ws_claim c[16];
    int n = 0;
    ck_assert_int_eq(ws_claims_check(&ctx, "partial-noise-ewc", dir, c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 4);
    ck_assert_ptr_nonnull(strstr(c[0].claim, "warm start generalises worse"));
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_OPPOSITE);
    ck_assert_str_eq(c[0].measured, "-2.17 ± 0.72 points (3 seeds)");
    ck_assert_ptr_nonnull(strstr(c[1].claim, "partial does not close the gap"));
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_NOT_SHOWN);
    ck_assert_ptr_nonnull(strstr(c[2].claim, "noise does not close the gap"));
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_HOLDS);
    ck_assert_int_eq(c[3].verdict, WS_VERDICT_NO_DATA); // no ewc in these results
    // A sweep-shaped artefact: each point checked, the paper's Table 1 number found by its params.
    dir = mkdirs("claims/table1-cifar10/points/000");
    write_json("claims/table1-cifar10/points/000/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.36,'seconds':1},'random':{'test_acc':0.39,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.35,'seconds':1},'random':{'test_acc':0.385,'seconds':2}}," CONFIG("batch") "}\n");
    write_json("claims/table1-cifar10/sweep.jsonl",
               "{'point':0,'params':{'model':'mlp','opt':'adam'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n"
               "{'point':0,'params':{'model':'mlp','opt':'adam'},'learner':'random'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", mkdirs("claims/table1-cifar10"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(c[0].where, "model=mlp opt=adam");
    ck_assert_str_eq(c[0].paper, "Table 1, cifar10: random 39.4, warm 36.1 (a gap of 3.3 points)");
    ck_assert_str_eq(c[0].measured, "+3.25 ± 3.18 points (2 seeds)");
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    // Logistic regression as Table 1 has it: a small gap on CIFAR-10 (Adam: 33.8 / 33.3), which
    // this clear gap supports; none on SVHN with SGD (28.0 / 28.0), which it contradicts.
    write_json("claims/table1-cifar10/sweep.jsonl",
               "{'point':0,'params':{'model':'logreg','opt':'adam'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-cifar10", mkdirs("claims/table1-cifar10"), c, 16, &n), WS_OK);
    ck_assert_str_eq(c[0].paper, "Table 1, cifar10: random 33.8, warm 33.3 (a gap of 0.5 points)");
    ck_assert_ptr_nonnull(strstr(c[0].claim, "generalises worse"));
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    dir = mkdirs("claims/table1-svhn-mlp-logreg/points/000");
    write_json("claims/table1-svhn-mlp-logreg/points/000/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.36,'seconds':1},'random':{'test_acc':0.39,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.35,'seconds':1},'random':{'test_acc':0.385,'seconds':2}}," CONFIG("batch") "}\n");
    write_json("claims/table1-svhn-mlp-logreg/sweep.jsonl",
               "{'point':0,'params':{'model':'logreg','opt':'sgd'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-svhn-mlp-logreg", mkdirs("claims/table1-svhn-mlp-logreg"), c, 16, &n),
                     WS_OK);
    ck_assert_str_eq(c[0].paper, "Table 1, svhn: random 28.0, warm 28.0 (no gap)");
    ck_assert_ptr_nonnull(strstr(c[0].claim, "no gap"));
    // "No gap" is an equivalence claim within 1 point: +3.25 ± 3.18 reaches inside the tolerance
    // (it could be 0.5) and is wider than it: undecided, not "the opposite".
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_UNDECIDED);
    ck_assert_double_eq(c[0].tolerance, 1);
    ck_assert_int_eq(c[0].two_sided, 1);
    // Three seeds, 3.0, 3.5, 3.2 points apart: 3.23 ± 0.63, wholly beyond the tolerance: the opposite.
    write_json("claims/table1-svhn-mlp-logreg/points/000/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.36,'seconds':1},'random':{'test_acc':0.39,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.35,'seconds':1},'random':{'test_acc':0.385,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.35,'seconds':1},'random':{'test_acc':0.382,'seconds':2}}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-svhn-mlp-logreg", mkdirs("claims/table1-svhn-mlp-logreg"), c, 16, &n),
                     WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_OPPOSITE);
    // Within it, narrowly (random - warm 0.1, 0.2, 0.0): the claim holds.
    write_json("claims/table1-svhn-mlp-logreg/points/000/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.389,'seconds':1},'random':{'test_acc':0.39,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.383,'seconds':1},'random':{'test_acc':0.385,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.382,'seconds':1},'random':{'test_acc':0.382,'seconds':2}}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "table1-svhn-mlp-logreg", mkdirs("claims/table1-svhn-mlp-logreg"), c, 16, &n),
                     WS_OK);
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    write_json("claims/table1-cifar10/sweep.jsonl",
               "{'point':0,'params':{'model':'mlp','opt':'adam'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    // Transfer's trend: the gap at the most pretraining against the least, paired by seed.
    mkdirs("claims/transfer/points/000"), mkdirs("claims/transfer/points/001");
    write_json("claims/transfer/points/000/transfer.jsonl",
               "{'points':[{'warm':{'test_acc':0.80,'seconds':1},'random':{'test_acc':0.81,'seconds':1}}]," CONFIG("transfer") "}\n"
               "{'points':[{'warm':{'test_acc':0.79,'seconds':1},'random':{'test_acc':0.80,'seconds':1}}]," CONFIG("transfer") "}\n"
               "{'points':[{'warm':{'test_acc':0.80,'seconds':1},'random':{'test_acc':0.805,'seconds':1}}]," CONFIG("transfer") "}\n");
    write_json("claims/transfer/points/001/transfer.jsonl",
               "{'points':[{'warm':{'test_acc':0.75,'seconds':1},'random':{'test_acc':0.81,'seconds':1}}]," CONFIG("transfer") "}\n"
               "{'points':[{'warm':{'test_acc':0.74,'seconds':1},'random':{'test_acc':0.80,'seconds':1}}]," CONFIG("transfer") "}\n"
               "{'points':[{'warm':{'test_acc':0.76,'seconds':1},'random':{'test_acc':0.805,'seconds':1}}]," CONFIG("transfer") "}\n");
    write_json("claims/transfer/sweep.jsonl",
               "{'point':0,'params':{'pretrain-percent':'10'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n"
               "{'point':1,'params':{'pretrain-percent':'100'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "transfer", mkdirs("claims/transfer"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 5); // per point: the gap and shrink-perturb's (no data); then the trend
    ck_assert_str_eq(c[4].where, "pretrain-percent=100 vs pretrain-percent=10");
    ck_assert_ptr_nonnull(strstr(c[4].claim, "the larger the gap"));
    ck_assert_str_eq(c[4].measured, "+4.67 ± 1.43 points (3 seeds)");
    ck_assert_int_eq(c[4].verdict, WS_VERDICT_HOLDS);
    // Figure 9, one pair (no sweep): at the smallest share of the target shrink-perturb against the
    // better of warm and random; at all of it the gap too. With 5 % warm is the better (by far) and
    // shrink-perturb matches it; with all of it random is, and shrink-perturb falls short.
#define TP(f, w, r, sp) "{'fraction':" #f ",'warm':{'test_acc':" #w ",'seconds':1},'random':{'test_acc':" #r \
    ",'seconds':1},'shrink-perturb:lambda=0.3:sigma=0.0001':{'test_acc':" #sp ",'seconds':1}}"
    mkdirs("claims/transfer-cifar10-svhn");
    write_json("claims/transfer-cifar10-svhn/transfer.jsonl",
               "{'points':[" TP(0.05, 0.70, 0.50, 0.702) "," TP(1, 0.90, 0.93, 0.91) "]," CONFIG("transfer") "}\n"
               "{'points':[" TP(0.05, 0.71, 0.52, 0.713) "," TP(1, 0.91, 0.935, 0.915) "]," CONFIG("transfer") "}\n"
               "{'points':[" TP(0.05, 0.69, 0.51, 0.691) "," TP(1, 0.905, 0.93, 0.91) "]," CONFIG("transfer") "}\n");
#undef TP
    ck_assert_int_eq(ws_claims_check(&ctx, "transfer-cifar10-svhn", mkdirs("claims/transfer-cifar10-svhn"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 3); // at 5 %: shrink-perturb against the better; at 100 %: the gap too
    ck_assert_str_eq(c[0].where, "5 % of the target");
    ck_assert_ptr_nonnull(strstr(c[0].claim, "the better of warm and random"));
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    ck_assert_str_eq(c[1].where, "100 % of the target");
    ck_assert_ptr_nonnull(strstr(c[1].claim, "generalises worse"));
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_HOLDS);
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_OPPOSITE); // 2 points below random
    // lr x batch: a warm setting as accurate as the best random and faster says the opposite.
    mkdirs("claims/lr-batch/points/000"), mkdirs("claims/lr-batch/points/001");
    write_json("claims/lr-batch/points/000/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.80,'seconds':4},'random':{'test_acc':0.83,'seconds':10}}," CONFIG("batch") "}\n");
    write_json("claims/lr-batch/points/001/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.825,'seconds':3},'random':{'test_acc':0.82,'seconds':8}}," CONFIG("batch") "}\n");
    write_json("claims/lr-batch/sweep.jsonl",
               "{'point':0,'params':{'lr':'0.01'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n"
               "{'point':1,'params':{'lr':'0.1'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "lr-batch", mkdirs("claims/lr-batch"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 3); // a gap per point, then the question
    ck_assert_str_eq(c[2].where, "best random: lr=0.01");
    ck_assert_str_eq(c[2].measured, "fastest such warm (lr=0.1): 82.50 % in 3.00 s vs random 83.00 % in 10.00 s (0.30x; means)");
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_OPPOSITE);
    write_json("claims/lr-batch/points/001/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.81,'seconds':3},'random':{'test_acc':0.82,'seconds':8}}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "lr-batch", mkdirs("claims/lr-batch"), c, 16, &n), WS_OK);
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_HOLDS); // no warm point within 1 point
    // Online: warm below random in rounds 2 and 3 but level at the last (round 4) -- the last
    // round shows nothing, the mean over rounds 2 on does (random - warm per seed: 2, 2.67, 2.83).
    dir = mkdirs("claims/online");
#define OROUND(acc, seen) "{'test_acc':" #acc ",'examples_seen':" #seen ",'seconds':1,'steps':20}"
#define WROUND(acc, seen) "{'test_acc':" #acc ",'examples_seen':" #seen ",'seconds':1,'steps':10}"
    write_json("claims/online/online.jsonl",
               "{'learners':{'warm':[" WROUND(0.5, 100) "," WROUND(0.60, 200) "," WROUND(0.66, 300) "," WROUND(0.70, 400) "],"
               "'random':[" OROUND(0.5, 100) "," OROUND(0.63, 200) "," OROUND(0.69, 300) "," OROUND(0.70, 400) "]}," CONFIG("online") "}\n"
               "{'learners':{'warm':[" WROUND(0.5, 100) "," WROUND(0.60, 200) "," WROUND(0.65, 300) "," WROUND(0.71, 400) "],"
               "'random':[" OROUND(0.5, 100) "," OROUND(0.645, 200) "," OROUND(0.695, 300) "," OROUND(0.70, 400) "]}," CONFIG("online") "}\n"
               "{'learners':{'warm':[" WROUND(0.5, 100) "," WROUND(0.61, 200) "," WROUND(0.66, 300) "," WROUND(0.69, 400) "],"
               "'random':[" OROUND(0.5, 100) "," OROUND(0.65, 200) "," OROUND(0.695, 300) "," OROUND(0.70, 400) "]}," CONFIG("online") "}\n");
#undef OROUND
#undef WROUND
    ck_assert_int_eq(ws_claims_check(&ctx, "online", dir, c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 4); // the last round, over the rounds, the speed in seconds and in steps
    ck_assert_ptr_nonnull(strstr(c[0].claim, "at the last round"));
    ck_assert_str_eq(c[0].measured, "+0.00 ± 2.48 points (3 seeds)");
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_NOT_SHOWN);
    ck_assert_ptr_nonnull(strstr(c[1].claim, "over the rounds"));
    ck_assert_str_eq(c[1].measured, "+2.50 ± 1.10 points (3 seeds); warm below at 2 of 3 rounds (means)");
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_HOLDS);
    ck_assert_str_eq(c[2].measured, "+0.00 ± 0.00 s (3 seeds)"); // equal seconds: not shown
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_NOT_SHOWN);
    ck_assert_ptr_nonnull(strstr(c[3].claim, "fewer gradient steps"));
    ck_assert_str_eq(c[3].measured, "+40.00 ± 0.00 steps (3 seeds)"); // 4 rounds of 20 - 10
    ck_assert_int_eq(c[3].verdict, WS_VERDICT_HOLDS);
    // A third learner beside warm and random (the demo's remedy): how much of the gap it
    // recovers over the rounds, it - warm (2.0, 1.75, 2.5 points) and what is left to random.
    dir = mkdirs("claims/online-remedy");
#define OROUND(acc) "{'test_acc':" #acc ",'examples_seen':100,'seconds':1,'steps':10}"
#define SEED(p2, p3) "{'learners':{'warm':[" OROUND(0.5) "," OROUND(0.60) "," OROUND(0.66) "],'random':[" OROUND(0.5) "," \
    OROUND(0.63) "," OROUND(0.69) "],'partial':[" OROUND(0.5) "," OROUND(p2) "," OROUND(p3) "]}," CONFIG("online") "}\n"
    write_json("claims/online-remedy/online.jsonl", SEED(0.62, 0.68) SEED(0.615, 0.68) SEED(0.625, 0.685));
#undef SEED
#undef OROUND
    ck_assert_int_eq(ws_claims_check(&ctx, "online", dir, c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 5);
    ck_assert_ptr_nonnull(strstr(c[4].claim, "partial recovers what warm start loses over the rounds"));
    ck_assert_str_eq(c[4].measured, "+2.08 ± 0.95 points (3 seeds); random - it +0.92 ± 0.95");
    ck_assert_int_eq(c[4].verdict, WS_VERDICT_HOLDS);
    // Shrink-perturb at lambda 1 shrinks nothing: its claim is the paper's "does not close the gap".
    dir = mkdirs("claims/sp");
#define SP(w, r, a, b) "{'learners':{'warm':[" OROUND(w, 100) "],'random':[" OROUND(r, 100) "],"                     \
    "'shrink-perturb:lambda=0.4:sigma=0.01':[" OROUND(a, 100) "],'shrink-perturb:lambda=1:sigma=0.01':[" OROUND(b, 100) \
    "]}," CONFIG("online") "}\n"
#define OROUND(acc, seen) "{'test_acc':" #acc ",'examples_seen':" #seen ",'seconds':1}"
    write_json("claims/sp/online.jsonl", SP(0.60, 0.63, 0.632, 0.60) SP(0.61, 0.64, 0.641, 0.61) SP(0.60, 0.635, 0.634, 0.605));
#undef OROUND
#undef SP
    ck_assert_int_eq(ws_claims_check(&ctx, "shrink-perturb", dir, c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 7); // the gap; per SP column: accuracy, seconds, steps
    ck_assert_ptr_nonnull(strstr(c[1].claim, "lambda=0.4:sigma=0.01: as accurate as random"));
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_HOLDS);
    ck_assert_ptr_nonnull(strstr(c[4].claim, "lambda=1:sigma=0.01 does not close the gap"));
    ck_assert_int_eq(c[4].verdict, WS_VERDICT_HOLDS);
    // The report over a reproduce folder states the verdicts.
    write_json("claims/reproduce.json", "{'scale':'cpu','warmstart_version':'0.1.0','machine':'test',"
               "'artefacts':[{'name':'partial-noise-ewc','title':'t','status':'ok','command':'c','stand_in':false,'seconds':1},"
               "{'name':'table1-cifar10','title':'t','status':'ok','command':'c','stand_in':true,'missing_data':'m','seconds':1}]}");
    const char *root = mkdirs("claims");
    if (ws_report_write(&ctx, root, &n)) ck_abort_msg("%s", ctx.err);
    char *md = slurp(root, "report.md");
    ck_assert_ptr_nonnull(md);
    // Each claim's row: its number, the paper's effect, ours, the smallest difference this run could
    // show (the half-width), the verdict, the seeds to decide (none: it is decided).
    ck_assert_ptr_nonnull(strstr(md, "| \\# | where | claim | paper | paper's effect | measured | smallest detectable | verdict | seeds to decide |"));
    ck_assert_ptr_nonnull(strstr(md, "| 1 | - | warm start generalises worse than random initialisation (random - warm, test accuracy) | a gap (Table 1's ResNet-SGD CIFAR-10: random 56.2, warm 51.7) | +4.50 points | -2.17 ± 0.72 points (3 seeds) | ±0.72 points | no: the opposite | – |"));
    ck_assert_ptr_nonnull(strstr(md, "noise does not close the gap: below random (random - it) | appendix noise table: random 55.2, noise (not in the table): below random | – (no number) | +9.83 ± 0.72 points (3 seeds) | ±0.72 points | yes | – |"));
    ck_assert_ptr_nonnull(strstr(md, "Stand-in data: Fashion-MNIST, not the paper's (m)."));
    ck_assert_ptr_nonnull(strstr(md, "Raw results: [batch.jsonl](partial-noise-ewc/batch.jsonl)"));
    free(md);
    // reproduce's pages: in report/, as index.html, linking one folder up to the raw results.
    if (ws_report_write_in(&ctx, root, "report", &n)) ck_abort_msg("%s", ctx.err);
    char *html = slurp(root, "report/index.html");
    md = slurp(root, "report/report.md");
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(strstr(html, "Raw results: <a href=\"../partial-noise-ewc/batch.jsonl\">batch.jsonl</a>"));
    ck_assert_ptr_nonnull(strstr(md, "[batch.jsonl](../partial-noise-ewc/batch.jsonl)"));
    ck_assert_ptr_nonnull(strstr(md, "no: the opposite"));
    free(html);
    free(md);
}
END_TEST

// The claims of the figures the paper draws beyond its tables (Figures 1, 5, 6, 8) on synthetic
// records whose answers are known by hand.
#define GRUN(acc, tacc, old, new)                                                                                    \
    "{'test_acc':" #acc ",'train_acc':" #tacc ",'seconds':1,'steps':20,'epochs':2,'grad_log':{'every':5,'examples':10,"  \
    "'step':[0,5,10,15,20],'old':" old ",'new':" new "}}"
START_TEST(claims_of_the_figures) {
    ws_claim c[16];
    int n = 0;
    // Figure 1: training accuracy alike (random - warm: +0.2, -0.1, +0.2), test accuracy lower.
    mkdirs("claims/figure1");
    write_json("claims/figure1/batch.jsonl",
               "{'runs':{'warm':" GRUN(0.50, 0.995, "[1]", "[1]") ",'random':" GRUN(0.55, 0.997, "[1]", "[1]") "}," CONFIG("batch") "}\n"
               "{'runs':{'warm':" GRUN(0.51, 0.996, "[1]", "[1]") ",'random':" GRUN(0.56, 0.995, "[1]", "[1]") "}," CONFIG("batch") "}\n"
               "{'runs':{'warm':" GRUN(0.49, 0.994, "[1]", "[1]") ",'random':" GRUN(0.55, 0.996, "[1]", "[1]") "}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "figure1", mkdirs("claims/figure1"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_ptr_nonnull(strstr(c[0].claim, "similar training accuracy"));
    ck_assert_str_eq(c[0].measured, "+0.10 ± 0.43 points (3 seeds)");
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_HOLDS); // the gap
    // Figure 5, over phase 2's first epoch (steps 0, 5, 10 of 20 in 2 epochs): warm's new/old
    // ratios 3, 2, 1.5 (excess +116.67 %; the later steps left out), random's about 1, shrink-perturb's 1.5, 1.2, 1.2.
    mkdirs("claims/gradient-norms");
    write_json("claims/gradient-norms/batch.jsonl",
               "{'runs':{'warm':" GRUN(0.5, 1, "[1,1,1,1,1]", "[3,2,1.5,9,9]") ",'random':" GRUN(0.5, 1, "[1,1,1,1,1]", "[1.02,0.98,1,9,9]")
               ",'shrink-perturb:lambda=0.5':" GRUN(0.5, 1, "[1,1,1,1,1]", "[1.5,1.2,1.2,9,9]") "}," CONFIG("batch") "}\n"
               "{'runs':{'warm':" GRUN(0.5, 1, "[2,2,2,1,1]", "[6,4,3,9,9]") ",'random':" GRUN(0.5, 1, "[2,2,2,1,1]", "[2,2.02,1.98,9,9]")
               ",'shrink-perturb:lambda=0.5':" GRUN(0.5, 1, "[1,1,1,1,1]", "[1.4,1.3,1.2,9,9]") "}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "gradient-norms", mkdirs("claims/gradient-norms"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_ptr_nonnull(strstr(c[0].claim, "warm: gradient norm larger on the new data"));
    ck_assert_str_eq(c[0].measured, "+116.67 ± 0.00 % (2 seeds)");
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    ck_assert_ptr_nonnull(strstr(c[1].claim, "random: gradient norms on new and old data alike"));
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_HOLDS);
    ck_assert_ptr_nonnull(strstr(c[2].claim, "closer than warm's"));
    ck_assert_int_eq(c[2].verdict, WS_VERDICT_HOLDS);
    // Figure 6 on random's run: lambda 0.5 costs 20 and 22 points, the smallest (0.25) 50 and 52.
    mkdirs("claims/shrink-only");
    write_json("claims/shrink-only/batch.jsonl",
               "{'runs':{'random':{'test_acc':0.8,'seconds':1,'shrink_eval':{'lambda':[0,0.25,0.5,1],'test_acc':[0.1,0.3,0.6,0.8],"
               "'test_loss':[1,1,1,1]}}}," CONFIG("batch") "}\n"
               "{'runs':{'random':{'test_acc':0.82,'seconds':1,'shrink_eval':{'lambda':[0,0.25,0.5,1],'test_acc':[0.1,0.3,0.6,0.82],"
               "'test_loss':[1,1,1,1]}}}," CONFIG("batch") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "shrink-only", mkdirs("claims/shrink-only"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(c[0].measured, "+21.00 ± 12.71 points (2 seeds)");
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    ck_assert_ptr_nonnull(strstr(c[1].claim, "smallest lambda, 0.25,"));
    ck_assert_str_eq(c[1].measured, "+51.00 ± 12.71 points (2 seeds)");
    // The bias-free MLP (its configuration says so): one claim, its accuracy unchanged at every lambda > 0.
#define NOBIAS_CONFIG "'config':{'experiment':'batch','model':{'kind':'mlp','arch':'mlp 784-100-100-10 nobias','bias':false}}"
    mkdirs("claims/shrink-only-nobias");
    write_json("claims/shrink-only-nobias/batch.jsonl",
               "{'runs':{'random':{'test_acc':0.8,'seconds':1,'shrink_eval':{'lambda':[0,0.5,1],'test_acc':[0.1,0.8,0.8],"
               "'test_loss':[1,1,1]}}}," NOBIAS_CONFIG "}\n"
               "{'runs':{'random':{'test_acc':0.7,'seconds':1,'shrink_eval':{'lambda':[0,0.5,1],'test_acc':[0.1,0.7,0.7],"
               "'test_loss':[1,1,1]}}}," NOBIAS_CONFIG "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "shrink-only-nobias", mkdirs("claims/shrink-only-nobias"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_nonnull(strstr(c[0].claim, "bias-free MLP"));
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    // Figure 8: of the grid, lambda 0.5 sigma 0.01 is within a point of random (at half the time);
    // lambda 0.2 sigma 0.1 is not; the cell named, then its claims paired by seed.
    mkdirs("claims/shrink-perturb-grid");
#define OROUND(acc, secs) "{'examples_seen':1000,'test_acc':" #acc ",'seconds':" #secs ",'steps':" #secs "}"
    write_json("claims/shrink-perturb-grid/online.jsonl",
               "{'learners':{'random':[" OROUND(0.70, 10) "],'shrink-perturb:lambda=0.5:sigma=0.01':[" OROUND(0.696, 5)
               "],'shrink-perturb:lambda=0.2:sigma=0.1':[" OROUND(0.60, 3) "]}," CONFIG("online") "}\n"
               "{'learners':{'random':[" OROUND(0.71, 10) "],'shrink-perturb:lambda=0.5:sigma=0.01':[" OROUND(0.706, 5)
               "],'shrink-perturb:lambda=0.2:sigma=0.1':[" OROUND(0.61, 3) "]}," CONFIG("online") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "shrink-perturb-grid", mkdirs("claims/shrink-perturb-grid"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(c[0].where, "within 1 point of random (means): lambda=0.5:sigma=0.01");
    ck_assert_ptr_nonnull(strstr(c[0].claim, "shrink-perturb:lambda=0.5:sigma=0.01: as accurate as random"));
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
    ck_assert_ptr_nonnull(strstr(c[1].claim, "less training time"));
    ck_assert_int_eq(c[1].verdict, WS_VERDICT_HOLDS);
    // The appendix's regularisation table: each point's gap, with the table's numbers by coefficient.
    mkdirs("claims/appendix-l2/points/000");
    write_json("claims/appendix-l2/points/000/batch.jsonl",
               "{'runs':{'warm':{'test_acc':0.36,'seconds':1},'random':{'test_acc':0.39,'seconds':2}}," CONFIG("batch") "}\n"
               "{'runs':{'warm':{'test_acc':0.35,'seconds':1},'random':{'test_acc':0.385,'seconds':2}}," CONFIG("batch") "}\n");
    write_json("claims/appendix-l2/sweep.jsonl",
               "{'point':0,'params':{'wd':'0.01'},'learner':'warm'," SWEEP_STATS "," CONFIG("sweep") "}\n");
    ck_assert_int_eq(ws_claims_check(&ctx, "appendix-l2", mkdirs("claims/appendix-l2"), c, 16, &n), WS_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(c[0].paper, "appendix table, weight decay at 0.01: random 55.4, warm 51.2 (a gap of 4.2 points)");
    ck_assert_int_eq(c[0].verdict, WS_VERDICT_HOLDS);
}
END_TEST

// ---- the gnuplot launcher (report/plot.c): no shell between us and gnuplot ----

// A folder name a shell would split or unquote, and a quote gnuplot's strings must escape.
#define ODD_DIR "plot dir/it's \"odd\" $HOME; x"

// A stand-in gnuplot in its own folder, made PATH: appends its argument count
// and first argument to args.txt, prints `say` and exits with `rc`.
static const char *fake_gnuplot(const char *rel, const char *say, int rc) {
    const char *bin = mkdirs(rel);
    static char dir[600];
    snprintf(dir, sizeof dir, "%s", bin);
    char script[1600], name[700];
    snprintf(script, sizeof script,
             "#!/bin/sh\nprintf '%%s\\n' \"$#\" \"$1\" >> '%s/args.txt'\nprintf '%%s\\n' '%s'\nexit %d\n", dir, say, rc);
    snprintf(name, sizeof name, "%s/gnuplot", rel);
    const char *p = test_write_file(name, script, strlen(script));
    chmod(p, 0755);
    setenv("PATH", dir, 1);
    return dir;
}

START_TEST(plot_runs_gnuplot_without_a_shell) {
    write_transfer("plot in"); // two figures: accuracy, seconds
    char in[600], out[700];
    snprintf(in, sizeof in, "%s", mkdirs("plot in"));
    snprintf(out, sizeof out, "%s", mkdirs(ODD_DIR));
    int n = -1;
    if (gnuplot_on_path()) { // the real one: figures in the odd folder
        ck_assert_msg(ws_plot_results(&ctx, in, out, &n) == WS_OK, "%s", ctx.err);
        ck_assert_int_eq(n, 4);
        ck_assert_int_gt(file_size(out, "accuracy.png"), 0);
        ck_assert_int_gt(file_size(out, "seconds.svg"), 0);
        ck_assert_int_gt(file_size(out, "accuracy.svg"), 0);
    }
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "");
    // The script's path reaches gnuplot as one argument, as it is.
    const char *bin = fake_gnuplot("fake-ok", "", 0);
    ck_assert_msg(ws_plot_results(&ctx, in, out, &n) == WS_OK, "%s", ctx.err);
    char *args = slurp(bin, "args.txt"), want[2000];
    snprintf(want, sizeof want, "1\n%s/accuracy.gp\n1\n%s/seconds.gp\n", out, out);
    ck_assert_str_eq(args, want);
    free(args);
    char *gp = slurp(out, "accuracy.gp");
    ck_assert_ptr_nonnull(strstr(gp, "/plot dir/it''s \"odd\" $HOME; x/accuracy.png'"));
    free(gp);
    // A failure: its output, on one line, in the message.
    fake_gnuplot("fake-fail", "line 3: bad", 3);
    ck_assert_int_eq(ws_plot_results(&ctx, in, out, &n), WS_ERR_IO);
    snprintf(want, sizeof want, "gnuplot failed on %s/accuracy.gp: line 3: bad ", out);
    ck_assert_str_eq(ctx.err, want);
    // Missing: not on the PATH, or a wrapper's 127.
    setenv("PATH", mkdirs("empty-bin"), 1);
    ck_assert_int_eq(ws_plot_results(&ctx, in, out, &n), WS_ERR_IO);
    ck_assert_str_eq(ctx.err, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    ck_assert_int_eq(n, 0);
    fake_gnuplot("fake-127", "gnuplot: not found", 127);
    ck_assert_int_eq(ws_plot_results(&ctx, in, out, &n), WS_ERR_IO);
    ck_assert_str_eq(ctx.err, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    setenv("PATH", path, 1);
    free(path);
}
END_TEST

Suite *report_suite(void) {
    Suite *s = suite_create("report");
    TCase *t = tcase_create("report");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, every_kind_on_one_page);
    tcase_add_test(t, claims_of_the_figures);
    tcase_add_test(t, sweep_points_figures_on_the_page);
    tcase_add_test(t, results_in_the_folder_itself);
    tcase_add_test(t, search_depth);
    tcase_add_test(t, missing_or_empty_folder);
    tcase_add_test(t, corrupt_line_names_file_and_line);
    tcase_add_test(t, verdicts_from_paired_differences);
    tcase_add_test(t, verdicts_sized_by_the_paper_effect);
    tcase_add_test(t, claims_sized_and_capped);
    tcase_add_test(t, forest_plot_of_the_claims);
    tcase_add_test(t, claims_say_when_the_data_disagree);
    tcase_add_test(t, plot_runs_gnuplot_without_a_shell);
    suite_add_tcase(s, t);
    return s;
}
