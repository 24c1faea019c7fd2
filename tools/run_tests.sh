#!/usr/bin/env bash
# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
# Command 2 of the README (and what CI runs): set up (or reuse) the environment, then
# run the test suite on CPU. Sample data: $MMRGBIR_DATA (default ../shared/data);
# tests that need it skip with the reason when it is absent.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/tools/setup_env.sh"
VENV=${MMRGBIR_VENV:-$ROOT/.venv}
cd "$ROOT"
export MMRGBIR_DATA=${MMRGBIR_DATA:-$ROOT/../shared/data}
exec "$VENV/bin/python" -m pytest -ra --durations=20 "$@"
