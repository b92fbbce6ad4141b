#!/usr/bin/env bash
# The GPU benchmarks, as one command on the device tool's machine.  Each part
# fits in one call: the steps' limits are cut to what is left of DEADLINE
# seconds (default 560; a step with under 15 s left is skipped and says so), so
# results, tables and a log always land in $OUT as one archive.  From the
# repository root:
#
#     benchmarks/device/run_gpu.sh core      # CUDA tests, DEC/IDEC MNIST-70k, speed vs ClustPy, inference memory
#     benchmarks/device/run_gpu.sh methods   # DCN, DDC, DMAE, DDLS (conv_bn) on MNIST-70k
#     benchmarks/device/run_gpu.sh precision # float32 / tf32 / bf16: epoch times, speed vs ClustPy, DEC ACC
#     benchmarks/device/run_gpu.sh glorot    # DCN and DMAE on MNIST-70k from their Glorot start, seeds 0 1 2
#
# with ``carry: [".gpu"]`` (filled by prepare.sh).  ``SMOKE=1`` runs every
# step on 600 samples and one epoch, to check the script on a CPU machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
part="${1:?usage: run_gpu.sh core|methods|precision|glorot}"
out="${OUT:-/tmp/gpu_out}"
res="$out/results"
mkdir -p "$res"
exec > >(tee "$out/log_${part}.txt") 2>&1
export PYTHONUNBUFFERED=1
if ls .gpu/whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .gpu/whl/*.whl || exit 1
fi
export PYTHONPATH="$PWD:/tmp/site:$PWD/.gpu/site${PYTHONPATH:+:$PYTHONPATH}"
mnist=.gpu/mnist.npz
[ -f "$mnist" ] || mnist=../shared/data/mnist.npz
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
python3 -c "import torch, skorch, sklearn; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'skorch', skorch.__version__, 'sklearn', sklearn.__version__)"

if [ "${SMOKE:-0}" = 1 ]; then  # every step on 600 samples, one epoch
    n="--n-samples 600"; ae="--pretrain-epochs 1 --epochs 1"; speed="1"; dcn="1"; ddc="--epochs 1 --n-init 3"
    dcn_default="--default-pretrain-epochs 1 --default-epochs 1"
    big=2000
else  # settings sized so that each part ends inside one call
    n=""; ae=""; speed="10"; dcn="20"; ddc="--epochs 20 --n-init 10"; big=1000000
    dcn_default=""
fi
xdist=""; python3 -c "import xdist" 2>/dev/null && xdist="-n 8"
# The device tool stops a call at 600 s: every step's limit is cut to what is left
# of DEADLINE seconds (counted from the start), so the results are always archived.
deadline="${DEADLINE:-560}"
step() {  # step SECONDS NAME COMMAND...: run with a time limit, keep going on failure
    local limit="$1" name="$2"; shift 2
    local left=$((deadline - SECONDS))
    if [ "$left" -lt 15 ]; then echo; echo "=== $name: skipped, ${left}s left"; return; fi
    [ "$limit" -gt "$left" ] && limit="$left"
    echo; echo "=== $name ($(date +%T), limit ${limit}s)"
    local t0=$SECONDS
    timeout "$limit" "$@"; local rc=$?
    echo "=== $name: rc $rc in $((SECONDS - t0)) s"
}

case "$part" in
core)
    step 120 "tests on CUDA" python3 -m pytest -m "not slow" -q -p no:cacheprovider $xdist tests
    step 200 "DEC/IDEC MNIST-70k, default recipe, seeds 0 1 2" \
        python3 benchmarks/bench_mnist.py --path "$mnist" --methods dec idec $n $ae --out "$res"
    step 180 "speed vs ClustPy, ClustPy's settings ($speed+$speed epochs)" \
        python3 benchmarks/speed.py --path "$mnist" $n --pretrain-epochs "$speed" \
        --clustering-epochs "$speed" --methods dec idec --out "$res"
    step 60 "inference memory, $big x 784" \
        python3 benchmarks/inference_memory.py --device auto --n-samples "$big" --out "$res"
    ;;
methods)
    step 120 "DCN MNIST-70k vs ClustPy ($dcn+$dcn epochs)" \
        python3 benchmarks/bench_dcn.py --path "$mnist" $n --seeds 0 --libraries kmeans clustpy ours ours-default \
        --pretrain-epochs "$dcn" --clustering-epochs "$dcn" $dcn_default \
        --out "$res"
    step 150 "DDC / DDC-VOTE MNIST-70k" \
        python3 benchmarks/bench_ddc.py --datasets mnist --path "$mnist" $n --seeds 0 $ddc --out "$res"
    step 120 "DMAE MNIST-70k" \
        python3 benchmarks/bench_dmae_mnist.py --path "$mnist" $n --seeds 0 \
        --methods kmeans ae_dmm dmae dmae_aug $ae --out "$res"
    step 150 "DDLS MNIST-70k, network=conv_bn (the paper's kind of network)" \
        python3 benchmarks/bench_discriminative.py --path "$mnist" $n --seeds 0 $ae \
        --set network=conv_bn --tag conv_bn --out "$res"
    ;;
precision)
    step 90 "engine epoch, float32 / tf32 / bf16, batch 256 and 1024" \
        python3 benchmarks/engine_epoch.py --path "$mnist" $n --epochs 3 --batch-sizes 256 1024 \
        --precisions float32 tf32 bf16 --out "$res/engine_epoch.txt"
    step 240 "speed vs ClustPy by precision, ClustPy's settings ($speed+$speed epochs)" \
        python3 benchmarks/speed.py --path "$mnist" $n --pretrain-epochs "$speed" \
        --clustering-epochs "$speed" --methods dec idec --libraries clustpy ours \
        --precisions float32 tf32 bf16 --out "$res"
    step 200 "DEC MNIST-70k, default recipe, bf16, seeds 0 1 2" \
        python3 benchmarks/bench_mnist.py --path "$mnist" --methods dec $n $ae --precision bf16 \
        --tag dec_bf16 --out "$res"
    ;;
glorot)  # issue 42: the Glorot start keeps the MNIST-70k means within 0.01
    step 270 "DCN MNIST-70k at its defaults (Glorot start), seeds 0 1 2" \
        python3 benchmarks/bench_dcn.py --path "$mnist" $n --seeds 0 1 2 --libraries ours-default \
        $dcn_default --default-weight-init glorot --tag default_glorot_gpu --out "$res"
    step 270 "DMAE MNIST-70k (Glorot start), seeds 0 1 2" \
        python3 benchmarks/bench_dmae_mnist.py --path "$mnist" $n --seeds 0 1 2 --methods dmae $ae \
        --weight-init glorot --tag glorot_gpu --out "$res"
    ;;
*) echo "unknown part $part"; exit 2 ;;
esac
tar -C "$out" -czf "$out/results_${part}.tar.gz" results && rm -rf "$res"
ls -la "$out"
