# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .adapter_checkpoint_hook import AdapterCheckpointHook
from .param_report_hook import ParameterReportHook

__all__ = ['AdapterCheckpointHook', 'ParameterReportHook']
