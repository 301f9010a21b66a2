#!/usr/bin/env bash
# A screenshot of each example's HTML report, for the README.
#
# Renders each example (examples/*/, except ci/) with `redflag scan --format html` at the
# examples' fixed assessment date, so the pictures are reproducible, and photographs the
# top of the report (cover, contents, executive summary) in headless Chromium. Chromium
# runs offline: its own background traffic goes to a closed local proxy and no host name
# resolves; the report loads nothing anyway (inline CSS and SVG, a Content-Security-Policy
# that forbids any request).
#
# Usage: examples/screenshot.sh [OUT_DIR]        (default: target/screenshots)
# Needs: a Rust toolchain and Chromium (Debian: apt-get install chromium), or
# REDFLAG_CHROMIUM=/path/to/chrome.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-target/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

browser="${REDFLAG_CHROMIUM:-}"
if [ -z "$browser" ]; then
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$b" >/dev/null 2>&1; then browser="$(command -v "$b")"; break; fi
  done
fi
if [ -z "$browser" ]; then
  echo "error: Chromium not found (Debian: apt-get install chromium; or set REDFLAG_CHROMIUM)" >&2
  exit 2
fi

cargo build --release --quiet
redflag="$PWD/target/release/redflag"

for dir in examples/*/; do
  name="$(basename "$dir")"
  [ "$name" = ci ] && continue
  # The client's name: the example README's title, before any " — ".
  client="$(head -n 1 "$dir/README.md" 2>/dev/null | sed -e 's/^# *//' -e 's/ —.*$//')"
  html="$out/$name.html"
  status=0
  "$redflag" scan "$dir" --as-of 2026-12-01 --format html --output "$html" --quiet \
    --client "${client:-$name}" --assessor "redflag example assessment" || status=$?
  if [ "$status" -gt 1 ]; then
    echo "error: redflag scan $dir failed (exit $status)" >&2
    exit "$status"
  fi
  profile="$(mktemp -d)"
  "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --no-default-browser-check --disable-background-networking --disable-component-update \
    --disable-sync --disable-default-apps --disable-extensions --no-pings --disable-breakpad \
    --proxy-server=http://127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND" \
    --user-data-dir="$profile" --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1200,1900 --screenshot="$out/$name.png" "file://$html" >/dev/null 2>&1
  rm -rf "$profile"
  echo "$out/$name.png  (from $html)"
done
