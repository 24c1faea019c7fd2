# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Per-modality mean / std of an RGB-X dataset, for the data preprocessor.

Prints ``mean`` / ``std`` of RGB (in RGB order, 0-255, what ``RGBX*DataPreprocessor``
takes with ``bgr_to_rgb=True``) and ``x_mean`` / ``x_std`` of X in its stored units
(0-255 for 8-bit, raw counts / millimetres for 16-bit), over every pixel of the
images. Images are loaded exactly as the config's loader loads them.

Usage::

    # the training set of a config (its loader transform, no augmentation)
    python tools/analysis/modality_stats.py configs/_base_/datasets/mfnet.py
    # two folders paired by file stem
    python tools/analysis/modality_stats.py --rgb-dir data/x/rgb --x-dir data/x/thermal
    # depth: leave out invalid (0) pixels from the X statistics
    python tools/analysis/modality_stats.py CONFIG --x-ignore-zero --max-images 500
    # 4 processes load and measure the images (the numbers do not depend on --nproc)
    python tools/analysis/modality_stats.py CONFIG --nproc 4
"""
import argparse
import json
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np

#: ``(pixels, mean (C,), sum of squared deviations (C,))`` of one set of pixels
Moments = Tuple[int, np.ndarray, np.ndarray]

LOADERS = ('LoadRGBXImageFromFile', 'LoadStackedRGBXImageFromFile')


class ChannelStats:
    """Running per-channel mean and variance (Chan et al.'s pairwise update).

    Combining per-image moments keeps float64 precise for 16-bit data over many
    millions of pixels, where sum-of-squares formulas lose digits.
    """

    def __init__(self, channels: int) -> None:
        self.count = 0
        self.mean = np.zeros(channels, np.float64)
        self.m2 = np.zeros(channels, np.float64)

    @staticmethod
    def moments(values: np.ndarray) -> Moments:
        """The :data:`Moments` of pixels ``values`` (N, C)."""
        n = values.shape[0]
        if n == 0:
            return 0, np.zeros(values.shape[1]), np.zeros(values.shape[1])
        values = values.astype(np.float64, copy=False)
        mean = values.mean(axis=0)
        return n, mean, ((values - mean)**2).sum(axis=0)

    def update(self, values: np.ndarray) -> None:
        """Add pixels: ``values`` is (N, C)."""
        self.merge(*self.moments(values))

    def merge(self, n: int, mean: np.ndarray, m2: np.ndarray) -> None:
        """Add the :data:`Moments` of other pixels (e.g. measured in a worker)."""
        if n == 0:
            return
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + m2 + delta**2 * self.count * n / total
        self.count = total

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation (what normalisation divides by)."""
        return np.sqrt(self.m2 / max(self.count, 1))


def image_moments(img: np.ndarray, layout: dict,
                  x_ignore_zero: bool = False) -> Tuple[Moments, Moments, str]:
    """RGB :data:`Moments` (RGB order), X :data:`Moments` and X dtype of one stacked
    image (see :func:`modality_stats`); independent of other images, so workers can
    measure images in parallel."""
    r0, r1 = layout['rgb']
    x0, x1 = layout['x']
    rgb = img[..., r0:r1][..., ::-1].reshape(-1, r1 - r0)  # BGR -> RGB
    x = img[..., x0:x1].reshape(-1, x1 - x0)
    if x_ignore_zero:
        x = x[np.any(x != 0, axis=1)]
    return ChannelStats.moments(rgb), ChannelStats.moments(x), str(layout.get('x_dtype'))


def combine_moments(per_image: Iterable[Tuple[Moments, Moments, str]]) -> Dict:
    """The statistics of :func:`modality_stats` from :func:`image_moments` results,
    combined in the order given (so the numbers do not depend on how many processes
    measured the images)."""
    rgb_stats = x_stats = None
    images, dtypes = 0, set()
    for rgb, x, dtype in per_image:
        if rgb_stats is None:
            rgb_stats, x_stats = ChannelStats(rgb[1].size), ChannelStats(x[1].size)
        rgb_stats.merge(*rgb)
        x_stats.merge(*x)
        images += 1
        dtypes.add(dtype)
    if rgb_stats is None:
        raise ValueError('no image to measure')
    rnd = lambda a: [round(float(v), 3) for v in a]  # noqa: E731
    return dict(mean=rnd(rgb_stats.mean), std=rnd(rgb_stats.std), x_mean=rnd(x_stats.mean),
                x_std=rnd(x_stats.std), images=images, pixels=rgb_stats.count,
                x_pixels=x_stats.count, x_dtype=sorted(dtypes))


def modality_stats(samples: Iterable[Tuple[np.ndarray, dict]],
                   x_ignore_zero: bool = False) -> Dict:
    """Statistics of stacked images.

    Args:
        samples: ``(img, modality_layout)`` pairs, ``img`` (H, W, 3 + Cx) with RGB
            in BGR order as the loaders give it.
        x_ignore_zero: leave X pixels whose channels are all 0 out of the X
            statistics (invalid depth).

    Returns:
        dict: ``mean``, ``std`` (RGB order), ``x_mean``, ``x_std``, ``images``,
        ``pixels``, ``x_pixels``, ``x_dtype``.
    """
    return combine_moments(image_moments(img, layout, x_ignore_zero)
                           for img, layout in samples)


def parallel_modality_stats(load: Callable[[int], Tuple[np.ndarray, dict]],
                            indices: List[int], x_ignore_zero: bool = False,
                            nproc: int = 1, progress: bool = True) -> Dict:
    """:func:`modality_stats` of ``load(i)`` for ``i`` in ``indices``, loading and
    measuring on ``nproc`` processes with a progress bar; the result is the same for
    any ``nproc``."""
    from mmrgbir.utils.progress import track_map
    per_image = track_map(lambda i: image_moments(*load(i), x_ignore_zero), indices, nproc,
                          progress=progress)
    return combine_moments(per_image)


def _subset(n: int, max_images: Optional[int]) -> List[int]:
    """Evenly spread indices (all when ``max_images`` is None or >= n)."""
    if not max_images or max_images >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_images).round().astype(int).tolist()))


def folder_loader(rgb_dir: str, x_dir: str, max_images: Optional[int] = None,
                  x_kind: str = 'x', x_channels: Optional[int] = None
                  ) -> Tuple[Callable[[int], Tuple[np.ndarray, dict]], List[int]]:
    """``(load, indices)``: ``load(i)`` gives ``(img, layout)`` of the i-th pair of two
    folders paired by stem.

    ``x_channels`` as in ``LoadRGBXImageFromFile`` (1 keeps one channel of a gray
    image stored with 3 identical channels).
    """
    from mmrgbir.datasets.benchmarks.folder_layout import index_by_stem
    from mmrgbir.datasets.transforms.loading import LoadRGBXImageFromFile
    rgb, x = index_by_stem(rgb_dir, 'RGB'), index_by_stem(x_dir, 'X')
    missing = sorted(set(rgb) - set(x))
    if missing:
        raise FileNotFoundError(f'{len(missing)} RGB image(s) have no X image in {x_dir}, '
                                f'e.g. {missing[:5]}')
    loader = LoadRGBXImageFromFile(x_kind=x_kind, x_channels=x_channels)
    stems = sorted(rgb)

    def load(i: int) -> Tuple[np.ndarray, dict]:
        out = loader(dict(img_path=osp.join(rgb_dir, rgb[stems[i]]),
                          x_path=osp.join(x_dir, x[stems[i]])))
        return out['img'], out['modality_layout']

    return load, _subset(len(stems), max_images)


def config_loader(config: str, split: str = 'train', max_images: Optional[int] = None
                  ) -> Tuple[Callable[[int], Tuple[np.ndarray, dict]], List[int]]:
    """``(load, indices)`` for the ``<split>_dataloader`` dataset of a config, loaded by
    its pipeline's loader transform only."""
    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope
    from mmengine.utils import import_modules_from_strings

    import mmrgbir  # noqa: F401  (registers everything)
    cfg = Config.fromfile(config)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'{config} has no {key}')
    ds_cfg = cfg[key]['dataset'].copy()
    loaders = [t for t in ds_cfg.get('pipeline', []) if t.get('type') in LOADERS]
    if not loaders:
        raise ValueError(f'{config}: the {split} pipeline has no {" / ".join(LOADERS)}')
    ds_cfg['pipeline'] = [loaders[0]]
    dataset = DATASETS.build(ds_cfg)

    def load(i: int) -> Tuple[np.ndarray, dict]:
        out = dataset[i]
        return out['img'], out['modality_layout']

    return load, _subset(len(dataset), max_images)


def samples_from_folders(rgb_dir: str, x_dir: str, max_images: Optional[int] = None,
                         x_kind: str = 'x', x_channels: Optional[int] = None):
    """Yield ``(img, layout)`` for the files of two folders paired by stem
    (:func:`folder_loader`)."""
    load, indices = folder_loader(rgb_dir, x_dir, max_images, x_kind, x_channels)
    return (load(i) for i in indices)


def samples_from_config(config: str, split: str = 'train',
                        max_images: Optional[int] = None):
    """Yield ``(img, layout)`` for the ``<split>_dataloader`` dataset of a config
    (:func:`config_loader`)."""
    load, indices = config_loader(config, split, max_images)
    return (load(i) for i in indices)


def main(argv: Optional[List[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='config whose dataset to measure')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--rgb-dir', help='RGB folder (instead of a config)')
    parser.add_argument('--x-dir', help='X folder paired with --rgb-dir by file stem')
    parser.add_argument('--x-channels', type=int, choices=[1, 3],
                        help='folders: X channels to load (default: as stored)')
    parser.add_argument('--max-images', type=int, help='measure an even subset')
    parser.add_argument('--x-ignore-zero', action='store_true',
                        help='leave X pixels equal to 0 out (invalid depth)')
    parser.add_argument('--out', help='also write the numbers to this json')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes loading and measuring images (default 1; the '
                        'numbers are the same for any value)')
    args = parser.parse_args(argv)
    if args.config and (args.rgb_dir or args.x_dir):
        parser.error('give a config or --rgb-dir / --x-dir, not both')
    if args.config:
        load, indices = config_loader(args.config, args.split, args.max_images)
        source = f'{args.config} ({args.split})'
    elif args.rgb_dir and args.x_dir:
        load, indices = folder_loader(args.rgb_dir, args.x_dir, args.max_images,
                                      x_channels=args.x_channels)
        source = f'{args.rgb_dir} + {args.x_dir}'
    else:
        parser.error('give a config, or both --rgb-dir and --x-dir')
    stats = parallel_modality_stats(load, indices, args.x_ignore_zero, args.nproc)
    print(f'{source}: {stats["images"]} images, {stats["pixels"]} pixels '
          f'({stats["x_pixels"]} X pixels, X dtype {"/".join(stats["x_dtype"])})')
    print(f'mean={stats["mean"]}, std={stats["std"]},')
    print(f'x_mean={stats["x_mean"]}, x_std={stats["x_std"]},')
    if args.out:
        if osp.exists(args.out):
            raise FileExistsError(f'output already exists: {args.out}')
        with open(args.out, 'x') as f:
            json.dump(stats, f, indent=1)
    return stats


if __name__ == '__main__':
    main()
