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
#include "report/remedies_table.h"
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

#define SRUN(acc, secs) "{'test_acc':" #acc ",'epochs':7,'seconds':" #secs ",'converged':true}"
#define SWEEP_ROW(pt, lr)                                                                                           \
    "{'point':" #pt ",'params':{'lr':'" lr "','batch':'32'},'learner':'warm','dir':'points/00" #pt "'," CONFIG("sweep") "}\n"

// Two points: lr 0.1 (warm 89, 91 -> 90.00 ± 12.71 in 2 s; random 92, 92 in 5 s) and lr 0.01
// (warm alone, 85 in 3 s): the first two on the Pareto front, the third behind the first.
static void write_sweep(const char *rel) {
    char name[256];
    mkdirs(rel);
    snprintf(name, sizeof name, "%s/sweep.jsonl", rel);
    write_json(name, SWEEP_ROW(0, "0.1") SWEEP_ROW(1, "0.01"));
    snprintf(name, sizeof name, "%s/sweep.png", rel);
    test_write_file(name, "\x89PNG", 4);
    // A point's own results are the sweep's rows, not another experiment.
    for (int k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "%s/points/00%d", rel, k);
        mkdirs(name);
        snprintf(name, sizeof name, "%s/points/00%d/batch.jsonl", rel, k);
        if (k == 0)
            write_json(name, "{'seed':1,'runs':{'phase1':" SRUN(0.5, 1) ",'warm':" SRUN(0.89, 2) ",'random':" SRUN(0.92, 5) "},"
                             CONFIG("batch") "}\n{'seed':2,'runs':{'phase1':" SRUN(0.5, 1) ",'warm':" SRUN(0.91, 2) ",'random':"
                             SRUN(0.92, 5) "}," CONFIG("batch") "}\n");
        else
            write_json(name, "{'seed':1,'runs':{'warm':" SRUN(0.85, 3) "}," CONFIG("batch") "}\n{'seed':2,'runs':{'warm':"
                             SRUN(0.85, 3) "}," CONFIG("batch") "}\n");
    }
    snprintf(name, sizeof name, "%s/points/000/figures", rel);
    mkdirs(name);
    snprintf(name, sizeof name, "%s/points/000/figures/accuracy.png", rel);
    test_write_file(name, "\x89PNG", 4);
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
    // Sweep: each point's rows from its own results (phase 1 left out), the Pareto mark; the front fastest first.
    ck_assert_ptr_nonnull(strstr(md, "| 0 | 0.1 | 32 | warm | 90.00 ± 12.71 | 2.00 ± 0.00 | 7.0 ± 0.0 | 2 | ★ |"));
    ck_assert_ptr_nonnull(strstr(md, "| 0 | 0.1 | 32 | random | 92.00 ± 0.00 | 5.00 ± 0.00 | 7.0 ± 0.0 | 2 | ★ |"));
    ck_assert_ptr_nonnull(strstr(md, "| 1 | 0.01 | 32 | warm | 85.00 ± 0.00 | 3.00 ± 0.00 | 7.0 ± 0.0 | 2 |  |"));
    ck_assert_ptr_nonnull(strstr(md, "grid over lr, batch (3 rows); learners: warm, random"));
    ck_assert(in_order(md, "| 2.00 ± 0.00 | 90.00 ± 12.71 | warm | 0 | lr=0.1, batch=32 |",
                       "| 5.00 ± 0.00 | 92.00 ± 0.00 | random | 0 | lr=0.1, batch=32 |"));
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

// The forest plot (report/forest.c) on hand-made claims: each row in its panel, normalised by
// its size (the paper's effect, a smallest effect of interest, a margin) where it has one, in its
// own units where not; clipped past 6 times the size with an arrow; a row without a value left
// out; taller with more rows. size: E (a difference) or the margin (tol > 0: an equivalence).
static ws_claim claim_of(ws_verdict v, double mean, double half, double effect, double tol, const char *units) {
    ws_claim c;
    memset(&c, 0, sizeof c);
    c.verdict = v, c.d.mean = mean, c.d.half95 = half, c.d.n = 3, c.d.sd = 1;
    c.spec.effect = effect, c.spec.kind = tol > 0 ? WS_KIND_EQUIVALENCE : WS_KIND_DIFFERENCE, c.spec.margin = tol;
    c.size = tol > 0 ? tol : effect > 0 ? effect : NAN;
    c.d.seeds_lo = c.d.seeds_hi = -1;
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
    ck_assert_ptr_nonnull(strstr(gp, "lc rgb '#1f77b4' title 'exploratory'"));
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
    // A row's name: the claim's id and where it was measured.
    char label[200];
    ws_claim x = claim_of(WS_VERDICT_HOLDS, 1, 1, 1, 0, "points");
    snprintf(x.id, sizeof x.id, "gap");
    snprintf(x.where, sizeof x.where, "5 %% of the target");
    ws_claim_label(&x, label, sizeof label);
    ck_assert_str_eq(label, "gap 5 % of the target");
    // Nothing to draw: an error, no script.
    ck_assert_int_eq(ws_forest_render(&ctx, rows + 4, 1, dir, "h", &nfigs, &left), WS_ERR_ARG);
    ck_assert_int_eq(file_size(dir, "h.gp"), -1);
}
END_TEST

// The claims section: each artefact's declared claims (reproduce.json's, or a folder's run.json)
// evaluated on its results, counted, adjusted over the family, tabulated; claims.json beside the
// pages; a same-run stand-in's claims shown but not counted twice.
#define GAPCLAIM(id, extra)                                                                                         \
    "{'id':'" id "','says':'warm start generalises worse','paper':'Table 1: a gap','source':'Ash & Adams 2020',"  \
    "'compare':'random - warm','measure':'test-acc'" extra "}"

START_TEST(claims_on_the_page) {
    // Three seeds, random - warm +2, +1, +3: +2.00 ± 2.48, reaching both 0 and 3.3.
    mkdirs("cl/a");
    write_json("cl/a/batch.jsonl", "{'seed':1,'runs':{'warm':" RUN(0.80, 4, 2, true) ",'random':" RUN(0.82, 9, 3, true) "},"
               CONFIG("batch") "}\n{'seed':2,'runs':{'warm':" RUN(0.80, 4, 2, true) ",'random':" RUN(0.81, 9, 3, true) "},"
               CONFIG("batch") "}\n{'seed':3,'runs':{'warm':" RUN(0.80, 4, 2, true) ",'random':" RUN(0.83, 9, 3, true) "},"
               CONFIG("batch") "}\n");
    write_json("cl/reproduce.json", "{'scale':'cpu','machine':'test','artefacts':["
               "{'name':'a','title':'A.','status':'ok','command':'c','seconds':1,'data':'cifar10','claims':["
               GAPCLAIM("gap", ",'effect':'3.3','effect-setting':'same'") "," GAPCLAIM("sp", ",'beside':'random - warm'") "]},"
               "{'name':'b','title':'B.','status':'same run','same_run_as':'a','stand_in':true,'missing_data':'m','seconds':0,"
               "'command':'c','data':'svhn','claims':[" GAPCLAIM("gap", ",'effect':'0.1','effect-setting':'same'") "]},"
               "{'name':'c','title':'C.','status':'skipped','missing_data':'no svhn','seconds':0,'command':'c','data':'svhn'}]}");
    const char *root = mkdirs("cl");
    int n = 0;
    if (ws_report_write_in(&ctx, root, "report", &n)) ck_abort_msg("%s", ctx.err);
    char *md = slurp(root, "report/report.md");
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(strstr(md, "## The paper's claims, checked"));
    ck_assert_ptr_nonnull(strstr(md, "| experiment | data | claims | yes | not shown | undecided | the opposite | exploratory | "
                                     "no verdict | no data | yes, adjusted |"));
    ck_assert_ptr_nonnull(strstr(md, "| a | cifar10 | 2 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |"));
    ck_assert_ptr_nonnull(strstr(md, "| b | fashion-mnist, standing in for svhn | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 |"));
    ck_assert_ptr_nonnull(strstr(md, "| c | svhn: missing, skipped | 0 |"));
    ck_assert_ptr_nonnull(strstr(md, "| 1 | warm start generalises worse (gap) | Table 1: a gap -- Ash & Adams 2020 | "
                                     "+2.00 ± 2.48 points (3 seeds) | the paper's effect in this setting, +3.30 points | "
                                     "undecided: the interval includes 0 and the paper's effect in this setting, +3.30 points"));
    ck_assert_ptr_nonnull(strstr(md, "beside: random - warm +2.00 ± 2.48 points"));
    // The stand-in's number is from another setting; its runs are a's, counted there.
    ck_assert_ptr_nonnull(strstr(md, "none; the paper's +0.10 is from another setting: shown, not sizing"));
    ck_assert_ptr_nonnull(strstr(md, "– (the same runs as a, counted there)"));
    ck_assert_ptr_nonnull(strstr(md, "2 confirmatory claims form the family"));
    ck_assert_ptr_nonnull(strstr(md, "[claims.json](../report/claims.json)"));
    ck_assert_int_gt(file_size(mkdirs("cl/report"), "claims.json"), 100);
    free(md);
    // A plain results folder whose run.json declares claims: the same section, under its folder's name.
    write_online("plain/o");
    write_json("plain/o/run.json", "{'command':'online','options':[],'claims':[" GAPCLAIM("gap", "") "]}");
    root = mkdirs("plain");
    if (ws_report_write(&ctx, root, &n)) ck_abort_msg("%s", ctx.err);
    md = slurp(root, "report.md");
    ck_assert_ptr_nonnull(strstr(md, "## The claims, checked"));
    ck_assert_ptr_nonnull(strstr(md, "| o | as in its file | 1 |"));
    ck_assert_ptr_nonnull(strstr(md, "(gap; last round)"));
    free(md);
    // Without any declared claim, no section.
    write_online("none/o");
    root = mkdirs("none");
    if (ws_report_write(&ctx, root, &n)) ck_abort_msg("%s", ctx.err);
    md = slurp(root, "report.md");
    ck_assert_ptr_null(strstr(md, "claims, checked"));
    free(md);
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

// The remedies' table on simulated runs with known truth: warm 80, random 90 and a remedy at 85
// with a little noise per seed over the rounds after the first (round 0 is every learner's 50):
// it closes half of warm's gap, interval around 0.5; warm closes 0 and random all of it; the
// Pareto front marks random (most accurate) and warm (fewest steps), not a remedy that is both
// slower and less accurate than random. Runs without warm (or random) give no table.
START_TEST(remedies_table_rows) {
    ws_table *t = ws_table_new("online");
    ws_point *p = ws_table_add_point(t);
    const char *names[3] = {"warm", "random", "half"};
    const double acc[3] = {0.80, 0.90, 0.85}, steps[3] = {100, 300, 400};
    for (int l = 0; l < 3; l++)
        for (int64_t seed = 1; seed <= 4; seed++)
            for (int k = 0; k < 3; k++) {
                ws_run *r = ws_point_add_run(p, ws_table_learner_add(t, names[l]), seed, k);
                const double noise = l == 2 ? 0.004 * (double)((seed * 7 + k * 3) % 5 - 2) : 0.002 * (double)(seed % 2);
                r->m[WS_M_TEST_ACC] = k == 0 ? 0.5 : acc[l] + noise;
                r->m[WS_M_STEPS] = steps[l] / 3;
                r->m[WS_M_DORMANT_01] = 0.1 * l;
                r->m[WS_M_SRANK] = 10 + l;
            }
    ws_point_sort(p);
    ws_remedy_row rows[4];
    ck_assert_int_eq(ws_remedy_rows(t, rows, 4), 3);
    ck_assert_str_eq(rows[2].name, "half");
    ck_assert_double_eq_tol(rows[0].gap.ratio, 0, 1e-12);
    ck_assert_double_eq_tol(rows[1].gap.ratio, 1, 1e-12);
    ck_assert(rows[2].gap.bounded && rows[2].gap.lo < 0.5 && 0.5 < rows[2].gap.hi && rows[2].gap.hi - rows[2].gap.lo < 0.3);
    ck_assert_double_eq_tol(rows[2].acc.mean, 85.0 + 100 * 0.004 * 0.0, 0.5); // rounds 1 and 2 only: not round 0's 50
    ck_assert_double_eq_tol(rows[2].steps.mean, 400, 1e-9);
    ck_assert_double_eq_tol(rows[2].dormant.mean, 20, 1e-9);
    ck_assert_double_eq_tol(rows[1].srank.mean, 11, 1e-9);
    ck_assert_int_eq(rows[0].pareto, 1);
    ck_assert_int_eq(rows[1].pareto, 1);
    ck_assert_int_eq(rows[2].pareto, 0);
    ws_table_free(t);
    // A task sequence of 8 tasks: the last quarter (tasks 6 and 7) counts, online accuracy.
    t = ws_table_new("continual");
    p = ws_table_add_point(t);
    for (int l = 0; l < 2; l++)
        for (int64_t seed = 1; seed <= 3; seed++)
            for (int k = 0; k < 8; k++) {
                ws_run *r = ws_point_add_run(p, ws_table_learner_add(t, names[l]), seed, k);
                r->m[WS_M_ONLINE_ACC] = k < 6 ? 0.9 : l == 0 ? 0.6 + 0.01 * (double)seed : 0.8;
                r->m[WS_M_STEPS] = 100;
            }
    ws_point_sort(p);
    ck_assert_int_eq(ws_remedy_rows(t, rows, 4), 2);
    ck_assert_double_eq_tol(rows[0].acc.mean, 62, 1e-9);
    ck_assert_double_eq_tol(rows[1].acc.mean, 80, 1e-9);
    ck_assert_double_eq_tol(rows[0].steps.mean, 800, 1e-9);
    ws_table_free(t);
    t = ws_table_new("online");
    p = ws_table_add_point(t);
    ws_point_add_run(p, ws_table_learner_add(t, "warm"), 1, 0);
    ws_point_sort(p);
    ck_assert_int_eq(ws_remedy_rows(t, rows, 4), 0);
    ws_table_free(t);
}
END_TEST

Suite *report_suite(void) {
    Suite *s = suite_create("report");
    TCase *t = tcase_create("report");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, every_kind_on_one_page);
    tcase_add_test(t, remedies_table_rows);
    tcase_add_test(t, sweep_points_figures_on_the_page);
    tcase_add_test(t, results_in_the_folder_itself);
    tcase_add_test(t, search_depth);
    tcase_add_test(t, missing_or_empty_folder);
    tcase_add_test(t, corrupt_line_names_file_and_line);
    tcase_add_test(t, forest_plot_of_the_claims);
    tcase_add_test(t, claims_on_the_page);
    tcase_add_test(t, plot_runs_gnuplot_without_a_shell);
    suite_add_tcase(s, t);
    return s;
}
