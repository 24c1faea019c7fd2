# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Config handling shared by ``tools/train.py`` and ``tools/test.py``."""
import gc
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config


def apply_common_args(cfg: Config, args) -> Config:
    """Launcher, ``--cfg-options`` and ``--work-dir`` as mmseg / mmdet tools do."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    # dataset wrappers (MultiImageMixDataset) build their pipeline before the wrapped
    # dataset, so no dataset can check it: check the configs here
    from mmrgbir.datasets.pipeline_check import check_rgbx_dataset
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            check_rgbx_dataset(cfg[loader].dataset, f'{loader}.dataset')
    return cfg


def setup_cpu_distributed(cfg: Config) -> Config:
    """Make ``--launcher pytorch`` work on machines without a GPU.

    mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device`` and wraps the
    model in DDP with ``device_ids=[LOCAL_RANK]``; both fail without CUDA. With
    torchrun on CPU we initialise the gloo process group ourselves (the Runner then
    skips its own initialisation) and let DDP run on CPU (``device_ids=None``).
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return cfg
    if not dist.is_initialized():
        missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
                   if k not in os.environ]
        if missing:
            raise RuntimeError(f'--launcher pytorch needs {missing} in the environment; '
                               f'start with torchrun (tools/dist_train.sh)')
        dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    return cfg


def teardown_distributed() -> None:
    """Destroy the process group before the interpreter exits.

    Leaving a gloo group to interpreter shutdown can abort a rank ("terminate called
    without an active exception") and fail the whole torchrun job after the work is done.
    """
    if dist.is_available() and dist.is_initialized():
        # tensors still referenced by gloo's pending work are freed now, not during
        # interpreter finalisation (where freeing them can abort the process)
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
