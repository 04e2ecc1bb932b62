#!/usr/bin/env bash
# `tools/bench peers`: NeuronLens against its peers, in one invocation on one machine, with
# the same models, weights and inputs (tools/peers/export_models.py exports them once from
# PyTorch with fixed seeds), then docs/BENCHMARKS.md and docs/BENCHMARKS.json.
#
# Usage: tools/bench peers [--runs 20] [--warmup 3] [--rounds 3] [--threads 1,2]
#          [--models cnn_a,resnet18,fashion_vgg] [--engines LIST] [--resnet-batch64]
#          [--fashion-model DIR] [--quick] [--report-dir DIR]
#   --engines      any of: neuronlens-native neuronlens-wasm tfjs-wasm ort-wasm
#                  pytorch-ref pytorch-openblas gemm rss (default: all)
#   --resnet-batch64  also ResNet-18 forward at batch 64 and its training step (natively;
#                  the wasm engine's fixed 1 GiB heap cannot hold its activations): long
#   --fashion-model   a trained fashion-vgg folder (default: assets/models/fashion-vgg if present)
#   --rounds       how many times the whole set of engines runs, one after another; each
#                  row of the report keeps the round with the lowest median (every engine
#                  alike), so a burst of load from elsewhere on a shared machine spoils a
#                  round rather than a ratio. All rounds' medians stay in BENCHMARKS.json
#   --quick        3 runs after 1 warm-up, one round, report into build/peers/ (a smoke test)
#   --report-dir   where BENCHMARKS.md and BENCHMARKS.json go (default: docs/)
# Workloads: forward_b1, forward_b64, grad_b1 (input gradient of the mean of one channel
# of the last conv stage), train_b64 (one SGD step, native engines only); ResNet-18 runs
# forward_b1 and grad_b1 unless --resnet-batch64.
# Everything runs under `nice -n 19` when the caller asks (the machine may be shared):
# check `uptime` first; the report records the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
NODE=(node --no-experimental-fetch)
PY=/usr/bin/python3
JOBS=${JOBS:-2}
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread
REFBLAS_DIR=/usr/lib/x86_64-linux-gnu/blas

runs=20 warmup=3 rounds=3 threads=1,2 models=cnn_a,resnet18,fashion_vgg
engines="neuronlens-native neuronlens-wasm tfjs-wasm ort-wasm pytorch-ref pytorch-openblas gemm rss"
resnet_b64=0 fashion_model="" report_dir=docs
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --threads) threads=$2; shift ;;
    --models) models=$2; shift ;;
    --engines) engines=${2//,/ }; shift ;;
    --resnet-batch64) resnet_b64=1 ;;
    --fashion-model) fashion_model=$2; shift ;;
    --quick) runs=3 warmup=1 rounds=1 report_dir=build/peers ;;
    --report-dir) report_dir=$2; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench peers: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
has() { [[ " $engines " == *" $1 "* ]]; }

out=build/peers
models_dir=$out/models
mkdir -p "$out"
log=$out/peers.log
: >"$log"
results=$out/results.jsonl
: >"$results"
echo "bench peers: log in $log; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- prerequisites -------------------------------------------------------------
if has tfjs-wasm || has ort-wasm; then
  [ -d tools/peers/node_modules/@tensorflow/tfjs-backend-wasm ] && [ -d tools/peers/node_modules/onnxruntime-web ] \
    || { echo "bench peers: npm packages missing: run tools/bootstrap (or npm install in tools/peers)" >&2; exit 1; }
fi
if has pytorch-openblas && [ ! -e $OPENBLAS_DIR/libblas.so.3 ]; then
  echo "bench peers: Debian's OpenBLAS is missing ($OPENBLAS_DIR): run tools/bootstrap (libopenblas0-pthread)" >&2
  exit 1
fi

# ---- the models: exported once (again when the exporter or the trained model changes) ----
[ -n "$fashion_model" ] || { [ -f assets/models/fashion-vgg/model.json ] && fashion_model=assets/models/fashion-vgg; } || true
stamp=$models_dir/.exported
want_stamp="$(sha1sum tools/peers/export_models.py assets/recipes/fashion_vgg.json | cut -c1-12 | tr '\n' ' ') ${fashion_model:+$(sha1sum "$fashion_model/weights.safetensors" | cut -c1-12)}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_stamp" ]; then
  echo "bench peers: exporting the models (PyTorch, seeded) into $models_dir" >&2
  rm -rf "$models_dir"
  $PY tools/peers/export_models.py "$models_dir" ${fashion_model:+--fashion-model "$fashion_model"} 2>>"$log" >&2
  echo "$want_stamp" >"$stamp"
fi

# ---- builds -------------------------------------------------------------------------
build() {  # build PRESET: configure once, then build the benchmark binary
  local preset=$1 dir=build/$1
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake --preset "$preset" >>"$log" 2>&1 || return 1
  fi
  echo "bench peers: building neuronlens_bench ($preset)" >&2
  cmake --build "$dir" --target neuronlens_bench -j "$JOBS" >>"$log" 2>&1
}
if has neuronlens-native || has rss; then build native || { echo "bench peers: the native build failed ($log)" >&2; exit 1; }; fi
if has neuronlens-wasm || has gemm; then build wasm || { echo "bench peers: the wasm build failed ($log)" >&2; exit 1; }; fi

# ---- running ----------------------------------------------------------------------------
# One process per model and engine (the wasm engine's fixed heap then holds one model at a
# time). Small models run every workload; ResNet-18 its batch-1 ones unless --resnet-batch64.
groups=()
for m in ${models//,/ }; do
  if [ "$m" != resnet18 ] || [ "$resnet_b64" = 1 ]; then groups+=("$m|forward_b1,forward_b64,grad_b1,train_b64")
  else groups+=("$m|forward_b1,grad_b1"); fi
done

round=1
collect() {  # collect LABEL CMD...: JSON lines of stdout (with the round added) into results, the rest into the log
  local label=$1; shift
  echo "bench peers: round $round/$rounds: $label" >&2
  "$@" 2>>"$log" | while IFS= read -r line; do
    case "$line" in "{"*) echo "{\"round\": $round, ${line#\{}" >>"$results" ;; *) echo "$line" >>"$log" ;; esac
  done || echo "bench peers: $label failed (see $log)" >&2
}

for round in $(seq 1 "$rounds"); do
  for group in "${groups[@]}"; do
    ms=${group%%|*} ws=${group##*|}
    common=(--models-dir "$models_dir" --models "$ms" --workloads "$ws" --runs "$runs" --warmup "$warmup" --threads "$threads")
    if has neuronlens-native; then
      collect "neuronlens native ($ms)" build/native/neuronlens_bench peer_models "${common[@]}"
    fi
    if has neuronlens-wasm; then
      # No training step in wasm; ResNet-18 at batch 64 does not fit the fixed 1 GiB heap.
      wasm_ws=${ws/,train_b64/}
      [ "$ms" != resnet18 ] || wasm_ws=forward_b1,grad_b1
      collect "neuronlens wasm ($ms)" "${NODE[@]}" build/wasm/neuronlens_bench.js peer_models "${common[@]}" \
        --workloads "$wasm_ws"
    fi
    for t in ${threads//,/ }; do
      if has tfjs-wasm; then
        collect "tfjs-wasm $t thread(s) ($ms)" "${NODE[@]}" tools/peers/tfjs_bench.mjs "$models_dir" --models "$ms" \
          --workloads "${ws/,train_b64/}" --runs "$runs" --warmup "$warmup" --threads "$t"
      fi
      if has ort-wasm; then
        collect "onnxruntime-web $t thread(s) ($ms)" "${NODE[@]}" tools/peers/ort_bench.mjs "$models_dir" --models "$ms" \
          --workloads "$(echo "$ws" | tr , '\n' | grep forward | paste -sd,)" --runs "$runs" --warmup "$warmup" --threads "$t"
      fi
      for blas in ref openblas; do
        has pytorch-$blas || continue
        dir=$REFBLAS_DIR; [ $blas = openblas ] && dir=$OPENBLAS_DIR
        collect "pytorch ($blas BLAS) $t thread(s) ($ms)" env LD_LIBRARY_PATH=$dir OMP_NUM_THREADS=$t \
          OPENBLAS_NUM_THREADS=$t $PY tools/peers/torch_bench.py "$models_dir" --engine pytorch-$blas --threads "$t" \
          --models "$ms" --workloads "$ws" --runs "$runs" --warmup "$warmup"
      done
    done
  done

  if has gemm; then
    # The wasm GEMM kernels on a square problem and a 3x3 convolution's three GEMMs.
    echo "bench peers: round $round/$rounds: wasm GEMM" >&2
    "${NODE[@]}" build/wasm/neuronlens_bench.js gemm --threads "$threads" 2>>"$log" \
      | grep '^{' | sed "s/^{/{\"round\": $round, \"engine\": \"neuronlens-wasm\", \"workload\": \"gemm\", /" >>"$results" || true
  fi
done
if has rss && [[ ",$models," == *",resnet18,"* ]]; then
  for t in ${threads//,/ }; do
    collect "neuronlens native: peak RSS of ResNet-18's gradient step, $t thread(s)" \
      build/native/neuronlens_bench peer_rss --models-dir "$models_dir" --threads "$t"
  done
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
$PY tools/peers/report.py "$results" --models-dir "$models_dir" --report-dir "$report_dir" \
  --runs "$runs" --warmup "$warmup" --rounds "$rounds" --load-before "$load_before" --load-after "$load_after"
