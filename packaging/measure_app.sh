#!/usr/bin/env bash
# Start-up time of a built app against the source install, alternating runs in one go, plus its size.
#
#   packaging/measure_app.sh APP_FOLDER [RUNS]     (APP_FOLDER: .../dist/NetBuilder; RUNS: 5)
#
# Times `summary` on a preset (headless) and `--screenshot` (main window built, shown, grabbed,
# saved) on a private Xvfb that is started once, so its start-up is not counted. Prints medians
# of wall and CPU time and the frozen/source ratio. SOURCE_CMD: the source install's command
# (default: the checkout's .venv/bin/netbuilder).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
app_dir=$(cd "${1:?give the built app folder}" && pwd)
runs=${2:-5}
app=$app_dir/NetBuilder
src=${SOURCE_CMD:-$root/.venv/bin/netbuilder}
preset=$app_dir/_internal/resources/presets/mnist_cnn_small.json
python=${PYTHON:-python3}
work=$(mktemp -d)
cd "$work"

echo "== size"
echo "$(du -sh "$app_dir" | cut -f1)  ($(du -sb "$app_dir" | cut -f1) bytes, $(find "$app_dir" -type f | wc -l) files)"

timed() { # appends "wall user sys rc" to $1 for the command after it
  local log=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >"$work/out" 2>&1
  echo "$(cat "$work/time") $?" >>"$log"
}

display=:$((70 + RANDOM % 20))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
sleep 2
echo "== $runs runs each, alternating; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
  timed "$work/summary_frozen" env OMP_NUM_THREADS=1 "$app" summary "$preset"
  timed "$work/summary_source" env OMP_NUM_THREADS=1 "$src" summary "$preset"
  timed "$work/gui_frozen" env DISPLAY="$display" "$app" --screenshot "$work/frozen.png"
  timed "$work/gui_source" env DISPLAY="$display" "$src" --screenshot "$work/source.png"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$python" - "$work" <<'PY'
import statistics, sys
from pathlib import Path

work = Path(sys.argv[1])
def stats(name):
    rows = [line.split() for line in (work / name).read_text().splitlines() if line.strip()]
    wall = [float(r[0]) for r in rows]
    cpu = [float(r[1]) + float(r[2]) for r in rows]
    return statistics.median(wall), statistics.median(cpu), min(wall), max(wall), sum(r[3] != "0" for r in rows)
for what in ("summary", "gui"):
    frozen, source = stats(f"{what}_frozen"), stats(f"{what}_source")
    for label, s in (("frozen", frozen), ("source", source)):
        print(f"{what:8} {label}: median wall {s[0]:.2f} s (min {s[2]:.2f}, max {s[3]:.2f}), "
              f"median CPU {s[1]:.2f} s, failures {s[4]}")
    print(f"{what:8} frozen/source: wall {frozen[0] / source[0]:.2f}x, CPU {frozen[1] / source[1]:.2f}x")
PY
