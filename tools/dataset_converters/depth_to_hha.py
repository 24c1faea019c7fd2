# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Depth PNGs -> HHA images (Gupta et al., ECCV 2014; see mmrgbir/datasets/hha.py).

Input: a folder of 16-bit single-channel depth PNGs; ``value / depth_scale`` is the
depth in metres (default 1000: millimetres), 0 is missing. Other files are ignored.

Intrinsics: either one camera for all images (``--intrinsics FX FY CX CY``) or
``--intrinsics-dir DIR`` with ``DIR/<stem>.txt`` per image holding the 3x3 ``K``
as 9 numbers, row-major (``fx 0 cx / 0 fy cy / 0 0 1``).

Output: ``OUT_DIR/<stem><suffix>`` (default ``.jpg``), R, G, B = disparity, height,
angle, the layout of published HHA images (what ``NYUDv2Dataset(x_input='hha')``
reads from ``HHA/``). ``OUT_DIR`` must not exist or be empty (``--overwrite`` replaces
it); it is written in a temporary folder beside it and appears only when complete.
Frames are independent: ``--nproc N`` computes them on N processes (same files as
``--nproc 1``).

Example (NYU Depth v2, Kinect RGB intrinsics of the toolbox's ``camera_params.m``
with the principal point moved to 0-based pixels, as ``nyudv2.py --hha`` uses)::

    python tools/dataset_converters/depth_to_hha.py data/NYUDepthv2/Depth \\
        data/NYUDepthv2/HHA --intrinsics 518.857901 519.469611 324.582449 252.736166 \\
        --nproc 8
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmrgbir.datasets.hha import compute_hha, save_hha
from mmrgbir.utils.atomic_output import atomic_output_dir, check_output_dir
from mmrgbir.utils.progress import check_nproc, track_map


def read_camera_matrix(path: str) -> np.ndarray:
    """The 3x3 ``K`` of a text file with 9 numbers, row-major; errors name the file."""
    try:
        values = np.loadtxt(path, dtype=np.float64, ndmin=1).ravel()
    except ValueError as err:
        raise ValueError(f'cannot parse intrinsics file {path}: {err}') from None
    if values.size != 9:
        raise ValueError(f'intrinsics file {path} holds {values.size} numbers; expected 9 '
                         f'(the 3x3 K, row-major)')
    k = values.reshape(3, 3)
    if not np.allclose(k[2], (0.0, 0.0, 1.0)) or k[0, 0] <= 0 or k[1, 1] <= 0:
        raise ValueError(f'intrinsics file {path} is not a row-major K = [fx s cx; 0 fy cy; '
                         f'0 0 1] with fx, fy > 0: {k.tolist()}')
    return k


def read_depth_png(path: str, depth_scale: float) -> np.ndarray:
    """A 16-bit depth PNG as float64 metres; errors name the file."""
    raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise OSError(f'cannot decode depth image {path}')
    if raw.dtype != np.uint16 or raw.ndim != 2:
        channels = 1 if raw.ndim == 2 else raw.shape[2]
        raise ValueError(f'depth image {path} is {raw.dtype} with {channels} channel(s); '
                         f'expected a single-channel 16-bit PNG')
    return raw.astype(np.float64) / depth_scale


def convert_depth_to_hha(depth_dir: str, out_dir: str,
                         intrinsics: Optional[Sequence[float]] = None,
                         intrinsics_dir: Optional[str] = None, depth_scale: float = 1000.0,
                         suffix: str = '.jpg', nproc: int = 1, overwrite: bool = False,
                         progress: bool = True) -> Dict[str, int]:
    """Write ``out_dir/<stem><suffix>`` for every ``*.png`` in ``depth_dir``.

    Exactly one of ``intrinsics`` (fx, fy, cx, cy) and ``intrinsics_dir`` is given.
    ``nproc`` processes compute the frames; ``out_dir`` appears only when every frame
    was written (see :mod:`mmrgbir.utils.atomic_output`). Returns the counts printed:
    ``images`` converted, ``skipped`` non-PNG files, ``missing_pixels`` in total.
    """
    if (intrinsics is None) == (intrinsics_dir is None):
        raise ValueError('give exactly one of intrinsics (fx, fy, cx, cy) and intrinsics_dir')
    if not depth_scale > 0:
        raise ValueError(f'depth_scale must be positive, got {depth_scale}')
    if not suffix.startswith('.') or not cv2.haveImageWriter('x' + suffix):
        raise ValueError(f'suffix must be an image extension such as .jpg or .png, got '
                         f'{suffix!r}')
    check_nproc(nproc)
    if not osp.isdir(depth_dir):
        raise FileNotFoundError(f'depth folder not found: {depth_dir}')
    if intrinsics_dir is not None and not osp.isdir(intrinsics_dir):
        raise FileNotFoundError(f'intrinsics folder not found: {intrinsics_dir}')
    check_output_dir(out_dir, overwrite)
    files = sorted(os.listdir(depth_dir))
    names = [f for f in files if f.lower().endswith('.png')
             and osp.isfile(osp.join(depth_dir, f))]
    if not names:
        raise FileNotFoundError(f'no depth PNG in {depth_dir}')
    if intrinsics is not None:
        fx, fy, cx, cy = (float(v) for v in intrinsics)
        shared_k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    else:
        calib = {n: osp.join(intrinsics_dir, osp.splitext(n)[0] + '.txt') for n in names}
        absent = [p for p in calib.values() if not osp.isfile(p)]
        if absent:
            raise FileNotFoundError(f'{len(absent)} depth image(s) without an intrinsics '
                                    f'file, e.g. {absent[:3]}')

    with atomic_output_dir(out_dir, overwrite) as tmp:

        def convert(name: str) -> int:
            """One frame (in a worker with nproc > 1); returns its missing pixels."""
            depth = read_depth_png(osp.join(depth_dir, name), depth_scale)
            k = shared_k if intrinsics is not None else read_camera_matrix(calib[name])
            save_hha(osp.join(tmp, osp.splitext(name)[0] + suffix), compute_hha(depth, k))
            return int(np.count_nonzero(depth <= 0))

        missing = track_map(convert, names, nproc, progress=progress)
    return dict(images=len(names), skipped=len(files) - len(names),
                missing_pixels=sum(missing))


def main(argv: Optional[List[str]] = None) -> Dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('depth_dir', help='folder of 16-bit depth PNGs')
    parser.add_argument('out_dir', help='output folder (must not exist or be empty)')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes computing frames (default 1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a non-empty OUT_DIR once the new output is complete')
    camera = parser.add_mutually_exclusive_group(required=True)
    camera.add_argument('--intrinsics', nargs=4, type=float, metavar=('FX', 'FY', 'CX', 'CY'),
                        help='pinhole intrinsics in pixels, shared by all images')
    camera.add_argument('--intrinsics-dir',
                        help='folder with <stem>.txt per image: the 3x3 K, row-major')
    parser.add_argument('--depth-scale', type=float, default=1000.0,
                        help='PNG value per metre (default 1000: millimetres)')
    parser.add_argument('--suffix', default='.jpg', help='output extension (default .jpg)')
    args = parser.parse_args(argv)
    counts = convert_depth_to_hha(args.depth_dir, args.out_dir, intrinsics=args.intrinsics,
                                  intrinsics_dir=args.intrinsics_dir,
                                  depth_scale=args.depth_scale, suffix=args.suffix,
                                  nproc=args.nproc, overwrite=args.overwrite)
    print(f'HHA: {counts["images"]} depth image(s) -> {args.out_dir}/*{args.suffix}; '
          f'{counts["skipped"]} other file(s) ignored; {counts["missing_pixels"]} missing '
          f'depth pixel(s) encoded as 0')
    return counts


if __name__ == '__main__':
    main()
