# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Evaluate one checkpoint under missing, degraded and misregistered modalities.

For each condition the config's test pipeline gets the condition's transforms
(``mmrgbir.datasets.transforms.robustness``) inserted just before packing, and the
stock mmengine ``Runner.test`` evaluates the checkpoint. The conditions come from
the config's ``robustness_conditions`` (see ``configs/robustness/``) or from
:data:`DEFAULT_CONDITIONS`.
"""
import copy
import itertools
import os.path as osp
import time
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

# registers the corruption transforms even where the package __init__ does not
import mmrgbir.datasets.transforms.robustness  # noqa: F401
from mmrgbir.apis.frozen_weights import frozen_weights_from_checkpoint

_RUN_IDS = itertools.count()

# name -> transforms inserted before packing. Severities are in the raw data units of
# the demo data (8-bit) and in pixels of the test images.
DEFAULT_CONDITIONS: Dict[str, List[dict]] = OrderedDict([
    ('clean', []),
    ('rgb_missing', [dict(type='ModalityCorruption', modality='rgb', mode='missing')]),
    ('x_missing', [dict(type='ModalityCorruption', modality='x', mode='missing')]),
    ('rgb_noise', [dict(type='ModalityCorruption', modality='rgb', mode='noise',
                        severity=25.0)]),
    ('x_noise', [dict(type='ModalityCorruption', modality='x', mode='noise', severity=25.0)]),
    ('rgb_blur', [dict(type='ModalityCorruption', modality='rgb', mode='blur', severity=2.0)]),
    ('x_blur', [dict(type='ModalityCorruption', modality='x', mode='blur', severity=2.0)]),
    ('x_misaligned', [dict(type='RandomXMisalignment', max_shift=(8, 8), max_rotate=0,
                           max_scale=0, prob=1.0, seed=0)]),
])


def conditions_from_cfg(cfg: Config) -> Dict[str, List[dict]]:
    """The config's ``robustness_conditions`` (list of dict(name, transforms)) or the
    defaults."""
    conds = cfg.get('robustness_conditions', None)
    if conds is None:
        return OrderedDict((k, copy.deepcopy(v)) for k, v in DEFAULT_CONDITIONS.items())
    out = OrderedDict()
    for i, cond in enumerate(conds):
        if 'name' not in cond or 'transforms' not in cond:
            raise KeyError(f'robustness_conditions[{i}] needs "name" and "transforms" '
                           f'(a list of transform configs, [] for clean), got {dict(cond)}')
        if cond['name'] in out:
            raise ValueError(f'robustness_conditions: duplicate name {cond["name"]!r}')
        out[cond['name']] = [dict(t) for t in cond['transforms']]
    return out


def select_conditions(available: Dict[str, List[dict]],
                      names: Optional[Sequence[str]]) -> Dict[str, List[dict]]:
    """Pick ``names`` from the config's conditions, falling back on the defaults."""
    if not names:
        return available
    out = OrderedDict()
    for name in names:
        if name in available:
            out[name] = available[name]
        elif name in DEFAULT_CONDITIONS:
            out[name] = copy.deepcopy(DEFAULT_CONDITIONS[name])
        else:
            known = sorted(set(available) | set(DEFAULT_CONDITIONS))
            raise KeyError(f'unknown robustness condition {name!r}; known: {known}')
    return out


def _is_pack(t) -> bool:
    name = t.get('type', '') if isinstance(t, dict) else type(t).__name__
    return str(name).startswith('Pack') or name == 'TestTimeAug'


def insert_before_packing(pipeline: Sequence[dict], transforms: Sequence[dict]) -> list:
    """A copy of ``pipeline`` with ``transforms`` inserted before the packing step.

    The packing step is the first ``Pack*`` transform (or ``TestTimeAug``, whose
    branches pack), so the corruption sees the image after loading and resizing.
    """
    pipeline = [copy.deepcopy(t) for t in pipeline]
    for i, t in enumerate(pipeline):
        if _is_pack(t):
            return pipeline[:i] + [copy.deepcopy(t) for t in transforms] + pipeline[i:]
    raise ValueError(f'the test pipeline has no packing step (Pack*Inputs or TestTimeAug) '
                     f'to insert the corruption before: {[t.get("type") for t in pipeline]}')


def condition_cfg(cfg: Config, checkpoint: str, name: str, transforms: Sequence[dict],
                  work_dir: str, run_id: str = '') -> Config:
    """The test config of one condition: corrupted test pipeline, own work dir.

    ``run_id`` makes the experiment name (which names mmengine's logger and
    visualizer instances) unique when a process evaluates several times.
    """
    cfg = copy.deepcopy(cfg)
    dataset = cfg.test_dataloader.dataset
    # dataset wrappers (e.g. ConcatDataset) are not handled: be explicit
    if 'pipeline' not in dataset:
        raise KeyError('robustness evaluation needs test_dataloader.dataset.pipeline')
    dataset.pipeline = insert_before_packing(dataset.pipeline, transforms)
    cfg.load_from = checkpoint
    # a method backbone without `pretrained` takes its frozen weights from it
    frozen_weights_from_checkpoint(cfg.model, checkpoint)
    cfg.work_dir = osp.join(work_dir, name)
    cfg.experiment_name = f'robustness_{name}{run_id}'
    # evaluation only: never resume or build training parts
    cfg.resume = False
    return cfg


def evaluate_robustness(cfg: Config, checkpoint: str,
                        conditions: Optional[Sequence[str]] = None,
                        work_dir: Optional[str] = None) -> Dict[str, Dict[str, float]]:
    """Run ``Runner.test`` once per condition; returns ``{condition: metrics}``.

    Progress: a line per condition (done / total, elapsed, ETA); inside a condition the
    Runner's ``LoggerHook`` logs the test batches (``Epoch(test) [i/N]``, every
    ``default_hooks.logger.interval`` batches). Conditions run one after the other in
    this process, not on ``nproc`` workers: each is a full model evaluation, already
    parallel where it pays (the dataloader's ``num_workers``, torch's threads or the
    GPU); forking one model copy per condition would multiply the memory and make the
    processes compete for the same cores / device.
    """
    from mmrgbir.utils.progress import format_eta
    conds = select_conditions(conditions_from_cfg(cfg), conditions)
    if work_dir is None:
        work_dir = cfg.get('work_dir', None) or 'work_dirs/robustness'
    run_id = f'_{time.strftime("%Y%m%d_%H%M%S")}_{next(_RUN_IDS)}'
    results = OrderedDict()
    start = time.time()
    for done, (name, transforms) in enumerate(conds.items()):
        print_log(f'robustness: condition {name!r} '
                  f'({format_eta(done, len(conds), time.time() - start)})', logger='current')
        runner = Runner.from_cfg(
            condition_cfg(cfg, checkpoint, name, transforms, work_dir, run_id))
        metrics = runner.test()
        results[name] = {k: float(v) for k, v in metrics.items()}
    print_log(f'robustness: {format_eta(len(conds), len(conds), time.time() - start)}',
              logger='current')
    return results


# the metric the delta column reports, first one present (else the first metric)
KEY_METRICS = ('mIoU', 'coco/bbox_mAP', 'pascal_voc/mAP', 'Sm', 'mAP')


def key_metric(results: Dict[str, Dict[str, float]]) -> str:
    names = [k for m in results.values() for k in m]
    for key in KEY_METRICS:
        if key in names:
            return key
    return names[0]


def format_table(results: Dict[str, Dict[str, float]], metric: Optional[str] = None,
                 reference: str = 'clean') -> str:
    """A markdown table: one row per condition, one column per metric (``metric``
    first, default :func:`key_metric`) and the change of ``metric`` relative to the
    ``reference`` condition."""
    if not results:
        return '(no result)'
    metric = metric or key_metric(results)
    metrics = [metric]
    for m in results.values():
        metrics += [k for k in m if k not in metrics]
    ref = results.get(reference, {}).get(metric)
    header = ['condition'] + metrics + ([f'delta {metric}'] if ref is not None else [])
    rows = []
    for name, m in results.items():
        row = [name] + [f'{m[k]:.2f}' if k in m else '-' for k in metrics]
        if ref is not None:
            row.append(f'{m[metric] - ref:+.2f}' if metric in m else '-')
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return '| ' + ' | '.join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))) + ' |'

    sep = '|' + '|'.join(('-' * (w + 1) + ':') if i else '-' * (w + 2)
                         for i, w in enumerate(widths)) + '|'
    return '\n'.join([line(header), sep] + [line(r) for r in rows])
