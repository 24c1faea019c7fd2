# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .analysis import build_model_from_cfg, count_params, parameter_report
from .benchmark import format_markdown, run_benchmark
from .export import export_segmentor_onnx
from .frozen_weights import frozen_weights_from_checkpoint, verify_frozen_weights
from .inference import (LoadRGBXImageFromNDArray, detect_task, inference_model, init_model,
                        task_from_config)
from .launch import apply_common_args, setup_cpu_distributed, teardown_distributed
from .robustness import DEFAULT_CONDITIONS, evaluate_robustness, format_table

__all__ = ['DEFAULT_CONDITIONS', 'LoadRGBXImageFromNDArray', 'apply_common_args',
           'build_model_from_cfg', 'count_params', 'detect_task', 'evaluate_robustness',
           'export_segmentor_onnx', 'format_markdown', 'format_table',
           'frozen_weights_from_checkpoint', 'inference_model', 'init_model',
           'parameter_report', 'run_benchmark', 'setup_cpu_distributed', 'task_from_config',
           'teardown_distributed', 'verify_frozen_weights']
