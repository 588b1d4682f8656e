#!/usr/bin/env bash
# Build the one-folder NetBuilder app with PyInstaller, CPU-only, outside the source tree.
#
#   packaging/build_app.sh [--venv DIR] [--out DIR]
#
# The build venv gets the +cpu torch wheel (PyPI's Linux torch is the 4-5 GB CUDA build), the
# project's other runtime dependencies read from pyproject.toml less torch and torchvision, and
# PyInstaller. The app lands in OUT/dist/NetBuilder; OUT/build holds PyInstaller's work files.
#
# Environment:
#   TORCH_SPEC   torch requirement to install        (default: torch)
#   TORCH_INDEX  extra index holding +cpu wheels     (default: https://download.pytorch.org/whl/cpu;
#                set it empty to use only the configured indexes and find-links)
#   PYTHON       interpreter for the build venv      (default: python3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
venv=${XDG_CACHE_HOME:-$HOME/.cache}/netbuilder/freeze-venv
out=${XDG_CACHE_HOME:-$HOME/.cache}/netbuilder/freeze
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build_app.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$out/" in "$root"/*) echo "build_app.sh: --out must lie outside the source tree" >&2; exit 2 ;; esac

torch_spec=${TORCH_SPEC:-torch}
torch_index=${TORCH_INDEX-https://download.pytorch.org/whl/cpu}

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating build venv $venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
fi
py="$venv/bin/python"

if ! "$py" -c "import torch" 2>/dev/null; then
  echo "== installing $torch_spec (CPU build)"
  if [ -n "$torch_index" ]; then
    "$py" -m pip install -q --extra-index-url "$torch_index" "$torch_spec"
  else
    "$py" -m pip install -q "$torch_spec"
  fi
fi
if [ "$("$py" -c 'import torch; print(torch.version.cuda is None)')" != "True" ]; then
  echo "build_app.sh: the build venv has a CUDA torch; install a +cpu wheel (see docs/packaging.md)" >&2
  exit 1
fi

echo "== installing runtime dependencies (less torch and torchvision) and PyInstaller"
mapfile -t deps < <("$py" - "$root/pyproject.toml" <<'PY'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
for dep in deps:
    if re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower() not in ("torch", "torchvision"):
        print(dep)
PY
)
"$py" -m pip install -q "${deps[@]}" "pyinstaller>=6.10"
if "$py" -c "import torchvision" 2>/dev/null; then
  echo "build_app.sh: torchvision is installed in the build venv; it must stay out (see docs/packaging.md)" >&2
  exit 1
fi

echo "== running PyInstaller"
mkdir -p "$out"
start=$(date +%s)
PYTHONPATH="$root" "$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$out/dist" --workpath "$out/build" "$here/netbuilder.spec"
echo "== built in $(( $(date +%s) - start )) s: $out/dist/NetBuilder ($(du -sh "$out/dist/NetBuilder" | cut -f1))"

app="$out/dist/NetBuilder/NetBuilder"
[ -x "$app" ] || app="$out/dist/NetBuilder/netbuilder-cli"
"$app" --version
