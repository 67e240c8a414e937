// warmstart report: one page (Markdown and HTML) with the tables and figures of
// every experiment in a results folder.
#ifndef WS_REPORT_REPORT_H
#define WS_REPORT_REPORT_H

#include <cjson/cJSON.h>

#include "core/ctx.h"

// Find the experiments in dir and its subfolders (up to 4 levels down, in
// sorted order): folders holding batch.jsonl, online.jsonl (online or active),
// transfer.jsonl or sweep.jsonl; a sweep's points/ folder belongs to the sweep.
// Write dir/report.md and dir/report.html, whole or not at all: per experiment
// its configuration in one line, its tables (mean ± 95 % CI over seeds, gaps
// to the learner named "random" paired by seed) and its figures (PNG files in
// its figures/ folder or beside its JSONL, linked by relative path) -- or, for a
// `warmstart reproduce` folder, the same pages where reproduce writes them
// (ws_report_sub). *nexperiments gets the number of experiments on the page.
// `warmstart report` and warmstart_report (the stable API) are this.
ws_status ws_report_write(ws_ctx *ctx, const char *dir, int *nexperiments);

// Where dir's pages belong: "report" for a `warmstart reproduce` folder (its reproduce.json
// parses), whose pages are dir/report/index.html and report.md; NULL for any other folder.
const char *ws_report_sub(const char *dir);

// The same pages in the subfolder dir/sub, as dir/sub/index.html and dir/sub/report.md, their
// links one folder up (`warmstart reproduce` writes OUT/report/ beside its raw results).
ws_status ws_report_write_in(ws_ctx *ctx, const char *dir, const char *sub, int *nexperiments);

// `warmstart reproduce`'s summary in dir (its reproduce.json), or NULL where there is none or
// it does not parse as an object.
cJSON *ws_reproduce_summary_read(const char *dir);

#endif
