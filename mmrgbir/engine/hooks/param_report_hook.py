# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Log which parameters train and which are frozen when training starts."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrgbir.models.utils.param_report import parameter_table
from mmrgbir.registry import HOOKS


@HOOKS.register_module()
class ParameterReportHook(Hook):
    """Print a table of trainable vs frozen parameters per module before training.

    Args:
        depth: how many levels of parameter names form a table row.
    """

    priority = 'VERY_LOW'

    def __init__(self, depth: int = 2) -> None:
        self.depth = depth

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        runner.logger.info('Trainable / frozen parameters:\n'
                           + parameter_table(model, self.depth))
