# Used by scripts/test: the browser tests (tests/webui) drive Debian's headless Chromium through
# its chromedriver; no tool downloads a browser of its own.

# ensure_chromium: install the Debian packages when either is missing (needs root, as in CI).
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    return
  fi
  echo "Installing Chromium (Debian packages chromium, chromium-driver)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}
