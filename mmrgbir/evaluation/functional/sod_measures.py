# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Salient-object-detection measures for one image, in numpy.

Every function takes

- ``pred``: float array (H, W) with values in [0, 1] (the saliency map), and
- ``gt``: bool array (H, W) (the salient-object mask),

and returns a float, or a float array of shape (256,) for the threshold curves.
Whole-dataset numbers are means over images: for the curves, the per-image curves
are averaged first and the maximum / mean is then taken over the 256 thresholds
(:func:`summarize_curve`), as the SOD benchmarks report them.

The measures follow their published definitions (and the conventions of the
authors' MATLAB code that the community reference, PySODMetrics, also keeps):

- MAE: mean absolute error between ``pred`` and ``gt``.
- S-measure (Fan et al., ICCV 2017): ``alpha * S_object + (1 - alpha) * S_region``
  with ``alpha = 0.5``; an empty ``gt`` gives ``1 - mean(pred)``, a full one
  ``mean(pred)``.
- F-measure (Achanta et al., CVPR 2009) with ``beta^2 = 0.3``: adaptive (threshold
  ``min(2 * mean(pred), 1)``) and the curve over the 256 thresholds of the 8-bit map.
- E-measure (Fan et al., IJCAI 2018): enhanced-alignment measure, adaptive and curve.
- Weighted F-measure (Margolin et al., CVPR 2014) with ``beta^2 = 1`` (the value in the
  authors' code): errors are spread with a 7x7 Gaussian (sigma 5) from the nearest
  object pixel and background errors are weighted by their distance to the object.

Thresholding conventions: a pixel is foreground at threshold ``t`` when
``pred >= t``; the curves use the 8-bit map ``floor(pred * 255)`` and thresholds
``t = 0, 1, ..., 255`` (index ``t`` of the returned arrays).
"""
import numpy as np
from scipy import ndimage

__all__ = [
    'EPS', 'NUM_THRESHOLDS', 'minmax_normalize', 'adaptive_threshold', 'mae',
    's_measure', 'f_measure_adaptive', 'f_measure_curve', 'e_measure_adaptive',
    'e_measure_curve', 'weighted_f_measure', 'summarize_curve'
]

#: Machine epsilon of float64, the ``eps`` of the authors' MATLAB code.
EPS = float(np.spacing(1))
#: Number of thresholds of the F- and E-measure curves (8-bit maps).
NUM_THRESHOLDS = 256


def _check_inputs(pred: np.ndarray, gt: np.ndarray) -> tuple:
    """Validate shapes / dtypes and return ``(float64 pred, bool gt)``."""
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.ndim != 2 or pred.shape != gt.shape:
        raise ValueError('pred and gt must be 2-D arrays of the same shape, got '
                         f'{pred.shape} and {gt.shape}')
    if gt.dtype != bool:
        raise TypeError(f'gt must be a bool mask, got dtype {gt.dtype}')
    pred = pred.astype(np.float64, copy=False)
    return pred, gt


def minmax_normalize(pred: np.ndarray) -> np.ndarray:
    """Stretch ``pred`` to [0, 1] (left unchanged when it is constant).

    This is what the SOD evaluation toolboxes do to every saved map before
    measuring ("mapminmax").
    """
    pred = np.asarray(pred, dtype=np.float64)
    lo, hi = pred.min(), pred.max()
    if hi != lo:
        pred = (pred - lo) / (hi - lo)
    return pred


def adaptive_threshold(pred: np.ndarray) -> float:
    """Twice the mean saliency, clipped to 1 (Achanta et al.)."""
    return min(2.0 * float(pred.mean()), 1.0)


def _to_uint8(pred: np.ndarray) -> np.ndarray:
    """8-bit map used by the curves: ``floor(pred * 255)``."""
    return (pred * 255).astype(np.uint8)


def _count_at_or_above(values: np.ndarray) -> np.ndarray:
    """``out[t] = #(values >= t)`` for ``t = 0..255``; ``values`` uint8 (N,)."""
    hist = np.bincount(values.ravel(), minlength=NUM_THRESHOLDS)
    return np.cumsum(hist[::-1])[::-1]


# --------------------------------------------------------------------------- MAE


def mae(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean absolute error between the map and the binary mask."""
    pred, gt = _check_inputs(pred, gt)
    return float(np.mean(np.abs(pred - gt)))


# --------------------------------------------------------------------- S-measure


def _object_score(values: np.ndarray) -> float:
    """``2 x / (x^2 + 1 + sigma_x)`` over one region (x: mean, sigma: sample std)."""
    if values.size == 0:
        return 0.0
    mean = float(values.mean())
    # sample standard deviation like MATLAB's std (0 for a single value)
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return 2.0 * mean / (mean * mean + 1.0 + std + EPS)


def _s_object(pred: np.ndarray, gt: np.ndarray) -> float:
    """Object-aware term: foreground and background scores weighted by area."""
    fg_ratio = float(gt.mean())
    fg_score = _object_score(pred[gt])
    bg_score = _object_score(1.0 - pred[~gt])
    return fg_ratio * fg_score + (1.0 - fg_ratio) * bg_score


def _centroid(gt: np.ndarray) -> tuple:
    """1-based (x, y) centroid of the mask, as in the authors' MATLAB code.

    The row / column means are rounded half to even (``np.round``) on 0-based
    coordinates and then shifted by one, the convention of PySODMetrics.
    """
    h, w = gt.shape
    if not gt.any():
        return int(np.round(w / 2)), int(np.round(h / 2))
    rows, cols = np.nonzero(gt)
    return int(np.round(cols.mean())) + 1, int(np.round(rows.mean())) + 1


def _ssim_block(pred: np.ndarray, gt: np.ndarray) -> float:
    """Structural similarity of one block (global statistics, no window)."""
    n = pred.size
    gt = gt.astype(np.float64)
    x, y = pred.mean(), gt.mean()
    var_x = np.sum((pred - x)**2) / (n - 1 + EPS)
    var_y = np.sum((gt - y)**2) / (n - 1 + EPS)
    cov_xy = np.sum((pred - x) * (gt - y)) / (n - 1 + EPS)
    alpha = 4.0 * x * y * cov_xy
    beta = (x * x + y * y) * (var_x + var_y)
    if alpha != 0:
        return float(alpha / (beta + EPS))
    if beta == 0:
        return 1.0
    return 0.0


def _s_region(pred: np.ndarray, gt: np.ndarray) -> float:
    """Region-aware term: SSIM of the 4 blocks around the centroid, area weighted."""
    h, w = gt.shape
    x, y = _centroid(gt)
    area = h * w
    w_lt = x * y / area
    w_rt = y * (w - x) / area
    w_lb = (h - y) * x / area
    w_rb = 1.0 - w_lt - w_rt - w_lb
    blocks = [(slice(0, y), slice(0, x), w_lt), (slice(0, y), slice(x, w), w_rt),
              (slice(y, h), slice(0, x), w_lb), (slice(y, h), slice(x, w), w_rb)]
    score = 0.0
    for rows, cols, weight in blocks:
        block = pred[rows, cols]
        if block.size == 0:  # centroid on the last row / column: empty block, no weight
            continue
        score += weight * _ssim_block(block, gt[rows, cols])
    return score


def s_measure(pred: np.ndarray, gt: np.ndarray, alpha: float = 0.5) -> float:
    """Structure measure (Fan et al., ICCV 2017), in [0, 1]."""
    pred, gt = _check_inputs(pred, gt)
    fg_ratio = gt.mean()
    if fg_ratio == 0:
        return float(1.0 - pred.mean())
    if fg_ratio == 1:
        return float(pred.mean())
    score = alpha * _s_object(pred, gt) + (1.0 - alpha) * _s_region(pred, gt)
    return max(0.0, float(score))


# --------------------------------------------------------------------- F-measure


def _f_beta(precision, recall, beta2: float):
    """``(1 + b2) P R / (b2 P + R)``, 0 where ``P R`` is 0 (works on arrays)."""
    num = (1.0 + beta2) * precision * recall
    den = np.where(num == 0, 1.0, beta2 * precision + recall)
    return num / den


def f_measure_adaptive(pred: np.ndarray, gt: np.ndarray, beta2: float = 0.3) -> float:
    """F-measure of the map binarised at :func:`adaptive_threshold`."""
    pred, gt = _check_inputs(pred, gt)
    binary = pred >= adaptive_threshold(pred)
    tp = np.count_nonzero(binary & gt)
    if tp == 0:
        return 0.0
    precision = tp / np.count_nonzero(binary)
    recall = tp / np.count_nonzero(gt)
    return float(_f_beta(precision, recall, beta2))


def _tp_fp_curves(pred: np.ndarray, gt: np.ndarray) -> tuple:
    """True / false positive counts at the 256 thresholds of the 8-bit map."""
    pred_u8 = _to_uint8(pred)
    return _count_at_or_above(pred_u8[gt]), _count_at_or_above(pred_u8[~gt])


def f_measure_curve(pred: np.ndarray, gt: np.ndarray, beta2: float = 0.3) -> np.ndarray:
    """F-measure at thresholds 0..255 of the 8-bit map, shape (256,).

    Thresholds where nothing is predicted, or an empty ``gt``, give 0.
    """
    pred, gt = _check_inputs(pred, gt)
    tp, fp = _tp_fp_curves(pred, gt)
    predicted = np.maximum(tp + fp, 1)
    precision = tp / predicted
    recall = tp / max(np.count_nonzero(gt), 1)
    return _f_beta(precision, recall, beta2)


# --------------------------------------------------------------------- E-measure


def _enhanced_alignment_sum(tp, fp, num_gt: int, num_pixels: int):
    """Sum of the enhanced-alignment matrix from the confusion counts.

    ``phi`` takes one value per (prediction, gt) pixel class, so the sum only needs
    the four counts. Works on scalars and on arrays of counts (one per threshold).
    """
    tp = np.asarray(tp, dtype=np.float64)
    fp = np.asarray(fp, dtype=np.float64)
    num_pred = tp + fp
    if num_gt == 0:  # phi = 1 - prediction
        return num_pixels - num_pred
    if num_gt == num_pixels:  # phi = prediction
        return num_pred
    fn = num_gt - tp
    tn = num_pixels - num_pred - fn
    mean_pred = num_pred / num_pixels
    mean_gt = num_gt / num_pixels
    total = np.zeros_like(tp)
    # (bias-corrected prediction value, bias-corrected gt value, pixel count)
    for pred_value, gt_value, count in ((1 - mean_pred, 1 - mean_gt, tp),
                                        (1 - mean_pred, -mean_gt, fp),
                                        (-mean_pred, 1 - mean_gt, fn),
                                        (-mean_pred, -mean_gt, tn)):
        align = 2 * pred_value * gt_value / (pred_value**2 + gt_value**2 + EPS)
        total = total + (align + 1)**2 / 4 * count
    return total


def e_measure_adaptive(pred: np.ndarray, gt: np.ndarray) -> float:
    """E-measure of the map binarised at :func:`adaptive_threshold`.

    Normalised by ``H * W - 1`` like the authors' code.
    """
    pred, gt = _check_inputs(pred, gt)
    binary = pred >= adaptive_threshold(pred)
    tp = np.count_nonzero(binary & gt)
    fp = np.count_nonzero(binary & ~gt)
    total = _enhanced_alignment_sum(tp, fp, int(np.count_nonzero(gt)), gt.size)
    return float(total / (gt.size - 1 + EPS))


def e_measure_curve(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """E-measure at thresholds 0..255 of the 8-bit map, shape (256,)."""
    pred, gt = _check_inputs(pred, gt)
    tp, fp = _tp_fp_curves(pred, gt)
    total = _enhanced_alignment_sum(tp, fp, int(np.count_nonzero(gt)), gt.size)
    return total / (gt.size - 1 + EPS)


# ------------------------------------------------------------ weighted F-measure


def _matlab_gaussian_kernel(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    """``fspecial('gaussian', size, sigma)``: normalised, tiny values zeroed."""
    half = (size - 1) / 2
    y, x = np.mgrid[-half:half + 1, -half:half + 1]
    kernel = np.exp(-(x * x + y * y) / (2.0 * sigma * sigma))
    kernel[kernel < np.finfo(np.float64).eps * kernel.max()] = 0
    return kernel / kernel.sum()


def weighted_f_measure(pred: np.ndarray, gt: np.ndarray, beta2: float = 1.0) -> float:
    """Weighted F-measure (Margolin et al., CVPR 2014); 0 for an empty ``gt``."""
    pred, gt = _check_inputs(pred, gt)
    if not gt.any():
        return 0.0
    # distance of every pixel to the nearest object pixel, and that pixel's index
    dist, (near_r, near_c) = ndimage.distance_transform_edt(~gt, return_indices=True)
    error = np.abs(pred - gt)
    # pixel dependency: a background error counts as the error of the nearest
    # object pixel, then errors are smoothed; object pixels keep the smaller one
    spread = error.copy()
    spread[~gt] = error[near_r[~gt], near_c[~gt]]
    smoothed = ndimage.correlate(spread, _matlab_gaussian_kernel(), mode='constant',
                                 cval=0.0)
    min_error = np.where(gt & (smoothed < error), smoothed, error)
    # pixel importance: background errors far from the object weigh up to 2x
    importance = np.where(gt, 1.0, 2.0 - np.exp(np.log(0.5) / 5.0 * dist))
    weighted = min_error * importance
    tp_w = np.count_nonzero(gt) - weighted[gt].sum()
    fp_w = weighted[~gt].sum()
    recall = 1.0 - weighted[gt].mean()
    precision = tp_w / (tp_w + fp_w + EPS)
    return float((1 + beta2) * recall * precision / (recall + beta2 * precision + EPS))


# ----------------------------------------------------------------- aggregation


def summarize_curve(curves) -> tuple:
    """Mean curve over images -> ``(max, mean)`` over thresholds.

    Args:
        curves: array-like (N, 256), one curve per image.
    """
    mean_curve = np.mean(np.asarray(curves, dtype=np.float64), axis=0)
    return float(mean_curve.max()), float(mean_curve.mean())
