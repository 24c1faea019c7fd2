#!/usr/bin/env bash
# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
# Command 1 of the README: set up (or reuse) the environment, then run the main job:
# train + evaluate a small RGB-T segmentation model (and its RGB-only baseline) on the
# embedded, procedurally generated night-street dataset, and write side-by-side PNGs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/tools/setup_env.sh"
VENV=${MMRGBIR_VENV:-$ROOT/.venv}
cd "$ROOT"
exec "$VENV/bin/python" tools/run_demo.py --work-dir "${MMRGBIR_DEMO_DIR:-work_dirs/demo}" "$@"
