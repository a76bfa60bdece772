# Shared by scripts/run and scripts/test: create .venv and (re)install the project when needed.
# ensure_venv [EXTRA]: EXTRA is an optional-dependency group of pyproject.toml (e.g. test).
ensure_venv() {
  local extra="${1:-}" stamp=".venv/.installed${1:+-$1}"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
    touch "$stamp"
  fi
}
