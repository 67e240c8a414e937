// The report's claims section (claims_page.h).
#define _POSIX_C_SOURCE 200809L
#include "report/claims_page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/text.h"
#include "exp/claim.h"
#include "exp/table.h"
#include "report/claims.h"
#include "report/forest.h"

#define PATH_CAP WS_PATH_CAP
#define MAX_CLAIMS 2048

// One experiment whose claims are checked: a reproduction's artefact, or a results folder.
typedef struct {
    char name[128];
    char rel[PATH_CAP];    // its results' folder relative to the report's (a same-run artefact's: the other's)
    char folder[PATH_CAP]; // the same, whole
    const cJSON *entry;    // its reproduce.json entry (NULL: a plain folder)
    cJSON *claims;         // the claims declared with it (owned; NULL: none)
    int standin, skipped;
    char same_as[64];
    int first, n;          // its claims in the section's list
} source;

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static const char *text_of(const cJSON *o, const char *key) {
    const char *v = cJSON_GetStringValue(item(o, key));
    return v ? v : "";
}

// The "claims" of folder/run.json (NULL: none, or no such file).
static cJSON *run_json_claims(const char *folder) {
    char path[PATH_CAP + 16];
    snprintf(path, sizeof path, "%s/run.json", folder);
    ws_ctx quiet; // a folder without run.json simply declares nothing
    ws_ctx_init(&quiet, 1);
    uint8_t *text = NULL;
    size_t len = 0;
    cJSON *run = ws_file_read(&quiet, path, "run description", &text, &len) ? NULL : cJSON_ParseWithLength((char *)text, len);
    ws_free(text);
    ws_ctx_release(&quiet);
    cJSON *claims = cJSON_DetachItemFromObjectCaseSensitive(run, "claims");
    cJSON_Delete(run);
    return claims;
}

// The experiments of the section: reproduce.json's artefacts, or the folders found.
static int gather(const char *dir, const cJSON *rep, const char *const *rels, int nrels, source *src, int cap) {
    int n = 0;
    if (rep) {
        const cJSON *a;
        cJSON_ArrayForEach(a, item(rep, "artefacts")) {
            if (n == cap) break;
            source *s = &src[n++];
            memset(s, 0, sizeof *s);
            s->entry = a;
            snprintf(s->name, sizeof s->name, "%s", text_of(a, "name"));
            snprintf(s->same_as, sizeof s->same_as, "%s", text_of(a, "same_run_as"));
            snprintf(s->rel, sizeof s->rel, "%s", s->same_as[0] ? s->same_as : s->name);
            snprintf(s->folder, sizeof s->folder, "%s/%s", dir, s->rel);
            s->standin = cJSON_IsTrue(item(a, "stand_in"));
            s->skipped = !strcmp(text_of(a, "status"), "skipped");
            const cJSON *declared = item(a, "claims");
            s->claims = s->skipped ? NULL : declared ? cJSON_Duplicate(declared, 1) : run_json_claims(s->folder);
        }
        return n;
    }
    for (int i = 0; i < nrels && n < cap; i++) {
        source *s = &src[n];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", rels[i][0] ? rels[i] : ".");
        snprintf(s->rel, sizeof s->rel, "%s", rels[i]);
        snprintf(s->folder, sizeof s->folder, "%s%s%s", dir, rels[i][0] ? "/" : "", rels[i]);
        if ((s->claims = run_json_claims(s->folder))) n++;
    }
    return n;
}

// One experiment's declared claims evaluated on its results (given: t, else read here) into all[*n..).
static ws_status evaluate_source(ws_ctx *ctx, source *s, const ws_table *given, ws_claim *all, int *n) {
    s->first = *n;
    const int k = cJSON_GetArraySize(s->claims);
    if (!k || s->skipped) return WS_OK;
    ws_claim_spec *specs = ws_sys_calloc((size_t)k, sizeof *specs);
    ws_config_claim *keys = ws_sys_malloc(sizeof *keys);
    ws_table *t = NULL;
    ws_status st = specs && keys ? WS_OK : ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the claims");
    for (int i = 0; i < k && !st; i++)
        if (!(st = ws_claim_keys_from_json(ctx, cJSON_GetArrayItem(s->claims, i), keys)))
            st = ws_claim_parse(ctx, s->name, keys, &specs[i]);
    if (!st && !given) st = ws_table_read(ctx, s->folder, &t);
    if (!st) st = ws_claims_evaluate(ctx, given ? given : t, specs, k, s->standin, s->name, all, MAX_CLAIMS, n);
    for (int i = s->first; i < *n && !st && s->same_as[0]; i++)
        if (all[i].in_family) all[i].in_family = 0, snprintf(all[i].out_of_family, sizeof all[i].out_of_family,
                                                            "the same runs as %s, counted there", s->same_as);
    s->n = *n - s->first;
    if (st) ws_fail_prefix(ctx, st, "%s: ", s->name);
    ws_table_free(t);
    free(specs), free(keys);
    return st;
}

// ---- the page ------------------------------------------------------------------------------------

// The forest plot of every claim (report/forest.h), drawn into the pages' folder. A missing
// gnuplot leaves a sentence instead: the tables below say everything it shows.
static ws_status write_forest(ws_ctx *ctx, ws_page *p, const char *dir, const char *pages_rel, const ws_claim *all, int n) {
    ws_forest_row *rows = ws_sys_malloc(sizeof *rows * (size_t)(n > 0 ? n : 1));
    if (!rows) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the forest plot");
    for (int i = 0; i < n; i++) {
        char label[400];
        ws_claim_label(&all[i], label, sizeof label);
        rows[i].c = &all[i];
        snprintf(rows[i].label, sizeof rows[i].label, "#%d %s %.90s", i + 1, all[i].artefact, label);
    }
    char folder[PATH_CAP], src[PATH_CAP], text[1024];
    int nfigs = 0, left_out = 0;
    ws_status st = ws_path_join(ctx, folder, dir, pages_rel);
    if (!st) st = ws_path_join(ctx, src, pages_rel, "claims-forest.png");
    if (st) return free(rows), st;
    st = n ? ws_forest_render(ctx, rows, n, folder, "claims-forest", &nfigs, &left_out) : WS_ERR_ARG;
    free(rows);
    if (st == WS_ERR_NOMEM) return st;
    if (st) {
        snprintf(text, sizeof text, "(No forest plot of the claims: %s.)", n ? ctx->err : "no claim was checked");
        ws_page_text(p, text);
        return WS_OK;
    }
    snprintf(text, sizeof text,
             "Every claim at a glance (#: its row in the tables below): the measured difference with its 95 %% interval "
             "(an every-seed claim: its range), coloured by verdict. Top: the claims with a size, divided by it (an effect "
             "of that size at +1, a margin at ±1; the paper's number as an open diamond); below: the others, one panel "
             "per unit. %d claim%s without a value in the tables only.", left_out, left_out == 1 ? "" : "s");
    ws_page_image_wide(p, src, text);
    char paths[3][PATH_CAP];
    const char *names[3] = {"claims-forest.svg", "claims-forest.gp", "claims-forest.dat"}, *ptrs[3];
    for (int i = 0; i < 3; i++) {
        if ((st = ws_path_join(ctx, paths[i], pages_rel, names[i]))) return st;
        ptrs[i] = paths[i];
    }
    ws_page_links(p, "The forest plot as SVG, and its gnuplot script and data:", 3, ptrs, names);
    return WS_OK;
}

// Per experiment: its data and how many claims each verdict got, and how many "yes" survive Holm.
static void write_counts(ws_page *p, const source *src, int ns, const ws_claim *all) {
    ws_page_row h = {0};
    ws_row_add(&h, "experiment"), ws_row_add(&h, "data"), ws_row_add(&h, "claims");
    for (int v = 0; v < WS_VERDICT_COUNT; v++) ws_row_add(&h, "%s", v == WS_VERDICT_OPPOSITE ? "the opposite" : ws_verdict_word(v));
    ws_row_add(&h, "yes, adjusted");
    ws_page_table2(p, &h);
    for (int k = 0; k < ns; k++) {
        const source *s = &src[k];
        ws_page_row r = {0};
        ws_row_add(&r, "%s", s->name);
        const char *data = s->entry ? text_of(s->entry, "data") : "";
        if (s->skipped) ws_row_add(&r, "%s%smissing, skipped", data, data[0] ? ": " : "");
        else if (s->standin) ws_row_add(&r, "fashion-mnist, standing in for %s", data[0] ? data : "?");
        else ws_row_add(&r, "%s", data[0] ? data : "as in its file");
        int count[WS_VERDICT_COUNT] = {0}, adjusted = 0;
        for (int i = s->first; i < s->first + s->n; i++) count[all[i].verdict]++, adjusted += all[i].adjusted == WS_VERDICT_HOLDS;
        ws_row_add(&r, "%d", s->n);
        for (int v = 0; v < WS_VERDICT_COUNT; v++) ws_row_add(&r, "%d", count[v]);
        ws_row_add(&r, "%d", adjusted);
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
}

// How to read them: short, the rules in docs/STATISTICS.md; the family and what chance gives.
static void write_how_to_read(ws_page *p, const cJSON *rep, const ws_claim *all, int n) {
    int family = 0, yes = 0, yes_adjusted = 0;
    for (int i = 0; i < n; i++) {
        family += all[i].in_family;
        yes += all[i].in_family && all[i].verdict == WS_VERDICT_HOLDS;
        yes_adjusted += all[i].adjusted == WS_VERDICT_HOLDS && all[i].in_family;
    }
    char text[2400];
    snprintf(text, sizeof text,
             "How to read this: each claim is a value per seed (one learner's measure minus another's, paired by seed "
             "id), positive where it holds, with its 95 %% interval. Yes or the opposite: the interval excludes 0; not "
             "shown: it includes 0 but stays below the claim's size E; undecided: it includes 0 and E (or there is no E), "
             "with the seeds that would give 80 %% power. E is the paper's effect only where measured in this setting, "
             "else the claim's declared smallest effect of interest. %d confirmatory claims form the family: chance alone "
             "would make about %.1f of them \"yes\"; Holm's adjustment keeps the chance of any false \"yes\" at 5 %% "
             "(%d \"yes\" before it, %d after). The rules and their calibration: docs/STATISTICS.md in warmstart's source.",
             family, ws_claims_chance_yes(all, n), yes, yes_adjusted);
    ws_page_text(p, text);
    if (!rep) return;
    snprintf(text, sizeof text, "Scale: %s. Machine: %s.", text_of(rep, "scale"), text_of(rep, "machine"));
    ws_page_text(p, text);
    if (cJSON_IsString(item(rep, "software"))) snprintf(text, sizeof text, "Software: %s.", text_of(rep, "software"));
    else snprintf(text, sizeof text, "Software: warmstart %s.", text_of(rep, "warmstart_version"));
    ws_page_text(p, text);
}

// The size cell: what sized the verdict and where it comes from, and a paper number from elsewhere.
static void add_size_cell(ws_page_row *r, const ws_claim *c) {
    char s[256] = "";
    if (isfinite(c->size)) snprintf(s, sizeof s, "%s", c->size_origin);
    else snprintf(s, sizeof s, "none");
    if (c->effect_elsewhere)
        snprintf(s + strlen(s), sizeof s - strlen(s), "; the paper's %+.2f is from another setting: shown, not sizing",
                 c->spec.effect);
    if (isfinite(c->size) && !c->effect_elsewhere && !strncmp(c->size_origin, "the smallest", 12) && c->spec.sesoi_why[0])
        snprintf(s + strlen(s), sizeof s - strlen(s), " (%s)", c->spec.sesoi_why);
    ws_row_add(r, "%.255s", s);
}

static void add_verdict_cells(ws_page_row *r, const ws_claim *c) {
    char v[400];
    ws_claim_verdict_text(c, v, sizeof v);
    ws_row_add(r, "%.255s", v);
    if (!c->in_family) ws_row_add(r, "– (%s)", c->out_of_family);
    else ws_row_add(r, "%s (p %.2g)", ws_verdict_word(c->adjusted), c->p_adjusted);
    if (c->d.seeds_lo < 0) ws_row_add(r, "–");
    else if (c->d.seeds_lo > WS_SEEDS_CAP) ws_row_add(r, "> %d", WS_SEEDS_CAP);
    else if (c->d.seeds_hi > WS_SEEDS_CAP) ws_row_add(r, "%d to > %d", c->d.seeds_lo, WS_SEEDS_CAP);
    else if (c->d.seeds_lo == c->d.seeds_hi) ws_row_add(r, "%d", c->d.seeds_lo);
    else ws_row_add(r, "%d to %d", c->d.seeds_lo, c->d.seeds_hi);
}

static void write_source(ws_page *p, const source *s, const ws_claim *all) {
    char text[4096];
    ws_page_heading(p, 3, s->name);
    if (s->entry) {
        const char *status = text_of(s->entry, "status");
        ws_page_text(p, text_of(s->entry, "title"));
        snprintf(text, sizeof text, "Status: %s%s%s; %.0f s. Command: %s", status, s->same_as[0] ? " as " : "", s->same_as,
                 cJSON_GetNumberValue(item(s->entry, "seconds")), text_of(s->entry, "command"));
        ws_page_text(p, text);
        if (s->standin) {
            snprintf(text, sizeof text, "Stand-in data: Fashion-MNIST, not the paper's (%s): the paper's numbers are from "
                                        "another setting here.", text_of(s->entry, "missing_data"));
            ws_page_text(p, text);
        } else if (s->skipped) {
            snprintf(text, sizeof text, "Skipped: %s", text_of(s->entry, "missing_data"));
            ws_page_text(p, text);
        }
    }
    if (!s->n) return;
    ws_page_row h = {0};
    ws_row_add(&h, "#"), ws_row_add(&h, "claim"), ws_row_add(&h, "the paper"), ws_row_add(&h, "measured");
    ws_row_add(&h, "size (E)"), ws_row_add(&h, "verdict"), ws_row_add(&h, "adjusted"), ws_row_add(&h, "seeds for 80 %% power");
    static const int widths[8] = {4, 20, 18, 16, 14, 14, 8, 6};
    ws_page_text_table_widths(p, &h, widths);
    for (int i = s->first; i < s->first + s->n; i++) {
        const ws_claim *c = &all[i];
        ws_page_row r = {0};
        ws_row_add(&r, "%d", i + 1);
        ws_row_add(&r, "%.120s (%s%s%s)", c->spec.says, c->id, c->where[0] ? "; " : "", c->where);
        ws_row_add(&r, "%.160s%s%.90s", c->spec.paper, c->spec.source[0] ? " -- " : "", c->spec.source);
        ws_row_add(&r, "%.140s%s%.100s", c->measured, c->beside[0] ? "; beside: " : "", c->beside);
        add_size_cell(&r, c);
        add_verdict_cells(&r, c);
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
    for (int i = s->first; i < s->first + s->n; i++) // what each pick chose, under the table
        if (all[i].pick[0]) {
            snprintf(text, sizeof text, "#%d picks %s.", i + 1, all[i].pick);
            ws_page_text(p, text);
        }
}

// The table already read for a source's folder, NULL: none.
static const ws_table *table_of(const source *s, const char *const *rels, const ws_table *const *tables, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(rels[i], s->rel)) return tables[i];
    return NULL;
}

ws_status ws_claims_section(ws_ctx *ctx, ws_page *p, const char *dir, const char *pages_rel, const cJSON *rep,
                            const char *const *rels, const ws_table *const *tables, int nrels) {
    enum { MAX_SOURCES = 256 };
    source *src = ws_sys_calloc(MAX_SOURCES, sizeof *src);
    ws_claim *all = ws_sys_malloc(sizeof *all * MAX_CLAIMS);
    if (!src || !all) return free(src), free(all), ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the claims");
    const int ns = gather(dir, rep, rels, nrels, src, MAX_SOURCES);
    int n = 0, declared = 0;
    ws_status st = WS_OK;
    for (int k = 0; k < ns && !st; k++)
        st = evaluate_source(ctx, &src[k], table_of(&src[k], rels, tables, nrels), all, &n), declared |= src[k].claims != NULL;
    if (!st && (rep || declared)) {
        ws_claims_adjust(all, n);
        ws_page_heading(p, 2, rep ? "The paper's claims, checked" : "The claims, checked");
        st = write_forest(ctx, p, dir, pages_rel, all, n);
        if (!st) write_counts(p, src, ns, all);
        if (!st) write_how_to_read(p, rep, all, n);
        for (int k = 0; k < ns && !st; k++) write_source(p, &src[k], all);
        char folder[PATH_CAP], path[PATH_CAP], rel[PATH_CAP];
        if (!st) st = ws_path_join(ctx, folder, dir, pages_rel);
        if (!st) st = ws_path_join(ctx, path, folder, "claims.json");
        if (!st) st = ws_path_join(ctx, rel, pages_rel, "claims.json");
        if (!st) st = ws_claims_write_json(ctx, path, all, n);
        if (!st) ws_page_links(p, "The claims as data:", 1, (const char *[]){rel}, (const char *[]){"claims.json"});
    }
    for (int k = 0; k < ns; k++) cJSON_Delete(src[k].claims);
    free(src), free(all);
    return st;
}
