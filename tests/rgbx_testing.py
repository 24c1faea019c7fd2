# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Shared test helpers. The real sample data is found through MMRGBIR_DATA
(default: ../shared/data next to the repository); tests that need it skip when absent."""
import contextlib
import os
import os.path as osp

import cv2
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA_ROOT = os.environ.get('MMRGBIR_DATA', osp.join(REPO, '..', 'shared', 'data'))
DATASET_CFGS = osp.join(REPO, 'configs', '_base_', 'datasets')


@contextlib.contextmanager
def one_torch_thread():
    """Tiny models: one intra-op thread is as fast and does not stall on a busy CPU."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def write_image(path, img):
    """cv2.imwrite into a new or existing folder; fails loudly."""
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    assert cv2.imwrite(str(path), img), path


def dataset_from_config(cfg_file, loader, root, **overrides):
    """Build ``<loader>.dataset`` of a config in configs/_base_/datasets on ``root``."""
    from mmengine.config import Config
    from mmengine.registry import DATASETS
    cfg = Config.fromfile(osp.join(DATASET_CFGS, cfg_file))
    ds_cfg = cfg[loader].dataset.copy()
    ds_cfg.update(data_root=str(root), **overrides)
    return DATASETS.build(ds_cfg)


def shared_data(*parts):
    """Path under the shared sample data, or skip the test with the reason."""
    path = osp.join(DATA_ROOT, *parts)
    if not osp.exists(path):
        pytest.skip(f'sample data not found: {path} (set MMRGBIR_DATA)')
    return path


def write_pair(root, name, rgb, x, label=None, rgb_dir='rgb', x_dir='thermal',
               label_dir='labels'):
    """Write an RGB (given in RGB order), X and optional label PNG under root."""
    for d in (rgb_dir, x_dir, label_dir):
        os.makedirs(osp.join(root, d), exist_ok=True)
    cv2.imwrite(osp.join(root, rgb_dir, name + '.png'), rgb[..., ::-1])
    cv2.imwrite(osp.join(root, x_dir, name + '.png'), x)
    if label is not None:
        cv2.imwrite(osp.join(root, label_dir, name + '.png'), label)


def pattern_pair(h=64, w=80, x_channels=1, x_dtype=np.uint8, seed=0):
    """An RGB / X / label triple with the same asymmetric pattern in all three.

    RGB and X are noise with a bright L-shaped marker; the label is 1 on the
    marker, 0 elsewhere, so alignment can be checked after any transform.
    """
    rng = np.random.default_rng(seed)
    label = np.zeros((h, w), np.uint8)
    label[10:40, 12:20] = 1
    label[32:40, 12:50] = 1
    rgb = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
    rgb[label == 1] = 250
    top = 60000 if x_dtype == np.uint16 else 250
    x = rng.integers(0, top // 5, (h, w), dtype=np.int64).astype(x_dtype)
    x[label == 1] = top
    if x_channels == 3:
        x = np.stack([x, x // 2, x // 3], axis=2).astype(x_dtype)
    return rgb, x, label


def load_tool(rel_path):
    """Import a script under tools/ (e.g. 'tools/infer.py') as a module."""
    import importlib.util
    name = 'tool_' + rel_path.replace('/', '_')[:-3]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, rel_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_tiny_config(path, base, data_root, max_iters=4, val_interval=100, extra=''):
    """A config inheriting ``base`` (the demo recipe) on ``data_root``, trained for
    ``max_iters`` iterations in the main process; returns ``path`` as a string."""
    import textwrap
    text = textwrap.dedent(f'''
        _base_ = [{base!r}]
        data_root = {data_root!r}
        train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                                dataset=dict(data_root=data_root))
        val_dataloader = dict(num_workers=0, persistent_workers=False,
                              dataset=dict(data_root=data_root))
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters={max_iters}, val_interval={val_interval})
        param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=0,
                                end={max_iters}, by_epoch=False)]
        ''') + textwrap.dedent(extra)
    with open(path, 'w') as f:
        f.write(text)
    return str(path)
