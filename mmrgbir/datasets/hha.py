# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""HHA encoding of depth images.

HHA (Gupta, Girshick, Arbelaez and Malik, "Learning Rich Features from RGB-D Images
for Object Detection and Segmentation", ECCV 2014) turns one depth map into three
8-bit channels that an ImageNet-style backbone can take like a colour image:

1. **H**\\ orizontal disparity, proportional to ``1 / depth``;
2. **H**\\ eight above the ground, measured along the estimated gravity direction;
3. **A**\\ ngle between the local surface normal and gravity.

The steps, re-implemented from the paper's description:

* back-project the depth into a camera-frame point cloud (:func:`depth_to_points`;
  x right, y down, z forward, metres);
* fit a plane to the valid points of a square window around every pixel (box sums
  of the points and their products, then the smallest eigenvector of the local
  covariance), orient the normal towards the camera (:func:`estimate_normals`);
* estimate gravity iteratively (:func:`estimate_gravity`): from the camera's "up"
  axis (``-y``), repeatedly split the normals into those nearly parallel to the
  current estimate (floor, ceiling, table tops) and those nearly perpendicular to it
  (walls), and take as the new estimate the direction most aligned with the first set
  and most orthogonal to the second, first with a 45 degree then a 15 degree
  tolerance;
* encode (:func:`compute_hha`).

Channel scaling (the constants of the published HHA images, so that files written
here match HHA images other projects distribute; every value is rounded and clipped
to 0..255):

* disparity: ``31000 / depth_cm`` = ``310 / depth_m``; saturates (255) closer than
  about 1.22 m, 103 at 3 m, 31 at 10 m;
* height: centimetres above the floor, the floor being the ``floor_percentile``-th
  percentile (default 1) of the heights of all valid pixels; 0 at or below the
  floor, saturates 2.55 m above it;
* angle: ``angle_deg + 38`` (``128 - 90``) so that 0 degrees (a floor, normal
  pointing up) is 38, 90 degrees (a wall) is 128 and 180 degrees (a ceiling) is 218.

Missing depth (0, NaN, non-finite or flagged by ``missing_mask``) is 0 in all three
channels; so is the angle channel of a valid pixel whose window holds too few valid
points for a plane fit.

Arrays hold the channels in the order [disparity, height, angle]; :func:`save_hha`
writes them as the R, G, B channels of the image file (the convention of published
HHA images) and :func:`load_hha` reads such a file back in that order.
"""
import os.path as osp
from typing import Optional, Sequence

import numpy as np

__all__ = ['compute_hha', 'depth_to_points', 'estimate_normals', 'estimate_gravity',
           'save_hha', 'load_hha', 'DISPARITY_SCALE', 'ANGLE_OFFSET', 'CAMERA_UP']

#: Disparity channel = ``DISPARITY_SCALE / depth_m`` (the published 31000 / depth_cm).
DISPARITY_SCALE = 310.0
#: Angle channel = ``angle_deg + ANGLE_OFFSET`` (a wall, 90 degrees, is 128).
ANGLE_OFFSET = 38.0
#: Height channel = ``HEIGHT_SCALE * metres above the floor`` (centimetres).
HEIGHT_SCALE = 100.0
#: The camera's "up" axis in camera coordinates (x right, y down, z forward).
CAMERA_UP = np.array([0.0, -1.0, 0.0])


# ------------------------------------------------------------------------ geometry


def _check_camera_matrix(camera_matrix: np.ndarray) -> np.ndarray:
    k = np.asarray(camera_matrix, dtype=np.float64)
    if k.shape != (3, 3) or not np.all(np.isfinite(k)):
        raise ValueError(f'camera_matrix must be a finite 3x3 intrinsics matrix, got '
                         f'shape {k.shape}')
    if not np.allclose(k[2], (0.0, 0.0, 1.0)) or k[0, 0] <= 0 or k[1, 1] <= 0:
        raise ValueError(f'camera_matrix is not an intrinsics matrix K = [[fx, s, cx], '
                         f'[0, fy, cy], [0, 0, 1]] with fx, fy > 0: {k.tolist()} (a '
                         f'transposed K has [cx, cy, 1] as its last row)')
    return k


def _missing(depth: np.ndarray, missing_mask: Optional[np.ndarray]) -> np.ndarray:
    """Boolean (H, W): True where the depth is unusable."""
    missing = ~np.isfinite(depth) | (depth <= 0)
    if missing_mask is not None:
        mask = np.asarray(missing_mask)
        if mask.shape != depth.shape:
            raise ValueError(f'missing_mask has shape {mask.shape}, depth {depth.shape}')
        missing |= mask.astype(bool)
    return missing


def _check_depth(depth: np.ndarray) -> np.ndarray:
    d = np.asarray(depth)
    if d.ndim != 2 or d.size == 0:
        raise ValueError(f'depth must be a non-empty (H, W) array, got shape {d.shape}')
    if not (np.issubdtype(d.dtype, np.floating) or np.issubdtype(d.dtype, np.integer)):
        raise TypeError(f'depth must be a numeric array, got dtype {d.dtype}')
    return d.astype(np.float64, copy=False)


def depth_to_points(depth: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """Back-project a depth map into camera coordinates.

    Args:
        depth: (H, W) depth along the optical axis (z) in metres, any real dtype;
            0, negative or non-finite values are missing.
        camera_matrix: 3x3 intrinsics ``K`` (pixel centres at integer coordinates,
            a skew term is honoured).

    Returns:
        float64 (H, W, 3) points ``(x, y, z)`` in metres, x right, y down, z forward;
        NaN at missing pixels.
    """
    d = _check_depth(depth)
    k_inv = np.linalg.inv(_check_camera_matrix(camera_matrix))
    h, w = d.shape
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    # K^-1 [u, v, 1]^T is the ray with z = 1; scaling it by the depth gives the point.
    rays = np.stack([u, v, np.ones_like(u)], axis=-1) @ k_inv.T
    z = np.where(_missing(d, None), np.nan, d)
    return rays * z[..., None]


def _box_sum(a: np.ndarray, radius: int) -> np.ndarray:
    """Sum of ``a`` (H, W, C) over (2 radius + 1)^2 windows, zero outside the image."""
    h, w = a.shape[:2]
    integral = np.zeros((h + 1, w + 1) + a.shape[2:], dtype=np.float64)
    np.cumsum(a, axis=0, out=integral[1:, 1:])
    np.cumsum(integral[1:, 1:], axis=1, out=integral[1:, 1:])
    y0 = np.clip(np.arange(h) - radius, 0, h)
    y1 = np.clip(np.arange(h) + radius + 1, 0, h)
    x0 = np.clip(np.arange(w) - radius, 0, w)
    x1 = np.clip(np.arange(w) + radius + 1, 0, w)
    top, bottom = integral[y0], integral[y1]
    return bottom[:, x1] - bottom[:, x0] - top[:, x1] + top[:, x0]


def estimate_normals(points: np.ndarray, valid: Optional[np.ndarray] = None, *,
                     window: int = 11, min_fraction: float = 0.25) -> np.ndarray:
    """Surface normals by a least-squares plane fit over a square pixel window.

    Every valid pixel gets the normal of the plane through the valid points of the
    ``window`` x ``window`` pixels around it (the smallest eigenvector of their
    covariance), so isolated missing pixels and noise are smoothed over; windows
    are cut at the image border.

    Args:
        points: (H, W, 3) camera-frame points in metres (:func:`depth_to_points`).
        valid: optional (H, W) bool, False for pixels to ignore; non-finite points
            are always ignored.
        window: odd window side in pixels.
        min_fraction: a pixel needs at least this fraction of its window (and at
            least 3 points) valid to get a normal.

    Returns:
        float64 (H, W, 3) unit normals pointing towards the camera (``n . p < 0``);
        NaN where the pixel is invalid or its window too sparse.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 3 or pts.shape[2] != 3:
        raise ValueError(f'points must have shape (H, W, 3), got {pts.shape}')
    if window < 3 or window % 2 == 0:
        raise ValueError(f'window must be an odd integer >= 3, got {window}')
    ok = np.all(np.isfinite(pts), axis=-1)
    if valid is not None:
        if np.shape(valid) != pts.shape[:2]:
            raise ValueError(f'valid has shape {np.shape(valid)}, points {pts.shape[:2]}')
        ok &= np.asarray(valid, dtype=bool)
    normals = np.full(pts.shape, np.nan)
    if not ok.any():
        return normals
    # Centre the cloud so the box sums of squares keep their precision.
    p = np.where(ok[..., None], pts - pts[ok].mean(axis=0), 0.0)
    iu = np.triu_indices(3)
    feats = np.concatenate([ok[..., None].astype(np.float64), p,
                            p[..., iu[0]] * p[..., iu[1]]], axis=-1)
    sums = _box_sum(feats, window // 2)
    count = sums[..., 0]
    fit = ok & (count >= max(3.0, min_fraction * window * window))
    count, mean, second = count[fit, None], sums[fit, 1:4], sums[fit, 4:]
    cov = np.empty((len(mean), 3, 3))
    cov[:, iu[0], iu[1]] = second / count - mean[:, iu[0]] * mean[:, iu[1]] / count ** 2
    cov[:, iu[1], iu[0]] = cov[:, iu[0], iu[1]]
    _, vectors = np.linalg.eigh(cov)
    n = vectors[:, :, 0]
    n *= np.where(np.einsum('ij,ij->i', n, pts[fit]) > 0, -1.0, 1.0)[:, None]
    normals[fit] = n
    return normals


def estimate_gravity(points: np.ndarray, normals: np.ndarray, valid: np.ndarray, *,
                     thresholds: Sequence[float] = (45.0, 15.0), iterations: int = 10,
                     initial: Optional[np.ndarray] = None,
                     max_depth: Optional[float] = None,
                     degenerate_fraction: float = 0.01) -> np.ndarray:
    """Estimate the gravity ("up") direction from surface normals.

    Starting from ``initial`` (default the camera's up axis, ``-y``), for each
    angular threshold ``t`` in ``thresholds`` repeat up to ``iterations`` times:
    collect the normals within ``t`` of the current estimate ``g`` or of ``-g``
    (floor / ceiling-like, set P) and those within ``t`` of the plane orthogonal to
    ``g`` (wall-like, set W), and replace ``g`` by the unit vector minimising
    ``sum_W (n . g)^2 - sum_P (n . g)^2``, i.e. the eigenvector of the smallest
    eigenvalue of ``sum_W n n^T - sum_P n n^T``. Where the normals leave the
    direction free (e.g. only one wall in view: any direction in the wall's plane
    fits), i.e. where other eigenvalues exceed the smallest by less than
    ``degenerate_fraction`` times the number of selected normals, the new estimate
    is the vector of that eigenspace closest to the current one. The sign is chosen
    to agree with the previous estimate, so the result points up when ``initial``
    does.

    Args:
        points: (..., 3) camera-frame points in metres; pixels with a non-finite
            point (or farther than ``max_depth``) are ignored.
        normals: (..., 3) unit surface normals (sign irrelevant), same leading shape.
        valid: bool array of the leading shape, False for pixels to ignore.
        thresholds: decreasing angular tolerances in degrees.
        iterations: most iterations per threshold (it stops earlier once stable).
        initial: starting direction in camera coordinates; default :data:`CAMERA_UP`.
        max_depth: optional, ignore points with z beyond this (metres).
        degenerate_fraction: eigenvalue gap, per selected normal, below which two
            directions count as equally good (then the current estimate decides).

    Returns:
        float64 (3,) unit gravity-up vector in camera coordinates (x right, y down,
        z forward); ``initial`` (normalised) when too few normals qualify.
    """
    pts = np.asarray(points, dtype=np.float64)
    nrm = np.asarray(normals, dtype=np.float64)
    if pts.shape != nrm.shape or pts.shape[-1] != 3:
        raise ValueError(f'points {pts.shape} and normals {nrm.shape} must both have '
                         f'shape (..., 3)')
    keep = np.asarray(valid, dtype=bool)
    if keep.shape != pts.shape[:-1]:
        raise ValueError(f'valid has shape {keep.shape}, expected {pts.shape[:-1]}')
    keep = keep & np.all(np.isfinite(pts), axis=-1) & np.all(np.isfinite(nrm), axis=-1)
    if max_depth is not None:
        keep &= np.nan_to_num(pts[..., 2], nan=np.inf) <= max_depth
    n = nrm[keep]
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    g = np.asarray(CAMERA_UP if initial is None else initial, dtype=np.float64)
    if g.shape != (3,) or not np.linalg.norm(g) > 0:
        raise ValueError(f'initial must be a non-zero 3-vector, got {initial!r}')
    g = g / np.linalg.norm(g)
    for threshold in thresholds:
        cos_t, sin_t = np.cos(np.radians(threshold)), np.sin(np.radians(threshold))
        for _ in range(iterations):
            cos_ng = np.abs(n @ g)
            parallel, perpendicular = n[cos_ng >= cos_t], n[cos_ng <= sin_t]
            selected = len(parallel) + len(perpendicular)
            if selected < 3:
                break
            a = perpendicular.T @ perpendicular - parallel.T @ parallel
            values, vectors = np.linalg.eigh(a)
            # the eigenvectors (almost) as good as the best span the acceptable
            # directions; keep the one closest to the current estimate
            span = vectors[:, values - values[0] <= degenerate_fraction * selected]
            new = span @ (span.T @ g)
            if np.linalg.norm(new) < 1e-6:  # g orthogonal to all of them
                new = vectors[:, 0]
            new /= np.linalg.norm(new)
            new *= 1.0 if new @ g >= 0 else -1.0
            converged = new @ g > np.cos(np.radians(1e-3))
            g = new
            if converged:
                break
    return g


# ------------------------------------------------------------------------ encoding


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def compute_hha(depth: np.ndarray, camera_matrix: np.ndarray, *,
                missing_mask: Optional[np.ndarray] = None,
                gravity: Optional[np.ndarray] = None, normal_window: int = 11,
                floor_percentile: float = 1.0) -> np.ndarray:
    """HHA encoding of a depth map (see the module docstring for the scaling).

    Args:
        depth: (H, W) depth along the optical axis in metres; 0, negative, NaN or
            infinite values are missing.
        camera_matrix: 3x3 intrinsics ``K``.
        missing_mask: optional (H, W) bool, True for further pixels to treat as
            missing.
        gravity: optional known up direction in camera coordinates (3-vector, e.g.
            from a calibrated rig); estimated with :func:`estimate_gravity` if None.
        normal_window: window side in pixels of the normal plane fit.
        floor_percentile: percentile of the valid pixels' heights taken as floor.

    Returns:
        uint8 (H, W, 3), channels [horizontal disparity, height above the floor,
        angle with gravity]; all 0 at missing pixels (all 0 everywhere when no
        pixel is valid).
    """
    d = _check_depth(depth)
    missing = _missing(d, missing_mask)
    hha = np.zeros(d.shape + (3,), dtype=np.uint8)
    valid = ~missing
    if not valid.any():
        return hha
    points = depth_to_points(np.where(missing, np.nan, d), camera_matrix)
    normals = estimate_normals(points, valid, window=normal_window)
    if gravity is None:
        g = estimate_gravity(points, normals, valid)
    else:
        g = np.asarray(gravity, dtype=np.float64)
        if g.shape != (3,) or not np.linalg.norm(g) > 0:
            raise ValueError(f'gravity must be a non-zero 3-vector, got {gravity!r}')
        g = g / np.linalg.norm(g)

    height = points[valid] @ g
    height -= np.percentile(height, floor_percentile)
    hha[valid, 0] = _to_uint8(DISPARITY_SCALE / d[valid])
    hha[valid, 1] = _to_uint8(HEIGHT_SCALE * height)
    has_normal = valid & np.all(np.isfinite(normals), axis=-1)
    angle = np.degrees(np.arccos(np.clip(normals[has_normal] @ g, -1.0, 1.0)))
    hha[has_normal, 2] = _to_uint8(angle + ANGLE_OFFSET)
    return hha


def _check_hha(hha: np.ndarray) -> np.ndarray:
    a = np.asarray(hha)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f'an HHA image is uint8 (H, W, 3), got {a.dtype} {a.shape}')
    return a


def save_hha(path: str, hha: np.ndarray) -> None:
    """Write ``hha`` ([disparity, height, angle], uint8 (H, W, 3)) as an image file.

    The file's R, G, B channels are disparity, height, angle (the published HHA
    convention). The format follows the suffix (``.jpg`` is lossy, ``.png`` exact).

    Raises:
        FileExistsError: ``path`` exists (never overwritten).
        OSError: the file cannot be written (e.g. missing folder, unknown suffix).
    """
    import cv2
    a = _check_hha(hha)
    if osp.lexists(path):
        raise FileExistsError(f'HHA output already exists: {path} (never overwritten)')
    if not cv2.haveImageWriter(path):
        raise OSError(f'no image writer for the suffix of {path}')
    # OpenCV writes BGR: reverse so the file's red channel holds the disparity.
    if not cv2.imwrite(path, np.ascontiguousarray(a[..., ::-1])):
        raise OSError(f'cannot write {path}')


def load_hha(path: str) -> np.ndarray:
    """Read an HHA image file into uint8 (H, W, 3) [disparity, height, angle]."""
    import cv2
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f'cannot read HHA image {path}')
    return np.ascontiguousarray(img[..., ::-1])
