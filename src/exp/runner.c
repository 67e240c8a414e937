#define _POSIX_C_SOURCE 200809L
#include "exp/runner.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic.h"
#include "io/jsonl.h"
#include "io/lock.h"
#include "learn/learner.h"
#include "io/json.h"

int ws_json_first_difference(const cJSON *a, const cJSON *b, char *buf, size_t cap) {
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        const cJSON *x;
        cJSON_ArrayForEach(x, a) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            char sub[400];
            if (!y) return snprintf(buf, cap, "%s: present vs absent", x->string), 1;
            if (ws_json_first_difference(x, y, sub, sizeof sub))
                return snprintf(buf, cap, "%s%s%s", x->string, sub[0] == '[' || sub[0] == ':' ? "" : ".", sub), 1;
        }
        cJSON_ArrayForEach(x, b)
            if (!cJSON_GetObjectItemCaseSensitive(a, x->string)) return snprintf(buf, cap, "%s: absent vs present", x->string), 1;
        return 0;
    }
    if (cJSON_IsArray(a) && cJSON_IsArray(b) && cJSON_GetArraySize(a) == cJSON_GetArraySize(b)) {
        for (int i = 0; i < cJSON_GetArraySize(a); i++) {
            char sub[400];
            if (ws_json_first_difference(cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i), sub, sizeof sub))
                return snprintf(buf, cap, "[%d]%s%s", i, sub[0] == '[' || sub[0] == ':' ? "" : ".", sub), 1;
        }
        return 0;
    }
    if (cJSON_Compare(a, b, 1)) return 0;
    char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
    snprintf(buf, cap, ": %.120s vs %.120s", sa ? sa : "?", sb ? sb : "?");
    free(sa), free(sb);
    return 1;
}

static ws_status make_dir(ws_ctx *ctx, const char *path) {
    if (ws_sys_mkdir(path, 0777) == 0 || errno == EEXIST) return WS_OK;
    return ws_fail(ctx, WS_ERR_IO, "%s: cannot create directory: %s", path, ws_sys_strerror(errno));
}

// Remove dir/units/* (records and checkpoints): a fresh start.
static ws_status wipe_units(ws_ctx *ctx, const char *dir) {
    char path[1400];
    const char *subs[] = {"units/checkpoints", "units"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs[k]);
        DIR *d = opendir(path);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || !strcmp(e->d_name, "checkpoints")) continue;
            char f[1700];
            snprintf(f, sizeof f, "%s/%s", path, e->d_name);
            if (unlink(f) != 0 && errno != ENOENT) {
                closedir(d);
                return ws_fail(ctx, WS_ERR_IO, "%s: cannot remove: %s", f, ws_sys_strerror(errno));
            }
        }
        closedir(d);
    }
    return WS_OK;
}

static ws_status read_config(ws_ctx *ctx, const char *dir, cJSON **out) {
    char path[1200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    *out = NULL;
    FILE *f = ws_sys_fopen(path, "rb");
    if (!f) return errno == ENOENT ? WS_OK : ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = n >= 0 ? ws_sys_malloc((size_t)n + 1) : NULL;
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
        fclose(f), free(text);
        return ws_fail(ctx, WS_ERR_IO, "%s: cannot read", path);
    }
    fclose(f);
    text[n] = 0;
    *out = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return ws_ctx_out_of_memory(ctx) ? ws_nomem(ctx) : ws_fail(ctx, WS_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return WS_OK;
}

static ws_status write_config(ws_ctx *ctx, const char *dir, const cJSON *config) {
    char path[1200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    ws_atomic_file af;
    ws_status st = ws_atomic_open(ctx, &af, path);
    if (st) return st;
    char *text = cJSON_Print(config);
    fprintf(af.f, "%s\n", text ? text : "{}");
    free(text);
    return ws_atomic_commit(ctx, &af);
}

static void records_name(const ws_run_opts *o, char *buf, size_t cap) {
    if (o->nshards > 0) snprintf(buf, cap, "%s/units/records-shard-%d-of-%d.jsonl", o->dir, o->shard, o->nshards);
    else snprintf(buf, cap, "%s/units/records.jsonl", o->dir);
}

static ws_status keep_record(ws_ctx *ctx, cJSON *rec, void *user) {
    ws_runner *r = user;
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "unit")))
        return ws_fail(ctx, WS_ERR_FORMAT, "a record without its unit");
    ws_json_push(r->recs, cJSON_Duplicate(rec, 1));
    return WS_OK;
}

static ws_status open_folder(ws_ctx *ctx, ws_runner *r, const ws_run_opts *o, const cJSON *config);

ws_status ws_runner_open(ws_ctx *ctx, ws_runner *r, const ws_run_opts *o, const cJSON *config) {
    ws_status st = open_folder(ctx, r, o, config);
    if (!st && (!(r->lock = ws_sys_malloc(sizeof *r->lock)) || pthread_mutex_init(r->lock, NULL)))
        free(r->lock), r->lock = NULL, st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    if (st) ws_runner_close(r); // locks released, nothing kept
    return st;
}

// The records are read and appended by units running at once (--jobs): one at a time.
static void lock_records(const ws_runner *r) {
    if (r->lock) pthread_mutex_lock(r->lock);
}
static void unlock_records(const ws_runner *r) {
    if (r->lock) pthread_mutex_unlock(r->lock);
}

static ws_status open_folder(ws_ctx *ctx, ws_runner *r, const ws_run_opts *o, const cJSON *config) {
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->o = *o;
    r->lockfd = r->shardfd = -1;
    r->out.fd = -1;
    r->recs = cJSON_CreateArray();
    if (o->nshards > 0 && (o->shard < 1 || o->shard > o->nshards))
        return ws_fail(ctx, WS_ERR_ARG, "--shard %d/%d: expected I/N with 1 <= I <= N", o->shard, o->nshards);
    if (o->merge) {
        // Every folder must hold one configuration: the first's. This process
        // trains nothing, so its own thread count is not part of the comparison.
        cJSON *ref = NULL;
        char diff[600];
        ws_status st = WS_OK;
        for (int k = 0; k < o->nmerge && !st; k++) {
            const char *d = o->merge_dirs[k];
            cJSON *have;
            if ((st = read_config(ctx, d, &have))) break;
            if (!have) {
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no config.json: not a warmstart results folder", d);
                break;
            }
            if (!ref) {
                ref = have;
                cJSON *mine = cJSON_Duplicate(config, 1);
                // How the units ran (threads, each unit's share under --jobs) is the folder's: a
                // merge runs nothing, and run.json does not hold the runner's options.
                static const char *const how[] = {"threads", "unit_threads"};
                for (size_t h = 0; h < sizeof how / sizeof *how; h++) {
                    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ref, how[h]);
                    cJSON_DeleteItemFromObjectCaseSensitive(mine, how[h]);
                    if (v) ws_json_put(mine, how[h], cJSON_Duplicate(v, 1));
                }
                if (ws_json_first_difference(mine, ref, diff, sizeof diff))
                    st = ws_fail(ctx, WS_ERR_ARG, "%s: its configuration differs from its run.json's (%s)", d, diff);
                cJSON_Delete(mine);
                continue;
            }
            int differs = ws_json_first_difference(ref, have, diff, sizeof diff);
            cJSON_Delete(have);
            if (differs)
                st = ws_fail(ctx, WS_ERR_ARG, "%s holds another configuration than %s (first difference: %s); "
                                              "merge only the shards of one experiment",
                             d, o->merge_dirs[0], diff);
        }
        if (!st && !ref) st = ws_fail(ctx, WS_ERR_ARG, "nothing to merge");
        if (!st) st = ws_dir_lock(ctx, o->dir, &r->lockfd);
        if (!st) st = write_config(ctx, o->dir, ref);
        if (!st) r->config = ref, ref = NULL;
        cJSON_Delete(ref);
        return st ? st : ws_runner_gather(r);
    }
    char path[1400];
    ws_status st;
    if (o->nshards > 0) {
        char name[96];
        snprintf(name, sizeof name, ".warmstart-shard-%d-of-%d.lock", o->shard, o->nshards);
        if ((st = ws_dir_lock_named(ctx, o->dir, ".warmstart.lock", 1, &r->lockfd)) ||
            (st = ws_dir_lock_named(ctx, o->dir, name, 0, &r->shardfd)))
            return st;
    } else if ((st = ws_dir_lock(ctx, o->dir, &r->lockfd))) {
        return st;
    }
    const int keep = o->resume || o->unit || o->nshards > 0; // what the folder holds stays
    cJSON *have;
    if ((st = read_config(ctx, o->dir, &have))) return st;
    if (have) {
        char diff[600];
        int differs = ws_json_first_difference(config, have, diff, sizeof diff);
        cJSON_Delete(have);
        if (differs && keep)
            return ws_fail(ctx, WS_ERR_ARG, "%s holds results of another configuration (first difference: %s); "
                                            "use another --out, or run the whole experiment without --resume to "
                                            "start the folder over",
                           o->dir, diff);
    }
    if (!keep && (st = wipe_units(ctx, o->dir))) return st;
    snprintf(path, sizeof path, "%s/units", o->dir);
    if ((st = make_dir(ctx, path))) return st;
    snprintf(path, sizeof path, "%s/units/checkpoints", o->dir);
    if ((st = make_dir(ctx, path))) return st;
    if ((st = write_config(ctx, o->dir, config))) return st;
    r->config = cJSON_Duplicate(config, 1);
    records_name(o, path, sizeof path);
    if (!keep || (o->nshards > 0 && !o->resume)) unlink(path); // a shard's fresh start: its own records only
    if ((st = ws_records_open(ctx, &r->out, path))) return st;
    // What this process continues from: a shard, its own records; a --unit run or a
    // whole run resumed, every records file of the folder (shards' included).
    if (o->unit || (o->resume && o->nshards == 0)) return ws_runner_gather(r);
    return ws_records_each(ctx, path, keep_record, r, NULL);
}

void ws_runner_close(ws_runner *r) {
    ws_records_close(&r->out);
    ws_dir_unlock(r->shardfd);
    ws_dir_unlock(r->lockfd);
    cJSON_Delete(r->recs);
    cJSON_Delete(r->config);
    r->recs = r->config = NULL;
    if (r->lock) pthread_mutex_destroy(r->lock);
    free(r->lock);
    r->lock = NULL;
    r->lockfd = r->shardfd = -1;
}

ws_status ws_shard_parse(ws_ctx *ctx, const char *text, int *shard, int *nshards) {
    int used = 0, i = 0, n = 0;
    if (!strncmp(text, "slurm/", 6)) {
        // A Slurm job array's task: SLURM_ARRAY_TASK_ID, counted from the array's first index.
        const char *id = getenv("SLURM_ARRAY_TASK_ID"), *min = getenv("SLURM_ARRAY_TASK_MIN");
        char *end;
        long v = id ? strtol(id, &end, 10) : -1, lo = min ? strtol(min, NULL, 10) : 1;
        if (!id || end == id || *end)
            return ws_fail(ctx, WS_ERR_ARG, "--shard %s: SLURM_ARRAY_TASK_ID is not set to a number (run it as a job "
                                            "array task, or give I/N)", text);
        i = (int)(v - lo + 1);
        if (sscanf(text + 6, "%d%n", &n, &used) != 1 || text[6 + used])
            return ws_fail(ctx, WS_ERR_ARG, "--shard %s: expected slurm/N", text);
    } else if (sscanf(text, "%d/%d%n", &i, &n, &used) != 2 || text[used]) {
        return ws_fail(ctx, WS_ERR_ARG, "--shard %s: expected I/N (e.g. 2/4) or slurm/N", text);
    }
    if (n < 1 || i < 1 || i > n) return ws_fail(ctx, WS_ERR_ARG, "--shard %s: shard %d of %d: expected 1 <= I <= N", text, i, n);
    *shard = i, *nshards = n;
    return WS_OK;
}

int ws_unit_in_shard(const ws_run_opts *o, int k) {
    if (o->nshards <= 0) return 1;
    const int g = o->group_units > 1 && o->point_units % o->group_units == 0 ? o->group_units : 1;
    const int64_t groups = (int64_t)(o->npoints > 1 ? o->npoints : 1) * (o->point_units / g);
    if (g > 1 && groups >= o->nshards) return ((int64_t)o->point * (o->point_units / g) + k / g) % o->nshards == o->shard - 1;
    return ((int64_t)o->point * o->point_units + k) % o->nshards == o->shard - 1;
}

int ws_runner_mine(const ws_runner *r, int k, const char *id) {
    if (r->o.merge) return 0;
    if (r->o.unit) {
        char full[300];
        snprintf(full, sizeof full, "%s%s", r->o.prefix ? r->o.prefix : "", id);
        return !strcmp(full, r->o.unit);
    }
    return ws_unit_in_shard(&r->o, k);
}

static int is_unit(const cJSON *rec, const char *id) {
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "unit");
    return cJSON_IsString(u) && !strcmp(u->valuestring, id);
}

const cJSON *ws_runner_finished(const ws_runner *r, const char *id) {
    const cJSON *rec, *found = NULL;
    lock_records(r);
    cJSON_ArrayForEach(rec, r->recs)
        if (!found && is_unit(rec, id) && cJSON_GetObjectItemCaseSensitive(rec, "status")) found = rec;
    unlock_records(r);
    return found;
}

const cJSON *ws_runner_round(const ws_runner *r, const char *id, int round) {
    const cJSON *rec, *found = NULL;
    lock_records(r);
    cJSON_ArrayForEach(rec, r->recs) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(rec, "round");
        if (!found && is_unit(rec, id) && !cJSON_GetObjectItemCaseSensitive(rec, "status") && cJSON_IsNumber(k) &&
            k->valueint == round)
            found = rec;
    }
    unlock_records(r);
    return found;
}

int ws_runner_last_round(const ws_runner *r, const char *id) {
    int last = -1;
    const cJSON *rec;
    lock_records(r);
    cJSON_ArrayForEach(rec, r->recs) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(rec, "round");
        if (is_unit(rec, id) && !cJSON_GetObjectItemCaseSensitive(rec, "status") && cJSON_IsNumber(k) &&
            k->valueint > last)
            last = k->valueint;
    }
    unlock_records(r);
    return last;
}

ws_status ws_runner_append(ws_runner *r, const char *id, cJSON *rec) {
    // "unit" first: records read well with grep.
    cJSON *line = rec ? cJSON_CreateObject() : NULL; // rec NULL: its builder ran out of memory
    if (!line) {
        cJSON_Delete(rec);
        return ws_nomem(r->ctx);
    }
    cJSON_AddStringToObject(line, "unit", id);
    cJSON *x = rec->child;
    while (x) {
        cJSON *next = x->next;
        ws_json_put(line, x->string, cJSON_DetachItemViaPointer(rec, x));
        x = next;
    }
    cJSON_Delete(rec);
    lock_records(r);
    ws_status st = ws_records_append(r->ctx, &r->out, line);
    if (st) cJSON_Delete(line);
    else ws_json_push(r->recs, line);
    unlock_records(r);
    return st;
}

void ws_runner_ckpt_in(const char *dir, const char *id, int round, char *buf, size_t cap) {
    char file[200];
    ws_learner_file_name(id, file, sizeof file); // "s1/warm" -> a file name
    if (round >= 0) snprintf(buf, cap, "%s/units/checkpoints/%s.round-%d.safetensors", dir, file, round);
    else snprintf(buf, cap, "%s/units/checkpoints/%s.safetensors", dir, file);
}

void ws_runner_ckpt(const ws_runner *r, const char *id, int round, char *buf, size_t cap) {
    ws_runner_ckpt_in(r->o.dir, id, round, buf, cap);
}

void ws_runner_ckpt_prune(const ws_runner *r, const char *id, int keep) {
    char dir[1200], file[200], prefix[220];
    ws_learner_file_name(id, file, sizeof file);
    snprintf(prefix, sizeof prefix, "%s.round-", file);
    snprintf(dir, sizeof dir, "%s/units/checkpoints", r->o.dir);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix))) continue;
        int round = atoi(e->d_name + strlen(prefix));
        if (round == keep && !strstr(e->d_name, ".tmp.")) continue;
        char f[1500];
        snprintf(f, sizeof f, "%s/%s", dir, e->d_name);
        unlink(f);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// Every records*.jsonl of dir/units, in name order.
static ws_status gather_dir(ws_runner *r, const char *dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/units", dir);
    DIR *d = opendir(path);
    if (!d) return WS_OK;
    char *names[1024];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        size_t len = strlen(e->d_name);
        if (!strncmp(e->d_name, "records", 7) && len > 6 && !strcmp(e->d_name + len - 6, ".jsonl"))
            names[n++] = ws_sys_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    ws_status st = WS_OK;
    for (int i = 0; i < n; i++) {
        char f[1500];
        snprintf(f, sizeof f, "%s/%s", path, names[i]);
        if (!st) st = ws_records_each(r->ctx, f, keep_record, r, NULL);
        free(names[i]);
    }
    return st;
}

ws_status ws_runner_gather(ws_runner *r) {
    cJSON_Delete(r->recs);
    r->recs = cJSON_CreateArray();
    // Merging: the given folders (the output folder only if among them).
    ws_status st = r->o.merge ? WS_OK : gather_dir(r, r->o.dir);
    for (int k = 0; k < r->o.nmerge && !st; k++) st = gather_dir(r, r->o.merge_dirs[k]);
    return st;
}
