# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Salient-object-detection metric for mmseg models (MAE, S, F, E, weighted F).

The numbers are those of the SOD evaluation toolboxes (PySODMetrics and the authors'
MATLAB code); the measures themselves live in
:mod:`mmrgbir.evaluation.functional.sod_measures`.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmrgbir.evaluation.functional import sod_measures as sm
from mmrgbir.registry import METRICS

__all__ = ['SODMetric']


def _field(sample, key: str):
    """``sample[key]`` for a dict (``to_dict()`` output) or an attribute."""
    if isinstance(sample, dict):
        return sample.get(key)
    return getattr(sample, key, None)


def _pixel_data(value):
    """The array inside a PixelData / its dict form / a bare tensor or array."""
    data = _field(value, 'data') if not isinstance(value, (torch.Tensor, np.ndarray)) \
        else value
    if data is None:
        raise KeyError('expected a PixelData-like value with a "data" field')
    if isinstance(data, torch.Tensor):
        data = data.detach().float().cpu().numpy() if data.is_floating_point() \
            else data.detach().cpu().numpy()
    return np.asarray(data)


@METRICS.register_module()
class SODMetric(BaseMetric):
    """Salient-object-detection measures over a dataset.

    Reads from each data sample (an mmseg ``SegDataSample`` or its ``to_dict()``):

    - ``seg_logits``: (C, H, W) at the original image size, as mmseg's
      ``EncoderDecoder.predict`` stores it. ``C == 1``: mmseg has already applied the
      sigmoid, the map is the saliency; ``C >= 2``: logits, saliency = softmax over
      channels, channel ``salient_index``.
    - ``gt_sem_seg``: (1, H, W) or (H, W) mask at the same size, 0 = background,
      values >= 1 = salient. SOD has no ignore region: a pixel equal to
      ``ignore_index`` is an error (a 0/255 mask must be mapped to 0/1 by the dataset).
    - ``img_path`` (metainfo): named in error messages.

    Keys returned by :meth:`compute_metrics` (means over images; the curves are
    averaged over images first, then max / mean over the 256 thresholds):
    ``MAE``, ``Sm``, ``maxF``, ``meanF``, ``adpF``, ``maxE``, ``meanE``, ``adpE``, ``wF``.

    Protocol choice: ``normalize_pred=True`` (default) min-max stretches every map
    to [0, 1] before measuring, as the SOD toolboxes do to the saved maps that
    published numbers come from. With ``quantize_pred=True`` the map is also rounded
    to 8 bits first, i.e. the numbers equal those of saving 8-bit PNG maps and
    running the toolbox on them; by default the float map is measured (MAE, S, E
    and wF differ from the 8-bit protocol by well under 1/255).

    Args:
        salient_index (int): foreground channel when ``C >= 2``. Defaults to 1.
        normalize_pred (bool): min-max normalise each map. Defaults to True.
        quantize_pred (bool): round each map to 8 bits (after normalising).
            Defaults to False.
        alpha (float): S-measure balance between object and region terms.
            Defaults to 0.5.
        beta2 (float): beta^2 of the F-measure. Defaults to 0.3.
        wf_beta2 (float): beta^2 of the weighted F-measure. Defaults to 1.0
            (Margolin et al.'s code).
        ignore_index (int): label value that must not appear in the gt. Defaults
            to 255.
        collect_device (str): 'cpu' or 'gpu' for collecting results across ranks.
        prefix (str, optional): prefix of the metric names. Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 salient_index: int = 1,
                 normalize_pred: bool = True,
                 quantize_pred: bool = False,
                 alpha: float = 0.5,
                 beta2: float = 0.3,
                 wf_beta2: float = 1.0,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        self.salient_index = salient_index
        self.normalize_pred = normalize_pred
        self.quantize_pred = quantize_pred
        self.alpha = alpha
        self.beta2 = beta2
        self.wf_beta2 = wf_beta2
        self.ignore_index = ignore_index

    # ------------------------------------------------------------------ inputs

    def saliency_map(self, logits) -> np.ndarray:
        """Logits (C, H, W) or (H, W) -> float64 saliency (H, W) in [0, 1]."""
        logits = torch.as_tensor(_pixel_data(logits), dtype=torch.float64)
        if logits.dim() == 2:
            logits = logits[None]
        if logits.dim() != 3:
            raise ValueError(f'seg_logits must be (C, H, W), got {tuple(logits.shape)}')
        num_channels = logits.shape[0]
        if num_channels == 1:
            # mmseg's postprocess_result already stores sigmoid(logit) for 1 channel
            prob = logits[0]
            if prob.min() < 0 or prob.max() > 1:
                raise ValueError('a 1-channel seg_logits must hold probabilities in [0, 1] '
                                 '(mmseg stores sigmoid(logit) for binary heads)')
        else:
            if not 0 <= self.salient_index < num_channels:
                raise ValueError(f'salient_index={self.salient_index} is not a channel '
                                 f'of seg_logits with {num_channels} channels')
            prob = logits.softmax(dim=0)[self.salient_index]
        return prob.numpy()

    def salient_mask(self, gt, img_path: str) -> np.ndarray:
        """gt label map -> bool (H, W); values >= 1 are salient."""
        gt = _pixel_data(gt)
        if gt.ndim == 3 and gt.shape[0] == 1:
            gt = gt[0]
        if gt.ndim != 2:
            raise ValueError(f'gt_sem_seg of {img_path} must be (1, H, W) or (H, W), '
                             f'got {gt.shape}')
        if self.ignore_index is not None and np.any(gt == self.ignore_index):
            raise ValueError(
                f'gt_sem_seg of {img_path} contains the ignore value '
                f'{self.ignore_index}; SOD measures have no ignore region. Map the '
                'mask to 0 (background) / 1 (salient) in the dataset (a 0/255 mask '
                'needs binarising).')
        return gt >= 1

    # -------------------------------------------------------------- per image

    def measure(self, pred: np.ndarray, gt: np.ndarray) -> dict:
        """All measures of one image: scalars and the two (256,) curves."""
        if self.normalize_pred:
            pred = sm.minmax_normalize(pred)
        if self.quantize_pred:  # what reading a saved 8-bit map back gives
            pred = np.round(np.clip(pred, 0, 1) * 255) / 255
        return dict(
            mae=sm.mae(pred, gt),
            sm=sm.s_measure(pred, gt, alpha=self.alpha),
            adp_f=sm.f_measure_adaptive(pred, gt, beta2=self.beta2),
            adp_e=sm.e_measure_adaptive(pred, gt),
            wf=sm.weighted_f_measure(pred, gt, beta2=self.wf_beta2),
            f_curve=sm.f_measure_curve(pred, gt, beta2=self.beta2),
            e_curve=sm.e_measure_curve(pred, gt))

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Measure every image of the batch; keep only numbers in ``self.results``."""
        for sample in data_samples:
            img_path = _field(sample, 'img_path') or '<unknown image>'
            logits = _field(sample, 'seg_logits')
            gt = _field(sample, 'gt_sem_seg')
            if logits is None or gt is None:
                raise KeyError(f'SODMetric needs "seg_logits" and "gt_sem_seg" in the '
                               f'data sample of {img_path}')
            pred = self.saliency_map(logits)
            mask = self.salient_mask(gt, img_path)
            if pred.shape != mask.shape:
                raise ValueError(
                    f'prediction {pred.shape} and gt {mask.shape} of {img_path} differ '
                    'in size; seg_logits must be at the original image size '
                    '(gt_sem_seg loaded at native resolution).')
            self.results.append(self.measure(pred, mask))

    # -------------------------------------------------------------- dataset

    def compute_metrics(self, results: list) -> dict:
        """Average the per-image numbers into the dataset measures."""
        max_f, mean_f = sm.summarize_curve([r['f_curve'] for r in results])
        max_e, mean_e = sm.summarize_curve([r['e_curve'] for r in results])

        def mean_of(key):
            return float(np.mean([r[key] for r in results]))

        metrics = dict(
            MAE=mean_of('mae'),
            Sm=mean_of('sm'),
            maxF=max_f,
            meanF=mean_f,
            adpF=mean_of('adp_f'),
            maxE=max_e,
            meanE=mean_e,
            adpE=mean_of('adp_e'),
            wF=mean_of('wf'))
        MMLogger.get_current_instance().info(
            f'SOD measures over {len(results)} images: ' +
            ', '.join(f'{k} {v:.4f}' for k, v in metrics.items()))
        return metrics
