// Experiment files through libinih's ini_parse_stream. Our reader hands libinih
// one line at a time from the text in memory, so it knows the line libinih is
// on (libinih's handler gets no line number in Debian's build), refuses a line
// longer than libinih's buffer instead of letting libinih cut it in pieces, and
// sees section headers (libinih only reports a section when a key follows it).
//
// libinih as Debian builds it (runtime settings, their defaults untouched here):
// multi-line values on (an indented line after a key continues its value: we
// take it only after a value ending in ',' and join the pieces as they are, the
// way to a list longer than a line); ';' and '#' comments at the start of a
// line, ' ;' comments after a value; "key: value" read like "key = value"; a
// UTF-8 BOM skipped; lines of at most ini_max_line - 1 = 199 bytes with the
// newline; parsing goes on after an error and returns the first error's line.
#include "io/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (1u << 20)

typedef struct {
    ws_ctx *ctx;
    ws_config_file *out;
    const char *name;
    const char *text;
    size_t len, pos;
    int lineno;        // lines handed to libinih so far: the line it is on
    const char *cur;   // that line, without its '\n' (and its BOM on line 1)
    size_t curlen;
    int key_in_section; // a key since the last section header: an indented line continues it
    ws_config_entry *last; // the entry an indented line would continue (NULL: the scenario, or none)
    ws_status err;
} parse_state;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void fail(parse_state *s, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(parse_state *s, int line, const char *fmt, ...) {
    if (s->err) return; // keep the first
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) s->err = ws_fail(s->ctx, WS_ERR_FORMAT, "%s:%d: %s", s->name, line, msg);
    else s->err = ws_fail(s->ctx, WS_ERR_FORMAT, "%s: %s", s->name, msg);
}

// Only text: no NUL bytes or control characters (a tab, a line's end, a
// "\r\n" are fine; bytes >= 0x80 are, for UTF-8 paths).
static void check_text(parse_state *s) {
    int line = 1;
    for (size_t i = 0; i < s->len && !s->err; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if (c == '\n') line++;
        else if (c == 0) fail(s, line, "NUL byte (not a text file)");
        else if (c == '\r' && i + 1 < s->len && s->text[i + 1] != '\n') fail(s, line, "carriage return inside a line");
        else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            fail(s, line, "control character 0x%02x (not a text file)", c);
    }
}

// "claim ID", ID letters, digits and '-' (at most 63).
static int claim_section(const char *name, size_t n) {
    if (n < 7 || n > 6 + 63 || memcmp(name, "claim ", 6)) return 0;
    for (size_t i = 6; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-'))
            return 0;
    return 1;
}

static int known_section(const char *name, size_t n) {
    return (n == 7 && !memcmp(name, "options", 7)) || (n == 4 && !memcmp(name, "grid", 4)) || claim_section(name, n);
}

// A [claim ID] header: a new claim, its id not used before. 0 after recording an error.
static int open_claim(parse_state *s, const char *id, size_t n) {
    ws_config_file *out = s->out;
    for (int i = 0; i < out->nclaims; i++)
        if (strlen(out->claims[i].id) == n && !memcmp(out->claims[i].id, id, n)) {
            fail(s, s->lineno, "[claim %.*s] given twice (first on line %d)", (int)n, id, out->claims[i].line);
            return 0;
        }
    if (out->nclaims == WS_CONFIG_MAX_CLAIMS) {
        fail(s, s->lineno, "too many claims (at most %d)", WS_CONFIG_MAX_CLAIMS);
        return 0;
    }
    ws_config_claim *c = &out->claims[out->nclaims++];
    memset(c, 0, sizeof *c);
    memcpy(c->id, id, n);
    c->line = s->lineno;
    return 1;
}

// A key of the claim being read (the last opened). 0 after recording an error.
static int claim_entry(parse_state *s, int line, const char *name, const char *value) {
    ws_config_claim *c = &s->out->claims[s->out->nclaims - 1];
    for (int i = 0; i < c->nkeys; i++)
        if (!strcmp(c->keys[i].key, name)) {
            fail(s, line, "'%s' given twice in [claim %s] (first on line %d)", name, c->id, c->keys[i].line);
            return 0;
        }
    if (c->nkeys == WS_CONFIG_CLAIM_KEYS || strlen(name) >= sizeof c->keys[0].key || strlen(value) >= sizeof c->keys[0].value) {
        fail(s, line, "[claim %s]: too many keys (at most %d), or '%.40s' or its value too long (at most %zu and %zu characters)",
             c->id, WS_CONFIG_CLAIM_KEYS, name, sizeof c->keys[0].key - 1, sizeof c->keys[0].value - 1);
        return 0;
    }
    ws_config_claim_entry *e = &c->keys[c->nkeys++];
    snprintf(e->key, sizeof e->key, "%s", name);
    snprintf(e->value, sizeof e->value, "%s", value);
    e->line = line;
    s->last = NULL; // a claim's value does not go on over lines
    return 1;
}

// A section header as libinih reads it (when the line is not a continuation):
// '[' NAME ']', NAME ending at the first ']' or at a ' ;' comment. Returns
// nonzero after recording an error.
static int check_section(parse_state *s) {
    const char *b = s->cur, *e = s->cur + s->curlen;
    const char *p = b;
    while (p < e && is_space(*p)) p++;
    if (p == e || *p != '[' || (p > b && s->key_in_section)) return 0;
    const char *q = p + 1;
    while (q < e && *q != ']' && !(*q == ';' && is_space(q[-1]))) q++;
    if (q == e || *q != ']') {
        fail(s, s->lineno, "section header without a closing ']'");
        return 1;
    }
    const char *name = p + 1;
    size_t n = (size_t)(q - name);
    if (!known_section(name, n)) {
        fail(s, s->lineno, "unknown section [%.*s] (expected [options], [grid] or [claim ID], ID letters, digits and '-')",
             n > 64 ? 64 : (int)n, name);
        return 1;
    }
    if (claim_section(name, n) && !open_claim(s, name + 6, n - 6)) return 1;
    for (q++; q < e && is_space(*q); q++) {}
    if (q < e && *q != ';' && *q != '#') {
        fail(s, s->lineno, "text after [%.*s] (a comment there starts with ';' or '#')", (int)n, name);
        return 1;
    }
    s->key_in_section = 0;
    s->last = NULL;
    return 0;
}

// libinih's reader (fgets-style): the next line, newline included, in str.
static char *next_line(char *str, int num, void *stream) {
    parse_state *s = stream;
    if (s->err || s->pos >= s->len) return NULL;
    const char *p = s->text + s->pos;
    size_t rest = s->len - s->pos;
    const char *nl = memchr(p, '\n', rest);
    size_t n = nl ? (size_t)(nl - p) + 1 : rest; // bytes handed over
    s->lineno++;
    s->cur = p;
    s->curlen = nl ? n - 1 : n;
    if (num < 3 || n >= (size_t)num) { // libinih's buffer holds num - 1 bytes and the NUL
        int crlf = s->curlen && p[s->curlen - 1] == '\r';
        fail(s, s->lineno, "line too long (%zu characters; libinih reads at most %d a line)", s->curlen - crlf,
             num - 2 - crlf);
        return NULL;
    }
    memcpy(str, p, n);
    str[n] = '\0';
    s->pos += n;
    if (s->lineno == 1 && s->curlen >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) { // libinih skips a BOM
        s->cur += 3;
        s->curlen -= 3;
    }
    return check_section(s) ? NULL : str;
}

// libinih calls an indented line after a key a continuation of that key's
// value, with the key's name: the raw line then does not start "NAME =".
static int continuation(const parse_state *s, const char *name) {
    const char *p = s->cur, *e = s->cur + s->curlen;
    if (p == e || !is_space(*p)) return 0;
    while (p < e && is_space(*p)) p++;
    size_t n = strlen(name);
    if ((size_t)(e - p) < n || memcmp(p, name, n)) return 1;
    for (p += n; p < e && is_space(*p); p++) {}
    return p == e || (*p != '=' && *p != ':');
}

static const ws_config_entry *find(const ws_config_entry *list, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].key, key)) return &list[i];
    return NULL;
}

// ' #' in a value: meant as a comment, which libinih would keep in the value.
static int hash_comment(parse_state *s, int line, const char *name, const char *value) {
    for (const char *c = value; *c; c++) {
        if (*c == '#' && c > value && is_space(c[-1])) {
            fail(s, line, "value of '%s' contains ' #': a comment after a value starts with ' ;' "
                          "('#' comments take a whole line)", name);
            return 1;
        }
    }
    return 0;
}

// An indented line after a value that ends in ',' continues it (a long list
// over several lines); any other indented line is refused.
static int on_continuation(parse_state *s, int line, const char *name, const char *value) {
    ws_config_entry *e = s->last;
    size_t have = e ? strlen(e->value) : 0, add = 0;
    // Debian's libinih (55) keeps a ' ;' comment in a continued line: drop it as on a key's line.
    while (value[add] && !(value[add] == ';' && add > 0 && is_space(value[add - 1]))) add++;
    while (add > 0 && is_space(value[add - 1])) add--;
    if (!e || !have || e->value[have - 1] != ',') { // (e is the entry libinih continues: its last key)
        fail(s, line, "indented line continues the value of '%.64s' (only a value ending in ',' goes on over "
                      "indented lines; otherwise remove the indentation)", e ? e->key : name);
        return 0;
    }
    char piece[1024];
    snprintf(piece, sizeof piece, "%.*s", (int)add, value); // a line is shorter than this
    if (hash_comment(s, line, e->key, piece)) return 0;
    if (have + add >= sizeof e->value) {
        fail(s, line, "value of '%s' too long (%zu characters over its lines; at most %zu)", name, have + add,
             sizeof e->value - 1);
        return 0;
    }
    memcpy(e->value + have, piece, add + 1);
    return 1;
}

static int on_entry(void *user, const char *section, const char *name, const char *value) {
    parse_state *s = user;
    int line = s->lineno;
    if (s->err) return 0;
    if (continuation(s, name)) return on_continuation(s, line, name, value);
    s->key_in_section = 1;
    size_t klen = strlen(name), vlen = strlen(value);
    if (klen == 0) {
        fail(s, line, "empty key (expected 'key = value')");
        return 0;
    }
    if (klen >= sizeof s->out->options[0].key) {
        fail(s, line, "key '%.40s...' too long (%zu characters; at most %zu)", name, klen,
             sizeof s->out->options[0].key - 1);
        return 0;
    }
    for (const char *c = name; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '-' || *c == '.')) {
            fail(s, line, "key '%s': expected letters, digits, '_', '-' and '.' only", name);
            return 0;
        }
    }
    if (vlen == 0) {
        fail(s, line, "'%s' has no value", name);
        return 0;
    }
    if (vlen >= sizeof s->out->options[0].value) {
        fail(s, line, "value of '%s' too long (%zu characters; at most %zu)", name, vlen,
             sizeof s->out->options[0].value - 1);
        return 0;
    }
    if (hash_comment(s, line, name, value)) return 0;
    ws_config_file *out = s->out;
    if (!section[0]) {
        if (strcmp(name, "scenario")) {
            fail(s, line, "'%s' before any section: only 'scenario = ...' goes there (options go under "
                          "[options], sweep axes under [grid], claims under [claim ID])", name);
            return 0;
        }
        if (out->scenario_line) {
            fail(s, line, "'scenario' given twice (first on line %d)", out->scenario_line);
            return 0;
        }
        static const char *const scenarios[] = {"batch", "online", "active", "transfer", "continual"};
        int ok = 0;
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) ok |= !strcmp(value, scenarios[i]);
        if (!ok) {
            fail(s, line, "scenario '%.64s': expected batch, online, active, transfer or continual", value);
            return 0;
        }
        snprintf(out->scenario, sizeof out->scenario, "%s", value);
        out->scenario_line = line;
        s->last = NULL;
        return 1;
    }
    if (!strncmp(section, "claim ", 6) && out->nclaims) return claim_entry(s, line, name, value);
    ws_config_entry *list;
    int *n;
    if (!strcmp(section, "options")) list = out->options, n = &out->noptions;
    else if (!strcmp(section, "grid")) list = out->axes, n = &out->naxes;
    else { // the reader saw every header; kept in case libinih reads one differently
        fail(s, line, "unknown section [%.64s] (expected [options] or [grid])", section);
        return 0;
    }
    const ws_config_entry *dup = find(list, *n, name);
    if (dup) {
        fail(s, line, "'%s' given twice in [%s] (first on line %d)", name, section, dup->line);
        return 0;
    }
    if (*n == WS_EXP_MAX_ENTRIES) {
        fail(s, line, "too many entries in [%s] (at most %d)", section, WS_EXP_MAX_ENTRIES);
        return 0;
    }
    ws_config_entry *e = &list[(*n)++];
    memcpy(e->key, name, klen + 1);
    memcpy(e->value, value, vlen + 1);
    e->line = line;
    s->last = e;
    return 1;
}

// Line `line` (1-based) of the text, for libinih's own errors.
static void syntax_error(parse_state *s, int line) {
    const char *p = s->text, *e = s->text + s->len;
    for (int l = 1; l < line && p < e; l++) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        p = nl ? nl + 1 : e;
    }
    const char *end = memchr(p, '\n', (size_t)(e - p));
    if (!end) end = e;
    while (p < end && is_space(*p)) p++;
    while (end > p && is_space(end[-1])) end--;
    int n = (int)(end - p);
    fail(s, line, "expected 'key = value', a [section] or a comment, not '%.*s%s'", n > 60 ? 60 : n, p,
         n > 60 ? "..." : "");
}

ws_status ws_config_parse(ws_ctx *ctx, const char *text, size_t len, const char *name, ws_config_file *out) {
    if (!name) name = "experiment file";
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", name);
    parse_state s = {.ctx = ctx, .out = out, .name = name, .text = text ? text : "", .len = text ? len : 0};
    check_text(&s);
    if (!s.err) {
        int r = ini_parse_stream(next_line, &s, on_entry, &s);
        // r: the first line libinih found wrong (a handler refusal included);
        // ours is the first line we refused (also when we stopped the reading).
        if (r > 0 && (!s.err || r < s.lineno)) {
            s.err = WS_OK; // libinih's error came first
            syntax_error(&s, r);
        } else if (r < 0 && !s.err) {
            s.err = ws_fail(ctx, WS_ERR_NOMEM, "%s: libinih could not allocate its line buffer", name);
        }
    }
    if (!s.err && !out->scenario_line) fail(&s, 0, "no 'scenario = ...' line (it goes before any [section])");
    if (s.err) {
        memset(out, 0, sizeof *out);
        snprintf(out->path, sizeof out->path, "%s", name);
        return s.err;
    }
    return WS_OK;
}

ws_status ws_config_read(ws_ctx *ctx, const char *path, ws_config_file *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    FILE *f = ws_sys_fopen(path, "rb");
    if (!f) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    char *buf = ws_alloc(ctx, MAX_FILE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return ws_nomem(ctx);
    }
    size_t n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    ws_status st;
    if (err) st = ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(err));
    else if (n > MAX_FILE_BYTES)
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: too large for an experiment file (over %u bytes)", path, MAX_FILE_BYTES);
    else st = ws_config_parse(ctx, buf, n, path, out);
    ws_free(buf);
    return st;
}
