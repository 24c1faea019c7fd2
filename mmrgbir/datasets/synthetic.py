# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""A deterministic, procedurally generated RGB-T night-street dataset for the demo.

Night scenes of 96 x 128 pixels with four classes (background, road, car, person).
Cars are visible in RGB (body, headlights) and warm in thermal. People are hot in
thermal but, outside the pools of street light, as dark as the background in RGB,
so a model needs the thermal channel to find them. Warm building patches are
background: thermal alone confuses them with cars. Written in the
``RGBXSegDataset`` layout (``rgb/``, ``thermal/``, ``labels/``, ``train.txt``,
``val.txt``) with a manifest, so it is regenerated only when missing.

With ``with_depth=True`` a third modality is written to ``depth/`` (16-bit PNG,
millimetres, 0 = no measurement), derived from the same scene: a ground plane whose
distance grows towards the horizon, upright cars and people at the distance of the
ground where they stand, and far buildings. Depth separates the warm building patches
(far) from cars (near) where thermal confuses them, and outlines people where RGB
cannot see them.
"""
import json
import os
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np

CLASSES = ('background', 'road', 'car', 'person')
PALETTE = [[0, 0, 0], [128, 64, 128], [0, 0, 142], [220, 20, 60]]
GENERATOR_VERSION = 2


def _ellipse_mask(h, w, cy, cx, ry, rx):
    yy, xx = np.ogrid[:h, :w]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def render_scene(rng: np.random.Generator, size: Tuple[int, int] = (96, 128)):
    """Return (rgb uint8 (H, W, 3) in RGB order, thermal uint8 (H, W), label uint8 (H, W))."""
    h, w = size
    label = np.zeros((h, w), np.uint8)
    rgb = np.full((h, w, 3), 14.0) + rng.normal(0, 5, (h, w, 3))
    thermal = np.full((h, w), 55.0) + np.linspace(0, 15, h)[:, None] + rng.normal(0, 6, (h, w))

    # road: a trapezoid from the horizon to the bottom
    horizon = int(rng.integers(int(0.45 * h), int(0.6 * h)))
    yy, xx = np.mgrid[:h, :w]
    half = (yy - horizon + 1) * (w / (h - horizon)) * 0.55
    road = (yy >= horizon) & (np.abs(xx - w / 2) <= half + 8)
    label[road] = 1
    rgb[road] += 12
    thermal[road] += 30

    # warm building patches (background) above the horizon
    for _ in range(int(rng.integers(1, 4))):
        ph, pw = int(rng.integers(6, 12)), int(rng.integers(14, 28))
        py, px = int(rng.integers(2, max(3, horizon - ph))), int(rng.integers(0, w - pw))
        thermal[py:py + ph, px:px + pw] = 125 + rng.normal(0, 5, (ph, pw))
        rgb[py:py + ph, px:px + pw] += 6

    # pools of street light on the road
    lit = np.zeros((h, w), bool)
    for _ in range(int(rng.integers(1, 3))):
        cy, cx = rng.integers(horizon, h), rng.integers(0, w)
        pool = _ellipse_mask(h, w, cy, cx, 14, 22)
        lit |= pool
        rgb[pool] += 70

    # cars: visible in RGB, warm in thermal
    for _ in range(int(rng.integers(1, 3))):
        ch, cw = int(rng.integers(10, 16)), int(rng.integers(20, 34))
        cy = int(rng.integers(horizon, h - ch))
        cx = int(rng.integers(0, w - cw))
        body = rng.uniform(45, 95, 3)
        rgb[cy:cy + ch, cx:cx + cw] = body + rng.normal(0, 4, (ch, cw, 3))
        rgb[cy + ch // 2:cy + ch // 2 + 3, cx:cx + 3] = 250
        rgb[cy + ch // 2:cy + ch // 2 + 3, cx + cw - 3:cx + cw] = 250
        thermal[cy:cy + ch, cx:cx + cw] = 130 + rng.normal(0, 5, (ch, cw))
        thermal[cy + ch // 2:cy + ch, cx:cx + cw // 3] = 175
        label[cy:cy + ch, cx:cx + cw] = 2

    # people: hot in thermal; in RGB only visible where the street is lit
    for _ in range(int(rng.integers(2, 6))):
        ry, rx = int(rng.integers(9, 14)), int(rng.integers(4, 7))
        cy = int(rng.integers(max(ry, horizon - 5), h - ry))
        cx = int(rng.integers(rx, w - rx))
        person = _ellipse_mask(h, w, cy, cx, ry, rx)
        thermal[person] = 205 + rng.normal(0, 6, person.sum())
        visible = person & lit
        hidden = person & ~lit
        rgb[visible] = rng.uniform(110, 170, 3) + rng.normal(0, 6, (visible.sum(), 3))
        rgb[hidden] = 16 + rng.normal(0, 5, (hidden.sum(), 3))
        label[person] = 3

    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    thermal = np.clip(cv2.GaussianBlur(thermal, (3, 3), 0.8), 0, 255).astype(np.uint8)
    return rgb, thermal, label


#: depth of the far background (buildings, sky) in millimetres
FAR_MM = 40000


def render_depth(label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Depth (H, W) uint16 in millimetres for a scene's label map.

    The ground's distance follows a pinhole camera 1.5 m above a flat road
    (``d = f * 1.5 m / (row - horizon)``); every car / person blob stands on the
    ground at its lowest row and gets that row's distance; the rest is far. 2 % of
    the pixels have no measurement (0), as on real depth sensors.
    """
    h, w = label.shape
    road_rows = np.nonzero((label == 1).any(axis=1))[0]
    horizon = int(road_rows.min()) if road_rows.size else h // 2
    rows = np.arange(h, dtype=np.float64)
    focal = 1.1 * w
    ground = np.where(rows > horizon, focal * 1500.0 / np.maximum(rows - horizon, 1.0),
                      FAR_MM)
    depth = np.where(label == 1, ground[:, None], float(FAR_MM))
    below = rows[:, None] >= horizon
    depth = np.where((label == 0) & below, ground[:, None], depth)  # roadside ground
    for cls in (2, 3):
        count, comp = cv2.connectedComponents((label == cls).astype(np.uint8))
        for k in range(1, count):
            blob = comp == k
            base = int(np.nonzero(blob.any(axis=1))[0].max())
            depth[blob] = ground[base] if base > horizon else FAR_MM / 2
    depth = depth * (1.0 + rng.normal(0, 0.01, depth.shape))
    depth = np.clip(depth, 300, FAR_MM)
    depth[rng.random(depth.shape) < 0.02] = 0
    return np.rint(depth).astype(np.uint16)


def generate_night_rgbt(root: str, num_train: int = 160, num_val: int = 40,
                        size: Tuple[int, int] = (96, 128), seed: int = 0,
                        progress: Optional[bool] = True, with_depth: bool = False) -> str:
    """Write the dataset to ``root`` (skipped when an identical one is there).

    Refuses to write into a non-empty folder that it did not generate, so user
    data is never overwritten. ``with_depth`` adds ``depth/`` (see
    :func:`render_depth`); RGB, thermal and labels are the same either way.
    Returns ``root``.
    """
    params = dict(version=GENERATOR_VERSION, num_train=num_train, num_val=num_val,
                  size=list(size), seed=seed, classes=list(CLASSES))
    if with_depth:
        params['with_depth'] = True
    manifest = osp.join(root, 'manifest.json')
    if osp.isfile(manifest):
        with open(manifest) as f:
            if json.load(f) == params:
                return root
        raise FileExistsError(f'{root} holds a demo dataset generated with other '
                              f'parameters ({manifest}); remove it or choose another folder')
    if osp.isdir(root) and os.listdir(root):
        raise FileExistsError(f'{root} exists and is not an mmrgbir demo dataset; refusing '
                              f'to write into it')
    for sub in ('rgb', 'thermal', 'labels') + (('depth',) if with_depth else ()):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    names = [f'{i:04d}' for i in range(num_train + num_val)]
    it = names
    if progress:
        from mmengine.utils import track_iter_progress
        it = track_iter_progress(names)
    for i, name in enumerate(it):
        rng = np.random.default_rng([seed, i])
        rgb, thermal, label = render_scene(rng, size)
        cv2.imwrite(osp.join(root, 'rgb', name + '.png'), rgb[..., ::-1])
        cv2.imwrite(osp.join(root, 'thermal', name + '.png'), thermal)
        cv2.imwrite(osp.join(root, 'labels', name + '.png'), label)
        if with_depth:
            # its own generator: RGB / thermal / labels match the RGB-T dataset's
            depth = render_depth(label, np.random.default_rng([seed, i, 1]))
            cv2.imwrite(osp.join(root, 'depth', name + '.png'), depth)
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('\n'.join(names[:num_train]) + '\n')
    with open(osp.join(root, 'val.txt'), 'w') as f:
        f.write('\n'.join(names[num_train:]) + '\n')
    with open(manifest, 'w') as f:
        json.dump(params, f)
    return root
