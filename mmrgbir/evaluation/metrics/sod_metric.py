# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Salient-object-detection metric for mmseg models (MAE, S, F, E, weighted F).

The numbers are those of the SOD evaluation toolboxes (PySODMetrics and the authors'
MATLAB code); the measures themselves live in
:mod:`mmrgbir.evaluation.functional.sod_measures`.
"""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmrgbir.evaluation.functional import sod_measures as sm
from mmrgbir.registry import METRICS
from mmrgbir.visualization.output_paths import (ImageRoots, OutputPathGuard,
                                                relative_output_path)

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
    - ``gt_sem_seg``: (1, H', W') or (H', W') mask at the ground truth's native size,
      0 = background, values >= 1 = salient. SOD has no ignore region: a pixel equal
      to ``ignore_index`` is an error (a 0/255 mask must be mapped to 0/1 by the
      dataset). When the mask's size differs from the image's, the saliency map is
      resized (bilinear) to the mask's size, as the SOD toolboxes compare maps
      at ground-truth size; a mask at the *network input* size (loaded before
      ``Resize``) is an error.
    - ``img_path`` (metainfo): named in error messages and naming the saved maps.

    Saving maps (``output_dir``), as mmseg's ``IoUMetric`` saves label maps: every
    map is written as an 8-bit PNG at ground-truth size (image size when there is no
    ground truth), values 0-255, the map that is measured (min-max normalised when
    ``normalize_pred``), named after the image's path relative to the dataset's
    image folder (``img_root``, or ``dataset_meta['img_roots']`` of a
    ``NamedConcatDataset``, where the set name comes first), e.g.
    ``output_dir/VT821/0001.png``: the layout of released maps, readable by
    PySODMetrics next to the ``GT/`` folder. ``format_only=True`` only saves the
    maps (no ground truth needed; :meth:`compute_metrics` returns ``{}``).

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
        output_dir (str, optional): save the saliency maps under this folder.
        format_only (bool): only save the maps, measure nothing. Needs
            ``output_dir``. Defaults to False.
        img_root (str | dict, optional): the dataset's image folder (or
            ``{set name: folder}``); map names keep the image path relative to it.
            Defaults to ``dataset_meta['img_roots']`` if present (``tools/test.py
            --save-maps`` fills it in), else the base name (two images with the
            same base name are then an error, never an overwrite).
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
                 output_dir: Optional[str] = None,
                 format_only: bool = False,
                 img_root: ImageRoots = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        if format_only and not output_dir:
            raise ValueError('SODMetric(format_only=True) saves the maps only: give '
                             'output_dir (tools/test.py --save-maps DIR)')
        self.output_dir = output_dir
        self.format_only = format_only
        self.img_root = img_root
        self._guard = OutputPathGuard('saliency map')
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

    def resize_to_gt(self, pred: np.ndarray, gt_shape, sample, img_path: str) -> np.ndarray:
        """Bring the (H, W) map to the ground truth's (H', W') (bilinear, as CAVER)."""
        if pred.shape == tuple(gt_shape):
            return pred
        img_shape = _field(sample, 'img_shape')
        ori_shape = _field(sample, 'ori_shape')
        if (img_shape is not None and tuple(img_shape[:2]) == tuple(gt_shape)
                and tuple(img_shape[:2]) != tuple(pred.shape)):
            raise ValueError(
                f'gt_sem_seg of {img_path} is {tuple(gt_shape)}, the network input size '
                f'(img_shape), while the prediction is at the original size '
                f'{pred.shape} (ori_shape {ori_shape}): the ground truth was resized '
                'with the image. Put LoadSODAnnotations after Resize in the test '
                'pipeline, so that it stays at its native resolution.')
        out = F.interpolate(torch.from_numpy(pred)[None, None], size=tuple(gt_shape),
                            mode='bilinear', align_corners=False)
        return out[0, 0].numpy()

    def map_to_uint8(self, pred: np.ndarray) -> np.ndarray:
        """The saved 8-bit map: the measured map (normalised if asked) x 255, rounded."""
        if self.normalize_pred:
            pred = sm.minmax_normalize(pred)
        return np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8)

    def save_map(self, pred: np.ndarray, sample, img_path: str) -> str:
        """Write ``pred`` (H, W) as an 8-bit PNG under ``output_dir``; its path."""
        roots = self.img_root
        if roots is None:
            roots = (self.dataset_meta or {}).get('img_roots')
        out_file = osp.join(self.output_dir, relative_output_path(img_path, roots))
        self._guard.claim(out_file, img_path, _field(sample, 'x_path'),
                          _field(sample, 'seg_map_path'))
        os.makedirs(osp.dirname(out_file) or '.', exist_ok=True)
        if not cv2.imwrite(out_file, self.map_to_uint8(pred)):
            raise OSError(f'cannot write the saliency map {out_file}')
        return out_file

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Measure every image of the batch; keep only numbers in ``self.results``."""
        for sample in data_samples:
            img_path = _field(sample, 'img_path') or '<unknown image>'
            logits = _field(sample, 'seg_logits')
            gt = _field(sample, 'gt_sem_seg')
            if logits is None or (gt is None and not self.format_only):
                raise KeyError(f'SODMetric needs "seg_logits" and "gt_sem_seg" in the '
                               f'data sample of {img_path}')
            pred = self.saliency_map(logits)
            mask = None
            if gt is not None:
                mask = self.salient_mask(gt, img_path)
                pred = self.resize_to_gt(pred, mask.shape, sample, img_path)
            saved = None
            if self.output_dir:
                saved = self.save_map(pred, sample, img_path)
            if self.format_only:
                self.results.append(dict(saved=saved))
                continue
            self.results.append(self.measure(pred, mask))

    # -------------------------------------------------------------- dataset

    def compute_metrics(self, results: list) -> dict:
        """Average the per-image numbers into the dataset measures."""
        logger = MMLogger.get_current_instance()
        if self.format_only:
            logger.info(f'{len(results)} saliency maps saved under {self.output_dir} '
                        '(format_only: nothing measured)')
            return {}
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
        if self.output_dir:
            logger.info(f'saliency maps (8-bit PNG, ground-truth size) saved under '
                        f'{self.output_dir}')
        logger.info(
            f'SOD measures over {len(results)} images: ' +
            ', '.join(f'{k} {v:.4f}' for k, v in metrics.items()))
        return metrics
