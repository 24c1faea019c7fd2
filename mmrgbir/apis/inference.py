# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Inference on RGB + X pairs with a segmentation, SOD or detection model.

``init_model`` builds the model of a config (and loads a checkpoint); ``inference_model``
runs it on pairs of file paths or arrays through the config's test pipeline, with
the loading step replaced so that arrays work and annotation loading removed. The
preprocessing (resize, normalisation, padding) is the one used at test time.

Task detection: a model built by mmseg (an ``mmseg.models.BaseSegmentor``, e.g.
``EncoderDecoder``) is 'seg', or 'sod' when its classes are ('background', 'salient')
or its config evaluates with ``SODMetric``; any other model (an mmdet detector) is
'det'. Segmentation and SOD return ``SegDataSample`` (``pred_sem_seg``,
``seg_logits``), detection ``DetDataSample`` (``pred_instances``).
"""
import copy
import importlib
import inspect
import warnings
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmrgbir.apis.frozen_weights import frozen_weights_from_checkpoint, verify_frozen_weights
from mmrgbir.datasets.transforms.loading import LoadRGBXImageFromFile
from mmrgbir.registry import TRANSFORMS
from mmrgbir.visualization.rgbx_visualizer import default_palette, is_sod_meta

__all__ = ['init_model', 'inference_model', 'detect_task', 'task_from_config',
           'x_kind_of', 'LoadRGBXImageFromNDArray', 'build_test_pipeline']

PathOrArray = Union[str, Path, np.ndarray]
LOADER_TYPES = ('LoadRGBXImageFromFile', 'LoadRGBXImageFromNDArray')
ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadSODAnnotations', 'LoadPanopticAnnotations',
                      'LoadDepthAnnotation')
SEGMENTOR_TYPES = ('EncoderDecoder', 'CascadeEncoderDecoder', 'SegTTAModel')


def _short_type(t) -> str:
    """'mmdet.LoadAnnotations' -> 'LoadAnnotations'."""
    return t.split('.')[-1] if isinstance(t, str) else getattr(t, '__name__', str(t))


@TRANSFORMS.register_module()
class LoadRGBXImageFromNDArray(LoadRGBXImageFromFile):
    """``LoadRGBXImageFromFile`` for images given as arrays (or paths).

    Required keys: ``rgb`` and ``x``, each an array or a path. ``rgb`` arrays are
    (H, W, 3) in RGB order (as PIL / matplotlib give them) or (H, W) gray; ``x``
    arrays are (H, W), (H, W, 1) or (H, W, 3) (3 channels in RGB order), uint8,
    uint16 or float32. Paths are read as ``LoadRGBXImageFromFile`` reads them. The
    result is the one that ``LoadRGBXImageFromFile`` gives for the same images
    saved to files: the same ``[BGR | X]`` stacking, dtype rules, ``x_channels``
    handling and modality layout. ``img_path`` / ``x_path`` are set for paths only.
    """

    def _rgb(self, rgb) -> np.ndarray:
        if not isinstance(rgb, np.ndarray):
            path = str(rgb)
            return self.load_rgb(path)  # EXIF orientation ignored, as for X
        if rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[2] == 1):
            rgb = np.repeat(rgb.reshape(rgb.shape[:2] + (1,)), 3, axis=2)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f'RGB array must be (H, W, 3) in RGB order or (H, W) gray, '
                             f'got shape {rgb.shape}')
        if rgb.dtype not in (np.uint8, np.float32):
            raise TypeError(f'RGB array has dtype {rgb.dtype}; expected uint8 (or float32 '
                            f'on the 0-255 scale)')
        return np.ascontiguousarray(rgb[..., ::-1])  # RGB -> BGR, as files decode

    def transform(self, results: dict) -> dict:
        for key in ('rgb', 'x'):
            if key not in results:
                raise KeyError(f'LoadRGBXImageFromNDArray needs results["{key}"] (an array '
                               f'or a path), got keys {sorted(results)}')
        rgb, x = results.pop('rgb'), results.pop('x')
        if isinstance(rgb, np.ndarray):
            rgb_name = 'RGB array'
        else:
            rgb_name = results['img_path'] = str(rgb)
        if isinstance(x, np.ndarray):
            x_name = 'X array'
            x = self.prepare_x(x, x_name)
        else:
            x_name = results['x_path'] = str(x)
            x = self._load_x(x_name)
        return self.stack(self._rgb(rgb), x, results, rgb_name, x_name)


# ---------------------------------------------------------------- config helpers
def _test_dataset_cfg(cfg: Config) -> dict:
    """The config's test dataset, or the first set of a (Named)ConcatDataset; through
    wrappers such as RepeatDataset."""
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    while isinstance(dataset, dict) and 'pipeline' not in dataset:
        if dataset.get('dataset'):
            dataset = dataset['dataset']  # wrappers (RepeatDataset, ...)
        elif dataset.get('datasets'):
            dataset = dataset['datasets'][0]  # several test sets: the same pipeline
        else:
            break
    return dataset if isinstance(dataset, dict) else {}


def _test_pipeline_cfg(cfg: Config) -> list:
    """The pipeline that the config tests with."""
    dataset = _test_dataset_cfg(cfg)
    pipeline = dataset.get('pipeline') if isinstance(dataset, dict) else None
    if pipeline is None:
        pipeline = cfg.get('test_pipeline')
    if not pipeline:
        raise KeyError('the config has no test pipeline (test_dataloader.dataset.pipeline '
                       'or test_pipeline)')
    return copy.deepcopy(list(pipeline))


def build_test_pipeline(cfg: Config, from_arrays: bool = True) -> Compose:
    """The config's test pipeline for inference.

    Annotation loaders are removed. With ``from_arrays`` the RGB-X loader becomes
    :class:`LoadRGBXImageFromNDArray` (same arguments), which reads ``results['rgb']``
    and ``results['x']``; otherwise the pipeline reads ``img_path`` / ``x_path``.
    """
    steps = [t for t in _test_pipeline_cfg(cfg)
             if _short_type(t.get('type')) not in ANNOTATION_LOADERS]
    loaders = [i for i, t in enumerate(steps) if _short_type(t.get('type')) in LOADER_TYPES]
    if not loaders:
        raise ValueError(f'the test pipeline has no LoadRGBXImageFromFile step: '
                         f'{[t.get("type") for t in steps]}')
    if from_arrays:
        args = {k: v for k, v in steps[loaders[0]].items() if k != 'type'}
        steps[loaders[0]] = LoadRGBXImageFromNDArray(**args)
    return Compose(steps)


def task_from_config(cfg: Config) -> str:
    """'seg', 'sod' or 'det' from a config, without building anything."""
    model_type = _short_type(cfg.model.get('type'))
    if model_type not in SEGMENTOR_TYPES and 'decode_head' not in cfg.model:
        return 'det'
    evaluators = cfg.get('test_evaluator') or cfg.get('val_evaluator') or []
    evaluators = [evaluators] if isinstance(evaluators, dict) else list(evaluators)
    for e in list(evaluators):  # metrics inside an Evaluator / PerDatasetEvaluator
        inner = e.get('metrics') if isinstance(e, dict) else None
        if inner:
            evaluators += [inner] if isinstance(inner, dict) else list(inner)
    if any('SOD' in _short_type(e.get('type', '')) for e in evaluators):
        return 'sod'
    dataset = _test_dataset_cfg(cfg)
    if 'SOD' in _short_type(dataset.get('type', '')) or is_sod_meta(dataset.get('metainfo')):
        return 'sod'
    return 'seg'


def x_kind_of(cfg: Config) -> str:
    """The X kind ('thermal', 'depth', 'x') of the config's test dataset.

    The dataset config's ``x_kind``, else the default of the dataset class, else 'x'.
    Inference has no dataset, so it passes this to the loader like a dataset would.
    """
    dataset = _test_dataset_cfg(cfg)
    if dataset.get('x_kind'):
        return dataset['x_kind']
    from mmengine.registry import DATASETS
    name = _short_type(dataset.get('type', ''))
    scope = 'mmdet' if task_from_config(cfg) == 'det' else 'mmseg'
    for key in (name, f'{scope}.{name}'):  # classes registered in the host's registry
        try:
            cls = DATASETS.get(key)
            if cls is not None and not inspect.isclass(cls):  # a lazy builder
                cls = getattr(importlib.import_module(cls.__module__), name, None)
            if inspect.isclass(cls):
                return inspect.signature(cls.__init__).parameters['x_kind'].default
        except Exception:  # noqa: BLE001 - unknown type or no x_kind argument
            continue
    return 'x'


def detect_task(model: nn.Module) -> str:
    """'seg', 'sod' or 'det' for a model built by :func:`init_model`."""
    from mmseg.models import BaseSegmentor
    if not isinstance(model, BaseSegmentor):
        return 'det'
    if is_sod_meta(getattr(model, 'dataset_meta', None)):
        return 'sod'
    cfg = getattr(model, 'cfg', None)
    return task_from_config(cfg) if cfg is not None else 'seg'


def _dataset_meta(cfg: Config, model: nn.Module) -> dict:
    """Classes and palette from the config's test dataset, else numbered classes."""
    from mmengine.registry import DATASETS
    meta = {}
    dataset_cfg = copy.deepcopy(_test_dataset_cfg(cfg))  # first set of several
    if dataset_cfg:
        try:
            dataset_cfg['lazy_init'] = True  # metainfo only, no file listing
            meta = dict(DATASETS.build(dataset_cfg).metainfo)
        except Exception:  # noqa: BLE001 - data not present here: use the config
            meta = dict(dataset_cfg.get('metainfo') or {})
    if not meta.get('classes'):
        head = getattr(model, 'decode_head', None) or getattr(model, 'bbox_head', None) \
            or getattr(getattr(model, 'roi_head', None), 'bbox_head', None)
        num = getattr(head, 'num_classes', None) or getattr(head, 'out_channels', 1)
        meta['classes'] = tuple(str(i) for i in range(int(num)))
    if not meta.get('palette'):
        meta['palette'] = default_palette(len(meta['classes']))
    return meta


# ---------------------------------------------------------------- public API
def init_model(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the model of an RGB-X config (segmentation, SOD or detection).

    Args:
        config: config file path or ``Config``.
        checkpoint: checkpoint to load; ``None`` keeps the random initialisation
            (a method backbone then needs its ``pretrained`` file or
            ``allow_random_frozen=True``). A method backbone without ``pretrained``
            takes its frozen weights from the checkpoint, which must hold them.
        device: 'cpu', 'cuda:0', ...
        cfg_options: overrides merged into the config.

    Returns:
        The model in eval mode on ``device``, with ``model.cfg`` (the config) and
        ``model.dataset_meta`` (classes and palette: from the checkpoint if it has
        them, else from the config's test dataset).
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file name or a Config, got {type(config)}')
    config = copy.deepcopy(config)
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    backbone = config.model.get('backbone')
    if isinstance(backbone, dict) and 'init_cfg' in backbone:
        backbone.init_cfg = None  # weights come from the checkpoint
    is_seg = task_from_config(config) != 'det'
    if is_seg:
        config.model.train_cfg = None
    init_default_scope(config.get('default_scope', 'mmseg' if is_seg else 'mmdet'))
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import MODELS
    # the checkpoint supplies the frozen backbone weights (checked before loading)
    frozen_weights_from_checkpoint(config.model, checkpoint)
    model = revert_sync_batchnorm(MODELS.build(config.model))
    meta = None
    if checkpoint is not None:
        verify_frozen_weights(model, checkpoint)
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        meta = (ckpt.get('meta') or {}).get('dataset_meta')
        if meta is None:
            warnings.warn(f'{checkpoint} has no dataset_meta; classes and palette are '
                          f'taken from the config')
    meta = dict(meta) if meta else _dataset_meta(config, model)
    if not meta.get('palette'):
        meta['palette'] = default_palette(len(meta['classes']))
    model.dataset_meta = meta
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def _as_pairs(rgb, x):
    is_batch = isinstance(rgb, (list, tuple))
    if is_batch != isinstance(x, (list, tuple)):
        raise TypeError('give rgb and x both as single images or both as lists')
    rgbs, xs = (list(rgb), list(x)) if is_batch else ([rgb], [x])
    if len(rgbs) != len(xs):
        raise ValueError(f'{len(rgbs)} RGB images but {len(xs)} X images')
    for item in rgbs + xs:
        if not isinstance(item, (str, Path, np.ndarray)):
            raise TypeError(f'expected a path or a numpy array, got {type(item)}')
    return rgbs, xs, is_batch


def inference_model(model: nn.Module,
                    rgb: Union[PathOrArray, Sequence[PathOrArray]],
                    x: Union[PathOrArray, Sequence[PathOrArray]]):
    """Run a model on one RGB-X pair or on lists of pairs.

    Args:
        model: a model from :func:`init_model` (it needs ``model.cfg``).
        rgb: RGB image path, or array (H, W, 3) uint8 in RGB order; or a list.
        x: X image path, or array (H, W[, 1 or 3]) uint8 / uint16 / float32 in the
            units the model was trained on (raw 16-bit depth or thermal counts stay
            16-bit); or a list of the same length as ``rgb``.

    Returns:
        A ``SegDataSample`` (segmentation / SOD) or ``DetDataSample`` (detection), at
        the resolution of the input pair; a list of them for list inputs. Pairs are
        run one at a time (pairs of different sizes are fine).
    """
    rgbs, xs, is_batch = _as_pairs(rgb, x)
    cfg = model.cfg
    x_kind = x_kind_of(cfg)
    pipelines = {}
    results = []
    for r, xi in zip(rgbs, xs):
        from_files = not isinstance(r, np.ndarray) and not isinstance(xi, np.ndarray)
        if from_files not in pipelines:
            pipelines[from_files] = build_test_pipeline(cfg, from_arrays=not from_files)
        data = dict(img_path=str(r), x_path=str(xi)) if from_files else dict(rgb=r, x=xi)
        data['x_kind'] = x_kind
        data = pipelines[from_files](data)
        batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        with torch.no_grad():
            results.extend(model.test_step(batch))
    return results if is_batch else results[0]

