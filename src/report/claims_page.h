// The report's claims section: every claim declared with the experiments of a results folder
// (a reproduction's artefacts in reproduce.json, or each experiment's run.json), evaluated on
// its results table (report/claims.h), adjusted over the report's family (Holm), drawn (the
// forest plot), counted and tabulated artefact by artefact -- and the same claims as data in
// claims.json beside the pages.
#ifndef WS_REPORT_CLAIMS_PAGE_H
#define WS_REPORT_CLAIMS_PAGE_H

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "exp/table.h"
#include "report/page.h"

// The section on p for the results in dir, the pages in dir/pages_rel ("" dir itself). rep:
// reproduce.json (NULL: none), whose artefacts hold their claims; without it, each experiment
// folder rels[0..n) (relative to dir) with claims in its run.json. tables[0..n): the folders'
// results, read already (a folder not among them is read here). Nothing is written when no
// experiment declares a claim.
ws_status ws_claims_section(ws_ctx *ctx, ws_page *p, const char *dir, const char *pages_rel, const cJSON *rep,
                            const char *const *rels, const ws_table *const *tables, int n);

#endif
