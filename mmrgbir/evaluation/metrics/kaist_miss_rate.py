# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Log-average miss rate of pedestrian detectors (Caltech / KAIST protocol).

The protocol of Dollar et al. (PAMI 2012, Caltech toolbox ``dbEval`` / ``bbGt``) as
used by the KAIST multispectral pedestrian benchmark (Hwang et al., CVPR 2015):

1. Per setting, ground-truth boxes outside the setting (height range, occlusion
   levels, too close to the image border, not a person, ``ignore_flag``) become
   *ignore regions*; detections whose height lies outside the setting's height range
   expanded by ``1.25`` are removed.
2. Per image, detections are matched greedily in descending score order: first to
   the unmatched regular box with the highest IoU >= 0.5, otherwise to an ignore
   region whose intersection over the *detection's* area is >= 0.5 (ignore regions
   can absorb any number of detections). Detections matched to ignore regions are
   discarded; the others are true or false positives.
3. Over all images of the setting, detections are sorted by score; false positives
   per image (FPPI) and recall are accumulated. At 9 FPPI values evenly spaced in
   log space over [1e-2, 1e0] the recall is read off (the last point with FPPI <=
   the reference, 0 before the first detection) and the log-average miss rate is
   ``exp(mean(log(max(1e-10, 1 - recall))))``, reported in percent.

Boxes are (x1, y1, x2, y2) in pixels of the original image, continuous coordinates
(width = x2 - x1, no "+1").
"""
import logging
import math
import re
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmrgbir.registry import METRICS

__all__ = ['KAISTMissRateMetric', 'box_overlaps', 'match_image', 'fppi_miss_rate_curve',
           'log_average_miss_rate', 'REFERENCE_FPPI', 'KAIST_SETTINGS']

#: The 9 FPPI reference points: 10^-2, 10^-1.75, ..., 10^0.
REFERENCE_FPPI = 10.0**np.linspace(-2.0, 0.0, 9)

#: KAIST evaluation settings. ``height_range``: gt boxes outside become ignore
#: regions (None: no limit); ``occlusions``: allowed occlusion levels of a gt box
#: (KAIST: 0 none, 1 partial, 2 heavy; None: all); ``period``: the images used
#: ('day', 'night' or None for all). The "All / Day / Night" columns of KAIST papers
#: are ``reasonable`` / ``day`` / ``night`` here; ``all`` has no height or
#: occlusion limit (every annotated person counts).
KAIST_SETTINGS = dict(
    reasonable=dict(height_range=(55, math.inf), occlusions=(0, 1), period=None),
    all=dict(height_range=None, occlusions=None, period=None),
    day=dict(height_range=(55, math.inf), occlusions=(0, 1), period='day'),
    night=dict(height_range=(55, math.inf), occlusions=(0, 1), period='night'),
)

#: KAIST video sets recorded at night (set03-05 train, set09-11 test); the others day.
KAIST_NIGHT_SETS = (3, 4, 5, 9, 10, 11)


# ----------------------------------------------------------------- functional


def box_overlaps(dets: np.ndarray, gts: np.ndarray, gt_ignore: np.ndarray) -> np.ndarray:
    """Overlap of every detection with every gt box, shape (D, G).

    IoU for regular boxes; for ignore regions the intersection over the detection's
    area (a detection inside a crowd region overlaps it fully).
    """
    dets = np.asarray(dets, dtype=np.float64).reshape(-1, 4)
    gts = np.asarray(gts, dtype=np.float64).reshape(-1, 4)
    iw = (np.minimum(dets[:, None, 2], gts[None, :, 2]) -
          np.maximum(dets[:, None, 0], gts[None, :, 0])).clip(min=0)
    ih = (np.minimum(dets[:, None, 3], gts[None, :, 3]) -
          np.maximum(dets[:, None, 1], gts[None, :, 1])).clip(min=0)
    inter = iw * ih
    det_area = ((dets[:, 2] - dets[:, 0]) * (dets[:, 3] - dets[:, 1]))[:, None]
    gt_area = ((gts[:, 2] - gts[:, 0]) * (gts[:, 3] - gts[:, 1]))[None, :]
    union = np.where(np.asarray(gt_ignore, dtype=bool)[None, :], det_area,
                     det_area + gt_area - inter)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, inter / union, 0.0)


def match_image(det_bboxes: np.ndarray, det_scores: np.ndarray, gt_bboxes: np.ndarray,
                gt_ignore: np.ndarray, iou_thr: float = 0.5) -> np.ndarray:
    """Greedy Caltech matching of one image's detections.

    Returns:
        np.ndarray: (D,) int per detection, in the input order: 1 true positive,
        0 false positive, -1 matched to an ignore region (discarded).
    """
    num_dets = len(det_scores)
    state = np.zeros(num_dets, dtype=np.int64)
    gt_ignore = np.asarray(gt_ignore, dtype=bool)
    if num_dets == 0 or len(gt_ignore) == 0:
        return state
    overlaps = box_overlaps(det_bboxes, gt_bboxes, gt_ignore)
    gt_order = np.argsort(gt_ignore, kind='stable')  # regular boxes first
    matched = np.zeros(len(gt_ignore), dtype=bool)
    for d in np.argsort(-np.asarray(det_scores), kind='stable'):
        best, best_gt = iou_thr, -1
        for g in gt_order:
            if matched[g]:
                continue
            # a match with a regular box beats any ignore region (listed last)
            if best_gt >= 0 and not gt_ignore[best_gt] and gt_ignore[g]:
                break
            if overlaps[d, g] < best:
                continue
            best, best_gt = overlaps[d, g], g
        if best_gt < 0:
            continue
        if gt_ignore[best_gt]:
            state[d] = -1
        else:
            state[d] = 1
            matched[best_gt] = True
    return state


def fppi_miss_rate_curve(scores: np.ndarray, states: np.ndarray, num_gt: int,
                         num_images: int) -> tuple:
    """FPPI and miss rate after each detection, in descending score order.

    Args:
        scores, states: (N,) scores and :func:`match_image` states of all images'
            detections (states -1 are dropped).
        num_gt: number of regular (non-ignore) gt boxes.
        num_images: number of images (the FPPI denominator).

    Returns:
        tuple: ``(fppi, miss_rate)``, each (M,) with M the kept detections.
    """
    scores = np.asarray(scores, dtype=np.float64)
    states = np.asarray(states)
    keep = states != -1
    scores, states = scores[keep], states[keep]
    order = np.argsort(-scores, kind='stable')
    is_tp = states[order] == 1
    tp = np.cumsum(is_tp)
    fp = np.cumsum(~is_tp)
    return fp / num_images, 1.0 - tp / num_gt


def log_average_miss_rate(fppi: np.ndarray, miss_rate: np.ndarray,
                          reference_fppi: np.ndarray = REFERENCE_FPPI) -> tuple:
    """Log-average miss rate (fraction in [0, 1]) and the miss rates it averages.

    At each reference FPPI the miss rate of the last curve point with FPPI <= the
    reference is taken (1.0 when there is none).
    """
    fppi = np.asarray(fppi, dtype=np.float64)
    miss_rate = np.asarray(miss_rate, dtype=np.float64)
    # number of curve points with fppi <= ref (fppi is non-decreasing)
    count = np.searchsorted(fppi, reference_fppi, side='right')
    at_ref = np.where(count > 0, miss_rate[np.maximum(count - 1, 0)], 1.0) \
        if len(fppi) else np.ones(len(reference_fppi))
    lamr = float(np.exp(np.mean(np.log(np.maximum(1e-10, at_ref)))))
    return lamr, at_ref


# --------------------------------------------------------------------- metric


def _field(sample, key: str, default=None):
    if isinstance(sample, dict):
        return sample.get(key, default)
    return getattr(sample, key, default)


def _to_numpy(value, dtype=None, shape_tail=None) -> np.ndarray:
    """Tensor / boxes object / list -> numpy (optionally reshaped to (-1, *tail))."""
    if value is None:
        value = []
    if hasattr(value, 'tensor') and not isinstance(value, torch.Tensor):
        value = value.tensor  # mmdet HorizontalBoxes
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=dtype)
    if shape_tail is not None:
        array = array.reshape(-1, *shape_tail)
    return array


@METRICS.register_module()
class KAISTMissRateMetric(BaseMetric):
    """Log-average miss rate (MR^-2, percent) on KAIST-style pedestrian data.

    Reads from each data sample (an mmdet ``DetDataSample`` or its ``to_dict()``):

    - ``pred_instances``: ``bboxes`` (N, 4) xyxy at the original image scale,
      ``scores`` (N,), ``labels`` (N,) (only ``person_labels`` are kept).
    - ground truth, from ``instances`` (the dataset's list of dicts: ``bbox``,
      ``bbox_label``, ``ignore_flag`` and, when present, ``height`` and ``occlusion``;
      add ``'instances'`` to ``PackDetInputs``' ``meta_keys`` to carry them) or else from
      ``gt_instances`` (``bboxes``, ``labels``, optional ``ignore_flag``,
      ``occlusion``) plus ``ignored_instances`` (all ignore regions). Without a
      ``height`` the box height is used; without an ``occlusion`` a box counts as
      not occluded.
    - ``ori_shape`` (for the border rule) and the day / night period: the metainfo
      key ``period_key`` ('day' / 'night'), otherwise the KAIST set id in
      ``img_path`` (``setNN``; sets 03-05 and 09-11 are night, the others day).
      When the period of some image is unknown the 'day' / 'night' settings are
      skipped with a warning.

    Returns ``MR_<setting>`` for each setting (``kaist/MR_reasonable`` etc. with the
    default prefix). See :data:`KAIST_SETTINGS`: the KAIST papers' "All" column is
    ``reasonable`` (all test images, height >= 55, not heavily occluded).

    Args:
        settings (Sequence[str] | dict): names from :data:`KAIST_SETTINGS`, or a dict
            name -> dict(height_range, occlusions, period). Defaults to
            ('reasonable', 'all', 'day', 'night').
        iou_thr (float): match threshold. Defaults to 0.5.
        person_labels (Sequence[int]): labels of the pedestrian class; gt boxes with
            other labels become ignore regions and detections with other labels
            are dropped. Defaults to (0,).
        border (float, optional): gt boxes reaching closer than this many pixels to
            the image border become ignore regions (the KAIST / Caltech bounds
            [5, 5, 635, 507] for 640x512 images). None disables. Defaults to 5.
        dt_height_expand (float): detections shorter than ``min_height / expand`` or
            taller than ``max_height * expand`` are removed. Defaults to 1.25.
        period_key (str): metainfo key holding 'day' / 'night'. Defaults to
            'day_night'.
        night_sets (Sequence[int]): KAIST set ids recorded at night.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): defaults to 'kaist'.
    """

    default_prefix: Optional[str] = 'kaist'

    def __init__(self,
                 settings=('reasonable', 'all', 'day', 'night'),
                 iou_thr: float = 0.5,
                 person_labels: Sequence[int] = (0, ),
                 border: Optional[float] = 5,
                 dt_height_expand: float = 1.25,
                 period_key: str = 'day_night',
                 night_sets: Sequence[int] = KAIST_NIGHT_SETS,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        if isinstance(settings, dict):
            self.settings = {k: dict(v) for k, v in settings.items()}
        else:
            unknown = [s for s in settings if s not in KAIST_SETTINGS]
            if unknown:
                raise ValueError(f'unknown settings {unknown}; known: '
                                 f'{list(KAIST_SETTINGS)} (or pass a dict)')
            self.settings = {s: dict(KAIST_SETTINGS[s]) for s in settings}
        self.iou_thr = iou_thr
        self.person_labels = tuple(int(x) for x in person_labels)
        self.border = border
        self.dt_height_expand = dt_height_expand
        self.period_key = period_key
        self.night_sets = tuple(int(x) for x in night_sets)

    # ----------------------------------------------------------------- inputs

    def period_of(self, sample) -> Optional[str]:
        """'day', 'night' or None (unknown) for one data sample."""
        period = _field(sample, self.period_key)
        if period is not None:
            period = str(period).lower()
            if period not in ('day', 'night'):
                raise ValueError(f'{self.period_key}={period!r} must be "day" or "night"')
            return period
        match = re.search(r'set(\d{2})', str(_field(sample, 'img_path', '')))
        if match is None:
            return None
        return 'night' if int(match.group(1)) in self.night_sets else 'day'

    def _ground_truth(self, sample) -> dict:
        """Per-box arrays: bboxes (G, 4), labels, ignore, height, occlusion (-1 unknown)."""
        instances = _field(sample, 'instances')
        if instances is not None:
            boxes = _to_numpy([i['bbox'] for i in instances], np.float64, (4, ))
            labels = np.array([int(i.get('bbox_label', 0)) for i in instances], np.int64)
            ignore = np.array([bool(i.get('ignore_flag', 0)) for i in instances], bool)
            heights = np.array([float(i['height']) if i.get('height') is not None else
                                np.nan for i in instances], np.float64)
            occlusion = np.array([int(i['occlusion']) if i.get('occlusion') is not None
                                  else -1 for i in instances], np.int64)
        else:
            gt = _field(sample, 'gt_instances')
            if gt is None:
                raise KeyError('KAISTMissRateMetric needs "instances" or "gt_instances" '
                               f'in the data sample of {_field(sample, "img_path")}')
            boxes = _to_numpy(_field(gt, 'bboxes'), np.float64, (4, ))
            num = len(boxes)
            labels = _to_numpy(_field(gt, 'labels', np.zeros(num)), np.int64)
            flags = _field(gt, 'ignore_flag', _field(gt, 'ignore_flags'))
            ignore = _to_numpy(flags, bool) if flags is not None else np.zeros(num, bool)
            occ = _field(gt, 'occlusion', _field(gt, 'occlusions'))
            occlusion = _to_numpy(occ, np.int64) if occ is not None else \
                np.full(num, -1, np.int64)
            heights = np.full(num, np.nan)
            ignored = _field(sample, 'ignored_instances')
            if ignored is not None and _field(ignored, 'bboxes') is not None:
                extra = _to_numpy(_field(ignored, 'bboxes'), np.float64, (4, ))
                boxes = np.concatenate([boxes, extra])
                labels = np.concatenate([labels, np.full(len(extra), -1, np.int64)])
                ignore = np.concatenate([ignore, np.ones(len(extra), bool)])
                occlusion = np.concatenate([occlusion, np.full(len(extra), -1, np.int64)])
                heights = np.concatenate([heights, np.full(len(extra), np.nan)])
        heights = np.where(np.isnan(heights), boxes[:, 3] - boxes[:, 1], heights)
        ignore = ignore | ~np.isin(labels, self.person_labels)
        return dict(gt_bboxes=boxes, gt_ignore=ignore, gt_heights=heights,
                    gt_occlusion=occlusion)

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep each image's boxes, flags and detections (numpy) in ``self.results``."""
        for sample in data_samples:
            pred = _field(sample, 'pred_instances')
            if pred is None:
                raise KeyError('KAISTMissRateMetric needs "pred_instances" in the data '
                               f'sample of {_field(sample, "img_path")}')
            bboxes = _to_numpy(_field(pred, 'bboxes'), np.float64, (4, ))
            scores = _to_numpy(_field(pred, 'scores'), np.float64)
            labels = _field(pred, 'labels')
            if labels is not None:
                keep = np.isin(_to_numpy(labels, np.int64), self.person_labels)
                bboxes, scores = bboxes[keep], scores[keep]
            ori_shape = _field(sample, 'ori_shape')
            record = dict(
                img_path=str(_field(sample, 'img_path', '')),
                period=self.period_of(sample),
                ori_shape=tuple(int(x) for x in ori_shape[:2]) if ori_shape is not None
                else None,
                det_bboxes=bboxes,
                det_scores=scores)
            record.update(self._ground_truth(sample))
            self.results.append(record)

    # ---------------------------------------------------------------- setting

    def _gt_ignore(self, record: dict, setting: dict) -> np.ndarray:
        """Ignore flags of one image's gt boxes under one setting."""
        ignore = record['gt_ignore'].copy()
        boxes = record['gt_bboxes']
        if setting.get('height_range') is not None:
            lo, hi = setting['height_range']
            h = record['gt_heights']
            ignore |= (h < lo) | (h > hi)
        if setting.get('occlusions') is not None:
            occ = record['gt_occlusion']
            ignore |= (occ >= 0) & ~np.isin(occ, setting['occlusions'])
        if self.border is not None and record['ori_shape'] is not None:
            img_h, img_w = record['ori_shape']
            b = self.border
            ignore |= ((boxes[:, 0] < b) | (boxes[:, 1] < b) | (boxes[:, 2] > img_w - b) |
                       (boxes[:, 3] > img_h - b))
        return ignore

    def _kept_detections(self, record: dict, setting: dict) -> np.ndarray:
        """Mask of the detections inside the setting's expanded height range."""
        keep = np.ones(len(record['det_scores']), dtype=bool)
        if setting.get('height_range') is not None:
            lo, hi = setting['height_range']
            h = record['det_bboxes'][:, 3] - record['det_bboxes'][:, 1]
            keep = (h >= lo / self.dt_height_expand) & (h < hi * self.dt_height_expand)
        return keep

    def evaluate_setting(self, results: list, setting: dict) -> dict:
        """Curve and log-average miss rate of one setting.

        Returns:
            dict: ``mr`` (fraction), ``mr_at_ref`` (9,), ``fppi``, ``miss_rate``
            (curve), ``num_images`` and ``num_gt``; ``mr`` is NaN without gt.
        """
        period = setting.get('period')
        records = [r for r in results if period is None or r['period'] == period]
        all_scores, all_states, num_gt = [], [], 0
        for record in records:
            ignore = self._gt_ignore(record, setting)
            keep = self._kept_detections(record, setting)
            scores = record['det_scores'][keep]
            states = match_image(record['det_bboxes'][keep], scores, record['gt_bboxes'],
                                 ignore, self.iou_thr)
            all_scores.append(scores)
            all_states.append(states)
            num_gt += int(np.count_nonzero(~ignore))
        out = dict(num_images=len(records), num_gt=num_gt)
        if num_gt == 0 or not records:
            out.update(mr=float('nan'), mr_at_ref=np.full(len(REFERENCE_FPPI), np.nan),
                       fppi=np.zeros(0), miss_rate=np.zeros(0))
            return out
        fppi, miss_rate = fppi_miss_rate_curve(
            np.concatenate(all_scores), np.concatenate(all_states), num_gt, len(records))
        mr, at_ref = log_average_miss_rate(fppi, miss_rate)
        out.update(mr=mr, mr_at_ref=at_ref, fppi=fppi, miss_rate=miss_rate)
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``MR_<setting>`` in percent for every setting that can be evaluated."""
        logger = MMLogger.get_current_instance()
        unknown_period = sum(r['period'] is None for r in results)
        metrics = {}
        for name, setting in self.settings.items():
            if setting.get('period') is not None and unknown_period:
                print_log(
                    f'KAIST setting "{name}" skipped: the day/night period of '
                    f'{unknown_period} images is unknown (no "{self.period_key}" '
                    'metainfo and no setNN in img_path)', logger=logger,
                    level=logging.WARNING)
                continue
            out = self.evaluate_setting(results, setting)
            if out['num_gt'] == 0:
                print_log(f'KAIST setting "{name}": no ground-truth box, MR is NaN',
                          logger=logger, level=logging.WARNING)
            metrics[f'MR_{name}'] = out['mr'] * 100.0
            logger.info(f'KAIST {name}: MR^-2 {out["mr"] * 100:.2f} % over '
                        f'{out["num_images"]} images, {out["num_gt"]} boxes')
        return metrics
