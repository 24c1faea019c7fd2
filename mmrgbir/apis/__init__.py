# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .analysis import build_model_from_cfg, count_params, parameter_report
from .benchmark import format_markdown, run_benchmark
from .launch import apply_common_args, setup_cpu_distributed
from .robustness import DEFAULT_CONDITIONS, evaluate_robustness, format_table

__all__ = ['DEFAULT_CONDITIONS', 'apply_common_args', 'build_model_from_cfg', 'count_params',
           'evaluate_robustness', 'format_markdown', 'format_table', 'parameter_report',
           'run_benchmark', 'setup_cpu_distributed']
