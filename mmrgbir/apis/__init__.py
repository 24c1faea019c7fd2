# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .analysis import build_model_from_cfg, count_params, parameter_report
from .benchmark import format_markdown, run_benchmark
from .launch import apply_common_args, setup_cpu_distributed

__all__ = ['apply_common_args', 'build_model_from_cfg', 'count_params', 'format_markdown',
           'parameter_report', 'run_benchmark', 'setup_cpu_distributed']
