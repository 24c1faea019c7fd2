# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .launch import apply_common_args, setup_cpu_distributed

__all__ = ['apply_common_args', 'setup_cpu_distributed']
