#!/usr/bin/env bash
# Smoke-test a built app: summary, one epoch of training on the bundled MNIST sample, every export
# format (the ONNX file checked with onnxruntime), predict, and the paths without torchvision.
#
#   packaging/smoke_app.sh APP_FOLDER       (APP_FOLDER: .../dist/NetBuilder)
#
# PYTHON: an interpreter with onnx, onnxruntime and torch for the checks (default: the checkout's
# .venv/bin/python). Exits non-zero when a step that must work fails.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
app_dir=$(cd "${1:?give the built app folder}" && pwd)
app=$app_dir/NetBuilder
res=$app_dir/_internal/resources
python=${PYTHON:-$root/.venv/bin/python}
out=$(mktemp -d)
cd "$out"
failed=0
# No full MNIST anywhere and no downloads: training must fall back to the bundled sample.
export NETBUILDER_DATA="$out/cache" XDG_CONFIG_HOME="$out/config" NETBUILDER_OFFLINE=1

# run EXPECTED_RC ARGS...: run the app, show the end of its output, count a wrong exit status
run() {
  local want=$1 start=$SECONDS rc
  shift
  echo "\$ NetBuilder $*"
  "$app" "$@" >"$out/last.txt" 2>&1
  rc=$?
  tail -3 "$out/last.txt" | sed 's/^/    /'
  echo "    -> rc=$rc in $((SECONDS - start)) s"
  if [ "$rc" != "$want" ] || grep -q "^Traceback" "$out/last.txt"; then
    echo "    FAILED (wanted rc=$want and no traceback)"
    failed=1
  fi
}

mlp=$res/presets/mnist_mlp_784_128_64_10.json
cnn=$res/presets/mnist_cnn_small.json
run 0 summary "$mlp"
run 0 train "$mlp" --epochs 1 --out mlp.pt --log metrics.jsonl --quiet
grep -q "^MNIST sample, 10,000 images" "$out/last.txt" || { echo "    FAILED: no note that the sample was used"; failed=1; }
run 0 train "$cnn" --epochs 1 --out cnn.pt --quiet
run 1 data download mnist
for fmt in python torchscript onnx pt2 training-script; do
  run 0 export "$cnn" --format "$fmt" --weights cnn.pt -o "cnn-$fmt.out"
done
"$python" - "$out" <<'PY' || failed=1
import sys
import numpy as np, onnx, onnxruntime as ort, torch, warnings

out = sys.argv[1]
onnx.checker.check_model(f"{out}/cnn-onnx.out")
session = ort.InferenceSession(f"{out}/cnn-onnx.out")
x = np.random.default_rng(0).standard_normal((7, 1, 28, 28)).astype(np.float32)
y = session.run(None, {session.get_inputs()[0].name: x})[0]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is deprecated
    scripted = torch.jit.load(f"{out}/cnn-torchscript.out").eval()
with torch.no_grad():
    y_ts = scripted(torch.from_numpy(x)).numpy()
diff = float(np.abs(y - y_ts).max())
print(f"ONNX: checker OK; onnxruntime at batch 7 -> {y.shape}; max |ONNX - TorchScript| = {diff:.1e}")
sys.exit(0 if diff < 1e-4 else 1)
PY
"$python" -c "
from PIL import Image, ImageDraw
im = Image.new('L', (200, 200), 255)
ImageDraw.Draw(im).line([(100, 30), (100, 170)], fill=0, width=18)
im.save('one.png')"
run 0 predict one.png --model cnn.pt
if [ -f "$res/models/mnist_cnn.pt" ]; then run 0 predict one.png; else echo "(no bundled model in this build)"; fi
run 1 summary "$res/presets/cifar10_resnet18.json"
mkdir -p empty
run 1 train "$res/presets/cifar10_lenet.json" --data-dir empty --epochs 1 --no-download --quiet
run 1 train "$res/presets/mnist_mlp_784_128_64_10.json" --dataset fashion_mnist --data-dir empty --epochs 1 --quiet
# torchrun needs a Python installation: the frozen app must say so, not crash.
run 2 train "$mlp" --epochs 1 --nproc 2
rm -rf "$out"
[ "$failed" -eq 0 ] && echo "smoke test passed" || echo "smoke test FAILED"
exit "$failed"
