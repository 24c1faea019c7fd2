# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""One test run over several test sets, one table of results (CSV + log).

The OpenMMLab way to test on several datasets at once (mmdet's and mmocr's
``ConcatDataset`` + ``MultiDatasetsEvaluator``; mmengine 0.10 has a single test
dataloader): concatenate the sets in the test dataloader and let the evaluator cut
the collected results back into the sets. mmseg has neither part and segmentation /
SOD must not import mmdet, so both are provided here:

- :class:`NamedConcatDataset`: mmengine's ``ConcatDataset`` that also records in its
  ``metainfo`` the set names, where each set ends (``cumulative_sizes``) and each set's
  image folder (``img_roots``, used to name saved maps and pictures);
- :class:`PerDatasetEvaluator`: runs every metric once per sample, then computes the
  metric on each set's slice of the (rank-collected, dataset-ordered) results and
  returns ``{'<set>/<metric>': value}``; it logs one table (a row per set) and writes
  it as CSV.

Config (``configs/_base_/datasets/vt5000_vt1000_vt821.py``)::

    test_dataloader = dict(dataset=dict(
        type='NamedConcatDataset', names=['VT5000', 'VT1000', 'VT821'],
        datasets=[vt5000_test, vt1000, vt821]))
    test_evaluator = dict(type='PerDatasetEvaluator', metrics=[dict(type='SODMetric')])
"""
import csv
import os
import os.path as osp
from collections import OrderedDict
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import ConcatDataset
from mmengine.dist import broadcast_object_list, collect_results, is_main_process
from mmengine.evaluator import DumpResults, Evaluator
from mmengine.evaluator.metric import _to_cpu
from mmengine.logging import MMLogger
from mmengine.registry import DATASETS, EVALUATOR

from mmrgbir.visualization.output_paths import image_root_of

__all__ = ['NamedConcatDataset', 'PerDatasetEvaluator', 'format_table']


def _default_name(dataset) -> str:
    """'VT1000Dataset' -> 'VT1000'."""
    name = type(dataset).__name__
    return name[:-len('Dataset')] if name.endswith('Dataset') and len(name) > 7 else name


@DATASETS.register_module()
class NamedConcatDataset(ConcatDataset):
    """Several test sets in one dataloader, each with a name.

    Args:
        datasets: dataset configs or datasets (equal ``metainfo``: same classes).
        names: one name per set (used as metric prefix, CSV row and output folder);
            defaults to the class names without ``Dataset`` (``VT821Dataset`` ->
            ``VT821``), numbered when repeated.
        lazy_init, ignore_keys: as for mmengine's ``ConcatDataset``.

    ``metainfo`` is the first set's plus ``dataset_names``, ``img_roots``
    (``{name: image folder}``) and ``cumulative_sizes`` (end index of each set).
    """

    def __init__(self, datasets: Sequence, names: Optional[Sequence[str]] = None,
                 lazy_init: bool = False,
                 ignore_keys: Union[str, List[str], None] = None) -> None:
        super().__init__(datasets, lazy_init=lazy_init, ignore_keys=ignore_keys)
        if names is None:
            names, seen = [], {}
            for dataset in self.datasets:
                base = _default_name(dataset)
                seen[base] = seen.get(base, 0) + 1
                names.append(base if seen[base] == 1 else f'{base}_{seen[base]}')
        names = [str(n) for n in names]
        if len(names) != len(self.datasets):
            raise ValueError(f'NamedConcatDataset: {len(names)} names {names} for '
                             f'{len(self.datasets)} datasets; give one name per dataset')
        bad = [n for n in names if not n or '/' in n or '\\' in n or n in ('.', '..')]
        if bad or len(set(names)) != len(names):
            raise ValueError(f'NamedConcatDataset: names must be distinct, non-empty and '
                             f'without "/" (they become folder names), got {names}')
        self.names = names

    @property
    def metainfo(self) -> dict:
        meta = super().metainfo
        meta['dataset_names'] = list(self.names)
        meta['img_roots'] = {n: image_root_of(d) for n, d in zip(self.names, self.datasets)}
        self.full_init()  # the sizes need the data lists
        meta['cumulative_sizes'] = list(self.cumulative_sizes)
        return meta


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """Fixed-width text table; floats with 4 decimals."""
    def cell(v):
        return f'{float(v):.4f}' if isinstance(v, (float, np.floating)) else str(v)
    cells = [[cell(r.get(c, '')) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = '-+-'.join('-' * w for w in widths)
    out = [' | '.join(c.ljust(w) if i == 0 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(columns, widths))), line]
    for r in cells:
        out.append(' | '.join(v.ljust(w) if i == 0 else v.rjust(w)
                              for i, (v, w) in enumerate(zip(r, widths))))
    return '\n'.join(out)


@EVALUATOR.register_module()
class PerDatasetEvaluator(Evaluator):
    """Evaluates the metrics on each set of a :class:`NamedConcatDataset`.

    Unlike mmdet's ``MultiDatasetsEvaluator`` (every metric processes every sample
    once per set), each sample is processed once; at the end the results, collected
    from all ranks in dataset order, are cut at ``cumulative_sizes`` and each
    slice goes to the metric's ``compute_metrics``. Every metric must therefore
    append exactly one result per sample (SODMetric, mmseg's IoUMetric do).
    ``DumpResults`` (``tools/test.py --out``) dumps all sets into one file.

    Args:
        metrics: metric config(s) or instances, as for mmengine's ``Evaluator``.
        dataset_prefixes: names overriding ``dataset_meta['dataset_names']``.
        csv_file: where to write the table (a row per set: name, images, metrics).
            Default: ``per_dataset_metrics.csv`` next to the current log file
            (``<work_dir>/<timestamp>/``), rewritten at every evaluation;
            '' writes none.

    Returns from :meth:`evaluate`: ``{'<set>/<metric prefix/><key>': value}``.
    """

    def __init__(self, metrics, dataset_prefixes: Optional[Sequence[str]] = None,
                 csv_file: Optional[str] = None) -> None:
        super().__init__(metrics)
        self.dataset_prefixes = list(dataset_prefixes) if dataset_prefixes else None
        self.csv_file = csv_file
        self.last_csv_file: Optional[str] = None

    def _sets(self, size: int):
        meta = self.dataset_meta or {}
        ends = meta.get('cumulative_sizes')
        if ends is None:
            raise KeyError(
                'PerDatasetEvaluator needs the test sets\' sizes in dataset_meta '
                '("cumulative_sizes"): make the test dataset a NamedConcatDataset '
                '(dict(type="NamedConcatDataset", datasets=[...], names=[...]))')
        names = self.dataset_prefixes or meta.get('dataset_names') or [
            f'set{i}' for i in range(len(ends))]
        if len(names) != len(ends):
            raise ValueError(f'PerDatasetEvaluator: {len(names)} dataset_prefixes {names} '
                             f'for {len(ends)} datasets')
        if ends[-1] != size:
            raise ValueError(f'PerDatasetEvaluator: the datasets hold {ends[-1]} samples '
                             f'but {size} were evaluated')
        return list(zip(names, [0] + list(ends[:-1]), ends))

    def evaluate(self, size: int) -> dict:
        sets = self._sets(size)
        metrics: dict = OrderedDict()
        rows = [dict(dataset=name, images=end - start) for name, start, end in sets]
        for metric in self.metrics:
            results = collect_results(metric.results, size, metric.collect_device)
            if is_main_process():
                results = _to_cpu(results)
                if len(results) != size:
                    raise ValueError(
                        f'{type(metric).__name__} produced {len(results)} results for '
                        f'{size} samples; PerDatasetEvaluator needs one result per sample')
                if isinstance(metric, DumpResults):  # one file with every set
                    metric.compute_metrics(results)
                    metric.results.clear()
                    continue
                for row, (name, start, end) in zip(rows, sets):
                    values = metric.compute_metrics(results[start:end])
                    for key, value in values.items():
                        key = f'{metric.prefix}/{key}' if metric.prefix else key
                        full = f'{name}/{key}'
                        if full in metrics:
                            raise ValueError(f'two metrics give {full}: set a different '
                                             'prefix on one of them')
                        metrics[full] = value
                        row[key] = value
            metric.results.clear()
        if is_main_process():
            self._report(rows)
            out = [metrics]
        else:
            out = [None]
        broadcast_object_list(out)
        return out[0]

    def _report(self, rows: List[dict]) -> None:
        columns = ['dataset', 'images']
        for row in rows:
            columns += [k for k in row if k not in columns]
        logger = MMLogger.get_current_instance()
        logger.info('Results per test set:\n' + format_table(rows, columns))
        csv_file = self.csv_file
        if csv_file is None:
            log_file = getattr(logger, 'log_file', None)
            csv_file = osp.join(osp.dirname(log_file), 'per_dataset_metrics.csv') \
                if log_file else ''
        if not csv_file:
            return
        os.makedirs(osp.dirname(osp.abspath(csv_file)), exist_ok=True)
        with open(csv_file, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                # str(float) is the shortest text that reads back to the same value
                writer.writerow({k: (str(float(v)) if isinstance(v, (float, np.floating))
                                     else v)
                                 for k, v in row.items()})
        self.last_csv_file = csv_file
        logger.info(f'per-set table written to {csv_file}')
