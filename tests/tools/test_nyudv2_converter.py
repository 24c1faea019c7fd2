# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/dataset_converters/nyudv2.py on tiny files in the official NYU Depth v2
layout made here (nyu_depth_v2_labeled.mat as MATLAB v7.3 / HDF5 with MATLAB's
reversed axes, splits.mat / classMapping40.mat / labels40.mat as MATLAB v5), then
NYUDv2Dataset on its output."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from converter_testing import check_converter_contract, cli
from rgbx_testing import load_tool

import mmrgbir  # noqa: F401  (registers the datasets and transforms)
from mmrgbir.datasets.benchmarks.seg_benchmarks import NYUDV2_CLASSES

h5py = pytest.importorskip('h5py')
scipy_io = pytest.importorskip('scipy.io')

TOOL = 'tools/dataset_converters/nyudv2.py'
H, W, N = 48, 64, 4  # height != width, so a transposed frame has the wrong shape
# 40-class id of object ids 1..6 (the real mapClass maps 894 ids); id 2 -> 0 (void)
MAP_CLASS = [5, 0, 40, 1, 12, 24]
OBJECT_NAMES = ['bed', 'unknown', 'otherprop', 'wall', 'cabinet', 'fridge']
# className as Gupta's / FCN's files spell it (spaces, refridgerator, television)
CLASS_NAME_FILE = [n.replace('_', ' ') for n in NYUDV2_CLASSES]
CLASS_NAME_FILE[NYUDV2_CLASSES.index('fridge')] = 'refridgerator'
CLASS_NAME_FILE[NYUDV2_CLASSES.index('tv')] = 'television'
TRAIN, TEST = [1, 3], [4, 2]  # 1-based, test deliberately not sorted


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def matlab_to_h5py(arr):
    """What h5py shows of a MATLAB array saved with -v7.3: every axis reversed
    (MATLAB is column-major, HDF5 row-major), e.g. H x W x 3 x N -> (N, 3, W, H)."""
    return np.ascontiguousarray(np.transpose(arr))


def make_truth(seed=0):
    """The frames in MATLAB's (natural) orientation: rgb H x W x 3 x N, depth and
    labels H x W x N."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    rgb = np.empty((H, W, 3, N), np.uint8)
    depths = np.empty((H, W, N), np.float32)
    raw = np.empty((H, W, N), np.float32)
    labels = np.empty((H, W, N), np.uint16)
    for k in range(N):
        # smooth, asymmetric ramps (JPEG-friendly) plus a little noise
        base = np.stack([xx * 3 + yy, yy * 4 + 20 * k, 255 - xx * 2 - yy], axis=-1)
        rgb[..., k] = np.clip(base + rng.integers(-3, 4, base.shape), 0, 255)
        d = (0.5 + 0.05 * xx + 0.11 * yy + 0.3 * k).astype(np.float32)
        d[0, 0] = 70.0  # beyond 65.535 m: clipped to 65535 mm
        d[1, 2] = 1.2345  # float32 1.23450005 m: 1235 mm (float32 arithmetic gives 1234)
        depths[..., k] = d
        r = d.copy()
        r[5:9, 10:30] = 0.0  # Kinect holes
        r[40, 3] = np.nan
        raw[..., k] = r
        lab = rng.integers(0, len(MAP_CLASS) + 1, (H, W)).astype(np.uint16)
        lab[:10, :5] = 0  # unlabeled corner (top-left only: asymmetric)
        lab[30:, 50:] = 4  # object 4 -> class 1 (wall) block
        labels[..., k] = lab
    return dict(rgb=rgb, depths=depths, rawDepths=raw, labels=labels)


def write_labeled_mat(path, truth, omit=(), override=None):
    """nyu_depth_v2_labeled.mat as MATLAB -v7.3 writes it: an HDF5 file with a 512-byte
    MATLAB header, every array with reversed axes, ``names`` a cell of references."""
    override = override or {}
    with h5py.File(path, 'w', userblock_size=512) as f:
        for key, cls, arr in (('images', 'uint8', truth['rgb']),
                              ('depths', 'single', truth['depths']),
                              ('rawDepths', 'single', truth['rawDepths']),
                              ('labels', 'uint16', truth['labels'])):
            if key in omit:
                continue
            data = override.get(key, matlab_to_h5py(arr))
            ds = f.create_dataset(key, data=data)
            ds.attrs['MATLAB_class'] = np.bytes_(cls)
        if 'names' not in omit:
            refs = f.create_group('#refs#')
            names = f.create_dataset('names', (1, len(OBJECT_NAMES)), dtype=h5py.ref_dtype)
            for k, name in enumerate(OBJECT_NAMES):  # a 1 x len char array -> (len, 1)
                d = refs.create_dataset(f'n{k}', data=np.array([[ord(c)] for c in name],
                                                               np.uint16))
                d.attrs['MATLAB_class'] = np.bytes_('char')
                d.attrs['MATLAB_int_decode'] = np.int32(2)
                names[0, k] = d.ref
            names.attrs['MATLAB_class'] = np.bytes_('cell')
    header = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .'
    with open(path, 'r+b') as f:
        f.write(header.ljust(116) + b'\0' * 8 + b'\x00\x02IM')


def make_official(root, truth, map_class=MAP_CLASS, class_names=CLASS_NAME_FILE,
                  train=TRAIN, test=TEST):
    """The official files in ``root``; returns their paths."""
    os.makedirs(root, exist_ok=True)
    paths = dict(labeled=osp.join(root, 'nyu_depth_v2_labeled.mat'),
                 splits=osp.join(root, 'splits.mat'),
                 mapping=osp.join(root, 'classMapping40.mat'),
                 labels40=osp.join(root, 'labels40.mat'))
    write_labeled_mat(paths['labeled'], truth)
    scipy_io.savemat(paths['splits'], dict(
        trainNdxs=np.array(train, np.float64).reshape(-1, 1),
        testNdxs=np.array(test, np.float64).reshape(-1, 1)))
    scipy_io.savemat(paths['mapping'], dict(
        mapClass=np.array([map_class], np.float64),
        className=np.array(class_names, dtype=object)))
    scipy_io.savemat(paths['labels40'], dict(labels40=expected_labels(truth['labels'])),
                     do_compression=True)
    return paths


def expected_labels(labels):
    lut = np.array([0] + MAP_CLASS, np.uint8)
    return lut[labels]


def expected_mm(depth_m):
    d = depth_m.astype(np.float64)
    d = np.where(np.isfinite(d) & (d > 0), d, 0.0)
    return np.clip(np.rint(d * 1000.0), 0, 65535).astype(np.uint16)


def read(path):
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


@pytest.fixture(scope='module')
def truth():
    return make_truth()


@pytest.fixture
def official(tmp_path, truth):
    return make_official(str(tmp_path / 'nyu'), truth)


# --------------------------------------------------------------------- outputs


def test_class_mapping_png_exact(tool, official, truth, tmp_path):
    out = tmp_path / 'out'
    counts = tool.convert_nyudv2(official['labeled'], official['splits'], str(out),
                                 class_mapping=official['mapping'], rgb_format='png')
    assert counts['frames'] == 4 and counts['train'] == 2 and counts['test'] == 2
    assert counts['skipped'] == 0 and counts['hha'] == 0
    assert sorted(os.listdir(out)) == ['Depth', 'Label', 'RGB', 'test.txt', 'train.txt']
    # names: the 1-based frame index, 4 digits; lists in splits.mat's order
    assert (out / 'train.txt').read_text() == '0001\n0003\n'
    assert (out / 'test.txt').read_text() == '0004\n0002\n'
    labels40 = expected_labels(truth['labels'])
    for k in range(N):
        name = f'{k + 1:04d}'
        rgb = read(out / 'RGB' / f'{name}.png')
        assert rgb.shape == (H, W, 3) and rgb.dtype == np.uint8
        np.testing.assert_array_equal(rgb[..., ::-1], truth['rgb'][..., k])  # BGR file
        depth = read(out / 'Depth' / f'{name}.png')
        assert depth.dtype == np.uint16 and depth.shape == (H, W)
        np.testing.assert_array_equal(depth, expected_mm(truth['depths'][..., k]))
        assert depth[0, 0] == 65535 and depth[1, 2] == 1235
        label = read(out / 'Label' / f'{name}.png')
        assert label.dtype == np.uint8 and label.shape == (H, W)
        np.testing.assert_array_equal(label, labels40[..., k])
        assert (label[30:, 50:] == 1).all() and label.max() <= 40
    # summary: void share over all written pixels, classes present
    hist = np.bincount(labels40.ravel(), minlength=41)
    assert counts['void_pct'] == round(100.0 * hist[0] / hist.sum(), 2)
    assert counts['classes_present'] == 5  # 1, 5, 12, 24, 40
    assert 'wall' not in counts['absent_classes'] and 'otherprop' not in \
        counts['absent_classes'] and 'floor' in counts['absent_classes']
    assert counts['depth_missing_pct'] == 0.0  # in-painted depth has no holes
    # never overwrites: the same output again, or any non-empty folder
    with pytest.raises(FileExistsError, match=str(out)):
        tool.convert_nyudv2(official['labeled'], official['splits'], str(out),
                            class_mapping=official['mapping'])


def test_cli_labels40_equals_class_mapping(tool, official, truth, tmp_path, capsys):
    by_map, by_l40 = tmp_path / 'map', tmp_path / 'l40'
    tool.main([official['labeled'], official['splits'], str(by_map), '--class-mapping',
               official['mapping']])
    capsys.readouterr()
    counts = tool.main([official['labeled'], official['splits'], str(by_l40),
                        '--labels40', official['labels40'], '--workers', '2'])
    printed = capsys.readouterr().out
    assert 'NYUDv2: 4 frames (train 2, test 2)' in printed
    assert f'void {counts["void_pct"]}% of pixels; 5 / 40 classes present' in printed
    assert 'quality 95' in printed and 'depths (in-painted)' in printed
    for sub, suffix in (('Label', '.png'), ('Depth', '.png'), ('RGB', '.jpg')):
        assert sorted(os.listdir(by_map / sub)) == sorted(os.listdir(by_l40 / sub)) == \
            [f'{k:04d}{suffix}' for k in range(1, N + 1)]
    for k in range(1, N + 1):
        for sub in ('Label', 'Depth'):
            np.testing.assert_array_equal(read(by_map / sub / f'{k:04d}.png'),
                                          read(by_l40 / sub / f'{k:04d}.png'))
        # JPEG at quality 95: close to the stored colours, in the right orientation
        rgb = read(by_l40 / 'RGB' / f'{k:04d}.jpg')[..., ::-1].astype(np.int16)
        err = np.abs(rgb - truth['rgb'][..., k - 1].astype(np.int16))
        assert err.mean() < 2.5 and np.percentile(err, 99) <= 12
    for name in ('train.txt', 'test.txt'):
        assert (by_map / name).read_text() == (by_l40 / name).read_text()
    # exactly one label source
    with pytest.raises(SystemExit):
        tool.main([official['labeled'], official['splits'], str(tmp_path / 'x')])
    with pytest.raises(ValueError, match='exactly one'):
        tool.convert_nyudv2(official['labeled'], official['splits'], str(tmp_path / 'x'),
                            class_mapping=official['mapping'], labels40=official['labels40'])
    assert not osp.exists(tmp_path / 'x')


def test_raw_depth(tool, official, truth, tmp_path):
    out = tmp_path / 'raw'
    counts = tool.convert_nyudv2(official['labeled'], official['splits'], str(out),
                                 labels40=official['labels40'], raw_depth=True)
    for k in range(N):
        depth = read(out / 'Depth' / f'{k + 1:04d}.png')
        np.testing.assert_array_equal(depth, expected_mm(truth['rawDepths'][..., k]))
        assert (depth[5:9, 10:30] == 0).all() and depth[40, 3] == 0  # holes, NaN -> 0
    assert counts['depth_missing_pct'] == round(100.0 * 81 / (H * W), 2)


def test_atomic_and_nproc_with_hha(tool, official, truth, tmp_path):
    bad = dict(truth, labels=truth['labels'].copy())
    bad['labels'][5, 7, 2] = len(MAP_CLASS) + 1  # frame 3 of 4: an id mapClass lacks
    ref = check_converter_contract(
        cli(tool.main, official['labeled'], official['splits'], '{out}', '--class-mapping',
            official['mapping'], '--hha'),
        tmp_path / 'out', lambda: write_labeled_mat(official['labeled'], bad),
        lambda: write_labeled_mat(official['labeled'], truth), ValueError,
        rf'frame 3 has object id {len(MAP_CLASS) + 1}, but .*classMapping40\.mat',
        tamper='train.txt')
    assert sorted(k for k in ref if k.startswith('HHA')) == \
        [f'HHA/{k:04d}.jpg' for k in range(1, N + 1)]


def test_camera_matrix_is_the_toolbox_one_zero_based(tool):
    k = tool.nyu_camera_matrix()
    # camera_params.m of the NYU toolbox (1-based MATLAB pixels) shifted to 0-based
    np.testing.assert_allclose(k, [[518.857901, 0, 325.582449 - 1],
                                   [0, 519.469611, 253.736166 - 1], [0, 0, 1]], atol=1e-6)
    assert tool.frame_name(7) == '0007' and tool.frame_name(1449) == '1449'


# ---------------------------------------------------------------------- errors


def _convert(tool, paths, out, **kwargs):
    kwargs.setdefault('class_mapping', paths['mapping'])
    return tool.convert_nyudv2(paths['labeled'], paths['splits'], str(out), **kwargs)


def test_errors_labeled_file(tool, official, truth, tmp_path):
    out = tmp_path / 'out'
    # a missing dataset (only needed ones count: labels for the mapping, rawDepths
    # for --raw-depth)
    write_labeled_mat(official['labeled'], truth, omit=('rawDepths', ))
    with pytest.raises(ValueError, match=r'nyu_depth_v2_labeled\.mat: no dataset '
                                         r'"rawDepths" \(depth in metres\)'):
        _convert(tool, official, out, raw_depth=True)
    write_labeled_mat(official['labeled'], truth, omit=('labels', ))
    with pytest.raises(ValueError, match=r'no dataset "labels"'):
        _convert(tool, official, out)
    _convert(tool, official, tmp_path / 'ok', class_mapping=None,
             labels40=official['labels40'])  # labels40 does not need them
    # frames stored without MATLAB's axis reversal: (N, H, W) instead of (N, W, H)
    write_labeled_mat(official['labeled'], truth,
                      override=dict(depths=np.transpose(truth['depths'], (2, 0, 1))))
    with pytest.raises(ValueError, match=r'"depths" has shape \(4, 48, 64\); expected '
                                         r'\(4, 64, 48\)'):
        _convert(tool, official, out)
    write_labeled_mat(official['labeled'], truth,
                      override=dict(images=matlab_to_h5py(truth['rgb'][:, :, :2])))
    with pytest.raises(ValueError, match=r'"images" has shape \(4, 2, 64, 48\)'):
        _convert(tool, official, out)
    # not HDF5 at all (e.g. a v5 .mat given by mistake)
    with pytest.raises(ValueError, match=r'splits\.mat: not a MATLAB v7\.3 \(HDF5\)'):
        tool.convert_nyudv2(official['splits'], official['splits'], str(out),
                            class_mapping=official['mapping'])
    # object names and mapClass disagree
    write_labeled_mat(official['labeled'], truth)
    scipy_io.savemat(official['mapping'], dict(mapClass=np.array([MAP_CLASS[:5]], float)))
    with pytest.raises(ValueError, match=r'"mapClass" maps 5 object ids but .*names 6'):
        _convert(tool, official, out)
    assert not osp.exists(out)  # inputs are checked before anything is written


@pytest.mark.parametrize('train,test,match', [
    ([1, 3], [4, 5], r'"testNdxs" has 1 index\(es\) outside 1\.\.4 .*e\.g\. \[5\]'),
    ([0, 3], [4, 2], r'"trainNdxs" has 1 index\(es\) outside 1\.\.4'),
    ([1, 3], [3, 2], r'trainNdxs and testNdxs share 1 frame\(s\), e\.g\. \[3\]'),
    ([1, 1], [4, 2], r'"trainNdxs" lists frame\(s\) twice, e\.g\. \[1\]'),
    ([1.5, 3], [4, 2], r'"trainNdxs" holds non-integer values'),
])
def test_errors_splits(tool, truth, tmp_path, train, test, match):
    paths = make_official(str(tmp_path / 'nyu'), truth, train=train, test=test)
    with pytest.raises(ValueError, match=r'splits\.mat: ' + match):
        _convert(tool, paths, tmp_path / 'out')
    assert not osp.exists(tmp_path / 'out')


def test_errors_splits_file(tool, official, tmp_path):
    scipy_io.savemat(official['splits'], dict(trainNdxs=np.array([[1.0], [3.0]])))
    with pytest.raises(ValueError, match=r'splits\.mat: no variable "testNdxs"'):
        _convert(tool, official, tmp_path / 'out')
    scipy_io.savemat(official['splits'], dict(trainNdxs=np.array([[1.0, 3.0], [2.0, 4.0]]),
                                              testNdxs=np.array([[4.0]])))
    with pytest.raises(ValueError, match=r'"trainNdxs" has shape \(2, 2\); expected an '
                                         r'n x 1 vector'):
        _convert(tool, official, tmp_path / 'out')
    # the official file: 795 + 654 disjoint indices covering the 1449 frames
    rng = np.random.default_rng(0)
    perm = rng.permutation(np.arange(1, 1450))
    scipy_io.savemat(official['splits'], dict(trainNdxs=np.sort(perm[:795])[:, None] * 1.0,
                                              testNdxs=np.sort(perm[795:])[:, None] * 1.0))
    splits = tool.read_splits(official['splits'], 1449)
    assert len(splits['train']) == 795 and len(splits['test']) == 654
    scipy_io.savemat(official['splits'], dict(trainNdxs=np.sort(perm[:794])[:, None] * 1.0,
                                              testNdxs=np.sort(perm[794:])[:, None] * 1.0))
    with pytest.raises(ValueError, match=r'794 train / 655 test indices; the official '
                                         r'split of the 1449 frames is 795 / 654'):
        tool.read_splits(official['splits'], 1449)


def test_errors_class_files(tool, official, truth, tmp_path):
    out = tmp_path / 'out'
    # class names in another order
    swapped = list(CLASS_NAME_FILE)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    paths = make_official(str(tmp_path / 'swapped'), truth, class_names=swapped)
    with pytest.raises(ValueError, match=r'classMapping40\.mat: className does not match '
                                         r'NYUDV2_CLASSES .* at 2 position\(s\): 1: "floor" '
                                         r'\(expected "wall"\), 2: "wall"'):
        _convert(tool, paths, out)
    paths = make_official(str(tmp_path / 'short'), truth, class_names=CLASS_NAME_FILE[:37])
    with pytest.raises(ValueError, match=r'className has 37 names; expected the 40'):
        _convert(tool, paths, out)
    # classMapping40.mat without mapClass, mapClass out of range or not a vector
    scipy_io.savemat(official['mapping'], dict(className=np.array(CLASS_NAME_FILE, object)))
    with pytest.raises(ValueError, match=r'classMapping40\.mat: no variable "mapClass"'):
        _convert(tool, official, out)
    scipy_io.savemat(official['mapping'], dict(mapClass=np.array([[1, 2, 3, 41, 0, 5]],
                                                                 float)))
    with pytest.raises(ValueError, match=r'"mapClass" must hold integers 0\.\.40; found '
                                         r'values in 0\.0\.\.41\.0'):
        _convert(tool, official, out)
    scipy_io.savemat(official['mapping'], dict(mapClass=np.ones((2, 3))))
    with pytest.raises(ValueError, match=r'"mapClass" has shape \(2, 3\)'):
        _convert(tool, official, out)
    # labels40.mat: wrong key, transposed frames, values beyond 40
    lab = expected_labels(truth['labels'])
    for data, match in ((dict(labels=lab), r'labels40\.mat: no variable "labels40"'),
                        (dict(labels40=np.transpose(lab, (1, 0, 2))),
                         r'"labels40" has shape \(64, 48, 4\); expected \(48, 64, 4\)'),
                        (dict(labels40=lab + 1), r'"labels40" holds values 1\.\.41')):
        scipy_io.savemat(official['labels40'], data)
        with pytest.raises(ValueError, match=match):
            _convert(tool, official, out, class_mapping=None, labels40=official['labels40'])
    # a v7.3 file where a v5 one is expected; a missing file
    with pytest.raises(ValueError, match=r'a MATLAB v7\.3 \(HDF5\) file; labels40\.mat is '
                                         r'expected as the MATLAB v5'):
        _convert(tool, official, out, class_mapping=None, labels40=official['labeled'])
    with pytest.raises(FileNotFoundError, match=r'classMapping40\.mat not found: .*nope'):
        _convert(tool, official, out, class_mapping=str(tmp_path / 'nope.mat'))
    assert not osp.exists(out)


# --------------------------------------------------------------------- dataset


def test_dataset_reads_the_output(tool, official, truth, tmp_path, seg_scope):
    from mmseg.registry import DATASETS
    out = tmp_path / 'NYUDepthv2'
    tool.convert_nyudv2(official['labeled'], official['splits'], str(out),
                        class_mapping=official['mapping'])
    pipeline = [dict(type='LoadRGBXImageFromFile', x_channels=1, x_kind='depth'),
                dict(type='LoadAnnotations'), dict(type='PackRGBXSegInputs')]
    labels40 = expected_labels(truth['labels'])
    for split, frames in (('train', TRAIN), ('test', TEST)):
        ds = DATASETS.build(dict(type='NYUDv2Dataset', data_root=str(out), split=split,
                                 pipeline=pipeline))
        assert len(ds) == 2 and len(ds.metainfo['classes']) == 40
        for j, frame in enumerate(frames):
            info = ds.get_data_info(j)
            assert info['img_path'].endswith(f'RGB/{frame:04d}.jpg')
            item = ds[j]
            inputs = item['inputs'].numpy()
            assert inputs.shape == (4, H, W)
            # RGB: the JPEG as decoded (BGR, like mmcv); depth: millimetres, exact
            np.testing.assert_array_equal(inputs[:3].transpose(1, 2, 0),
                                          read(info['img_path']))
            np.testing.assert_array_equal(inputs[3],
                                          expected_mm(truth['depths'][..., frame - 1]))
            # reduce_zero_label: void -> 255, class k -> k - 1
            gt = item['data_samples'].gt_sem_seg.data[0].numpy()
            raw = labels40[..., frame - 1].astype(np.int64)
            np.testing.assert_array_equal(gt, np.where(raw == 0, 255, raw - 1))


def test_hha(tool, official, tmp_path, seg_scope):
    pytest.importorskip('mmrgbir.datasets.hha')
    from mmseg.registry import DATASETS
    out = tmp_path / 'hha'
    counts = tool.main([official['labeled'], official['splits'], str(out),
                        '--labels40', official['labels40'], '--hha'])
    assert counts['hha'] == 4
    assert sorted(os.listdir(out / 'HHA')) == [f'{k:04d}.jpg' for k in range(1, N + 1)]
    for name in os.listdir(out / 'HHA'):
        hha = read(out / 'HHA' / name)
        assert hha.dtype == np.uint8 and hha.shape == (H, W, 3)
    ds = DATASETS.build(dict(type='NYUDv2Dataset', data_root=str(out), split='test',
                             x_input='hha', pipeline=[
                                 dict(type='LoadRGBXImageFromFile', x_channels=3,
                                      x_kind='depth'),
                                 dict(type='LoadAnnotations'),
                                 dict(type='PackRGBXSegInputs')]))
    assert len(ds) == 2 and ds[0]['inputs'].shape == (6, H, W)


def test_one_converter_command_and_one_train_command(official, tmp_path):
    """The user path: the CLI on the official files, then tools/train.py with the shipped
    NYUDv2 baseline config (shortened to 2 iterations) trains and evaluates on them."""
    import subprocess
    import sys

    from rgbx_testing import REPO
    out = tmp_path / 'NYUDepthv2'
    run = dict(cwd=REPO, capture_output=True, text=True, timeout=600)
    proc = subprocess.run([sys.executable, TOOL, official['labeled'], official['splits'],
                           str(out), '--class-mapping', official['mapping']], **run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    work = tmp_path / 'work'
    opts = [f'{loader}.dataset.data_root={out}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    opts += ['train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
             'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
             'default_hooks.logger.interval=1']
    opts += [f'{loader}.{key}={value}' for loader in ('train_dataloader', 'val_dataloader')
             for key, value in (('num_workers', 0), ('persistent_workers', False))]
    proc = subprocess.run(
        [sys.executable, 'tools/train.py',
         'configs/baselines/dualstream-r18-cmx_segformerhead_80k_nyudv2-480x640.py',
         '--work-dir', str(work), '--cfg-options', *opts], **run)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert osp.isfile(work / 'iter_2.pth')
    assert 'mIoU' in proc.stdout + proc.stderr
