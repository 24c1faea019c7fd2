#!/usr/bin/env bash
# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
#
# Create (or reuse) the virtual environment with the verified OpenMMLab stack:
#   torch 2.13.0 + torchvision 0.28.0 (registry builds), mmcv 2.1.0 compiled from source
#   against that torch, mmengine 0.10.7, mmsegmentation 1.2.2, mmdet 3.3.0, timm 1.0.x,
#   then mmrgbir itself (editable).
# Re-running it on a working environment only verifies it (seconds).
#
# Variables:
#   MMRGBIR_VENV          where the venv lives (default: <repo>/.venv)
#   MMRGBIR_CACHE         where the compiled mmcv wheel is kept (default: ~/.cache/mmrgbir)
#   MMRGBIR_REBUILD_MMCV  set to 1 to rebuild mmcv even when a cached wheel exists
#   FORCE_CUDA            set to 1 to compile mmcv's CUDA ops on a machine without a visible GPU
#   PYTHON                interpreter used to create the venv (default: python3)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMRGBIR_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
MMCV_VERSION=2.1.0
CACHE=${MMRGBIR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmrgbir}

log() { printf '[setup_env] %s\n' "$*"; }
die() { printf '[setup_env] ERROR: %s\n' "$*" >&2; exit 1; }

# The stamp changes whenever a requirement file or this script changes.
stamp() {
  cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "${BASH_SOURCE[0]}" | sha1sum | cut -c1-16
}

VPY="$VENV/bin/python"
if [ -x "$VPY" ] && [ -f "$VENV/.mmrgbir-stamp" ] \
   && [ "$(cat "$VENV/.mmrgbir-stamp")" = "$(stamp)" ]; then
  log "reusing $VENV"
  # mmrgbir is installed editable from whichever clone ran last: point it here.
  if ! "$VPY" -c "import mmrgbir, os, sys; sys.exit(os.path.dirname(os.path.dirname(mmrgbir.__file__)) != '$ROOT')" 2>/dev/null; then
    "$VPY" -m pip install -q --no-deps --no-build-isolation -e "$ROOT"
  fi
  if "$VPY" "$ROOT/tools/check_env.py" mmrgbir >/dev/null 2>&1; then
    log "environment OK"
    exit 0
  fi
  log "existing environment fails its check; repairing"
fi

command -v "$PYTHON" >/dev/null || die "no '$PYTHON' found (Python 3.10 or 3.11 is needed)"
"$PYTHON" -c 'import sys; sys.exit(not ((3, 9) <= sys.version_info[:2] <= (3, 12)))' \
  || die "$("$PYTHON" --version) is not supported; use Python 3.9 to 3.12 (PYTHON=...)"

[ -x "$VPY" ] || { log "creating venv at $VENV"; "$PYTHON" -m venv "$VENV"; }
PIP=("$VPY" -m pip)

# This machine kind has a find-links entry with a CPU-only torch+cpu wheel; the registry's
# torchvision wheels are built against the regular torch and fail with the +cpu one.
EMPTY_LINKS=$(mktemp -d)
trap 'rm -rf "$EMPTY_LINKS"' EXIT
export PIP_FIND_LINKS="$EMPTY_LINKS"

log "build tools (setuptools<82 keeps pkg_resources for mmcv's setup.py and mmengine)"
"${PIP[@]}" install -q --upgrade "pip>=23" "setuptools>=77.0.3,<82" wheel ninja

log "torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION"
if ! "$VPY" -c "import torch, torchvision, sys; sys.exit(not (torch.__version__.split('+')[0] == '$TORCH_VERSION' and '+cpu' not in torch.__version__ and torchvision.__version__.split('+')[0] == '$TORCHVISION_VERSION'))" 2>/dev/null; then
  "${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi

# The pip wheel cache keys mmcv by its version only; a wheel built against another torch
# installs and then fails at `import mmcv.ops`, and one built on a machine without a GPU
# has no CUDA ops. Our cache is keyed by torch version, torch's CUDA / CPU build, the
# ops' target (cuda / cpu) and the Python tag, e.g. mmcv2.1.0-torch2.13.0-cu130-opscpu-cp311.
BUILD_KEY=$("$VPY" "$ROOT/tools/check_env.py" --mmcv-build-key)
WHEELS="$CACHE/wheels/mmcv$MMCV_VERSION-$BUILD_KEY"
mmcv_ok() {
  "$VPY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null \
    && "$VPY" -c "import sys; sys.path.insert(0, '$ROOT/tools'); import check_env, mmcv.ops; sys.exit(check_env.check_mmcv_cuda_ops(mmcv.ops) is not None)" 2>/dev/null
}
if ! mmcv_ok || [ "${MMRGBIR_REBUILD_MMCV:-0}" = 1 ]; then
  WHEEL=$(ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
  if [ -n "$WHEEL" ] && [ "${MMRGBIR_REBUILD_MMCV:-0}" != 1 ]; then
    log "mmcv $MMCV_VERSION from cached wheel $WHEEL"
    "${PIP[@]}" install -q --force-reinstall --no-deps "$WHEEL"
    "${PIP[@]}" install -q "$WHEEL"  # its dependencies
  fi
  if ! mmcv_ok || [ "${MMRGBIR_REBUILD_MMCV:-0}" = 1 ]; then
    log "building mmcv $MMCV_VERSION with ops against torch $TORCH_VERSION (about 14 min on 2 cores)"
    mkdir -p "$WHEELS"
    rm -f "$WHEELS"/mmcv-*.whl
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "${PIP[@]}" wheel -q --no-build-isolation \
      --no-deps --no-cache-dir -w "$WHEELS" "mmcv==$MMCV_VERSION"
    WHEEL=$(ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)
    "${PIP[@]}" install -q --force-reinstall --no-deps "$WHEEL"
    "${PIP[@]}" install -q "$WHEEL"
  fi
  mmcv_ok || die "mmcv.ops does not import after installing $WHEEL; run with MMRGBIR_REBUILD_MMCV=1"
fi

log "OpenMMLab packages and test tools (versions of requirements/verified.txt)"
"${PIP[@]}" install -q -c "$ROOT/requirements/verified.txt" -r "$ROOT/requirements/runtime.txt" \
  -r "$ROOT/requirements/det.txt" -r "$ROOT/requirements/tests.txt"
# Reference implementation of the salient-object metrics, used by the tests only. Its pins
# (numpy<2.3.5, opencv-python-headless<5) clash with this stack, and it needs only numpy and
# scipy at import time, so it is installed without them.
"${PIP[@]}" install -q --no-deps "pysodmetrics==1.6.2"

log "mmrgbir (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

log "verifying"
if ! "$VPY" "$ROOT/tools/check_env.py" mmrgbir; then
  die "the environment does not work (see the check above)"
fi
stamp > "$VENV/.mmrgbir-stamp"
log "done: activate with 'source $VENV/bin/activate'"
