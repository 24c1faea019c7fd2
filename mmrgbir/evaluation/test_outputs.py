# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Config helpers for what ``tools/test.py`` writes per image (maps, pictures).

- :func:`image_roots_from_config`: the test dataset's image folder(s), so that outputs keep
  the image's path relative to it (no collisions between equal base names);
- :func:`enable_saliency_maps`: ``--save-maps DIR``: every ``SODMetric`` of the test
  evaluator (also inside ``PerDatasetEvaluator``) saves its maps under ``DIR``.
"""
import copy
import os.path as osp
from typing import List

from mmengine.config import Config, ConfigDict

from mmrgbir.visualization.output_paths import ImageRoots, image_root_of

__all__ = ['enable_saliency_maps', 'image_roots_from_config']

#: Dataset types that record their image roots in their metainfo themselves.
SELF_NAMING = ('NamedConcatDataset', )


def _short_type(t) -> str:
    return t.split('.')[-1] if isinstance(t, str) else getattr(t, '__name__', str(t))


def _root_from_config(ds_cfg: dict):
    """``data_root`` joined with the image prefix of a dataset config (no build)."""
    prefix = ds_cfg.get('data_prefix') or {}
    img = prefix.get('img_path') or prefix.get('img') or ''
    root = ds_cfg.get('data_root') or ''
    path = osp.join(root, img) if root and not osp.isabs(img) else img
    return path or None


def _root_of_config(ds_cfg: dict, scope: str):
    """The image folder of a dataset config: built lazily (no file listing), which
    resolves defaults such as a benchmark's split folders; else from the config."""
    from mmengine.registry import DATASETS, DefaultScope
    cfg = copy.deepcopy(dict(ds_cfg))
    cfg['lazy_init'] = True
    try:
        with DefaultScope.overwrite_default_scope(scope):
            return image_root_of(DATASETS.build(cfg))
    except Exception:  # noqa: BLE001 - e.g. data not mounted here: read the config
        return _root_from_config(ds_cfg)


def image_roots_from_config(cfg: Config) -> ImageRoots:
    """Image folder(s) of ``cfg.test_dataloader.dataset``.

    Returns one folder, ``{name: folder}`` for an mmengine ``ConcatDataset`` (names
    from the dataset types), or None for a :class:`NamedConcatDataset` (its metainfo
    carries them) and when nothing is known.
    """
    ds_cfg = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    kind = _short_type(ds_cfg.get('type', ''))
    if kind in SELF_NAMING:
        return None
    scope = cfg.get('default_scope') or 'mmseg'
    if kind == 'ConcatDataset' and ds_cfg.get('datasets'):
        roots, seen = {}, {}
        for sub in ds_cfg['datasets']:
            base = _short_type(sub.get('type', 'set'))
            base = base[:-len('Dataset')] if base.endswith('Dataset') and len(base) > 7 \
                else base
            seen[base] = seen.get(base, 0) + 1
            roots[base if seen[base] == 1 else f'{base}_{seen[base]}'] = \
                _root_of_config(sub, scope)
        return roots
    while 'dataset' in ds_cfg and 'pipeline' not in ds_cfg:  # RepeatDataset & co.
        ds_cfg = ds_cfg['dataset']
    return _root_of_config(ds_cfg, scope) if ds_cfg else None


def _sod_metrics(evaluator) -> List[dict]:
    """The SODMetric configs inside a test_evaluator config (in place references)."""
    if isinstance(evaluator, (list, tuple)):
        return [m for e in evaluator for m in _sod_metrics(e)]
    if not isinstance(evaluator, dict):
        return []
    if 'metrics' in evaluator:  # Evaluator / PerDatasetEvaluator configs
        return _sod_metrics(evaluator['metrics'])
    return [evaluator] if _short_type(evaluator.get('type', '')) == 'SODMetric' else []


def enable_saliency_maps(cfg: Config, out_dir: str) -> str:
    """Let every ``SODMetric`` of ``cfg.test_evaluator`` save its maps in ``out_dir``.

    A relative ``out_dir`` is taken relative to ``cfg.work_dir``. The maps keep the
    image path relative to the test set's image folder (see ``SODMetric``). Returns
    the absolute folder.
    """
    out_dir = out_dir if osp.isabs(out_dir) else osp.join(cfg.work_dir, out_dir)
    out_dir = osp.abspath(out_dir)
    evaluator = cfg.get('test_evaluator')
    metrics = _sod_metrics(evaluator)
    if not metrics:
        types = [_short_type(e.get('type')) for e in (
            evaluator if isinstance(evaluator, (list, tuple)) else [evaluator or {}])]
        raise ValueError(f'--save-maps saves SODMetric saliency maps, but the test '
                         f'evaluator has no SODMetric (types: {types}); use it with an '
                         'SOD config, or --show-dir for pictures')
    roots = image_roots_from_config(cfg)
    for metric in metrics:
        metric['output_dir'] = out_dir
        if roots is not None and metric.get('img_root') is None:
            metric['img_root'] = ConfigDict(roots) if isinstance(roots, dict) else roots
    return out_dir
