// Experiment files (src/io/config.c, libinih): a good file read into the right
// entries and line numbers, and every way a file can be wrong, each refused
// with one message "NAME:LINE: reason".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 1); }

static ws_config_file xf; // 2 MB: not on the stack

static ws_status parse_n(const char *text, size_t len) { return ws_config_parse(&ctx, text, len, "exp.ini", &xf); }
static ws_status parse(const char *text) { return parse_n(text, strlen(text)); }

static void assert_entry(const ws_config_entry *e, const char *key, const char *value, int line) {
    ck_assert_str_eq(e->key, key);
    ck_assert_str_eq(e->value, value);
    ck_assert_int_eq(e->line, line);
}

// The parse fails with WS_ERR_FORMAT, a message that begins with `start`
// (NAME:LINE:) and contains `reason`, and leaves nothing parsed.
static void assert_fails_n(const char *text, size_t len, const char *start, const char *reason) {
    memset(&xf, 0x5a, sizeof xf);
    ck_assert_int_eq(parse_n(text, len), WS_ERR_FORMAT);
    ck_assert_msg(!strncmp(ctx.err, start, strlen(start)), "message '%s' does not begin '%s'", ctx.err, start);
    ck_assert_msg(strstr(ctx.err, reason) != NULL, "message '%s' lacks '%s'", ctx.err, reason);
    ck_assert_ptr_null(strchr(ctx.err, '\n'));
    ck_assert_str_eq(xf.scenario, "");
    ck_assert_int_eq(xf.scenario_line, 0);
    ck_assert_int_eq(xf.noptions, 0);
    ck_assert_int_eq(xf.naxes, 0);
}
static void assert_fails(const char *text, const char *start, const char *reason) {
    assert_fails_n(text, strlen(text), start, reason);
}

static const char *good =
    "# An online experiment\n"        // 1
    "; either comment style\n"        // 2
    "\n"                              // 3
    "scenario = online\n"             // 4
    "[options]\n"                     // 5
    "lr = 0.001\n"                    // 6
    "augment = true\n"                // 7
    "  # an indented comment\n"       // 8
    "phase1-epochs=3\n"               // 9
    "shrink-perturb.lambda = 0.5  ; why not\n" // 10
    "data = /srv/data/a b\n"          // 11
    "\n"                              // 12
    "[grid]  ; the sweep\n"           // 13
    "  lr = 0.001,0.01\n"             // 14 (indented, but first in its section: a key)
    "learners = warm,random\n";       // 15

static void assert_good(void) {
    ck_assert_str_eq(xf.path, "exp.ini");
    ck_assert_str_eq(xf.scenario, "online");
    ck_assert_int_eq(xf.scenario_line, 4);
    ck_assert_int_eq(xf.noptions, 5);
    assert_entry(&xf.options[0], "lr", "0.001", 6);
    assert_entry(&xf.options[1], "augment", "true", 7);
    assert_entry(&xf.options[2], "phase1-epochs", "3", 9);
    assert_entry(&xf.options[3], "shrink-perturb.lambda", "0.5", 10);
    assert_entry(&xf.options[4], "data", "/srv/data/a b", 11);
    ck_assert_int_eq(xf.naxes, 2);
    assert_entry(&xf.axes[0], "lr", "0.001,0.01", 14);
    assert_entry(&xf.axes[1], "learners", "warm,random", 15);
}

START_TEST(good_file) {
    ck_assert_int_eq(parse(good), WS_OK);
    assert_good();
}
END_TEST

START_TEST(good_file_crlf_bom_and_no_final_newline) {
    char buf[2048] = "\xEF\xBB\xBF";
    size_t n = 3;
    for (const char *p = good; *p; p++) {
        if (*p == '\n') buf[n++] = '\r';
        buf[n++] = *p;
    }
    buf[n - 2] = '\0'; // drop the last "\r\n"
    ck_assert_int_eq(parse(buf), WS_OK);
    assert_good();
    ck_assert_int_eq(parse("\xEF\xBB\xBFscenario = transfer\r\n"), WS_OK);
    ck_assert_str_eq(xf.scenario, "transfer");
}
END_TEST

START_TEST(text_need_not_be_terminated) {
    // Only len bytes are read: what follows (here, a line that would fail) is not.
    const char *text = "scenario = batch\n[options]\nlr = 0.5\n[gird]\n";
    size_t len = strlen("scenario = batch\n[options]\nlr = 0.5");
    ck_assert_int_eq(parse_n(text, len), WS_OK);
    ck_assert_str_eq(xf.scenario, "batch");
    ck_assert_int_eq(xf.noptions, 1);
    assert_entry(&xf.options[0], "lr", "0.5", 3);
    ck_assert_int_eq(parse_n(text, strlen(text)), WS_ERR_FORMAT);
    ck_assert_str_eq(ctx.err, "exp.ini:4: unknown section [gird] (expected [options], [grid] or [claim ID], ID letters, digits and '-')");
}
END_TEST

START_TEST(scenario_only_and_every_scenario) {
    const char *names[] = {"batch", "online", "active", "transfer"};
    for (int i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof text, "\nscenario=%s", names[i]);
        ck_assert_int_eq(parse(text), WS_OK);
        ck_assert_str_eq(xf.scenario, names[i]);
        ck_assert_int_eq(xf.scenario_line, 2);
        ck_assert_int_eq(xf.noptions + xf.naxes, 0);
    }
}
END_TEST

START_TEST(sections_and_scenario) {
    ck_assert_int_eq(parse("scenario = batch\n[options]\nlr = 1\n\n\n\n[gird]\nlr = 0.1\n"), WS_ERR_FORMAT);
    ck_assert_str_eq(ctx.err, "exp.ini:7: unknown section [gird] (expected [options], [grid] or [claim ID], ID letters, digits and '-')");
    // A section with no key under it is still checked.
    assert_fails("scenario = batch\n[options]\n[extra]\n", "exp.ini:3:", "unknown section [extra]");
    assert_fails("scenario = batch\n[Options]\nlr = 1\n", "exp.ini:2:", "unknown section [Options]");
    assert_fails("scenario = batch\n[options\nlr = 1\n", "exp.ini:2:", "section header without a closing ']'");
    assert_fails("scenario = batch\n[options] lr = 1\n", "exp.ini:2:", "text after [options]");
    ck_assert_int_eq(parse("scenario = batch\n[options]   # fine\n"), WS_OK);
    ck_assert_int_eq(parse("scenario = onlin\n"), WS_ERR_FORMAT);
    ck_assert_str_eq(ctx.err, "exp.ini:1: scenario 'onlin': expected batch, online, active, transfer or continual");
    assert_fails("[options]\nlr = 1\n", "exp.ini: ", "no 'scenario = ...' line");
    assert_fails("", "exp.ini: ", "no 'scenario = ...' line");
    assert_fails("# only a comment\n", "exp.ini: ", "no 'scenario = ...' line");
    assert_fails("scenario = batch\nscenario = online\n", "exp.ini:2:", "'scenario' given twice (first on line 1)");
    assert_fails("scenario = batch\nlr = 1\n", "exp.ini:2:", "'lr' before any section");
}
END_TEST

START_TEST(duplicates) {
    ck_assert_int_eq(parse("scenario = batch\n[options]\nlr = 1\nlr = 2\n"), WS_ERR_FORMAT);
    ck_assert_str_eq(ctx.err, "exp.ini:4: 'lr' given twice in [options] (first on line 3)");
    assert_fails("scenario = batch\n[grid]\nlr = 1,2\n[options]\nx = 1\n[grid]\nlr = 3\n", "exp.ini:7:",
                 "'lr' given twice in [grid] (first on line 3)");
    // The same key in [options] and [grid] is two settings, not a duplicate.
    ck_assert_int_eq(parse("scenario = batch\n[options]\nlr = 1\n[grid]\nlr = 1,2\n"), WS_OK);
    ck_assert_int_eq(xf.noptions, 1);
    ck_assert_int_eq(xf.naxes, 1);
}
END_TEST

START_TEST(keys_and_values) {
    assert_fails("scenario = batch\n[options]\nlearning rate = 1\n", "exp.ini:3:",
                 "key 'learning rate': expected letters, digits");
    assert_fails("scenario = batch\n[options]\nlr/x = 1\n", "exp.ini:3:", "key 'lr/x'");
    assert_fails("scenario = batch\n[options]\n= 1\n", "exp.ini:3:", "empty key");
    assert_fails("scenario = batch\n[options]\nlr =\n", "exp.ini:3:", "'lr' has no value");
    assert_fails("scenario = batch\n[options]\nlr = ; nothing\n", "exp.ini:3:", "'lr' has no value");
    assert_fails("scenario = batch\n[options]\nlr = 0.1  # the rate\n", "exp.ini:3:", "value of 'lr' contains ' #'");
    char text[512], key[80];
    memset(key, 'k', 63);
    key[63] = '\0';
    snprintf(text, sizeof text, "scenario = batch\n[options]\n%s = 1\n", key);
    ck_assert_int_eq(parse(text), WS_OK);
    ck_assert_str_eq(xf.options[0].key, key);
    strcat(key, "k");
    snprintf(text, sizeof text, "scenario = batch\n[options]\n%s = 1\n", key);
    assert_fails(text, "exp.ini:3:", "too long (64 characters; at most 63)");
}
END_TEST

START_TEST(long_lines_and_values) {
    // Debian's libinih reads lines of up to 199 bytes with the newline; a
    // longer line is refused, not cut in two.
    char text[8192], value[1200];
    memset(value, 'v', sizeof value);
    value[198 - 5] = '\0'; // "lr = " + 193 = 198 characters
    snprintf(text, sizeof text, "scenario = batch\n[options]\nlr = %s\nx = 1\n", value);
    ck_assert_int_eq(parse(text), WS_OK);
    ck_assert_int_eq(strlen(xf.options[0].value), 193);
    assert_entry(&xf.options[1], "x", "1", 4);
    value[198 - 5] = 'v';
    value[199 - 5] = '\0';
    snprintf(text, sizeof text, "scenario = batch\n[options]\nlr = %s\nx = 1\n", value);
    assert_fails(text, "exp.ini:3:", "line too long (199 characters; libinih reads at most 198 a line)");
    value[199 - 5] = 'v';
    value[1100] = '\0';
    snprintf(text, sizeof text, "scenario = batch\n[grid]\nlr = %s\n", value);
    assert_fails(text, "exp.ini:3:", "line too long (1105 characters");
    // A longer value goes over lines ending in ','; at most 8191 characters (a paper's sweep of
    // learners): 56 lines of 145 and one of 71.
    memset(value, 'v', 144);
    value[144] = ',';
    value[145] = '\0';
    static char big[12000];
    int n = snprintf(big, sizeof big, "scenario = batch\n[options]\nlr = %s\n", value);
    for (int i = 0; i < 55; i++) n += snprintf(big + n, sizeof big - (size_t)n, "  %s\n", value);
    char tail[80];
    memset(tail, 'w', 71);
    tail[71] = 0;
    snprintf(big + n, sizeof big - (size_t)n, "  %s\n", tail); // 56 * 145 + 71 = 8191
    ck_assert_int_eq(parse(big), WS_OK);
    ck_assert_int_eq(strlen(xf.options[0].value), 8191);
    ck_assert_int_eq(xf.options[0].line, 3);
    snprintf(big + n, sizeof big - (size_t)n, "  %sw\n", tail);
    assert_fails(big, "exp.ini:59:", "value of 'lr' too long (8192 characters over its lines; at most 8191)");
}
END_TEST

START_TEST(too_many_entries) {
    static char text[WS_EXP_MAX_ENTRIES * 16 + 64];
    int n = sprintf(text, "scenario = batch\n[grid]\n");
    for (int i = 0; i < WS_EXP_MAX_ENTRIES; i++) n += sprintf(text + n, "k%d = %d\n", i, i);
    ck_assert_int_eq(parse(text), WS_OK);
    ck_assert_int_eq(xf.naxes, WS_EXP_MAX_ENTRIES);
    assert_entry(&xf.axes[WS_EXP_MAX_ENTRIES - 1], "k127", "127", WS_EXP_MAX_ENTRIES + 2);
    sprintf(text + n, "one-more = 1\n");
    assert_fails(text, "exp.ini:131:", "too many entries in [grid] (at most 128)");
}
END_TEST

START_TEST(not_key_value_and_continuations) {
    assert_fails("scenario = batch\n[options]\njust words\n", "exp.ini:3:",
                 "expected 'key = value', a [section] or a comment, not 'just words'");
    // libinih's first error line wins over a later one of ours.
    assert_fails("scenario = batch\n[options]\nlr = 1\nwords\nlr = 2\n", "exp.ini:4:", "not 'words'");
    // ...and ours over a later one of libinih's.
    assert_fails("scenario = batch\n[options]\nlr = 1\nlr = 2\nwords\n", "exp.ini:4:", "'lr' given twice");
    // An indented line after a key continues its value in libinih: refused,
    // unless the value ends in ',' (a list over several lines).
    assert_fails("scenario = batch\n[options]\nlr = 1\n  epochs = 3\n", "exp.ini:4:",
                 "indented line continues the value of 'lr' (only a value ending in ','");
    assert_fails("scenario = batch\n[options]\nlr = 1\n\n\tmore\n", "exp.ini:5:",
                 "indented line continues the value of 'lr'");
    assert_fails("scenario = batch,\n  online\n", "exp.ini:1:", "scenario 'batch,'");
    assert_fails("scenario = batch\n  online\n", "exp.ini:2:", "continues the value of 'scenario'");
    // An indented [section] after a key is such a line too.
    assert_fails("scenario = batch\n[options]\nlr = 1\n  [grid]\n", "exp.ini:4:", "continues the value of 'lr'");
    ck_assert_int_eq(parse("scenario = online\n"
                           "[options]\n"
                           "learners = warm,random,\n"
                           "    shrink-perturb:lambda=0.2:sigma=0.01,\n"
                           "\n"
                           "  # a comment between\n"
                           "    ewc:lambda=1  ; and after\n"
                           "x = 1\n"
                           "[grid]\n"
                           "lr = 0.1,\n"
                           " 0.2\n"),
                     WS_OK);
    ck_assert_int_eq(xf.noptions, 2);
    assert_entry(&xf.options[0], "learners", "warm,random,shrink-perturb:lambda=0.2:sigma=0.01,ewc:lambda=1", 3);
    assert_entry(&xf.options[1], "x", "1", 8);
    assert_entry(&xf.axes[0], "lr", "0.1,0.2", 10);
    assert_fails("scenario = batch\n[options]\nlr = 1,\n  2 # two\n", "exp.ini:4:", "value of 'lr' contains ' #'");
    // "key: value" is libinih's other spelling.
    ck_assert_int_eq(parse("scenario: active\n[options]\nlr: 0.1\n"), WS_OK);
    ck_assert_str_eq(xf.scenario, "active");
    assert_entry(&xf.options[0], "lr", "0.1", 3);
}
END_TEST

START_TEST(not_text) {
    const char nul[] = "scenario = batch\n[options]\nlr = 1\0\n";
    assert_fails_n(nul, sizeof nul - 1, "exp.ini:3:", "NUL byte");
    assert_fails("scenario = batch\n\x01\n", "exp.ini:2:", "control character 0x01");
    assert_fails("scenario = batch\n[options]\nlr = 1\x7f\n", "exp.ini:3:", "control character 0x7f");
    assert_fails("scenario = batch\rlr = 1\n", "exp.ini:1:", "carriage return inside a line");
}
END_TEST

START_TEST(read_file) {
    const char *path = test_write_file("exp.ini", good, strlen(good));
    ck_assert_int_eq(ws_config_read(&ctx, path, &xf), WS_OK);
    ck_assert_str_eq(xf.path, path);
    ck_assert_str_eq(xf.scenario, "online");
    ck_assert_int_eq(xf.noptions, 5);
    assert_entry(&xf.axes[1], "learners", "warm,random", 15);
    const char bad[] = "scenario = batch\n[options]\nlr = 1\nlr = 2\n";
    path = test_write_file("bad.ini", bad, sizeof bad - 1);
    ck_assert_int_eq(ws_config_read(&ctx, path, &xf), WS_ERR_FORMAT);
    char want[1024];
    snprintf(want, sizeof want, "%s:4: 'lr' given twice in [options] (first on line 3)", path);
    ck_assert_str_eq(ctx.err, want);
}
END_TEST

START_TEST(missing_file) {
    char path[600];
    snprintf(path, sizeof path, "%s/no-such.ini", test_tmpdir());
    ck_assert_int_eq(ws_config_read(&ctx, path, &xf), WS_ERR_IO);
    char want[1024];
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    ck_assert_str_eq(ctx.err, want);
    ck_assert_int_eq(ws_config_read(&ctx, test_tmpdir(), &xf), WS_ERR_IO);
    snprintf(want, sizeof want, "%s: Is a directory", test_tmpdir());
    ck_assert_str_eq(ctx.err, want);
}
END_TEST

Suite *config_suite(void) {
    Suite *s = suite_create("config");
    TCase *t = tcase_create("experiment files");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, good_file);
    tcase_add_test(t, good_file_crlf_bom_and_no_final_newline);
    tcase_add_test(t, text_need_not_be_terminated);
    tcase_add_test(t, scenario_only_and_every_scenario);
    tcase_add_test(t, sections_and_scenario);
    tcase_add_test(t, duplicates);
    tcase_add_test(t, keys_and_values);
    tcase_add_test(t, long_lines_and_values);
    tcase_add_test(t, too_many_entries);
    tcase_add_test(t, not_key_value_and_continuations);
    tcase_add_test(t, not_text);
    tcase_add_test(t, read_file);
    tcase_add_test(t, missing_file);
    suite_add_tcase(s, t);
    return s;
}
