#!/usr/bin/env bash
# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
#
# GPU check of the frozen-backbone methods (about 6-8 minutes on one H200-class GPU):
#
#   1. environment: CUDA visible to torch, mmcv's compiled ops importable;
#   2. tools/analysis/benchmark.py --device cuda --amp: the five method cases at their
#      published input sizes (UniRGB-IR seg 768^2 / det 1024^2, DPLNet 480x640,
#      IV-tuning EVA02-L 384^2 / Swin-L 480x640), each against its two-stream
#      full fine-tuning baseline; the markdown table goes to WORK/benchmark.md;
#   3. mmcv's CUDA multi-scale deformable attention against the pure-PyTorch CPU path
#      of mmrgbir/models/adapters/ms_deform_attn.py, forward and backward: the core
#      function in float64 and float32, and MSDeformAttn (outputs and parameter
#      gradients) on CUDA vs on the CPU;
#   4. tools/train.py --amp on CUDA for every tiny method config
#      (configs/{unirgbir,dplnet,ivtuning}/tiny/*.py) on the sample data.
#
# Usage:
#   bash tools/gpu_check.sh [--dry-run] [--work-dir DIR] [--no-baseline]
#                           [--skip STEP ...]   (STEP: env, benchmark, deform_attn, train)
# Environment: PYTHON (default .venv/bin/python, else python), MMRGBIR_DATA (sample
# data, default ../shared/data or ./shared/data).
# Prints a summary table; exits 1 if any step failed, 2 on a usage error.
set -u -o pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    if [[ -x "$REPO/.venv/bin/python" ]]; then PY="$REPO/.venv/bin/python"; else PY=python; fi
fi
DRY=0
WORK=""
BASELINE=1
SKIP=" "
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --work-dir) WORK="${2:?--work-dir needs a folder}"; shift ;;
        --no-baseline) BASELINE=0 ;;
        --skip) SKIP+="${2:?--skip needs a step name} "; shift ;;
        -h|--help) sed -n '3,25p' "$0"; exit 0 ;;
        *) echo "gpu_check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for s in $SKIP; do
    case "$s" in env|benchmark|deform_attn|train) ;;
        *) echo "gpu_check.sh: unknown step '$s' for --skip" >&2; exit 2 ;; esac
done
WORK="${WORK:-$REPO/work_dirs/gpu_check}"

DATA="${MMRGBIR_DATA:-}"
if [[ -z "$DATA" ]]; then
    if [[ -d "$REPO/../shared/data" ]]; then DATA="$REPO/../shared/data"
    elif [[ -d "$REPO/shared/data" ]]; then DATA="$REPO/shared/data"
    else DATA="$REPO/../shared/data"; fi
fi

NAMES=()
STATUS=()
SECONDS_TAKEN=()
FAILED=0

# run_step NAME TIMEOUT_S COMMAND...: run (or print, with --dry-run) one check
run_step() {
    local name="$1" limit="$2"
    shift 2
    if [[ $DRY -eq 1 ]]; then
        printf '[dry-run] %-28s timeout %4ss: %s\n' "$name" "$limit" "$*"
        NAMES+=("$name"); STATUS+=("dry-run"); SECONDS_TAKEN+=("-")
        return 0
    fi
    echo "=== $name (timeout ${limit}s): $*"
    local start=$SECONDS rc
    timeout --kill-after=10 "$limit" "$@"
    rc=$?
    local took=$((SECONDS - start)) status=ok
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then status="TIMEOUT"; FAILED=1
    elif [[ $rc -ne 0 ]]; then status="FAIL (exit $rc)"; FAILED=1; fi
    echo "=== $name: $status (${took}s)"
    NAMES+=("$name"); STATUS+=("$status"); SECONDS_TAKEN+=("$took")
}

skipped() { [[ "$SKIP" == *" $1 "* ]]; }

[[ $DRY -eq 1 ]] || mkdir -p "$WORK"
cd "$REPO" || exit 2
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

# ---------------------------------------------------------------- 1. environment
if ! skipped env; then
    run_step env 120 "$PY" -c "
import torch
assert torch.cuda.is_available(), 'torch does not see a CUDA device'
print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name(0))
from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction  # noqa
import mmcv, mmseg, mmengine, mmrgbir
print('mmcv', mmcv.__version__, 'mmseg', mmseg.__version__, 'mmengine', mmengine.__version__)
try:
    import mmdet; print('mmdet', mmdet.__version__)
except ImportError as exc:
    raise SystemExit(f'mmdet missing: {exc}')
"
fi

# ---------------------------------------------------------------- 2. benchmark
if ! skipped benchmark; then
    BENCH_ARGS=(--device cuda --amp --iters 5 --warmup 2 --timeout 240
                --json "$WORK/benchmark.json")
    [[ $BASELINE -eq 0 ]] && BENCH_ARGS+=(--no-baseline)
    run_step benchmark 420 bash -c \
        "set -o pipefail; \"\$0\" tools/analysis/benchmark.py \"\$@\" | tee \"$WORK/benchmark.md\"" \
        "$PY" "${BENCH_ARGS[@]}"
fi

# ---------------------------------------------------------------- 3. deformable attention
DEFORM_CHECK="$WORK/ms_deform_attn_check.py"
if ! skipped deform_attn; then
    # the check is written to WORK and run from there (not written with --dry-run)
    DEFORM_OUT="$DEFORM_CHECK"
    [[ $DRY -eq 1 ]] && DEFORM_OUT=/dev/null
    cat > "$DEFORM_OUT" <<'PYEOF'
# mmcv's CUDA multi-scale deformable attention vs mmrgbir's pure-PyTorch CPU path.
import sys

import torch

from mmrgbir.models.adapters.ms_deform_attn import (MSDeformAttn, level_start_index,
                                                    multi_scale_deformable_attn_pytorch)

if not torch.cuda.is_available():
    sys.exit('no CUDA device')
from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction as Fn

failures = []


def check(name, got, ref, rtol, atol):
    err = (got.detach().cpu().to(ref.dtype) - ref).abs().max().item()
    bound = atol + rtol * ref.abs().max().item()
    ok = err <= bound
    print(f'{name:<44} max |diff| {err:.3e} (bound {bound:.1e}) {"ok" if ok else "FAIL"}')
    if not ok:
        failures.append(name)


torch.manual_seed(0)
shapes = torch.tensor([[24, 32], [12, 16], [6, 8]])
B, heads, d, Q, P = 2, 4, 16, 50, 4
L, Nv = len(shapes), int(shapes.prod(1).sum())
start = level_start_index(shapes)
for dtype, rtol, atol in ((torch.float64, 1e-9, 1e-10), (torch.float32, 1e-4, 1e-5)):
    value = torch.randn(B, Nv, heads, d, dtype=dtype)
    # some samples fall outside [0, 1] (zero padding), most inside
    loc = torch.rand(B, Q, heads, L, P, 2, dtype=dtype) * 1.2 - 0.1
    weights = torch.rand(B, Q, heads, L, P, dtype=dtype)
    weights = weights / weights.sum((-1, -2), keepdim=True)
    grad_out = torch.randn(B, Q, heads * d, dtype=dtype)
    cpu = [t.clone().requires_grad_() for t in (value, loc, weights)]
    ref = multi_scale_deformable_attn_pytorch(cpu[0], shapes, cpu[1], cpu[2])
    ref.backward(grad_out)
    gpu = [t.cuda().requires_grad_() for t in (value, loc, weights)]
    out = Fn.apply(gpu[0], shapes.cuda(), start.cuda(), gpu[1], gpu[2], 64)
    out.backward(grad_out.cuda())
    tag = str(dtype).replace('torch.', '')
    check(f'core forward ({tag})', out, ref.detach(), rtol, atol)
    for n, g, c in zip(('value', 'sampling_locations', 'attention_weights'), gpu, cpu):
        # location gradients jump at pixel borders: a looser bound in float32
        scale = 10 if (n == 'sampling_locations' and dtype == torch.float32) else 1
        check(f'core grad {n} ({tag})', g.grad, c.grad, rtol * scale, atol * scale)

# the module: CUDA (mmcv kernel) vs CPU (pure path), outputs and parameter gradients
torch.manual_seed(1)
attn = MSDeformAttn(d_model=64, n_levels=L, n_heads=4, n_points=P, ratio=0.5)
with torch.no_grad():
    for p in attn.parameters():
        p.add_(0.02 * torch.randn_like(p))
query = torch.randn(B, Q, 64)
value = torch.randn(B, Nv, 64)
ref_pts = torch.rand(B, Q, 1, 2)
outs, grads = {}, {}
for dev in ('cpu', 'cuda'):
    m = attn.to(dev)
    m.zero_grad()
    out = m(query.to(dev), ref_pts.to(dev), value.to(dev), shapes.to(dev), start.to(dev))
    out.square().mean().backward()
    outs[dev] = out.detach().cpu()
    grads[dev] = {n: p.grad.detach().cpu().clone() for n, p in m.named_parameters()}
check('MSDeformAttn forward (float32)', outs['cuda'], outs['cpu'], 1e-4, 1e-5)
for n in grads['cpu']:
    check(f'MSDeformAttn grad {n}', grads['cuda'][n], grads['cpu'][n], 1e-3, 1e-6)
if failures:
    sys.exit(f'{len(failures)} deformable-attention checks failed: {failures}')
print('deformable attention: CUDA kernel == CPU path')
PYEOF
    run_step deform_attn 180 "$PY" "$DEFORM_CHECK"
fi

# ---------------------------------------------------------------- 4. tiny trainings
if ! skipped train; then
    # the tiny configs read '../shared/data/...' relative to the working directory:
    # run them from WORK/run/cwd with WORK/run/shared/data -> the sample data
    RUN="$WORK/run"
    if [[ $DRY -eq 0 ]]; then
        mkdir -p "$RUN/cwd" "$RUN/shared"
        ln -sfn "$(cd "$DATA" 2>/dev/null && pwd || echo "$DATA")" "$RUN/shared/data"
    fi
    for cfg in "$REPO"/configs/unirgbir/tiny/*.py "$REPO"/configs/dplnet/tiny/*.py \
               "$REPO"/configs/ivtuning/tiny/*.py; do
        name="$(basename "$cfg" .py)"
        out="$WORK/train/$name"
        if [[ $DRY -eq 0 && ! -d "$DATA" ]]; then
            echo "=== train/$name: sample data not found at $DATA (set MMRGBIR_DATA)"
            NAMES+=("train/$name"); STATUS+=("FAIL (no data)"); SECONDS_TAKEN+=("0")
            FAILED=1
            continue
        fi
        # a few iterations with AMP; then the run must have seen CUDA (mmengine's
        # environment log) and written its final checkpoint
        run_step "train/$name" 240 bash -c \
            "cd \"$RUN/cwd\" && \"\$0\" \"$REPO/tools/train.py\" \"\$@\" && \
             grep -q 'CUDA available: True' \"$out\"/*/*.log && \
             ls \"$out\"/*.pth > /dev/null" \
            "$PY" "$cfg" --work-dir "$out" --amp \
            --cfg-options randomness.seed=0 env_cfg.cudnn_benchmark=False
    done
fi

# ---------------------------------------------------------------- summary
echo
echo "GPU check summary ($( [[ $DRY -eq 1 ]] && echo 'dry run: nothing ran' || echo "work dir $WORK"))"
printf '| %-60s | %-16s | %8s |\n' step status seconds
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..62})" "$(printf -- '-%.0s' {1..18})" \
    "$(printf -- '-%.0s' {1..10})"
for i in "${!NAMES[@]}"; do
    printf '| %-60s | %-16s | %8s |\n' "${NAMES[$i]}" "${STATUS[$i]}" "${SECONDS_TAKEN[$i]}"
done
if [[ $FAILED -ne 0 ]]; then
    echo "GPU check FAILED"
    exit 1
fi
if [[ $DRY -eq 1 ]]; then echo "dry run: nothing was checked"; else echo "GPU check passed"; fi
exit 0
