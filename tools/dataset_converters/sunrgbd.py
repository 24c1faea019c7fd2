# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""SUN RGB-D: the original download (SUNRGBD.zip + SUNRGBDtoolbox.zip) -> RGB / Depth / Label.

Input, the official download (https://rgbd.cs.princeton.edu/)::

    SUNRGBD/                                  --sunrgbd-root (the folder holding kv1/ ...)
      kv1/NYUdata/NYU0001/                    one folder per sample, under the sensor
        image/NYU0001.jpg                     (kv1, kv2, realsense, xtion)
        depth/NYU0001.png                     raw depth, uint16, bits rotated (below)
        depth_bfx/NYU0001.png                 refined (hole-filled) depth, same encoding
        intrinsics.txt                        3 x 3 K, row by row (read for --hha only)
        extrinsics/*.txt  seg.mat  annotation2Dfinal/index.json ...   (not used)
      kv2/kinect2data/...  kv2/align_kv2/...  realsense/...  xtion/...
    SUNRGBDtoolbox/                           --toolbox
      Metadata/SUNRGBDMeta.mat                10,335 samples (struct array SUNRGBDMeta:
                                              sequenceName, rgbpath, depthpath, K, ...)
      Metadata/SUNRGBD2Dseg.mat               37-class labels, struct array SUNRGBD2Dseg,
                                              field seglabel, in SUNRGBDMeta order
      Metadata/seg37list.mat                  the 37 class names (cell seg37list)
      traintestSUNRGBD/allsplit.mat           cells alltrain (5,285) / alltest (5,050) of
                                              sample folders, e.g.
                                              /n/fs/sun3d/data/SUNRGBD/kv1/NYUdata/NYU0001

``SUNRGBD2Dseg.mat`` is a MATLAB v7.3 (HDF5) file, read with h5py one label at a
time (it is several GB); the other three are MATLAB v5 files (scipy). Every file is
sniffed, so either format is read. Samples are found through ``SUNRGBDMeta.mat``
(required: the labels are stored in its order): the sample folder is the part of
``rgbpath`` (or ``sequenceName``) after ``SUNRGBD/``, the file names are those of
``rgbpath`` / ``depthpath``. Split entries are matched to samples by that same part,
so the absolute ``/n/fs/sun3d/data/`` prefix and trailing slashes do not matter.

Output (what ``SUNRGBDDataset`` reads, ``configs/_base_/datasets/sunrgbd.py``)::

    RGB/000001.jpg      the original JPEG bytes (not re-encoded)
    Depth/000001.png    uint16 depth in millimetres, 0 = missing
    Label/000001.png    uint8, 0 = void, k = k-th name of seg37list (1..37)
    HHA/000001.jpg      with --hha only (mmrgbir.datasets.hha, with intrinsics.txt)
    train.txt test.txt  one name per line (5,285 / 5,050)

Names are the 1-based position in ``SUNRGBDMeta.mat`` (MATLAB's imageId), zero-padded
to 6 digits: ``000001`` .. ``010335``. Depth PNGs store each 16-bit value rotated left
by 3 bits; the toolbox (``read3dPoints.m``) reads metres as
``((d >> 3) | (d << 13)) & 0xFFFF`` / 1000, so the rotated-back value is millimetres.
It is written as is (the toolbox clamps to 8 m when it builds point clouds; this
converter does not). ``--depth-folder depth`` takes the raw instead of the refined
depth. A sample in neither split is converted and listed in no split file (the official
split covers all 10,335).

``--nproc N`` converts samples on N processes (each opens its own handle of
SUNRGBD2Dseg.mat; the files are the same as with one): use it with ``--hha``, which
costs about a second per sample. The output folder is written in a temporary folder
beside it and appears only when complete; it must not exist or be empty unless
``--overwrite``.

Example::

    python tools/dataset_converters/sunrgbd.py \\
        --sunrgbd-root data/sunrgbd_download/SUNRGBD \\
        --toolbox data/sunrgbd_download/SUNRGBDtoolbox --out data/SUNRGBD --hha --nproc 8
"""
import argparse
import os
import os.path as osp
import shutil
from collections import Counter, OrderedDict
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmrgbir.datasets.benchmarks.seg_benchmarks import SUNRGBD_CLASSES
from mmrgbir.datasets.rgbx_seg import format_listing
from mmrgbir.utils.atomic_output import atomic_output_dir, check_output_dir
from mmrgbir.utils.progress import check_nproc, track_map

SPLITS = ('train', 'test')
SENSORS = ('kv1', 'kv2', 'realsense', 'xtion')
DEPTH_FOLDERS = ('depth_bfx', 'depth')
#: files under --toolbox (overridable one by one)
TOOLBOX_FILES = dict(meta='Metadata/SUNRGBDMeta.mat', seg='Metadata/SUNRGBD2Dseg.mat',
                     seg37list='Metadata/seg37list.mat',
                     split='traintestSUNRGBD/allsplit.mat')
HDF5_SIGNATURE = b'\x89HDF\r\n\x1a\n'
JPEG_SIGNATURE = b'\xff\xd8\xff'


# ------------------------------------------------------------------ depth encoding


def decode_depth(stored: np.ndarray) -> np.ndarray:
    """Stored SUN RGB-D depth PNG values -> depth in millimetres (uint16).

    The PNGs hold each value rotated left by 3 bits on 16 bits; the toolbox reverses
    it with ``bitor(bitshift(d, -3), bitshift(d, 16 - 3))`` (MATLAB drops the bits
    shifted out of a uint16) and divides by 1000 for metres.
    """
    d = np.asarray(stored)
    if d.dtype != np.uint16:
        raise ValueError(f'expected a uint16 depth image, got {d.dtype}')
    d = d.astype(np.uint32)
    return (((d >> 3) | (d << 13)) & 0xFFFF).astype(np.uint16)


def encode_depth(depth_mm: np.ndarray) -> np.ndarray:
    """Inverse of :func:`decode_depth` (millimetres -> stored PNG values)."""
    d = np.asarray(depth_mm).astype(np.uint32)
    return (((d << 3) | (d >> 13)) & 0xFFFF).astype(np.uint16)


# ------------------------------------------------------------------- .mat reading


def is_hdf5(path: str) -> bool:
    """True for MATLAB v7.3 (HDF5) files, False for v4 / v5 / v7 ones.

    The HDF5 superblock sits at offset 0 or at 512, 1024, 2048, ... (v7.3 files keep
    a 512-byte MATLAB header in front of it, the "user block").
    """
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        offset = 0
        while offset + len(HDF5_SIGNATURE) <= size:
            f.seek(offset)
            if f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2
    return False


def _v5_str(value, where: str) -> str:
    """A MATLAB char array as loaded by scipy (possibly wrapped in 1 x 1 cells)."""
    while True:
        if isinstance(value, bytes):
            return value.decode('utf-8')
        if isinstance(value, str):
            return value
        arr = np.asarray(value)
        if arr.size == 0:
            return ''
        if arr.dtype.kind in 'US':
            if arr.size != 1:  # a char matrix: MATLAB pads the rows
                return ''.join(str(v) for v in arr.ravel()).rstrip()
            return str(arr.ravel()[0])
        if arr.dtype == object and arr.size == 1:
            value = arr.ravel()[0]
            continue
        raise ValueError(f'{where}: expected a string, got an array of shape {arr.shape} '
                         f'and type {arr.dtype}')


class MatFile:
    """The few MATLAB variables the converter reads, from a v5 (scipy) or v7.3 (h5py) file.

    MATLAB writes v7.3 arrays transposed (HDF5 is row-major), cells as arrays of object
    references, char arrays as uint16 codes, and each field of a struct array as an
    array of references (one per element) without a ``MATLAB_class`` attribute.
    """

    def __init__(self, path: str, what: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} not found: {path}')
        self.path, self.what = path, what
        self.hdf5 = is_hdf5(path)
        self._v5: Dict[str, np.ndarray] = {}
        self._h5 = None
        if self.hdf5:
            try:
                import h5py
            except ImportError:
                raise ImportError(f'{path} is a MATLAB v7.3 (HDF5) file; reading it needs '
                                  f'h5py (pip install h5py)') from None
            self._h5 = h5py.File(path, 'r')

    def close(self) -> None:
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ helpers

    def _names(self) -> List[str]:
        if self.hdf5:
            return sorted(k for k in self._h5.keys() if not k.startswith('#'))
        import scipy.io
        return sorted(name for name, _, _ in scipy.io.whosmat(self.path))

    def _var(self, name: str):
        """The variable (h5py object, or scipy array); a clear error when absent."""
        if self.hdf5:
            if name not in self._h5:
                raise KeyError(f'{self.path}: no variable {name!r} (found {self._names()}); '
                               f'is this the right {self.what}?')
            return self._h5[name]
        if name not in self._v5:
            import scipy.io
            try:
                data = scipy.io.loadmat(self.path, variable_names=[name])
            except Exception as exc:  # noqa: BLE001 - scipy raises several types
                raise OSError(f'cannot read {self.what} {self.path} as a MATLAB file: '
                              f'{exc}') from exc
            if name not in data:
                raise KeyError(f'{self.path}: no variable {name!r} (found {self._names()}); '
                               f'is this the right {self.what}?')
            self._v5[name] = data[name]
        return self._v5[name]

    def _h5_class(self, obj) -> str:
        value = obj.attrs.get('MATLAB_class', b'')
        return value.decode() if isinstance(value, bytes) else str(value)

    def _h5_deref(self, ref, where: str):
        if not ref:
            raise ValueError(f'{self.path}: {where} is a null reference')
        return self._h5[ref]

    def _h5_str(self, obj, where: str) -> str:
        import h5py
        if not isinstance(obj, h5py.Dataset):
            raise ValueError(f'{self.path}: {where} is a {type(obj).__name__}, expected a '
                             f'char array')
        if obj.attrs.get('MATLAB_empty', 0):
            return ''
        cls = self._h5_class(obj)
        if cls != 'char':
            raise ValueError(f'{self.path}: {where} has MATLAB class {cls!r}, expected '
                             f'char')
        codes = np.asarray(obj[()])
        # a 1 x n char row is stored as n x 1; rows of a char matrix become columns
        return ''.join(''.join(map(chr, row)) for row in np.atleast_2d(codes).T).rstrip('\0')

    def _h5_refs(self, dataset, where: str) -> np.ndarray:
        import h5py
        if not isinstance(dataset, h5py.Dataset) or dataset.dtype != h5py.ref_dtype:
            raise ValueError(f'{self.path}: {where} is not an array of references (a cell '
                             f'or a struct-array field)')
        return np.asarray(dataset[()]).ravel()  # n x 1 or 1 x n: same order

    # --------------------------------------------------------------- variables

    def strings(self, name: str) -> List[str]:
        """A cell array of strings (e.g. ``seg37list``, ``alltrain``)."""
        var = self._var(name)
        where = f'variable {name!r}'
        if self.hdf5:
            return [self._h5_str(self._h5_deref(r, f'{where}{{{i + 1}}}'),
                                 f'{where}{{{i + 1}}}')
                    for i, r in enumerate(self._h5_refs(var, where))]
        arr = np.asarray(var)
        if arr.dtype != object:  # a single string, not a cell
            raise ValueError(f'{self.path}: {where} is not a cell array of strings')
        return [_v5_str(v, f'{self.path}: {where}{{{i + 1}}}')
                for i, v in enumerate(arr.ravel(order='F'))]

    def struct_fields(self, name: str) -> List[str]:
        var = self._var(name)
        if self.hdf5:
            import h5py
            if not isinstance(var, h5py.Group):
                raise ValueError(f'{self.path}: variable {name!r} is not a struct array')
            return sorted(k for k in var.keys())
        if var.dtype.names is None:
            raise ValueError(f'{self.path}: variable {name!r} is not a struct array')
        return list(var.dtype.names)

    def struct_items(self, name: str, field: str):
        """The elements of struct array ``name`` (references to its ``field`` in v7.3)."""
        fields = self.struct_fields(name)
        if field not in fields:
            raise KeyError(f'{self.path}: struct {name!r} has no field {field!r} (fields: '
                           f'{fields}); is this the right {self.what}?')
        var = self._var(name)
        if self.hdf5:
            return self._h5_refs(var[field], f'{name}.{field}')
        return np.asarray(var).ravel(order='F')

    def struct_strings(self, name: str, field: str) -> List[str]:
        """``[s(1).field, s(2).field, ...]`` of a struct array of strings."""
        items = self.struct_items(name, field)
        out = []
        for i, item in enumerate(items):
            where = f'{name}({i + 1}).{field}'
            if self.hdf5:
                out.append(self._h5_str(self._h5_deref(item, where), where))
            else:
                out.append(_v5_str(item[field], f'{self.path}: {where}'))
        return out

    def struct_array(self, name: str, field: str, index: int,
                     items: Optional[np.ndarray] = None) -> np.ndarray:
        """``s(index + 1).field`` as a numeric array in MATLAB orientation (rows, cols)."""
        items = self.struct_items(name, field) if items is None else items
        where = f'{name}({index + 1}).{field}'
        if self.hdf5:
            dataset = self._h5_deref(items[index], where)
            if dataset.attrs.get('MATLAB_empty', 0):
                return np.zeros((0, 0), np.uint8)
            arr = np.asarray(dataset[()])
            return arr.T if arr.ndim == 2 else arr  # HDF5 holds the transpose
        return np.asarray(items[index][field])


# ------------------------------------------------------------------------ samples


def sunrgbd_relpath(path: str) -> str:
    """Part of a SUN RGB-D path after its first ``SUNRGBD`` component, without slashes
    at the ends: ``/n/fs/sun3d/data/SUNRGBD/kv1/NYUdata/NYU0001/`` ->
    ``kv1/NYUdata/NYU0001``. A path without that component is kept (relative)."""
    parts = [p for p in path.strip().replace('\\', '/').split('/') if p not in ('', '.')]
    if 'SUNRGBD' in parts:
        parts = parts[parts.index('SUNRGBD') + 1:]
    return '/'.join(parts)


def _basename(path: str) -> str:
    return path.strip().replace('\\', '/').rstrip('/').rsplit('/', 1)[-1]


def read_samples(meta: MatFile) -> List[dict]:
    """One dict per SUNRGBDMeta entry: ``folder`` (relative to SUNRGBD/), ``sensor``,
    ``rgbname``, ``depthname``."""
    fields = meta.struct_fields('SUNRGBDMeta')
    for need in ('rgbpath', 'depthpath'):
        if need not in fields:
            raise KeyError(f'{meta.path}: SUNRGBDMeta has no field {need!r} (fields: '
                           f'{fields}); expected the toolbox file Metadata/SUNRGBDMeta.mat')
    rgbpaths = meta.struct_strings('SUNRGBDMeta', 'rgbpath')
    depthpaths = meta.struct_strings('SUNRGBDMeta', 'depthpath')
    seqs = (meta.struct_strings('SUNRGBDMeta', 'sequenceName')
            if 'sequenceName' in fields else [''] * len(rgbpaths))
    samples = []
    for i, (rgbpath, depthpath, seq) in enumerate(zip(rgbpaths, depthpaths, seqs)):
        # rgbpath = <folder>/image/<name>.jpg, depthpath = <folder>/depth/<name>.png
        rgb_parts = rgbpath.strip().replace('\\', '/').rstrip('/').split('/')
        if len(rgb_parts) >= 3 and rgb_parts[-2] == 'image':
            folder = sunrgbd_relpath('/'.join(rgb_parts[:-2]))
        else:
            folder = sunrgbd_relpath(seq)
        rgbname, depthname = _basename(rgbpath), _basename(depthpath)
        if not folder or not rgbname or not depthname:
            raise ValueError(f'{meta.path}: SUNRGBDMeta({i + 1}) has rgbpath={rgbpath!r}, '
                             f'depthpath={depthpath!r}, sequenceName={seq!r}; expected '
                             f'.../SUNRGBD/<sensor>/.../image/<name>.jpg and '
                             f'.../depth/<name>.png')
        samples.append(dict(index=i, name=f'{i + 1:06d}', folder=folder,
                            sensor=folder.split('/')[0], rgbname=rgbname,
                            depthname=depthname))
    if not samples:
        raise ValueError(f'{meta.path}: SUNRGBDMeta is empty')
    return samples


def assign_splits(samples: Sequence[dict], split: MatFile) -> Dict[str, List[int]]:
    """``{split: [sample index, ...]}`` (meta order) from allsplit.mat's alltrain / alltest."""
    by_folder: Dict[str, int] = {}
    for s in samples:
        if s['folder'] in by_folder:
            raise ValueError(f'SUNRGBDMeta entries {by_folder[s["folder"]] + 1} and '
                             f'{s["index"] + 1} share the sample folder {s["folder"]}; '
                             f'cannot match the split to samples')
        by_folder[s['folder']] = s['index']
    result: Dict[str, List[int]] = {}
    owner: Dict[int, str] = {}
    for name, var in (('train', 'alltrain'), ('test', 'alltest')):
        paths = split.strings(var)
        unknown = [p for p in paths if sunrgbd_relpath(p) not in by_folder]
        if unknown:
            raise ValueError(f'{split.path}: {len(unknown)} of the {len(paths)} {var} '
                             f'path(s) match no SUNRGBDMeta sample (compared by the part '
                             f'after "SUNRGBD/"), e.g. {unknown[:3]}')
        indices = [by_folder[sunrgbd_relpath(p)] for p in paths]
        for i in indices:
            if owner.get(i, name) != name:
                raise ValueError(f'{split.path}: sample {samples[i]["folder"]} is in both '
                                 f'alltrain and alltest')
            owner[i] = name
        dup = [samples[i]['folder'] for i, c in Counter(indices).items() if c > 1]
        if dup:
            raise ValueError(f'{split.path}: {var} lists {len(dup)} sample(s) twice, e.g. '
                             f'{dup[:3]}')
        result[name] = sorted(indices)
    return result


def check_class_names(names: Sequence[str], path: str) -> None:
    """seg37list must list SUNRGBDDataset's classes, in order (label k = names[k - 1])."""
    names = [n.strip() for n in names]
    if tuple(names) == tuple(SUNRGBD_CLASSES):
        return
    if len(names) != len(SUNRGBD_CLASSES):
        detail = f'it lists {len(names)} names'
    else:
        k = next(i for i, (a, b) in enumerate(zip(names, SUNRGBD_CLASSES)) if a != b)
        detail = f'label {k + 1} is {names[k]!r} there but {SUNRGBD_CLASSES[k]!r} here'
    raise ValueError(f'{path}: {detail}; expected the {len(SUNRGBD_CLASSES)} SUN RGB-D '
                     f'classes of SUNRGBDDataset in this order: {list(SUNRGBD_CLASSES)}')


def read_intrinsics(path: str) -> np.ndarray:
    """``intrinsics.txt``: 9 numbers, the 3 x 3 K row by row (the toolbox reads it with
    ``reshape(fscanf(f, '%f'), [3, 3])'``)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'intrinsics not found: {path} (needed by --hha; expected '
                                f'the 3 x 3 camera matrix, row by row)')
    with open(path) as f:
        text = f.read()
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise ValueError(f'{path}: expected 9 numbers (3 x 3 K, row by row), got '
                         f'{text.strip()[:80]!r}') from None
    if len(values) != 9 or not np.all(np.isfinite(values)):
        raise ValueError(f'{path}: expected 9 finite numbers (3 x 3 K, row by row), got '
                         f'{len(values)}: {values[:12]}')
    return np.asarray(values, np.float64).reshape(3, 3)


def _find_toolbox_file(toolbox: Optional[str], key: str, given: Optional[str]) -> str:
    if given:
        return given
    if not toolbox:
        raise ValueError(f'give --toolbox or --{key.replace("_", "-")}')
    rel = TOOLBOX_FILES[key]
    for base in (toolbox, osp.join(toolbox, 'SUNRGBDtoolbox')):  # zip with a top folder
        if osp.isfile(osp.join(base, rel)):
            return osp.join(base, rel)
    return osp.join(toolbox, rel)  # MatFile names it in the error


def _resolve_root(root: str) -> str:
    if not osp.isdir(root):
        raise FileNotFoundError(f'SUN RGB-D folder not found: {root}')
    if not any(osp.isdir(osp.join(root, s)) for s in SENSORS) and \
            osp.isdir(osp.join(root, 'SUNRGBD')):
        return osp.join(root, 'SUNRGBD')
    return root


# ---------------------------------------------------------------------- converter


def convert_sunrgbd(sunrgbd_root: str, out: str, toolbox: Optional[str] = None,
                    meta_file: Optional[str] = None, seg_file: Optional[str] = None,
                    seg37list_file: Optional[str] = None, split_file: Optional[str] = None,
                    depth_folder: str = 'depth_bfx', hha: bool = False, nproc: int = 1,
                    overwrite: bool = False, progress: bool = True) -> dict:
    """Convert the official download into ``out``; returns the counts printed.

    ``out`` appears only when every sample was written (it must not exist or be empty
    unless ``overwrite``); ``nproc`` processes convert the samples.

    Returns:
        dict: ``samples``, ``train``, ``test``, ``unsplit`` (ints), ``sensors``
        (``{sensor: {'train': n, 'test': n, 'unsplit': n}}``), ``hha`` (bool).
    """
    if depth_folder not in DEPTH_FOLDERS:
        raise ValueError(f'depth_folder must be one of {DEPTH_FOLDERS}, got {depth_folder!r}')
    check_nproc(nproc)
    check_output_dir(out, overwrite)
    if hha:
        try:
            from mmrgbir.datasets.hha import compute_hha, save_hha  # noqa: F401
        except ImportError as exc:
            raise ImportError(f'--hha needs mmrgbir.datasets.hha (compute_hha, save_hha): '
                              f'{exc}') from exc
    root = _resolve_root(sunrgbd_root)
    paths = dict(meta=_find_toolbox_file(toolbox, 'meta', meta_file),
                 seg=_find_toolbox_file(toolbox, 'seg', seg_file),
                 seg37list=_find_toolbox_file(toolbox, 'seg37list', seg37list_file),
                 split=_find_toolbox_file(toolbox, 'split', split_file))

    # everything that can be checked before writing a file
    with MatFile(paths['seg37list'], 'seg37list.mat (37 class names)') as f:
        check_class_names(f.strings('seg37list'), paths['seg37list'])
    with MatFile(paths['meta'], 'SUNRGBDMeta.mat (sample list)') as f:
        samples = read_samples(f)
    with MatFile(paths['split'], 'allsplit.mat (train / test split)') as f:
        splits = assign_splits(samples, f)
    split_of = {i: s for s, indices in splits.items() for i in indices}
    missing = []
    for s in samples:
        folder = osp.join(root, *s['folder'].split('/'))
        s['image'] = osp.join(folder, 'image', s['rgbname'])
        s['depth'] = osp.join(folder, depth_folder, s['depthname'])
        s['intrinsics'] = osp.join(folder, 'intrinsics.txt')
        for key in ('image', 'depth') + (('intrinsics', ) if hha else ()):
            if not osp.isfile(s[key]):
                missing.append(f'{s[key]} ({key} of SUNRGBDMeta({s["index"] + 1}))')
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} file(s) named by {paths["meta"]} are missing under {root} '
            f'(expected <sample>/image/<rgbname>, <sample>/{depth_folder}/<depthname>'
            f'{" and <sample>/intrinsics.txt" if hha else ""}):{format_listing(missing)}')

    with MatFile(paths['seg'], 'SUNRGBD2Dseg.mat (37-class labels)') as seg:
        num_labels = len(seg.struct_items('SUNRGBD2Dseg', 'seglabel'))
    if num_labels != len(samples):
        raise ValueError(f'{paths["seg"]}: {num_labels} seglabel entries but '
                         f'{paths["meta"]} has {len(samples)} samples; expected one '
                         f'label per SUNRGBDMeta entry, in the same order')

    with atomic_output_dir(out, overwrite) as tmp:
        for sub in ('RGB', 'Depth', 'Label') + (('HHA', ) if hha else ()):
            os.makedirs(osp.join(tmp, sub))
        try:
            track_map(_convert_sample, samples, nproc, initializer=_init_worker,
                      initargs=(paths['seg'], tmp, hha), progress=progress)
        finally:  # the handle opened here with nproc == 1
            if 'seg' in _STATE:
                _STATE['seg'].close()
            _STATE.clear()
        for name, indices in splits.items():
            _write_list(osp.join(tmp, f'{name}.txt'), [samples[i]['name'] for i in indices])
    sensors: Dict[str, Counter] = OrderedDict()
    for s in samples:
        sensors.setdefault(s['sensor'], Counter())[split_of.get(s['index'], 'unsplit')] += 1
    return dict(samples=len(samples), train=len(splits['train']), test=len(splits['test']),
                unsplit=len(samples) - len(split_of), hha=bool(hha),
                sensors={k: dict(v) for k, v in sensors.items()})


_STATE: dict = {}


def _init_worker(seg_path: str, out: str, hha: bool) -> None:
    """Per-process state: an own handle of SUNRGBD2Dseg.mat (an HDF5 handle must not be
    shared between processes), its label references and the output folder."""
    _STATE.clear()
    _STATE['seg'] = MatFile(seg_path, 'SUNRGBD2Dseg.mat (37-class labels)')
    _STATE['refs'] = _STATE['seg'].struct_items('SUNRGBD2Dseg', 'seglabel')
    _STATE.update(seg_path=seg_path, out=out, hha_fns=None)
    if hha:
        from mmrgbir.datasets.hha import compute_hha, save_hha
        _STATE['hha_fns'] = (compute_hha, save_hha)


def _convert_sample(s: dict) -> None:
    """Write the files of sample ``s`` (a :func:`read_samples` entry)."""
    seg, refs, out, seg_path = (_STATE[k] for k in ('seg', 'refs', 'out', 'seg_path'))
    name, where = s['name'], f'SUNRGBDMeta({s["index"] + 1})'
    # RGB: the JPEG bytes as they are
    with open(s['image'], 'rb') as f:
        head = f.read(3)
    if head != JPEG_SIGNATURE:
        raise ValueError(f'{s["image"]} ({where}) is not a JPEG file; expected the '
                         f'original image/*.jpg')
    image = cv2.imread(s['image'], cv2.IMREAD_UNCHANGED)
    if image is None:
        raise OSError(f'cannot decode image {s["image"]} ({where})')
    height, width = image.shape[:2]
    # depth: rotate the bits back to millimetres
    stored = cv2.imread(s['depth'], cv2.IMREAD_UNCHANGED)
    if stored is None:
        raise OSError(f'cannot decode depth {s["depth"]} ({where})')
    if stored.ndim != 2 or stored.dtype != np.uint16:
        raise ValueError(f'depth {s["depth"]} ({where}) is {stored.dtype} with shape '
                         f'{stored.shape}; expected a single-channel uint16 PNG')
    if stored.shape != (height, width):
        raise ValueError(f'depth {s["depth"]} ({where}) is {stored.shape[0]} x '
                         f'{stored.shape[1]} but its image {s["image"]} is {height} x '
                         f'{width}; expected equal sizes')
    depth_mm = decode_depth(stored)
    # label: entry index of SUNRGBD2Dseg.seglabel, 0..37
    label = seg.struct_array('SUNRGBD2Dseg', 'seglabel', s['index'], refs)
    lwhere = f'{seg_path}: SUNRGBD2Dseg({s["index"] + 1}).seglabel'
    if label.shape != (height, width):
        raise ValueError(f'{lwhere} is {" x ".join(map(str, label.shape))} but the image '
                         f'{s["image"]} is {height} x {width}; expected equal sizes')
    if label.dtype.kind not in 'uif' or label.size == 0:
        raise ValueError(f'{lwhere} has type {label.dtype}; expected class ids 0..37')
    if label.dtype.kind == 'f' and not np.array_equal(label, np.round(label)):
        raise ValueError(f'{lwhere} has non-integer values; expected class ids 0..37')
    lo, hi = label.min(), label.max()
    if lo < 0 or hi > len(SUNRGBD_CLASSES):
        raise ValueError(f'{lwhere} has values {lo}..{hi}; expected 0 (void) .. '
                         f'{len(SUNRGBD_CLASSES)}')
    targets = dict(rgb=osp.join(out, 'RGB', name + '.jpg'),
                   depth=osp.join(out, 'Depth', name + '.png'),
                   label=osp.join(out, 'Label', name + '.png'))
    shutil.copyfile(s['image'], targets['rgb'])
    for key, data in (('depth', depth_mm), ('label', label.astype(np.uint8))):
        if not cv2.imwrite(targets[key], data):
            raise OSError(f'cannot write {targets[key]}')
    if _STATE['hha_fns'] is not None:
        compute_hha, save_hha = _STATE['hha_fns']
        K = read_intrinsics(s['intrinsics'])
        save_hha(osp.join(out, 'HHA', name + '.jpg'),
                 compute_hha(depth_mm.astype(np.float32) / 1000.0, K))


def _write_list(path: str, names: List[str]) -> None:
    with open(path, 'x') as f:
        f.write(''.join(n + '\n' for n in names))


def format_counts(counts: dict, out: str) -> str:
    folders = 'RGB,Depth,Label' + (',HHA' if counts['hha'] else '')
    lines = [f'SUN RGB-D: {counts["samples"]} samples -> {out}/{{{folders}}}; splits: '
             f'train {counts["train"]}, test {counts["test"]}' +
             (f', in no split {counts["unsplit"]}' if counts['unsplit'] else '')]
    for sensor, c in counts['sensors'].items():
        total = sum(c.values())
        parts = ', '.join(f'{k} {c[k]}' for k in ('train', 'test', 'unsplit') if c.get(k))
        lines.append(f'  {sensor}: {total} ({parts})')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sunrgbd-root', required=True,
                        help='the SUNRGBD folder of SUNRGBD.zip (holds kv1/ kv2/ '
                             'realsense/ xtion/)')
    parser.add_argument('--toolbox', help='the SUNRGBDtoolbox folder (Metadata/, '
                                          'traintestSUNRGBD/)')
    parser.add_argument('--out', required=True,
                        help='output folder (must not exist or be empty)')
    parser.add_argument('--meta', help=f'instead of <toolbox>/{TOOLBOX_FILES["meta"]}')
    parser.add_argument('--seg', help=f'instead of <toolbox>/{TOOLBOX_FILES["seg"]}')
    parser.add_argument('--seg37list',
                        help=f'instead of <toolbox>/{TOOLBOX_FILES["seg37list"]}')
    parser.add_argument('--split', help=f'instead of <toolbox>/{TOOLBOX_FILES["split"]}')
    parser.add_argument('--depth-folder', choices=DEPTH_FOLDERS, default='depth_bfx',
                        help='refined (depth_bfx, default) or raw (depth) depth')
    parser.add_argument('--hha', action='store_true',
                        help='also write HHA/<name>.jpg (mmrgbir.datasets.hha, with each '
                             "sample's intrinsics.txt)")
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes converting samples (default 1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a non-empty output folder once the new one is complete')
    args = parser.parse_args(argv)
    counts = convert_sunrgbd(args.sunrgbd_root, args.out, toolbox=args.toolbox,
                             meta_file=args.meta, seg_file=args.seg,
                             seg37list_file=args.seg37list, split_file=args.split,
                             depth_folder=args.depth_folder, hha=args.hha,
                             nproc=args.nproc, overwrite=args.overwrite)
    print(format_counts(counts, args.out))
    return counts


if __name__ == '__main__':
    main()
