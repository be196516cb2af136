#!/usr/bin/env bash
# Renders an HTML report with Debian's headless Chromium and writes a PNG screenshot.
#   scripts/screenshot-report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
# Needs /usr/bin/chromium (apt-get install chromium). No network: the report is self-contained and
# Chromium's background networking, updates, sync and QUIC are switched off.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 REPORT.html [OUT.png] [WIDTHxHEIGHT]" >&2
  exit 64
fi
html=$1
out=${2:-${html%.*}.png}
size=${3:-1280x2000}
if [[ ! -f "$html" ]]; then echo "$0: no such file: $html" >&2; exit 2; fi
if [[ ! "$size" =~ ^[0-9]+x[0-9]+$ ]]; then echo "$0: size must be WIDTHxHEIGHT, got $size" >&2; exit 64; fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then echo "$0: $chromium not found (apt-get install chromium)" >&2; exit 2; fi
abs_html=$(realpath "$html")
abs_out=$(realpath -m "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars \
  --screenshot="$abs_out" --window-size="${size/x/,}" "file://${abs_html// /%20}" 2>/dev/null
[[ -s "$abs_out" ]] || { echo "$0: chromium wrote no screenshot" >&2; exit 1; }
echo "$abs_out"
