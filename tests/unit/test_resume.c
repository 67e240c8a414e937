// Resumable runs: a chain's state saved after a round and loaded into a new
// chain continues bit for bit as the uninterrupted chain (every learner kind
// whose state spans rounds: optimizer moments kept, EWC's anchor and Fisher,
// L2-init's theta_0, continual backprop's utilities; active learning's
// labelled set); batch phase 1 and transfer pretraining likewise; foreign or
// damaged checkpoints refused by name; divergence reported with its epoch.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exp/batch.h"
#include "exp/online.h"
#include "exp/transfer.h"
#include "exp/runner.h"
#include "io/checkpoint.h"
#include "io/lock.h"
#include "io/records.h"
#include "suites.h"

static ws_ctx ctx;
static ws_source src;
static int have_data;

static void setup(void) {
    ws_ctx_init(&ctx, 2);
    have_data = ws_source_load(&ctx, &src, "fashion-mnist", NULL) == WS_OK;
    if (!have_data) fprintf(stderr, "# skipped resume tests: %s\n", ctx.err);
}
static void teardown(void) {
    if (have_data) ws_source_free(&src);
    ws_ctx_release(&ctx);
}

static void small_online(ws_online_config *cfg) {
    ws_online_config_defaults(cfg);
    cfg->base.nhidden = 1;
    cfg->base.hidden[0] = 24;
    cfg->base.subset = 600;
    cfg->base.eval_subset = 300;
    cfg->base.max_epochs = 3;
    cfg->k0 = 200, cfg->k = 200; // rounds of 200, 400, 600
    cfg->grad_examples = 100;
    const char *spec = "warm,random,shrink-perturb,ewc:keep-optim=1,l2-init,cbp:maturity=3:rate=0.01,dash,noise";
    ck_assert_int_eq(ws_learner_parse_list(&ctx, spec, cfg->base.learners, WS_MAX_LEARNERS, &cfg->base.nlearners), WS_OK);
}

// Every number of a round that depends on the weights, compared exactly.
static void same_round(const ws_online_round *a, const ws_online_round *b) {
    ck_assert_int_eq(a->round, b->round);
    ck_assert_int_eq(a->train.steps, b->train.steps);
    ck_assert_int_eq(a->train.nepochs, b->train.nepochs);
    ck_assert(a->test_acc == b->test_acc && a->test_loss == b->test_loss);
    ck_assert(a->train.loss == b->train.loss && a->train.train_acc == b->train.train_acc);
    ck_assert(a->to_init.l2 == b->to_init.l2 && a->to_start.pearson == b->to_start.pearson);
    ck_assert(a->grad_old == b->grad_old && a->grad_new_epoch1 == b->grad_new_epoch1);
    ck_assert_int_eq(a->units_replaced, b->units_replaced);
    ck_assert_int_eq(memcmp(a->new_per_class, b->new_per_class, sizeof a->new_per_class), 0);
}

static void resume_every_learner(ws_query query) {
    ws_online_config cfg;
    small_online(&cfg);
    cfg.query = query;
    const char *path = test_write_file("chain.safetensors", "", 0);
    for (int l = 0; l < cfg.base.nlearners; l++) {
        ws_online_chain *a, *b;
        ws_online_round ra[3], rb[3];
        ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, l, &a), WS_OK);
        ck_assert_int_eq(ws_online_chain_rounds(a), 3);
        for (int r = 0; r < 3; r++) ck_assert_int_eq(ws_online_chain_step(a, &ra[r]), WS_OK);
        ws_online_chain_close(a);
        // Interrupted after round 0 and again after round 1, each time into a new chain.
        for (int stop = 1; stop < 3; stop++) {
            ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, l, &b), WS_OK);
            if (stop == 2) ck_assert_int_eq(ws_online_chain_load(b, path), WS_OK);
            for (int r = ws_online_chain_next(b); r < stop; r++) {
                ck_assert_int_eq(ws_online_chain_step(b, &rb[r]), WS_OK);
                same_round(&ra[r], &rb[r]);
                ws_train_result_free(&rb[r].train);
            }
            ck_assert_int_eq(ws_online_chain_save(b, path), WS_OK);
            ws_online_chain_close(b);
        }
        ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, l, &b), WS_OK);
        ck_assert_int_eq(ws_online_chain_load(b, path), WS_OK);
        ck_assert_int_eq(ws_online_chain_next(b), 2);
        ck_assert_int_eq(ws_online_chain_step(b, &rb[2]), WS_OK);
        same_round(&ra[2], &rb[2]);
        ck_assert_int_eq(ws_online_chain_step(b, &rb[0]), WS_ERR_ARG); // nothing left to run
        ws_online_chain_close(b);
        ws_train_result_free(&rb[2].train);
        for (int r = 0; r < 3; r++) ws_train_result_free(&ra[r].train);
    }
}

START_TEST(online_chain_resumes_bitwise) {
    if (!have_data) return;
    resume_every_learner(WS_QUERY_PASSIVE);
}
END_TEST

START_TEST(active_chain_resumes_bitwise) {
    if (!have_data) return;
    resume_every_learner(WS_QUERY_MARGIN);
}
END_TEST

START_TEST(foreign_checkpoints_refused) {
    if (!have_data) return;
    ws_online_config cfg;
    small_online(&cfg);
    ws_online_chain *a, *b;
    ws_online_round r;
    const char *path = test_write_file("warm.safetensors", "", 0);
    ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, 0, &a), WS_OK);
    ck_assert_int_eq(ws_online_chain_step(a, &r), WS_OK);
    ws_train_result_free(&r.train);
    ck_assert_int_eq(ws_online_chain_save(a, path), WS_OK);
    ws_online_chain_close(a);
    // Another learner, another seed: refused, naming the file.
    ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, 1, &b), WS_OK);
    ck_assert_int_eq(ws_online_chain_load(b, path), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "another chain"));
    ck_assert_ptr_nonnull(strstr(ctx.err, path));
    ws_online_chain_close(b);
    ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 1, 0, &b), WS_OK);
    ck_assert_int_eq(ws_online_chain_load(b, path), WS_ERR_FORMAT);
    ws_online_chain_close(b);
    // A different architecture: refused by the model's description the checkpoint records
    // (ws_ckpt_model; one without it, by the model's tensor size: test_safetensors.c).
    ws_online_config wide = cfg;
    wide.base.hidden[0] = 25;
    ck_assert_int_eq(ws_online_chain_open(&ctx, &wide, &src, 0, 0, &b), WS_OK);
    ck_assert_int_eq(ws_online_chain_load(b, path), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, "holds model mlp 784-") && strstr(ctx.err, ", not mlp 784-25-"), "got '%s'", ctx.err);
    ws_online_chain_close(b);
    // The same sizes with tanh units: only the description tells them apart.
    ws_online_config tanh_cfg = cfg;
    tanh_cfg.base.activation = WS_ACT_TANH;
    ck_assert_int_eq(ws_online_chain_open(&ctx, &tanh_cfg, &src, 0, 0, &b), WS_OK);
    ck_assert_int_eq(ws_online_chain_load(b, path), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, " tanh") && strstr(ctx.err, "holds model"), "got '%s'", ctx.err);
    ws_online_chain_close(b);
    // Truncated: refused by the reader.
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(path, n / 2), 0);
    ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, 0, &b), WS_OK);
    ck_assert_int_ne(ws_online_chain_load(b, path), WS_OK);
    ck_assert_int_eq(ws_online_chain_next(b), 0); // nothing half-loaded
    ws_online_chain_close(b);
}
END_TEST

START_TEST(batch_phase1_and_transfer_pretraining_reload) {
    if (!have_data) return;
    ws_batch_config cfg;
    ws_batch_config_defaults(&cfg);
    cfg.base.nhidden = 1, cfg.base.hidden[0] = 24, cfg.base.subset = 500, cfg.base.eval_subset = 300, cfg.base.max_epochs = 4;
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm:keep-optim=1,random,ewc", cfg.base.learners, WS_MAX_LEARNERS,
                                           &cfg.base.nlearners), WS_OK);
    const char *path = test_write_file("phase1.safetensors", "", 0);
    ws_batch_seed *a, *b;
    ws_run_result p1, ra, rb;
    ck_assert_int_eq(ws_batch_seed_open(&ctx, &cfg, &src, 0, &a), WS_OK);
    ck_assert_int_eq(ws_batch_seed_learner(a, 0, NULL, NULL, &ra), WS_ERR_ARG); // phase 1 first
    ck_assert_int_eq(ws_batch_seed_phase1(a, NULL, NULL, &p1), WS_OK);
    ck_assert_int_eq(ws_batch_seed_save_phase1(a, path), WS_OK);
    ck_assert_int_eq(ws_batch_seed_open(&ctx, &cfg, &src, 0, &b), WS_OK);
    ck_assert_int_eq(ws_batch_seed_load_phase1(b, path), WS_OK);
    for (int l = cfg.base.nlearners - 1; l >= 0; l--) { // any order: learners do not share state
        ck_assert_int_eq(ws_batch_seed_learner(a, l, NULL, NULL, &ra), WS_OK);
        ck_assert_int_eq(ws_batch_seed_learner(b, l, NULL, NULL, &rb), WS_OK);
        ck_assert(ra.test_acc == rb.test_acc && ra.test_loss == rb.test_loss && ra.train.loss == rb.train.loss);
        ck_assert_int_eq(ra.train.steps, rb.train.steps);
        ws_train_result_free(&ra.train), ws_train_result_free(&rb.train);
    }
    ws_batch_seed_close(b);
    ck_assert_int_eq(ws_batch_seed_open(&ctx, &cfg, &src, 1, &b), WS_OK); // seed 2
    ck_assert_int_eq(ws_batch_seed_load_phase1(b, path), WS_ERR_FORMAT);
    ws_batch_seed_close(b);
    ws_batch_seed_close(a);
    ws_train_result_free(&p1.train);

    ws_source sa, sb;
    ck_assert_int_eq(ws_source_select_classes(&ctx, &sa, &src, 0, 5), WS_OK);
    ck_assert_int_eq(ws_source_select_classes(&ctx, &sb, &src, 5, 10), WS_OK);
    ws_transfer_config tc;
    ws_transfer_config_defaults(&tc);
    tc.base = cfg.base;
    tc.nfractions = 2, tc.fractions[0] = 0.5, tc.fractions[1] = 1;
    ws_transfer_seed *ta, *tb;
    ws_transfer_point pa = {0}, pb = {0};
    ck_assert_int_eq(ws_transfer_seed_open(&ctx, &tc, &sa, &sb, 0, &ta), WS_OK);
    ck_assert_int_eq(ws_transfer_seed_pretrain(ta, &p1), WS_OK);
    ck_assert_int_eq(ws_transfer_seed_save_pretrained(ta, path), WS_OK);
    ck_assert_int_eq(ws_transfer_seed_open(&ctx, &tc, &sa, &sb, 0, &tb), WS_OK);
    ck_assert_int_eq(ws_transfer_seed_load_pretrained(tb, path), WS_OK);
    for (int l = 0; l < tc.base.nlearners; l++) {
        ck_assert_int_eq(ws_transfer_seed_point(ta, 1, l, &pa), WS_OK);
        ck_assert_int_eq(ws_transfer_seed_point(tb, 1, l, &pb), WS_OK);
        ck_assert(pa.runs[l].test_acc == pb.runs[l].test_acc && pa.runs[l].train.loss == pb.runs[l].train.loss);
        ws_train_result_free(&pa.runs[l].train), ws_train_result_free(&pb.runs[l].train);
    }
    ck_assert(pa.warm_to_pretrained.l2 == pb.warm_to_pretrained.l2 && pa.warm_to_pretrained.l2 > 0);
    ws_transfer_seed_close(ta), ws_transfer_seed_close(tb);
    ws_train_result_free(&p1.train);
    ws_source_free(&sa), ws_source_free(&sb);
}
END_TEST

START_TEST(divergence_reports_its_epoch) {
    if (!have_data) return;
    ws_online_config cfg;
    small_online(&cfg);
    cfg.base.opt = ws_opt_defaults(WS_OPT_SGD, 1e30f);
    ws_online_chain *c;
    ws_online_round r;
    ck_assert_int_eq(ws_online_chain_open(&ctx, &cfg, &src, 0, 0, &c), WS_OK);
    ck_assert_int_eq(ws_online_chain_step(c, &r), WS_ERR_NUMERIC);
    ck_assert_int_eq(r.train.diverged_epoch, 1);
    ck_assert_ptr_nonnull(strstr(ctx.err, "diverged"));
    ck_assert_ptr_nonnull(strstr(ctx.err, "round 0, warm"));
    ck_assert_int_eq(ws_online_chain_next(c), 0);
    ws_online_chain_close(c);
}
END_TEST

START_TEST(checkpoint_numbers_round_trip) {
    ws_ckpt k;
    ws_ckpt_init(&k);
    const double x[3] = {0.1, -0.0, 1e-310};
    const float w[2] = {1.5f, NAN};
    ws_ckpt_num(&k, "a", 0.1 + 0.2);
    ws_ckpt_int(&k, "b", -1234567890123LL);
    ws_ckpt_f64(&k, "x", x, 3);
    ws_ckpt_f32(&k, "w", w, 2);
    const char *path = test_write_file("numbers.safetensors", "", 0);
    ck_assert_int_eq(ws_ckpt_write(&ctx, &k, path), WS_OK);
    ws_st_file f;
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    double a, y[3];
    int64_t b;
    float v[2];
    ck_assert_int_eq(ws_ckpt_get_num(&ctx, &f, path, "a", &a), WS_OK);
    ck_assert(a == 0.1 + 0.2);
    ck_assert_int_eq(ws_ckpt_get_int(&ctx, &f, path, "b", &b), WS_OK);
    ck_assert_int_eq(b, -1234567890123LL);
    ck_assert_int_eq(ws_ckpt_get_f64(&ctx, &f, path, "x", y, 3), WS_OK);
    ck_assert_int_eq(memcmp(x, y, sizeof x), 0);
    ck_assert_int_eq(ws_ckpt_get_f32(&ctx, &f, path, "w", v, 2), WS_OK);
    ck_assert(v[0] == 1.5f && isnan(v[1]));
    ck_assert_int_eq(ws_ckpt_get_f32(&ctx, &f, path, "x", v, 2), WS_ERR_FORMAT); // F64, 3 elements
    ck_assert_ptr_nonnull(strstr(ctx.err, "'x' is F64 with 3 elements, expected 2"));
    ck_assert_int_eq(ws_ckpt_get_num(&ctx, &f, path, "missing", &a), WS_ERR_FORMAT);
    ck_assert_int_eq(ws_ckpt_get_int(&ctx, &f, path, "a", &b), WS_ERR_FORMAT); // a hex float is no integer
    ws_st_close(&f);
}
END_TEST

static ws_status count_rec(ws_ctx *c, cJSON *rec, void *user) {
    int *n = user;
    ck_assert_int_eq(cJSON_GetObjectItem(rec, "k")->valueint, *n);
    (*n)++;
    return WS_OK;
}

// The bytes of path (n of them, NUL-terminated; freed by the caller), or NULL.
static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    *n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void append_bytes(const char *path, const char *bytes, size_t n) {
    FILE *f = fopen(path, "ab");
    ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

// A torn tail (a power cut between the write and the fsync) is set aside, byte for byte, into
// PATH.torn.N before it is cut, a second tear into a second side file; readers skip it.
START_TEST(records_torn_tail_set_aside) {
    const char *path = test_write_file("torn.jsonl", "", 0);
    ws_records r;
    ck_assert_int_eq(ws_records_open(&ctx, &r, path), WS_OK);
    ck_assert_int_eq(r.torn, 0);
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(rec, "k", 0);
    for (int k = 0; k < 2; k++) {
        cJSON_ReplaceItemInObject(rec, "k", cJSON_CreateNumber(k));
        ck_assert_int_eq(ws_records_append(&ctx, &r, rec), WS_OK);
    }
    ws_records_close(&r);
    size_t whole, n;
    free(slurp(path, &whole));
    // The first tear: a line cut mid-way.
    const char cut[] = "{\"k\":2,\"ha";
    append_bytes(path, cut, sizeof cut - 1);
    int got = 0, next = 0;
    ck_assert_int_eq(ws_records_each(&ctx, path, count_rec, &next, &got), WS_OK);
    ck_assert_int_eq(got, 2);
    ck_assert_int_eq(ws_records_open(&ctx, &r, path), WS_OK);
    ck_assert_int_eq(r.torn, (long long)sizeof cut - 1);
    char side1[1300];
    snprintf(side1, sizeof side1, "%s.torn.1", path);
    ck_assert_str_eq(r.torn_path, side1);
    char *text = slurp(side1, &n);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(n, sizeof cut - 1);
    ck_assert_mem_eq(text, cut, n);
    free(text);
    free(slurp(path, &n));
    ck_assert_uint_eq(n, whole); // cut back to its whole records
    cJSON_ReplaceItemInObject(rec, "k", cJSON_CreateNumber(2));
    ck_assert_int_eq(ws_records_append(&ctx, &r, rec), WS_OK); // the record again, on a line of its own
    ws_records_close(&r);
    // The second tear: zero-filled blocks (one ending in a newline a later write put there), then
    // garbage without a newline. Readers skip them; the open keeps them in a second side file.
    const char zeros[] = "\0\0\0\0\n\0\0xyz";
    append_bytes(path, zeros, sizeof zeros - 1);
    next = 0;
    ck_assert_int_eq(ws_records_each(&ctx, path, count_rec, &next, &got), WS_OK);
    ck_assert_int_eq(got, 3);
    ck_assert_int_eq(ws_records_open(&ctx, &r, path), WS_OK);
    ck_assert_int_eq(r.torn, (long long)sizeof zeros - 1);
    ck_assert_ptr_nonnull(strstr(r.torn_path, ".torn.2"));
    text = slurp(r.torn_path, &n);
    ck_assert_uint_eq(n, sizeof zeros - 1);
    ck_assert_mem_eq(text, zeros, n);
    free(text);
    text = slurp(side1, &n); // the first side file untouched
    ck_assert_uint_eq(n, sizeof cut - 1);
    free(text);
    ws_records_close(&r);
    // A whole file opened again: nothing set aside, no third side file.
    ck_assert_int_eq(ws_records_open(&ctx, &r, path), WS_OK);
    ck_assert_int_eq(r.torn, 0);
    ws_records_close(&r);
    char side3[1300];
    snprintf(side3, sizeof side3, "%s.torn.3", path);
    ck_assert_int_ne(access(side3, F_OK), 0);
    next = 0;
    ck_assert_int_eq(ws_records_each(&ctx, path, count_rec, &next, &got), WS_OK);
    ck_assert_int_eq(got, 3);
    // A NUL byte inside a line that is not the last is damage, named (not the file's end).
    const char mid[] = "{\"k\":0}\n{\"k\":1}\0\n{\"k\":2}\n";
    const char *bad = test_write_file("torn-mid.jsonl", mid, sizeof mid - 1);
    next = 0;
    ck_assert_int_eq(ws_records_each(&ctx, bad, count_rec, &next, &got), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "line 2"));
    cJSON_Delete(rec);
}
END_TEST

// Who holds dir's lock, asked from a child process (a reader beside the run).
static long writer_seen_by_child(const char *dir) {
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t child = fork();
    if (child == 0) {
        long w = ws_dir_writer(dir);
        _exit(write(p[1], &w, sizeof w) == sizeof w ? 0 : 1);
    }
    long seen = -2;
    ck_assert_int_eq(read(p[0], &seen, sizeof seen), (ssize_t)sizeof seen);
    waitpid(child, NULL, 0);
    close(p[0]), close(p[1]);
    return seen;
}

// A reader learns which process writes a folder (its pid), a shard's shared lock included; a
// process asking about its own lock is told none, and keeps its lock (a program reading its
// run's folder from a hook: closing a descriptor of the lock file would drop it).
START_TEST(dir_writer_names_the_run) {
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/writer", test_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    ck_assert_int_eq(ws_dir_writer(dir), 0); // no lock file: no run, and none made
    char lockfile[1300];
    snprintf(lockfile, sizeof lockfile, "%s/.warmstart.lock", dir);
    ck_assert_int_ne(access(lockfile, F_OK), 0);
    int fd;
    ck_assert_int_eq(ws_dir_lock(&ctx, dir, &fd), WS_OK);
    ck_assert_int_eq(ws_dir_writer(dir), 0); // its own
    ck_assert_int_eq(ws_dir_writer(dir), 0);
    ck_assert_int_eq(writer_seen_by_child(dir), (long)getpid()); // named, and still held
    ws_dir_unlock(fd);
    ck_assert_int_eq(writer_seen_by_child(dir), 0);
    ck_assert_int_eq(ws_dir_lock_named(&ctx, dir, ".warmstart.lock", 1, &fd), WS_OK); // a shard's
    ck_assert_int_eq(writer_seen_by_child(dir), (long)getpid());
    ws_dir_unlock(fd);
}
END_TEST

START_TEST(records_whole_or_absent) {
    const char *path = test_write_file("records.jsonl", "", 0);
    ws_records r;
    ck_assert_int_eq(ws_records_open(&ctx, &r, path), WS_OK);
    for (int k = 0; k < 3; k++) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddNumberToObject(rec, "k", k);
        ck_assert_int_eq(ws_records_append(&ctx, &r, rec), WS_OK);
        cJSON_Delete(rec);
    }
    ws_records_close(&r);
    // A crash mid-write: half a line at the end. Readers skip it ...
    FILE *f = fopen(path, "ab");
    fputs("{\"k\":3,\"half", f);
    fclose(f);
    int n = 0, got = 0;
    ck_assert_int_eq(ws_records_each(&ctx, path, count_rec, &n, &got), WS_OK);
    ck_assert_int_eq(got, 3);
    // ... and opening for appending cuts it away, so the next record starts a line.
    ck_assert_int_eq(ws_records_open(&ctx, &r, path), WS_OK);
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(rec, "k", 3);
    ck_assert_int_eq(ws_records_append(&ctx, &r, rec), WS_OK);
    ws_records_close(&r);
    n = 0;
    ck_assert_int_eq(ws_records_each(&ctx, path, count_rec, &n, &got), WS_OK);
    ck_assert_int_eq(got, 4);
    // A whole line that is not JSON is damage, named with its line.
    f = fopen(path, "ab");
    fputs("not json\n", f);
    fclose(f);
    n = 0;
    ck_assert_int_eq(ws_records_each(&ctx, path, count_rec, &n, &got), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "line 5"));
    // A missing file has no records.
    ck_assert_int_eq(ws_records_each(&ctx, "/nonexistent/records.jsonl", count_rec, &n, &got), WS_OK);
    ck_assert_int_eq(got, 0);
    // A full disk: one clear error, nothing half-written.
    if (ws_records_open(&ctx, &r, "/dev/full") == WS_OK) {
        ck_assert_int_eq(ws_records_append(&ctx, &r, rec), WS_ERR_IO);
        ck_assert_ptr_nonnull(strstr(ctx.err, "No space left on device"));
        ck_assert_ptr_nonnull(strstr(ctx.err, "the records before it are intact"));
        ws_records_close(&r);
    } else {
        fprintf(stderr, "# skipped the /dev/full append: %s\n", ctx.err);
    }
    cJSON_Delete(rec);
}
END_TEST

START_TEST(config_difference_named) {
    cJSON *a = cJSON_Parse("{\"seeds\":2,\"model\":{\"kind\":\"mlp\",\"hidden\":[100,100]},\"lr\":0.001}");
    cJSON *b = cJSON_Parse("{\"seeds\":2,\"model\":{\"kind\":\"mlp\",\"hidden\":[100,50]},\"lr\":0.001}");
    char d[600];
    ck_assert_int_eq(ws_json_first_difference(a, a, d, sizeof d), 0);
    ck_assert_int_eq(ws_json_first_difference(a, b, d, sizeof d), 1);
    ck_assert_str_eq(d, "model.hidden[1]: 100 vs 50");
    cJSON_DeleteItemFromObject(b, "lr");
    cJSON_ReplaceItemInObject(b, "model", cJSON_Parse("{\"kind\":\"mlp\",\"hidden\":[100,100]}"));
    ck_assert_int_eq(ws_json_first_difference(a, b, d, sizeof d), 1);
    ck_assert_str_eq(d, "lr: present vs absent");
    cJSON_Delete(a), cJSON_Delete(b);
    ws_run_opts o = {.nshards = 0, .point = 5, .point_units = 7};
    ck_assert_int_eq(ws_unit_in_shard(&o, 3), 1); // no shards: everything
    int count[3] = {0};
    o = (ws_run_opts){.nshards = 3, .npoints = 4, .point_units = 5};
    for (o.point = 0; o.point < 4; o.point++)
        for (int k = 0; k < 5; k++)
            for (o.shard = 1; o.shard <= 3; o.shard++) count[o.shard - 1] += ws_unit_in_shard(&o, k);
    ck_assert_int_eq(count[0] + count[1] + count[2], 20); // each unit in exactly one shard ...
    ck_assert_int_eq(count[0], 7); // ... balanced
    ck_assert_int_eq(count[1], 7);
    ck_assert_int_eq(count[2], 6);
    // Groups (a seed's phase 1 and its 2 learners): 2 points x 3 seeds = 6 groups over 4 shards;
    // every unit of a group in one shard, the groups balanced (2, 2, 1, 1).
    o = (ws_run_opts){.nshards = 4, .npoints = 2, .point_units = 9, .group_units = 3};
    int groups[4] = {0};
    for (o.point = 0; o.point < 2; o.point++)
        for (int g = 0; g < 3; g++) {
            int owner = 0, owners = 0;
            for (o.shard = 1; o.shard <= 4; o.shard++) {
                int mine = 0;
                for (int k = 3 * g; k < 3 * g + 3; k++) mine += ws_unit_in_shard(&o, k);
                ck_assert(mine == 0 || mine == 3); // the group is not split
                if (mine) owner = o.shard, owners++;
            }
            ck_assert_int_eq(owners, 1);
            groups[owner - 1]++;
        }
    ck_assert_int_eq(groups[0], 2);
    ck_assert_int_eq(groups[1], 2);
    ck_assert_int_eq(groups[2], 1);
    ck_assert_int_eq(groups[3], 1);
    // Fewer groups than shards (one point, 3 seeds, 4 shards): unit by unit, so no shard idles.
    o = (ws_run_opts){.nshards = 4, .npoints = 1, .point_units = 9, .group_units = 3};
    for (o.shard = 1; o.shard <= 4; o.shard++) {
        int mine = 0;
        for (int k = 0; k < 9; k++) mine += ws_unit_in_shard(&o, k);
        ck_assert_int_ge(mine, 2);
    }
}
END_TEST

Suite *resume_suite(void) {
    Suite *s = suite_create("resume");
    TCase *t = tcase_create("resume");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, checkpoint_numbers_round_trip);
    tcase_add_test(t, records_whole_or_absent);
    tcase_add_test(t, records_torn_tail_set_aside);
    tcase_add_test(t, dir_writer_names_the_run);
    tcase_add_test(t, config_difference_named);
    tcase_add_test(t, online_chain_resumes_bitwise);
    tcase_add_test(t, active_chain_resumes_bitwise);
    tcase_add_test(t, foreign_checkpoints_refused);
    tcase_add_test(t, batch_phase1_and_transfer_pretraining_reload);
    tcase_add_test(t, divergence_reports_its_epoch);
    suite_add_tcase(s, t);
    return s;
}
