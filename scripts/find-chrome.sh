#!/usr/bin/env bash
# Prints the path of a Chromium to test with: $CHROME_PATH, else Debian's /usr/bin/chromium,
# installing it with apt when running as root and it is missing. Never downloads a browser build.
set -euo pipefail
if [ -n "${CHROME_PATH:-}" ]; then
  [ -x "$CHROME_PATH" ] || { echo "CHROME_PATH=$CHROME_PATH is not an executable" >&2; exit 1; }
  echo "$CHROME_PATH"; exit 0
fi
for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -x "$c" ]; then echo "$c"; exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium with apt-get…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  [ -x /usr/bin/chromium ] && { echo /usr/bin/chromium; exit 0; }
fi
echo "No Chromium found. Install Debian's package (sudo apt-get install -y chromium) or set CHROME_PATH." >&2
exit 1
