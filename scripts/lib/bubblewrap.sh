# Shared by scripts/test: the Debian `bubblewrap` package, which mounts the volumes of a task that
# runs as another user (src/metronome/launch/_confine.py; tests/isolation/test_volumes.py).

# ensure_bubblewrap: install the Debian package when it is missing (needs root, as in CI).
ensure_bubblewrap() {
  if command -v bwrap >/dev/null; then
    return
  fi
  echo "Installing bubblewrap (Debian package bubblewrap)..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
}
