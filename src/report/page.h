// One page written twice at once: GitHub markdown and a self-contained HTML
// page, so that the report's code says what to show once and never how.
// Text passed in is plain; each format escapes it itself.
#ifndef WS_REPORT_PAGE_H
#define WS_REPORT_PAGE_H

#include <stdio.h>

#define WS_PAGE_MAX_COLS 40

typedef struct {
    FILE *md, *html;
    const char *base; // prefixed to every link ("../" for a page one folder below the results), or NULL
} ws_page;

// A table row (or header) built cell by cell.
typedef struct {
    int n;
    char cell[WS_PAGE_MAX_COLS][256];
} ws_page_row;

// Append a printf-formatted cell (ignored past WS_PAGE_MAX_COLS).
void ws_row_add(ws_page_row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ws_page_begin(ws_page *p, const char *title);
void ws_page_end(ws_page *p);
void ws_page_heading(ws_page *p, int level, const char *text);
void ws_page_text(ws_page *p, const char *text);
// A table of numbers (columns after the first right-aligned), or of text (all left-aligned).
void ws_page_table(ws_page *p, const ws_page_row *header);
// A table of numbers after two text columns (both left-aligned).
void ws_page_table2(ws_page *p, const ws_page_row *header);
void ws_page_text_table(ws_page *p, const ws_page_row *header);
// A text table as wide as the page, column i taking widths[i] % of it (HTML; Markdown as above).
void ws_page_text_table_widths(ws_page *p, const ws_page_row *header, const int *widths);
void ws_page_row_write(ws_page *p, const ws_page_row *row);
void ws_page_table_end(ws_page *p);
// An image at src, a path relative to the results (the page's base is prefixed).
void ws_page_image(ws_page *p, const char *src, const char *caption);
// The same, as a figure as wide as the page's column (the claims' forest plot), not a thumbnail.
void ws_page_image_wide(ws_page *p, const char *src, const char *caption);
// A line of links: label, then each text linked to its path (relative to the results, as images).
void ws_page_links(ws_page *p, const char *label, int n, const char *const *paths, const char *const *texts);

#endif
