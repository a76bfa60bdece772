# Shared by scripts/run, scripts/test and scripts/bench: create .venv from uv.lock.
# ensure_venv [EXTRA]: EXTRA is an optional-dependency group of pyproject.toml (e.g. test).
# The versions are the locked ones (uv.lock), so every machine gets what the tests passed with.
UV_VERSION=0.13.9

ensure_uv() {
  if [ ! -x .tools/uv/bin/uv ] || [ "$(.tools/uv/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    python3 -m venv .tools/uv
    .tools/uv/bin/python -m pip install --quiet "uv==$UV_VERSION"
  fi
}

ensure_venv() {
  ensure_uv
  # --inexact: scripts/run after scripts/test keeps the test tools instead of removing them.
  .tools/uv/bin/uv sync --quiet --frozen --inexact --python python3 ${1:+--extra "$1"}
}
