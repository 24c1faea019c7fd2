# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Drawing helpers shared by the demo, the visualizer and the inference tool."""
from typing import Optional, Sequence

import cv2
import numpy as np


def x_to_display(x: np.ndarray, colormap: Optional[int] = cv2.COLORMAP_INFERNO,
                 valid_min: Optional[float] = None) -> np.ndarray:
    """Map an X image (H, W[, C]) of any dtype to a displayable (H, W, 3) uint8 RGB image.

    Values are stretched between their 1st and 99th percentile (depth 0 = invalid
    is excluded); a single channel gets ``colormap`` (None: gray).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[..., 0]
    valid = x > valid_min if valid_min is not None else np.ones(x.shape[:2], bool)
    if x.ndim == 3:
        valid = valid if valid.ndim == 2 else valid.all(-1)
    vals = x[valid] if valid.any() else x.reshape(-1)
    lo, hi = np.percentile(vals, 1), np.percentile(vals, 99)
    out = np.clip((x - lo) / max(hi - lo, 1e-6), 0, 1) * 255
    out = out.astype(np.uint8)
    if out.ndim == 2:
        if colormap is None:
            return np.repeat(out[..., None], 3, axis=2)
        return cv2.applyColorMap(out, colormap)[..., ::-1].copy()
    return out


def colorize_label(label: np.ndarray, palette: Sequence[Sequence[int]],
                   ignore_index: int = 255) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) uint8 RGB; ``ignore_index`` is drawn white."""
    lut = np.zeros((256, 3), np.uint8)
    pal = np.asarray(palette, np.uint8).reshape(-1, 3)
    lut[:len(pal)] = pal
    lut[ignore_index] = 255
    return lut[np.asarray(label, np.uint8)]


def overlay(base: np.ndarray, color: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a colour map onto an RGB image."""
    return (base.astype(np.float32) * (1 - alpha)
            + color.astype(np.float32) * alpha).clip(0, 255).astype(np.uint8)


def side_by_side(panels: Sequence[np.ndarray], titles: Optional[Sequence[str]] = None,
                 gap: int = 4, title_height: int = 18) -> np.ndarray:
    """Concatenate RGB panels of equal height horizontally, with titles on top."""
    h = max(p.shape[0] for p in panels)
    cols = []
    for i, p in enumerate(panels):
        if p.shape[0] != h:
            p = cv2.resize(p, (int(round(p.shape[1] * h / p.shape[0])), h),
                           interpolation=cv2.INTER_NEAREST)
        col = np.full((h + (title_height if titles else 0), p.shape[1], 3), 255, np.uint8)
        col[-h:] = p
        if titles:
            cv2.putText(col, str(titles[i]), (2, title_height - 5), cv2.FONT_HERSHEY_SIMPLEX,
                        0.4, (0, 0, 0), 1, cv2.LINE_AA)
        cols.append(col)
        if i < len(panels) - 1:
            cols.append(np.full((col.shape[0], gap, 3), 255, np.uint8))
    return np.concatenate(cols, axis=1)
