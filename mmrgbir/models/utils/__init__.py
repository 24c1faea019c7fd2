# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .adapter_checkpoint import (AdapterLoadReport, BaseWeightsMismatchError,
                                 load_adapter_checkpoint, save_adapter_checkpoint,
                                 sha256_file)
from .frozen_weights import (RandomFrozenWeightsError, check_checkpoint_covers_frozen,
                             require_frozen_weights)
from .freeze import FrozenBackboneMixin, apply_trainable, frozen_batchnorms
from .param_report import count_parameters, parameter_groups, parameter_table
from .pretrained import LoadReport, load_pretrained, read_state_dict

__all__ = ['AdapterLoadReport', 'BaseWeightsMismatchError', 'FrozenBackboneMixin',
           'LoadReport', 'RandomFrozenWeightsError', 'apply_trainable',
           'check_checkpoint_covers_frozen', 'count_parameters', 'frozen_batchnorms',
           'load_adapter_checkpoint', 'load_pretrained', 'parameter_groups',
           'parameter_table', 'read_state_dict', 'require_frozen_weights',
           'save_adapter_checkpoint', 'sha256_file']
