// Data arriving in rounds, through the stable API only (<warmstart.h>, warmstart_* calls): warm
// start against random initialisation and shrink-and-perturb, as `warmstart online --subset 3000
// --k0 1000 --k 1000 --seeds 2 --hidden 32,32 --max-epochs 40 --learners
// warm,random,shrink-perturb --out OUT` would run it: the same units and records
// (OUT/online.jsonl, OUT/online.csv), then a short table read back from the results in long form,
// and the report (OUT/report.md, OUT/report.html). Run it again with "--resume" as its second
// argument and the finished units are taken from OUT/units instead of trained.
//   build/example_online [OUT [--resume]]        (OUT: results/example-online)
// Built against the installed library: cc online.c $(pkg-config --cflags --libs warmstart)
#include <stdio.h>
#include <string.h>

#include <warmstart.h>

// The learners it runs, in the table's order; the "learners" option lists the same.
static const char *const LEARNERS[] = {"warm", "random", "shrink-perturb"};
enum { NLEARNERS = sizeof LEARNERS / sizeof *LEARNERS };

// The hooks: notes and a progress line on stderr; units trained now counted.
static void note(void *user, const char *who, const char *line) {
    (void)user;
    fprintf(stderr, "%s%s%s\n", who ? who : "", who ? ": " : "", line);
}

static void progress(void *user, int done, int total, const char *unit) {
    if (!unit) { // the first call, before any unit
        fprintf(stderr, "online: %d units, %d found finished\n", total, done);
        return;
    }
    ++*(int *)user;
    fprintf(stderr, "online: %s recorded (%d of %d)\n", unit, done, total);
}

// Per learner: its mean test accuracy at the last round, and its gradient steps over every
// round, both averaged over the seeds. Read from the rows; 0, or a status.
typedef struct {
    int seeds;           // last-round test accuracies found: one per seed
    double acc, steps;   // sums over the seeds
} summary;

static int learner_of(const char *name) {
    for (int i = 0; i < NLEARNERS; i++)
        if (!strcmp(name, LEARNERS[i])) return i;
    return -1;
}

static int summarise(warmstart_context *c, const char *out, summary *s) {
    warmstart_results *r;
    int st = warmstart_results_open(c, out, &r);
    if (st) return st;
    const int64_t n = warmstart_results_nrows(r);
    int last = 0;
    warmstart_row row;
    for (int64_t i = 0; i < n && !(st = warmstart_results_row(r, i, &row)); i++)
        if (row.stage > last) last = row.stage;
    for (int64_t i = 0; i < n && !st && !(st = warmstart_results_row(r, i, &row)); i++) {
        const int l = learner_of(row.learner);
        if (l < 0) continue;
        if (!strcmp(row.measure, "steps")) s[l].steps += row.value;
        if (!strcmp(row.measure, "test_acc") && row.stage == last) s[l].acc += row.value, s[l].seeds++;
    }
    warmstart_results_free(r);
    return st;
}

static void print_summary(const summary *s) {
    printf("%-16s %5s %22s %22s\n", "learner", "seeds", "test acc, last round", "steps, all rounds");
    for (int l = 0; l < NLEARNERS; l++) {
        const double k = s[l].seeds ? s[l].seeds : 1;
        printf("%-16s %5d %21.2f%% %22.0f\n", LEARNERS[l], s[l].seeds, 100 * s[l].acc / k, s[l].steps / k);
    }
}

// The experiment, checked whole before anything runs: 0, or a status (the message on c).
static int make_experiment(warmstart_context *c, const char *out, int resume, warmstart_experiment **e) {
    const char *options[][2] = {{"subset", "3000"}, {"k0", "1000"}, {"k", "1000"}, {"seeds", "2"}, {"hidden", "32,32"},
                                {"max-epochs", "40"}, {"learners", "warm,random,shrink-perturb"}, {"out", out},
                                {"resume", resume ? "true" : "false"}};
    int st = warmstart_experiment_new(c, "online", e);
    for (size_t i = 0; i < sizeof options / sizeof *options && !st; i++)
        st = warmstart_experiment_set(*e, options[i][0], options[i][1]);
    return st ? st : warmstart_experiment_check(*e);
}

int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == '-') { // --help, or a flag taken for OUT: no folder named after it
        fprintf(stderr, "usage: %s [OUT [--resume]]   (OUT: results/example-online)\n", argv[0]);
        return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? 2 : 0;
    }
    const char *out = argc > 1 ? argv[1] : "results/example-online";
    const int resume = argc > 2 && !strcmp(argv[2], "--resume");
    warmstart_context *c;
    if (warmstart_context_new(0, &c)) return fprintf(stderr, "error: out of memory\n"), 1;
    warmstart_experiment *e = NULL;
    int trained = 0, complete = 0, pages = 0;
    const warmstart_hooks hooks = {.note = note, .progress = progress};
    summary s[NLEARNERS] = {{0}};
    int st = make_experiment(c, out, resume, &e);
    if (!st) st = warmstart_experiment_run(e, &hooks, &trained, &complete);
    if (!st && complete) st = summarise(c, out, s);
    if (!st && complete) st = warmstart_report(c, out, &pages);
    if (st) fprintf(stderr, "error: %s\n", warmstart_error(c));
    else if (!complete) printf("%d units trained; this share is done, the others' are not (merge the shards)\n", trained);
    else {
        print_summary(s);
        printf("\n%d units trained now (warmstart %s); report: %s/report.html\n", trained, warmstart_version(), out);
    }
    warmstart_experiment_free(e);
    warmstart_context_free(c);
    return st ? 1 : 0;
}
