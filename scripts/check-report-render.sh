#!/bin/sh
# Render a report page in a real browser (headless Chromium, Debian's `chromium`) and
# check what it drew: a screenshot of the whole page, that it is not blank, and the
# page's DOM after loading (every figure loaded, the claims table there), and that the
# page fits a 1,300-pixel-wide window: no horizontal scroll (its document's scrollWidth
# at that width is at most 1,300).
#   scripts/check-report-render.sh results/demo/report/index.html [OUT.png]
# Prints what it checked; exits non-zero if the page did not render as expected.
set -eu
page=${1:?usage: scripts/check-report-render.sh REPORT.html [OUT.png]}
out=${2:-${page%.html}.png}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "no chromium: apt-get install chromium" >&2; exit 77; }
abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=$tmp/profile"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --window-size=1300,6000 --screenshot="$out" "file://$abs" >"$tmp/log" 2>&1 || true
[ -s "$out" ] || { echo "no screenshot: $(tail -3 "$tmp/log")" >&2; exit 1; }
# The DOM after load, with each image's natural width (0: it did not load).
cat >"$tmp/probe.html" <<HTML
<html><body style="margin:0"><iframe id="f" src="file://$abs" style="width:1300px;height:6000px;border:0"></iframe>
<script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument, imgs = d.images, bad = 0;
  for (var i = 0; i < imgs.length; i++) if (!imgs[i].complete || imgs[i].naturalWidth === 0) bad++;
  var out = document.createElement('pre'); out.id = 'result';
  out.textContent = 'images ' + imgs.length + ' broken ' + bad + ' tables ' + d.querySelectorAll('table').length +
    ' claims ' + (d.body.textContent.indexOf("The paper's claims, checked") >= 0 ? 'yes' : 'no') +
    ' width ' + d.documentElement.scrollWidth;
  document.body.appendChild(out);
};
</script></body></html>
HTML
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --allow-file-access-from-files --virtual-time-budget=10000 --dump-dom \
    "file://$tmp/probe.html" >"$tmp/dom" 2>>"$tmp/log" || true
result=$(sed -n 's/.*<pre id="result">\(.*\)<\/pre>.*/\1/p' "$tmp/dom")
[ -n "$result" ] || { echo "the page did not load in the browser: $(tail -3 "$tmp/log")" >&2; exit 1; }
size=$(wc -c <"$out")
echo "rendered $page: screenshot $out ($size bytes); $result"
case "$result" in
*"broken 0 "*) ;;
*) echo "some figures did not load" >&2; exit 1 ;;
esac
[ "$size" -gt 20000 ] || { echo "the screenshot looks blank" >&2; exit 1; }
width=$(echo "$result" | sed -n 's/.* width \([0-9]*\).*/\1/p')
[ -n "$width" ] && [ "$width" -le 1300 ] \
    || { echo "the page is ${width:-?} pixels wide: wider than a 1,300-pixel window (it scrolls sideways)" >&2; exit 1; }
