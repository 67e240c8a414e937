#include "report/page.h"

#include <stdarg.h>
#include <string.h>

void ws_row_add(ws_page_row *r, const char *fmt, ...) {
    if (r->n >= WS_PAGE_MAX_COLS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->cell[r->n++], sizeof r->cell[0], fmt, ap);
    va_end(ap);
}

static void html_text(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

// Markdown: a '|' would split a table cell, a line break would end the block,
// and a leading '#', '-' or digit-dot could turn text into a heading or list;
// backslash-escaping the punctuation that matters keeps text literal.
static void md_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r') fputc(' ', f);
        else {
            if (strchr("\\|*_`[]<>#", *s)) fputc('\\', f);
            fputc(*s, f);
        }
    }
}

// Paths in links: keep the characters safe in a URL path, percent-encode the
// rest (spaces, parentheses, quotes and non-ASCII bytes).
static void url_path(FILE *f, const char *s) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("-._~/", *c))
            fputc(*c, f);
        else fprintf(f, "%%%02X", *c);
    }
}

void ws_page_begin(ws_page *p, const char *title) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", p->html);
    html_text(p->html, title);
    fputs("</title>\n<style>\n"
          // The page fits a 1,300-pixel window with no sideways scroll: a column at most 1,200
          // pixels wide, tables no wider than it (a long cell wraps, anywhere if it must: a path,
          // a learner's name), images scaled down to it.
          "body { font-family: sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }\n"
          "table { border-collapse: collapse; margin: 0.5em 0 1.5em; max-width: 100%; }\n"
          "th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; overflow-wrap: anywhere; }\n"
          "th:first-child, td:first-child, table.text th, table.text td { text-align: left; }\n"
          "table.text2 th:nth-child(2), table.text2 td:nth-child(2) { text-align: left; }\n"
          "th { background: #f3f3f3; }\n"
          // A wide text table with its columns' shares fixed (the claims): no column squeezed to a
          // letter's width because its cells are short.
          "table.fixed { table-layout: fixed; width: 100%; }\n"
          "h2 { border-top: 1px solid #ddd; padding-top: 0.8em; margin-top: 1.6em; }\n"
          "p { overflow-wrap: anywhere; }\n"
          "figure { display: inline-block; margin: 0 1em 1em 0; max-width: 100%; }\n"
          "img { max-width: min(520px, 100%); height: auto; border: 1px solid #eee; }\n"
          "figure.wide { display: block; margin: 0.5em 0 1.5em; }\n"
          "figure.wide img { max-width: 100%; }\n"
          "figcaption { font-size: 0.85em; color: #555; }\n"
          "</style>\n</head>\n<body>\n",
          p->html);
    ws_page_heading(p, 1, title);
}

void ws_page_end(ws_page *p) { fputs("</body>\n</html>\n", p->html); }

void ws_page_heading(ws_page *p, int level, const char *text) {
    for (int i = 0; i < level; i++) fputc('#', p->md);
    fputc(' ', p->md);
    md_text(p->md, text);
    fputs("\n\n", p->md);
    fprintf(p->html, "<h%d>", level);
    html_text(p->html, text);
    fprintf(p->html, "</h%d>\n", level);
}

void ws_page_text(ws_page *p, const char *text) {
    md_text(p->md, text);
    fputs("\n\n", p->md);
    fputs("<p>", p->html);
    html_text(p->html, text);
    fputs("</p>\n", p->html);
}

static void md_row(FILE *f, const ws_page_row *r) {
    fputc('|', f);
    for (int i = 0; i < r->n; i++) {
        fputc(' ', f);
        md_text(f, r->cell[i]);
        fputs(" |", f);
    }
    fputc('\n', f);
}

static void html_row(FILE *f, const ws_page_row *r, const char *tag) {
    fputs("<tr>", f);
    for (int i = 0; i < r->n; i++) {
        fprintf(f, "<%s>", tag);
        html_text(f, r->cell[i]);
        fprintf(f, "</%s>", tag);
    }
    fputs("</tr>\n", f);
}

// The first `text` columns left-aligned, the rest (numbers) right-aligned; `widths` (or NULL): each
// column's share of the page's width in %, the table as wide as the page.
static void table_begin_widths(ws_page *p, const ws_page_row *header, int text, const int *widths) {
    md_row(p->md, header);
    fputc('|', p->md);
    for (int i = 0; i < header->n; i++) fputs(i >= text ? "---:|" : "---|", p->md);
    fputc('\n', p->md);
    fprintf(p->html, "<table%s%s%s>\n", text >= header->n ? " class=\"text" : text == 2 ? " class=\"text2" : "",
            widths ? (text >= header->n || text == 2 ? " fixed" : " class=\"fixed") : "",
            text >= header->n || text == 2 || widths ? "\"" : "");
    if (widths) {
        fputs("<colgroup>", p->html);
        for (int i = 0; i < header->n; i++) fprintf(p->html, "<col style=\"width: %d%%\">", widths[i]);
        fputs("</colgroup>\n", p->html);
    }
    fputs("<thead>\n", p->html);
    html_row(p->html, header, "th");
    fputs("</thead>\n<tbody>\n", p->html);
}

static void table_begin(ws_page *p, const ws_page_row *header, int text) { table_begin_widths(p, header, text, NULL); }

void ws_page_table(ws_page *p, const ws_page_row *header) { table_begin(p, header, 1); }
void ws_page_table2(ws_page *p, const ws_page_row *header) { table_begin(p, header, header->n > 2 ? 2 : header->n); }
void ws_page_text_table(ws_page *p, const ws_page_row *header) { table_begin(p, header, header->n); }
void ws_page_text_table_widths(ws_page *p, const ws_page_row *header, const int *widths) {
    table_begin_widths(p, header, header->n, widths);
}

void ws_page_row_write(ws_page *p, const ws_page_row *row) {
    md_row(p->md, row);
    html_row(p->html, row, "td");
}

void ws_page_table_end(ws_page *p) {
    fputc('\n', p->md);
    fputs("</tbody>\n</table>\n", p->html);
}

static void link_path(const ws_page *p, FILE *f, const char *src) {
    if (p->base) url_path(f, p->base);
    url_path(f, src);
}

static void image(ws_page *p, const char *src, const char *caption, const char *cls) {
    fputs("![", p->md);
    md_text(p->md, caption);
    fputs("](", p->md);
    link_path(p, p->md, src);
    fputs(")\n\n", p->md);
    fprintf(p->html, "<figure%s><img src=\"", cls);
    link_path(p, p->html, src);
    fputs("\" alt=\"", p->html);
    html_text(p->html, caption);
    fputs("\"><figcaption>", p->html);
    html_text(p->html, caption);
    fputs("</figcaption></figure>\n", p->html);
}

void ws_page_image(ws_page *p, const char *src, const char *caption) { image(p, src, caption, ""); }
void ws_page_image_wide(ws_page *p, const char *src, const char *caption) { image(p, src, caption, " class=\"wide\""); }

void ws_page_links(ws_page *p, const char *label, int n, const char *const *paths, const char *const *texts) {
    md_text(p->md, label);
    fputs("<p>", p->html);
    html_text(p->html, label);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", [" : " [", p->md);
        md_text(p->md, texts[i]);
        fputs("](", p->md);
        link_path(p, p->md, paths[i]);
        fputc(')', p->md);
        fputs(i ? ", <a href=\"" : " <a href=\"", p->html);
        link_path(p, p->html, paths[i]);
        fputs("\">", p->html);
        html_text(p->html, texts[i]);
        fputs("</a>", p->html);
    }
    fputs("\n\n", p->md);
    fputs("</p>\n", p->html);
}
