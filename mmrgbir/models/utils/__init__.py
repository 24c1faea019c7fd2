# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .freeze import FrozenBackboneMixin, apply_trainable, frozen_batchnorms
from .param_report import count_parameters, parameter_groups, parameter_table
from .pretrained import LoadReport, load_pretrained, read_state_dict

__all__ = ['FrozenBackboneMixin', 'apply_trainable', 'frozen_batchnorms',
           'count_parameters', 'parameter_groups', 'parameter_table', 'LoadReport',
           'load_pretrained', 'read_state_dict']
