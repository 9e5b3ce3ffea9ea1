#!/usr/bin/env bash
# GPU check: on a machine with an NVIDIA GPU, run the gpu-marked tests, the numba.cuda kernels on the
# real device (no simulator) and the cupy benchmarks, writing everything under OUT_DIR. Sized to
# finish well inside 6 minutes on one GPU.
#
#   benchmarks/gpu_check.sh OUT_DIR
#
# Writes OUT_DIR/gpu-tests.log, OUT_DIR/gpu-bench-<gpu>.json (pytest-benchmark) and
# OUT_DIR/gpu-targets.txt (check_targets.py). Missing packages are reported and skipped, not fatal.
set -uo pipefail
out="${1:?usage: benchmarks/gpu_check.sh OUT_DIR}"
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
unset NUMBA_ENABLE_CUDASIM

python3 - <<'PY' 2>&1 | tee "$out/environment.txt"
import importlib.util
for name in ("cupy", "numba", "numba_cuda", "scipy", "pytest_benchmark", "rich", "platformdirs", "threadpoolctl",
             "array_api_compat", "hypothesis", "tensorflow"):
    print(f"{name:18} {'present' if importlib.util.find_spec(name) else 'MISSING (tests needing it skip)'}")
try:
    import cupy
    print("GPU:", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
except Exception as exc:
    print("no CUDA device:", exc)
PY
gpu_name=$(python3 -c "import cupy; print(cupy.cuda.runtime.getDeviceProperties(0)['name'].decode().replace(' ', '-'))" 2>/dev/null || echo unknown-gpu)

echo "== gpu-marked tests (cupy backend, numba.cuda kernels on the device)"
timeout 170 python3 -m pytest tests -m gpu -q -rs -p no:cacheprovider -o addopts="" 2>&1 | tee "$out/gpu-tests.log"

echo "== cupy benchmarks"
timeout 170 python3 -m pytest benchmarks/test_bench_gpu.py "benchmarks/test_bench_fft.py::test_size_fft" \
  "benchmarks/test_bench_paths.py::test_size_paths" --benchmark-only -q -p no:cacheprovider -o addopts="" \
  --benchmark-json="$out/gpu-bench-$gpu_name.json" 2>&1 | tail -40 | tee "$out/gpu-bench.log"

echo "== targets"
python3 benchmarks/check_targets.py "$out/gpu-bench-$gpu_name.json" | tee "$out/gpu-targets.txt"
