#!/usr/bin/env bash
# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
# Distributed training with torchrun, like mmseg's / mmdet's tools/dist_train.sh.
#
#   tools/dist_train.sh CONFIG GPUS [train.py arguments]
#
# GPUS is the number of processes on this node (one per GPU; on a machine without a
# GPU the processes train on CPU with the gloo backend). Several nodes: set NNODES,
# NODE_RANK, MASTER_ADDR and PORT on each node. PYTHON selects the interpreter.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py arguments]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)

PYTHONPATH="${TOOLS_DIR}/..${PYTHONPATH:+:${PYTHONPATH}}" \
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
"${PYTHON}" -m torch.distributed.run \
    --nnodes="${NNODES}" \
    --node_rank="${NODE_RANK}" \
    --master_addr="${MASTER_ADDR}" \
    --nproc_per_node="${GPUS}" \
    --master_port="${PORT}" \
    "${TOOLS_DIR}/train.py" \
    "${CONFIG}" \
    --launcher pytorch "${@:3}"
