# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Save adapter-only checkpoints (trainable parameters + base-weights hash) in training."""
import logging
import os.path as osp
from typing import Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmrgbir.models.utils.adapter_checkpoint import (describe_base_weights,
                                                     save_adapter_checkpoint)
from mmrgbir.registry import HOOKS


def _backbone_pretrained(model) -> Optional[str]:
    """The ``pretrained`` path of the model's backbone, if it names a local file."""
    path = getattr(getattr(model, 'backbone', None), 'pretrained', None)
    return path if isinstance(path, str) and osp.isfile(path) else None


@HOOKS.register_module()
class AdapterCheckpointHook(Hook):
    """Write ``adapter_iter_N.pth`` / ``adapter_epoch_N.pth`` holding only what trains.

    Each file is ``{'meta': ..., 'state_dict': ...}`` as written by
    :func:`~mmrgbir.models.utils.adapter_checkpoint.save_adapter_checkpoint`: the
    trainable parameters (adapter, decode head ...) and the buffers of trainable
    modules, with the file name and SHA-256 of the frozen base weights. Load it with
    :func:`~mmrgbir.models.utils.adapter_checkpoint.load_adapter_checkpoint` onto a
    model that holds the base weights. Use it next to (or instead of) mmengine's
    ``CheckpointHook``, which saves the whole model and the optimizer for resuming.

    Args:
        interval: save every ``interval`` iterations (``by_epoch=False``) or epochs;
            -1: only at the end (with ``save_last``).
        by_epoch: count epochs instead of iterations.
        base_weights: path of the frozen base checkpoint (e.g. the ViT the backbone
            was initialised from); None: the backbone's ``pretrained`` path when it is
            an existing file, else nothing is recorded (a warning says so).
        save_last: also save at the end of training (unless the last interval did).
        out_dir: folder of the files (default: the runner's work_dir).
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: int = -1, by_epoch: bool = False,
                 base_weights: Optional[str] = None, save_last: bool = True,
                 out_dir: Optional[str] = None) -> None:
        if not isinstance(interval, int) or (interval <= 0 and interval != -1):
            raise ValueError(f'AdapterCheckpointHook: interval must be a positive int or -1, '
                             f'got {interval!r}')
        self.interval = interval
        self.by_epoch = by_epoch
        self.base_weights = base_weights
        self.save_last = save_last
        self.out_dir = out_dir
        self._base_info = None
        self._last_saved = None

    def before_train(self, runner) -> None:
        self.out_dir = self.out_dir or runner.work_dir
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        base = self.base_weights or _backbone_pretrained(model)
        if base is None:
            runner.logger.warning('AdapterCheckpointHook: no base_weights given; adapter '
                                  'checkpoints will not record which base weights they '
                                  'belong to')
        else:
            self._base_info = describe_base_weights(base)  # hash once, not per save
            print_log(f'AdapterCheckpointHook: base weights {base} (sha256 '
                      f'{self._base_info["sha256"]})', logger='current', level=logging.INFO)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.by_epoch and self.interval > 0 and \
                self.every_n_train_iters(runner, self.interval):
            self._save(runner, f'adapter_iter_{runner.iter + 1}.pth', runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and self.interval > 0 and self.every_n_epochs(runner, self.interval):
            self._save(runner, f'adapter_epoch_{runner.epoch + 1}.pth', runner.iter)

    def after_train(self, runner) -> None:
        if not self.save_last:
            return
        # after the loop, runner.iter / runner.epoch count the finished ones
        name = (f'adapter_epoch_{runner.epoch}.pth' if self.by_epoch
                else f'adapter_iter_{runner.iter}.pth')
        if name != self._last_saved:
            self._save(runner, name, runner.iter)

    @master_only
    def _save(self, runner, filename: str, iteration: int) -> None:
        path = osp.join(self.out_dir, filename)
        meta = save_adapter_checkpoint(runner.model, path, base_info=self._base_info,
                                       extra_meta=dict(iter=int(iteration)))
        self._last_saved = filename
        with open(osp.join(self.out_dir, 'last_adapter_checkpoint'), 'w') as f:
            f.write(path)
        runner.logger.info(f'AdapterCheckpointHook: saved {meta["num_params"]:,} trainable '
                           f'parameters to {path}')

