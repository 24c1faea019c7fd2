# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""NYU Depth v2: the original labelled .mat file -> the layout NYUDv2Dataset reads.

Input, the official downloads::

    nyu_depth_v2_labeled.mat   MATLAB v7.3 (= HDF5, 2.8 GB), read with h5py, which
                               sees MATLAB's column-major arrays with reversed axes:
        images     (1449, 3, 640, 480) uint8     MATLAB 480 x 640 x 3 x 1449, RGB
        depths     (1449, 640, 480) float32      metres, in-painted (no holes)
        rawDepths  (1449, 640, 480) float32      metres, 0 where the Kinect gave none
        labels     (1449, 640, 480) uint16       0 unlabeled, 1..894 object ids
        names      894 object names              (only counted here)
    splits.mat                 MATLAB v5: trainNdxs (795 x 1), testNdxs (654 x 1),
                               1-based frame indices
    the 40-class labels of Gupta et al. (CVPR 2013), one of (MATLAB v5):
    classMapping40.mat         mapClass (1 x 894): object id -> 0..40; className (40)
    labels40.mat               labels40 (480 x 640 x 1449) uint8, already 0..40

Output (what ``NYUDv2Dataset`` and the ``nyudv2.py`` / ``nyudv2_hha.py`` configs
read)::

    RGB/0001.jpg      8-bit colour, JPEG quality 95 (``--rgb-format png``: exact PNG;
                      the config must then set ``img_suffix='.png'``)
    Depth/0001.png    uint16 depth in millimetres (rounded, clipped to 65535), 0 =
                      missing; the in-painted ``depths`` unless ``--raw-depth``
    Label/0001.png    uint8: 0 void, 1..40 the classes in ``NYUDV2_CLASSES`` order
    HHA/0001.jpg      with ``--hha``: the HHA encoding of the written depth
                      (mmrgbir.datasets.hha) with the toolbox's Kinect RGB intrinsics
    train.txt test.txt   one name per line, in the order of splits.mat

Names are the 1-based frame index of the .mat file (MATLAB's and splits.mat's
numbering) zero-padded to 4 digits: frame 1 is ``0001``, frame 1449 is ``1449``.
Only the frames listed in splits.mat are written (all 1,449 for the official
files). Frames are read from the HDF5 file one at a time; labels40.mat (MATLAB v5) can
only be loaded whole (about 450 MB). ``--nproc N`` converts frames on N processes (each
opens its own handle of the labelled file; the files are the same as with one). The
output folder is written in a temporary folder beside it and appears only when
complete; it must not exist or be empty unless ``--overwrite``.

Example::

    python tools/dataset_converters/nyudv2.py data/nyu/nyu_depth_v2_labeled.mat \\
        data/nyu/splits.mat data/NYUDepthv2 --class-mapping data/nyu/classMapping40.mat \\
        --hha --nproc 8
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmrgbir.datasets.benchmarks.seg_benchmarks import NYUDV2_CLASSES
from mmrgbir.utils.atomic_output import atomic_output_dir, check_output_dir
from mmrgbir.utils.progress import check_nproc, track_map

#: Frames and split sizes of the official files.
OFFICIAL_FRAMES = 1449
OFFICIAL_SPLITS = dict(train=795, test=654)
NUM_CLASSES = len(NYUDV2_CLASSES)  # 40
#: Kinect RGB intrinsics of the NYU Depth v2 toolbox (camera_params.m). The toolbox
#: uses 1-based MATLAB pixel coordinates (``meshgrid(1:640, 1:480)``).
NYU_RGB_INTRINSICS = dict(fx=5.1885790117450188e+02, fy=5.1946961112127485e+02,
                          cx=3.2558244941119034e+02, cy=2.5373616633400465e+02)
SPLIT_KEYS = (('train', 'trainNdxs'), ('test', 'testNdxs'))
JPEG_QUALITY = 95
# spellings of the 40 class names in the Gupta / FCN files that differ from ours
_NAME_ALIASES = {'refridgerator': 'fridge', 'refrigerator': 'fridge', 'television': 'tv'}


def nyu_camera_matrix() -> np.ndarray:
    """3x3 ``K`` of the NYU RGB camera for 0-based pixel coordinates.

    ``cx`` / ``cy`` of the toolbox are 1-based (MATLAB), so 1 is subtracted: pixel
    (0, 0) of a numpy array is pixel (1, 1) of the toolbox.
    """
    p = NYU_RGB_INTRINSICS
    return np.array([[p['fx'], 0.0, p['cx'] - 1.0],
                     [0.0, p['fy'], p['cy'] - 1.0],
                     [0.0, 0.0, 1.0]])


def frame_name(index: int, num_frames: int = OFFICIAL_FRAMES) -> str:
    """Output name of 1-based frame ``index``: ``0001`` .. ``1449``."""
    return str(index).zfill(max(4, len(str(num_frames))))


# ------------------------------------------------------------------ MATLAB files


def _loadmat(path: str, what: str, keys: Sequence[str]) -> dict:
    """Variables ``keys`` (those present) of a MATLAB v5 file."""
    import scipy.io
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        return scipy.io.loadmat(path, variable_names=list(keys))
    except NotImplementedError:  # scipy's answer to v7.3 (HDF5) files
        raise ValueError(f'{path}: a MATLAB v7.3 (HDF5) file; {what} is expected as the '
                         f'MATLAB v5 file of the download (re-save it with '
                         f"save(..., '-v7'))") from None
    except Exception as exc:  # noqa: BLE001 - scipy raises several types
        raise ValueError(f'{path}: cannot read {what} as a MATLAB file ({exc})') from None


def _require(mat: dict, key: str, path: str, expected: str) -> np.ndarray:
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith('__'))
        raise ValueError(f'{path}: no variable "{key}" ({expected}); found {found}')
    return np.asarray(mat[key])


def _index_vector(arr: np.ndarray, key: str, path: str) -> np.ndarray:
    """A MATLAB n x 1 / 1 x n numeric vector of integers -> int64 (n,)."""
    if arr.ndim > 2 or (arr.ndim == 2 and min(arr.shape) != 1) or arr.size == 0:
        raise ValueError(f'{path}: "{key}" has shape {arr.shape}; expected an n x 1 '
                         f'vector of 1-based frame indices')
    if arr.dtype.kind not in 'uif':
        raise ValueError(f'{path}: "{key}" has dtype {arr.dtype}; expected numbers')
    vec = arr.ravel()
    if not np.all(np.isfinite(vec)) or not np.array_equal(vec, np.round(vec)):
        raise ValueError(f'{path}: "{key}" holds non-integer values; expected frame '
                         f'indices')
    return vec.astype(np.int64)


def read_splits(path: str, num_frames: int, labeled: str = 'nyu_depth_v2_labeled.mat'
                ) -> Dict[str, List[int]]:
    """``{'train': [...], 'test': [...]}`` 1-based frame indices of splits.mat.

    Checks that the indices are within 1..``num_frames``, unique and disjoint; with
    the official ``num_frames`` (1449), also the official 795 / 654 split covering
    every frame.
    """
    mat = _loadmat(path, 'splits.mat', [k for _, k in SPLIT_KEYS])
    splits: Dict[str, List[int]] = {}
    for split, key in SPLIT_KEYS:
        idx = _index_vector(_require(mat, key, path, f'1-based {split} frame indices'),
                            key, path)
        bad = idx[(idx < 1) | (idx > num_frames)]
        if bad.size:
            raise ValueError(f'{path}: "{key}" has {bad.size} index(es) outside 1..'
                             f'{num_frames} (the frames of {labeled}), e.g. '
                             f'{bad[:5].tolist()}')
        values, counts = np.unique(idx, return_counts=True)
        if (counts > 1).any():
            raise ValueError(f'{path}: "{key}" lists frame(s) twice, e.g. '
                             f'{values[counts > 1][:5].tolist()}')
        splits[split] = idx.tolist()
    shared = sorted(set(splits['train']) & set(splits['test']))
    if shared:
        raise ValueError(f'{path}: trainNdxs and testNdxs share {len(shared)} frame(s), '
                         f'e.g. {shared[:5]}; the splits must be disjoint')
    if num_frames == OFFICIAL_FRAMES:
        sizes = {s: len(v) for s, v in splits.items()}
        if sizes != OFFICIAL_SPLITS:
            raise ValueError(f'{path}: {sizes["train"]} train / {sizes["test"]} test '
                             f'indices; the official split of the {OFFICIAL_FRAMES} '
                             f'frames is {OFFICIAL_SPLITS["train"]} / '
                             f'{OFFICIAL_SPLITS["test"]}')
    return splits


def _cell_strings(arr: np.ndarray) -> List[str]:
    """A MATLAB cell array of strings (as scipy loads it) -> list of str."""
    out = []
    for item in np.asarray(arr, dtype=object).ravel():
        item = np.asarray(item)
        if item.dtype.kind in 'US':
            out.append(''.join(str(s) for s in item.ravel()))
        elif item.size == 0:
            out.append('')
        else:
            out.append(str(item.ravel()[0]))
    return out


def _canonical(name: str) -> str:
    key = re.sub(r'[^a-z0-9]', '', name.strip().lower())
    return _NAME_ALIASES.get(key, key)


def check_class_names(names: Sequence[str], path: str) -> None:
    """Fail unless ``names`` are the 40 NYUDv2 classes in ``NYUDV2_CLASSES`` order.

    Spelling variants are accepted ("floor mat" = floor_mat, "refridgerator" =
    fridge, "television" = tv); the order is not negotiable, since class k of the
    file becomes label k of the output.
    """
    if len(names) != NUM_CLASSES:
        raise ValueError(f'{path}: className has {len(names)} names; expected the '
                         f'{NUM_CLASSES} classes of NYUDV2_CLASSES')
    wrong = [(i + 1, got, want) for i, (got, want) in enumerate(zip(names, NYUDV2_CLASSES))
             if _canonical(got) != _canonical(want)]
    if wrong:
        listed = ', '.join(f'{k}: "{got}" (expected "{want}")'
                           for k, got, want in wrong[:5])
        raise ValueError(f'{path}: className does not match NYUDV2_CLASSES (order '
                         f'matters: class k becomes label k) at {len(wrong)} position(s): '
                         f'{listed}')


def read_class_mapping(path: str, num_names: Optional[int] = None,
                       labeled: str = 'nyu_depth_v2_labeled.mat') -> np.ndarray:
    """uint8 lookup table ``lut[object_id] = 0..40`` (``lut[0] = 0``) from mapClass."""
    mat = _loadmat(path, 'classMapping40.mat', ['mapClass', 'className'])
    raw = _require(mat, 'mapClass', path, '1 x 894 map of object ids to 0..40')
    if raw.ndim > 2 or (raw.ndim == 2 and min(raw.shape) != 1) or raw.size == 0:
        raise ValueError(f'{path}: "mapClass" has shape {raw.shape}; expected 1 x 894 '
                         f'(one 40-class id per object id)')
    values = raw.ravel()
    if values.dtype.kind not in 'uif':
        raise ValueError(f'{path}: "mapClass" has dtype {values.dtype}; expected numbers')
    if (not np.all(np.isfinite(values)) or not np.array_equal(values, np.round(values))
            or values.min() < 0 or values.max() > NUM_CLASSES):
        raise ValueError(f'{path}: "mapClass" must hold integers 0..{NUM_CLASSES}; found '
                         f'values in {values.min()}..{values.max()}')
    if num_names is not None and values.size != num_names:
        raise ValueError(f'{path}: "mapClass" maps {values.size} object ids but {labeled} '
                         f'names {num_names} objects')
    if 'className' in mat:
        check_class_names(_cell_strings(mat['className']), path)
    return np.concatenate([[0], values]).astype(np.uint8)


def read_labels40(path: str, shape: Tuple[int, int, int]) -> np.ndarray:
    """labels40 (H x W x frames, 0..40) of labels40.mat; ``shape`` is (H, W, N)."""
    mat = _loadmat(path, 'labels40.mat', ['labels40', 'className'])
    arr = _require(mat, 'labels40', path, f'{shape[0]} x {shape[1]} x frames, 0..40')
    if arr.shape != tuple(shape):
        raise ValueError(f'{path}: "labels40" has shape {arr.shape}; expected '
                         f'{tuple(shape)} (height x width x frames of the labelled file)')
    if not np.issubdtype(arr.dtype, np.integer) and not (
            np.issubdtype(arr.dtype, np.floating) and np.array_equal(arr, np.round(arr))):
        raise ValueError(f'{path}: "labels40" has dtype {arr.dtype}; expected integer '
                         f'class ids')
    low, top = arr.min(), arr.max()
    if low < 0 or top > NUM_CLASSES:
        raise ValueError(f'{path}: "labels40" holds values {low}..{top}; expected class '
                         f'ids 0..{NUM_CLASSES} (0 void)')
    if 'className' in mat:
        check_class_names(_cell_strings(mat['className']), path)
    return arr


class LabeledFile:
    """``nyu_depth_v2_labeled.mat`` opened with h5py; frames are read one at a time.

    Args:
        path: the .mat (HDF5) file.
        depth_key: ``'depths'`` (in-painted) or ``'rawDepths'``.
        need_labels: check / read the 894-class ``labels`` too.
    """

    def __init__(self, path: str, depth_key: str = 'depths', need_labels: bool = True):
        import h5py
        if not osp.isfile(path):
            raise FileNotFoundError(f'nyu_depth_v2_labeled.mat not found: {path}')
        try:
            self.file = h5py.File(path, 'r')
        except OSError as exc:
            raise ValueError(f'{path}: not a MATLAB v7.3 (HDF5) file as the official '
                             f'nyu_depth_v2_labeled.mat ({exc})') from None
        self.path = path
        try:
            self.images = self._dataset('images', 'RGB frames')
            if self.images.ndim != 4 or self.images.shape[1] != 3:
                raise ValueError(f'{path}: "images" has shape {self.images.shape}; '
                                 f'expected (frames, 3, width, height), MATLAB\'s height x '
                                 f'width x 3 x frames read with reversed axes')
            n, _, w, h = self.images.shape
            self.num_frames, self.height, self.width = n, h, w
            self.depth = self._dataset(depth_key, 'depth in metres')
            self._check_shape(self.depth, depth_key)
            self.labels = None
            if need_labels:
                self.labels = self._dataset('labels', '894-class object ids, 0 unlabeled')
                self._check_shape(self.labels, 'labels')
            self.num_names = int(self.file['names'].size) if 'names' in self.file else None
        except Exception:
            self.file.close()
            raise

    def _dataset(self, key: str, what: str):
        import h5py
        if key not in self.file or not isinstance(self.file[key], h5py.Dataset):
            found = sorted(k for k in self.file if not k.startswith('#'))
            raise ValueError(f'{self.path}: no dataset "{key}" ({what}); found {found}')
        return self.file[key]

    def _check_shape(self, ds, key: str) -> None:
        want = (self.num_frames, self.width, self.height)
        if ds.shape != want:
            raise ValueError(f'{self.path}: "{key}" has shape {ds.shape}; expected {want} '
                             f'(frames, width, height) like "images" {self.images.shape}')

    def rgb(self, i: int) -> np.ndarray:
        """0-based frame ``i``: uint8 (H, W, 3), RGB order."""
        return np.ascontiguousarray(self.images[i].transpose(2, 1, 0))

    def depth_metres(self, i: int) -> np.ndarray:
        return np.ascontiguousarray(self.depth[i].T)

    def object_labels(self, i: int) -> np.ndarray:
        return np.ascontiguousarray(self.labels[i].T)

    def close(self) -> None:
        self.file.close()


def depth_to_mm(depth_m: np.ndarray) -> np.ndarray:
    """Metres -> uint16 millimetres: rounded, clipped to 65535; NaN / <= 0 -> 0."""
    d = np.asarray(depth_m, dtype=np.float64)
    d = np.where(np.isfinite(d) & (d > 0), d, 0.0)
    return np.clip(np.rint(d * 1000.0), 0, 65535).astype(np.uint16)


# ---------------------------------------------------------------- frame writing

_STATE: dict = {}


def _init_worker(cfg: dict) -> None:
    """Per-process state: the options and an own handle of the labelled file (an HDF5
    handle must not be shared between processes)."""
    _STATE.clear()
    _STATE.update(cfg)
    _STATE['file'] = LabeledFile(cfg['labeled'], cfg['depth_key'],
                                 need_labels=cfg['lut'] is not None)
    if cfg['hha']:
        from mmrgbir.datasets.hha import compute_hha, save_hha
        _STATE['hha_fns'] = (compute_hha, save_hha)


def _write(path: str, img: np.ndarray, params: Sequence[int] = ()) -> None:
    if not cv2.imwrite(path, img, list(params)):
        raise OSError(f'cannot write {path}')


def _convert_frame(task: Tuple[int, str]) -> Tuple[np.ndarray, int]:
    """Write one frame; returns (label histogram over 0..40, missing depth pixels)."""
    index, name = task
    s, f = _STATE, _STATE['file']
    i = index - 1
    out = s['out']
    if s['labels'] is None:
        ids = f.object_labels(i)
        top = int(ids.max())
        if top >= len(s['lut']):
            raise ValueError(f'{s["labeled"]}: frame {index} has object id {top}, but '
                             f'{s["label_source"]} maps ids 1..{len(s["lut"]) - 1} only')
        label40 = s['lut'][ids]
    else:
        label40 = np.ascontiguousarray(s['labels'][:, :, i])
        top = int(label40.max())
        if top > NUM_CLASSES or int(label40.min()) < 0:
            raise ValueError(f'{s["label_source"]}: frame {index} holds class id {top}; '
                             f'expected 0..{NUM_CLASSES}')
        label40 = label40.astype(np.uint8)
    rgb = f.rgb(i)
    depth_mm = depth_to_mm(f.depth_metres(i))
    ext = s['rgb_ext']
    params = [cv2.IMWRITE_JPEG_QUALITY, s['jpeg_quality']] if ext == '.jpg' else []
    # cv2 writes BGR: reverse the channels so the file holds the stored colours
    _write(osp.join(out, 'RGB', name + ext), np.ascontiguousarray(rgb[..., ::-1]), params)
    _write(osp.join(out, 'Depth', name + '.png'), depth_mm)
    _write(osp.join(out, 'Label', name + '.png'), label40)
    if s['hha']:
        compute_hha, save_hha = s['hha_fns']
        # from the depth as written, so HHA/ can be reproduced from Depth/
        hha = compute_hha(depth_mm.astype(np.float64) / 1000.0, s['camera_matrix'])
        hha = np.asarray(hha)
        if hha.dtype != np.uint8 or hha.shape != depth_mm.shape + (3, ):
            raise ValueError(f'compute_hha returned {hha.dtype} {hha.shape} for frame '
                             f'{index}; expected uint8 {depth_mm.shape + (3, )}')
        save_hha(osp.join(out, 'HHA', name + '.jpg'), hha)
    hist = np.bincount(label40.ravel(), minlength=NUM_CLASSES + 1)
    return hist, int((depth_mm == 0).sum())


# ------------------------------------------------------------------- converter


def convert_nyudv2(labeled: str, splits_file: str, out: str,
                   class_mapping: Optional[str] = None, labels40: Optional[str] = None,
                   raw_depth: bool = False, rgb_format: str = 'jpg',
                   jpeg_quality: int = JPEG_QUALITY, hha: bool = False,
                   nproc: int = 1, overwrite: bool = False, progress: bool = True,
                   workers: Optional[int] = None) -> Dict[str, object]:
    """Convert the official files into ``out``; returns the counts printed.

    Exactly one of ``class_mapping`` (classMapping40.mat) and ``labels40``
    (labels40.mat) gives the 40-class labels. Every input is checked before anything
    is written; ``out`` must not exist or be empty (unless ``overwrite``) and appears
    only when complete. ``nproc`` processes convert the frames (``workers`` is its
    former name).
    """
    if (class_mapping is None) == (labels40 is None):
        raise ValueError('give exactly one of class_mapping (classMapping40.mat) and '
                         'labels40 (labels40.mat)')
    if rgb_format not in ('jpg', 'png'):
        raise ValueError(f'rgb_format must be "jpg" or "png", got {rgb_format!r}')
    if not 1 <= int(jpeg_quality) <= 100:
        raise ValueError(f'jpeg_quality must be in 1..100, got {jpeg_quality}')
    if workers is not None:
        nproc = check_nproc(workers, 'workers')
    check_nproc(nproc)
    check_output_dir(out, overwrite)
    if hha:  # fail before converting anything when the HHA code is missing
        from mmrgbir.datasets.hha import compute_hha, save_hha  # noqa: F401
    depth_key = 'rawDepths' if raw_depth else 'depths'

    # ---- read and check every input first
    src = LabeledFile(labeled, depth_key, need_labels=class_mapping is not None)
    try:
        n, shape = src.num_frames, (src.height, src.width, src.num_frames)
        num_names = src.num_names
    finally:
        src.close()
    splits = read_splits(splits_file, n, labeled)
    lut, labels = None, None
    if class_mapping is not None:
        lut = read_class_mapping(class_mapping, num_names, labeled)
    else:
        labels = read_labels40(labels40, shape)

    # ---- write
    frames = sorted(splits['train'] + splits['test'])
    names = {i: frame_name(i, n) for i in frames}
    with atomic_output_dir(out, overwrite) as tmp:
        for sub in ['RGB', 'Depth', 'Label'] + (['HHA'] if hha else []):
            os.makedirs(osp.join(tmp, sub))
        cfg = dict(labeled=labeled, depth_key=depth_key, lut=lut, labels=labels,
                   label_source=class_mapping or labels40, out=tmp,
                   rgb_ext='.' + rgb_format, jpeg_quality=int(jpeg_quality), hha=hha,
                   camera_matrix=nyu_camera_matrix())
        try:
            results = track_map(_convert_frame, [(i, names[i]) for i in frames], nproc,
                                initializer=_init_worker, initargs=(cfg, ),
                                progress=progress)
        finally:  # the handle opened here with nproc == 1
            if 'file' in _STATE:
                _STATE['file'].close()
            _STATE.clear()
        for split, ids in splits.items():
            with open(osp.join(tmp, f'{split}.txt'), 'x') as f:
                f.write(''.join(names[i] + '\n' for i in ids))
    hist = np.sum([h for h, _ in results], axis=0)
    missing = sum(m for _, m in results)

    pixels = max(int(hist.sum()), 1)
    counts: Dict[str, object] = dict(
        frames=len(frames), train=len(splits['train']), test=len(splits['test']),
        skipped=n - len(frames), hha=len(frames) if hha else 0,
        void_pct=round(100.0 * float(hist[0]) / pixels, 2),
        classes_present=int((hist[1:] > 0).sum()),
        depth_missing_pct=round(100.0 * float(missing) / pixels, 2))
    counts['absent_classes'] = [NYUDV2_CLASSES[k] for k in range(NUM_CLASSES)
                                if hist[k + 1] == 0]
    return counts


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('labeled', help='nyu_depth_v2_labeled.mat (MATLAB v7.3 / HDF5)')
    parser.add_argument('splits', help='splits.mat (trainNdxs, testNdxs)')
    parser.add_argument('out', help='output folder (must not exist or be empty)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--class-mapping', metavar='FILE',
                        help='classMapping40.mat (mapClass: 894 object ids -> 0..40)')
    source.add_argument('--labels40', metavar='FILE',
                        help='labels40.mat (labels40: 480 x 640 x 1449, 0..40)')
    parser.add_argument('--raw-depth', action='store_true',
                        help='write rawDepths (holes = 0) instead of the in-painted depths')
    parser.add_argument('--rgb-format', choices=('jpg', 'png'), default='jpg',
                        help='RGB/ file format (png is exact; the dataset config must '
                        "then set img_suffix='.png')")
    parser.add_argument('--jpeg-quality', type=int, default=JPEG_QUALITY,
                        help=f'JPEG quality of RGB/*.jpg (default {JPEG_QUALITY})')
    parser.add_argument('--hha', action='store_true',
                        help='also write HHA/<name>.jpg (mmrgbir.datasets.hha), computed '
                        'from the written depth with the NYU RGB intrinsics')
    parser.add_argument('--nproc', '--workers', type=int, default=1, dest='nproc',
                        help='processes converting frames (default 1; --workers is the '
                        'former name)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a non-empty output folder once the new one is complete')
    args = parser.parse_args(argv)
    counts = convert_nyudv2(args.labeled, args.splits, args.out,
                            class_mapping=args.class_mapping, labels40=args.labels40,
                            raw_depth=args.raw_depth, rgb_format=args.rgb_format,
                            jpeg_quality=args.jpeg_quality, hha=args.hha,
                            nproc=args.nproc, overwrite=args.overwrite)
    folders = 'RGB,Depth,Label' + (',HHA' if args.hha else '')
    print(f'NYUDv2: {counts["frames"]} frames (train {counts["train"]}, test '
          f'{counts["test"]}) -> {args.out}/{{{folders}}}'
          + (f'; {counts["skipped"]} frame(s) in no split skipped' if counts['skipped']
             else ''))
    print(f'  RGB: .{args.rgb_format}'
          + (f' (quality {args.jpeg_quality})' if args.rgb_format == 'jpg' else
             " (set img_suffix='.png' in the dataset config)")
          + f'; depth: {"rawDepths" if args.raw_depth else "depths (in-painted)"} in mm, '
          f'missing {counts["depth_missing_pct"]}% of pixels')
    absent = counts['absent_classes']
    print(f'  labels ({args.class_mapping or args.labels40}): void {counts["void_pct"]}% '
          f'of pixels; {counts["classes_present"]} / {NUM_CLASSES} classes present'
          + (f' (absent: {", ".join(absent)})' if absent else ''))
    return counts


if __name__ == '__main__':
    main()
