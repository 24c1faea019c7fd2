# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/dataset_converters/sunrgbd.py on small trees in the layout of the official
SUN RGB-D download (SUNRGBD/ + SUNRGBDtoolbox/, .mat files written here in the formats
of the real ones: SUNRGBD2Dseg.mat as MATLAB v7.3 / HDF5, the others as v5), on the
shared real SUN RGB-D frames, then SUNRGBDDataset on the output."""
import os
import os.path as osp
import sys
import types

import cv2
import numpy as np
import pytest

from converter_testing import check_converter_contract, cli, corrupt_file
from rgbx_testing import dataset_from_config, load_tool, shared_data

import mmrgbir  # noqa: F401,E402  (registers the datasets and transforms)
import mmrgbir.datasets.benchmarks  # noqa: F401,E402
from mmrgbir.datasets.benchmarks.seg_benchmarks import SUNRGBD_CLASSES

sunrgbd = load_tool('tools/dataset_converters/sunrgbd.py')

PREFIX = '/n/fs/sun3d/data/'  # absolute prefix of the paths in the toolbox files
# (folder under SUNRGBD/, image name, depth name, split, (height, width), label class)
SAMPLES = [
    ('kv1/NYUdata/NYU0001', 'NYU0001.jpg', 'NYU0001.png', 'train', (40, 56), 'double'),
    ('kv1/b3dodata/img_0063', 'img_0063.jpg', 'img_0063.png', 'test', (40, 56), 'uint8'),
    ('kv2/kinect2data/000002_2014-05-26_14-23-37_260595134347_rgbf000103-resize',
     '0000103.jpg', '0000103.png', 'train', (48, 64), 'double'),
    ('kv2/align_kv2/2014-12-09_19-21-18_094959634447_rgbf000088-resize', '0000088.jpg',
     '0000088.png', 'test', (40, 56), 'uint16'),
]


# ----------------------------------------------------------- MATLAB file writers


class StructArray(list):
    """A 1 x N MATLAB struct array: a list of dicts with the same keys."""


def rotate_left3(mm):
    """SUN RGB-D's storage of depth in mm: 16-bit rotation left by 3 (written here
    independently of the converter)."""
    mm = np.asarray(mm, np.uint32)
    return (((mm << 3) | (mm >> 13)) & 0xFFFF).astype(np.uint16)


def write_mat5(path, variables):
    """MATLAB v5 file (what scipy.io.loadmat reads): strings, arrays, cells (lists),
    1 x N struct arrays (StructArray) and scalar structs (dicts)."""
    import scipy.io

    def conv(value):
        if isinstance(value, StructArray):
            keys = list(value[0])
            arr = np.empty((1, len(value)), dtype=[(k, object) for k in keys])
            for i, item in enumerate(value):
                arr[0, i] = tuple(conv(item[k]) for k in keys)
            return arr
        if isinstance(value, list):
            cell = np.empty((1, len(value)), dtype=object)
            for i, item in enumerate(value):
                cell[0, i] = conv(item)
            return cell
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        return value

    scipy.io.savemat(str(path), {k: conv(v) for k, v in variables.items()})


def write_mat73(path, variables):
    """MATLAB v7.3 file laid out as MATLAB writes one: a 512-byte MATLAB header (HDF5
    user block), arrays transposed, chars as uint16, cells as (N, 1) reference arrays,
    struct-array fields as (N, 1) reference arrays without MATLAB_class, referenced
    data in ``#refs#``."""
    import h5py
    counter = [0]

    def new_ref_name():
        counter[0] += 1
        return f'r{counter[0]}'

    def put(parent, name, value, refs):
        if isinstance(value, str):
            if not value:
                ds = parent.create_dataset(name, data=np.zeros(2, np.uint64))
                ds.attrs['MATLAB_empty'] = np.uint8(1)
            else:
                ds = parent.create_dataset(
                    name, data=np.array([[ord(c)] for c in value], np.uint16))
            ds.attrs['MATLAB_class'] = np.bytes_('char')
            return ds
        if isinstance(value, StructArray):
            group = parent.create_group(name)
            group.attrs['MATLAB_class'] = np.bytes_('struct')
            keys = list(value[0])
            fields = np.empty(len(keys), dtype=h5py.vlen_dtype(np.dtype('S1')))
            for i, key in enumerate(keys):
                fields[i] = np.array(list(key), dtype='S1')
            group.attrs['MATLAB_fields'] = fields
            for key in keys:
                group.create_dataset(key, data=np.array(
                    [[put(refs, new_ref_name(), item[key], refs).ref] for item in value],
                    dtype=h5py.ref_dtype))
            return group
        if isinstance(value, list):
            ds = parent.create_dataset(name, data=np.array(
                [[put(refs, new_ref_name(), item, refs).ref] for item in value],
                dtype=h5py.ref_dtype))
            ds.attrs['MATLAB_class'] = np.bytes_('cell')
            return ds
        if isinstance(value, dict):
            group = parent.create_group(name)
            group.attrs['MATLAB_class'] = np.bytes_('struct')
            for key, item in value.items():
                put(group, key, item, refs)
            return group
        arr = np.asarray(value)
        ds = parent.create_dataset(name, data=np.atleast_2d(arr).T)  # MATLAB: transposed
        ds.attrs['MATLAB_class'] = np.bytes_(
            {'float64': 'double', 'float32': 'single'}.get(arr.dtype.name, arr.dtype.name))
        return ds

    with h5py.File(str(path), 'w', userblock_size=512) as f:
        refs = f.create_group('#refs#')
        for name, value in variables.items():
            put(f, name, value, refs)
    header = (b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 '
              b'2024 HDF5 schema 1.00 .').ljust(116) + b'\0' * 8 + b'\x00\x02' + b'IM'
    with open(str(path), 'r+b') as f:
        f.write(header.ljust(512, b'\0'))


def label_array(label, matlab_class):
    dtype = dict(double=np.float64, uint8=np.uint8, uint16=np.uint16)[matlab_class]
    return label.astype(dtype)


def make_official(root, samples=SAMPLES, seg_format='7.3', meta_format='5',
                  class_names=SUNRGBD_CLASSES, extra_test=(), seg_labels=None):
    """SUNRGBD/ + SUNRGBDtoolbox/ under ``root``; returns the paths and what the
    converter must produce: ``{name: dict(image, depth_mm, raw_mm, label, K)}``."""
    root = str(root)
    expected = {}
    meta, train, test, labels = [], [], [], []
    for i, (folder, rgbname, depthname, split, (h, w), cls) in enumerate(samples):
        rng = np.random.default_rng(i)
        base = osp.join(root, 'SUNRGBD', *folder.split('/'))
        for sub in ('image', 'depth', 'depth_bfx', 'extrinsics', 'annotation2Dfinal'):
            os.makedirs(osp.join(base, sub), exist_ok=True)
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        img[5:15, 3:9] = (10 + 60 * i, 255 - 50 * i, 40 * i)  # distinct per sample
        assert cv2.imwrite(osp.join(base, 'image', rgbname), img)
        mm = rng.integers(0, 65536, (h, w), dtype=np.uint32)  # > 8191 too: high bits
        mm[:4, :] = 0  # missing depth
        mm[4, :5] = [1, 8191, 8192, 65535, 1000]
        raw = mm // 3
        assert cv2.imwrite(osp.join(base, 'depth_bfx', depthname), rotate_left3(mm))
        assert cv2.imwrite(osp.join(base, 'depth', depthname), rotate_left3(raw))
        fx = 500.0 + 10 * i
        K = np.array([[fx, 0, w / 2 + i], [0, fx + 1, h / 2 - i], [0, 0, 1]])
        with open(osp.join(base, 'intrinsics.txt'), 'w') as f:
            f.write('\n'.join(' '.join(f'{v:g}' for v in row) for row in K) + '\n')
        with open(osp.join(base, 'extrinsics', '20150101000000.txt'), 'w') as f:
            f.write('1 0 0 0\n0 1 0 0\n0 0 1 0\n')
        with open(osp.join(base, 'annotation2Dfinal', 'index.json'), 'w') as f:
            f.write('{}')
        # asymmetric pattern: a transposed or flipped label cannot match
        yy, xx = np.mgrid[:h, :w]
        label = ((yy * 7 + xx * 3 + i) % 38).astype(np.uint8)
        label[h - 6:, :3] = 0
        labels.append(label_array(label, cls))
        path = PREFIX + 'SUNRGBD/' + folder
        meta.append(dict(sequenceName='SUNRGBD/' + folder, groundtruth3DBB=np.zeros((0, 0)),
                         Rtilt=np.eye(3), K=K, depthpath=f'{path}/depth/{depthname}',
                         rgbpath=f'{path}/image/{rgbname}', anno_extrinsics=np.eye(3),
                         depthname=depthname, rgbname=rgbname,
                         sensorType=folder.split('/')[0], valid=np.ones((1, 1))))
        # the toolbox paths carry the absolute prefix; some end in a slash
        (train if split == 'train' else test).append(path + ('/' if i == 2 else ''))
        with open(osp.join(base, 'image', rgbname), 'rb') as f:
            jpeg = f.read()
        expected[f'{i + 1:06d}'] = dict(jpeg=jpeg, depth_mm=mm.astype(np.uint16),
                                        raw_mm=raw.astype(np.uint16), label=label, K=K,
                                        split=split, folder=folder)
    tb = osp.join(root, 'SUNRGBDtoolbox')
    os.makedirs(osp.join(tb, 'Metadata'))
    os.makedirs(osp.join(tb, 'traintestSUNRGBD'))
    write_meta = write_mat5 if meta_format == '5' else write_mat73
    write_meta(osp.join(tb, 'Metadata', 'SUNRGBDMeta.mat'),
               dict(SUNRGBDMeta=StructArray(meta)))
    write_meta(osp.join(tb, 'Metadata', 'seg37list.mat'), dict(seg37list=list(class_names)))
    write_meta(osp.join(tb, 'traintestSUNRGBD', 'allsplit.mat'),
               dict(alltrain=train, alltest=test + list(extra_test),
                    trainvalsplit=dict(train=train[:1], val=train[1:])))
    seg = [dict(seglabel=lab, seglabelall=lab.astype(np.float64))
           for lab in (labels if seg_labels is None else seg_labels)]
    write_seg = write_mat73 if seg_format == '7.3' else write_mat5
    write_seg(osp.join(tb, 'Metadata', 'SUNRGBD2Dseg.mat'),
              dict(SUNRGBD2Dseg=StructArray(seg)))
    return dict(root=osp.join(root, 'SUNRGBD'), toolbox=tb, expected=expected)


def _args(tree, out, *extra):
    return ['--sunrgbd-root', tree['root'], '--toolbox', tree['toolbox'], '--out', str(out),
            *extra]


def _read(path):
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def check_output(out, expected, depth_key='depth_mm'):
    for name, exp in expected.items():
        with open(osp.join(out, 'RGB', name + '.jpg'), 'rb') as f:
            assert f.read() == exp['jpeg'], name  # the original bytes
        depth = _read(osp.join(out, 'Depth', name + '.png'))
        assert depth.dtype == np.uint16
        np.testing.assert_array_equal(depth, exp[depth_key])
        label = _read(osp.join(out, 'Label', name + '.png'))
        assert label.dtype == np.uint8
        np.testing.assert_array_equal(label, exp['label'])
    for split in ('train', 'test'):
        with open(osp.join(out, f'{split}.txt')) as f:
            assert f.read().split() == [n for n, e in expected.items() if e['split'] == split]


# --------------------------------------------------------------------------- tests


def test_depth_bit_rotation():
    values = np.arange(65536, dtype=np.uint32)
    stored = rotate_left3(values)
    np.testing.assert_array_equal(sunrgbd.decode_depth(stored), values)
    np.testing.assert_array_equal(sunrgbd.encode_depth(values), stored)
    # the toolbox: bitor(bitshift(d, -3), bitshift(d, 16 - 3)) on uint16
    assert sunrgbd.decode_depth(np.array([8, 1, 0x8000, 0], np.uint16)).tolist() == \
        [1, 8192, 4096, 0]
    with pytest.raises(ValueError, match='uint16'):
        sunrgbd.decode_depth(np.zeros((2, 2), np.uint8))


def test_relpath_and_format_sniffing(tmp_path):
    rel = sunrgbd.sunrgbd_relpath
    assert rel('/n/fs/sun3d/data/SUNRGBD/kv1/NYUdata/NYU0001/') == 'kv1/NYUdata/NYU0001'
    assert rel('SUNRGBD/kv2/align_kv2/x') == 'kv2/align_kv2/x'
    assert rel('C:\\data\\SUNRGBD\\xtion\\a') == 'xtion/a'
    assert rel('realsense/lg/x') == 'realsense/lg/x'
    write_mat5(tmp_path / 'v5.mat', dict(seg37list=['wall', 'floor']))
    write_mat73(tmp_path / 'v73.mat', dict(seg37list=['wall', 'floor']))
    assert not sunrgbd.is_hdf5(str(tmp_path / 'v5.mat'))
    assert sunrgbd.is_hdf5(str(tmp_path / 'v73.mat'))
    with open(tmp_path / 'v73.mat', 'rb') as f:
        assert f.read(19) == b'MATLAB 7.3 MAT-file'
    for name in ('v5.mat', 'v73.mat'):
        with sunrgbd.MatFile(str(tmp_path / name), 'seg37list.mat') as f:
            assert f.strings('seg37list') == ['wall', 'floor']
            with pytest.raises(KeyError, match=r"no variable 'alltrain'.*seg37list"):
                f.strings('alltrain')


def test_convert_official_download(tmp_path, capsys):
    tree = make_official(tmp_path / 'download')
    out = tmp_path / 'SUNRGBD'
    counts = sunrgbd.main(_args(tree, out))
    check_output(str(out), tree['expected'])
    assert sorted(os.listdir(out)) == ['Depth', 'Label', 'RGB', 'test.txt', 'train.txt']
    assert counts['samples'] == 4 and counts['train'] == 2 and counts['test'] == 2
    assert counts['sensors'] == {'kv1': {'train': 1, 'test': 1},
                                 'kv2': {'train': 1, 'test': 1}}
    printed = capsys.readouterr().out
    assert 'SUN RGB-D: 4 samples' in printed and 'train 2, test 2' in printed
    assert 'kv1: 2 (train 1, test 1)' in printed and 'kv2: 2 (train 1, test 1)' in printed


def test_raw_depth_folder(tmp_path):
    tree = make_official(tmp_path / 'download')
    out = tmp_path / 'out'
    sunrgbd.main(_args(tree, out, '--depth-folder', 'depth'))
    check_output(str(out), tree['expected'], depth_key='raw_mm')


def test_other_mat_formats(tmp_path):
    """v7.3 metadata / split / class list and a v5 label file read the same."""
    tree = make_official(tmp_path / 'download', seg_format='5', meta_format='7.3')
    out = tmp_path / 'out'
    sunrgbd.convert_sunrgbd(osp.dirname(tree['root']), str(out), toolbox=tree['toolbox'])
    check_output(str(out), tree['expected'])  # root given as the folder above SUNRGBD/


def test_individual_file_options(tmp_path):
    tree = make_official(tmp_path / 'download')
    moved = tmp_path / 'elsewhere'
    os.makedirs(moved)
    tb = tree['toolbox']
    for rel in ('Metadata/SUNRGBDMeta.mat', 'Metadata/SUNRGBD2Dseg.mat',
                'Metadata/seg37list.mat', 'traintestSUNRGBD/allsplit.mat'):
        os.rename(osp.join(tb, rel), moved / osp.basename(rel))
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match='give --toolbox or --meta'):
        sunrgbd.main(['--sunrgbd-root', tree['root'], '--out', str(out)])
    sunrgbd.main(['--sunrgbd-root', tree['root'], '--out', str(out),
                  '--meta', str(moved / 'SUNRGBDMeta.mat'),
                  '--seg', str(moved / 'SUNRGBD2Dseg.mat'),
                  '--seg37list', str(moved / 'seg37list.mat'),
                  '--split', str(moved / 'allsplit.mat')])
    check_output(str(out), tree['expected'])


def test_refuses_non_empty_output(tmp_path):
    tree = make_official(tmp_path / 'download')
    out = tmp_path / 'out'
    os.makedirs(out)
    (out / 'keep.txt').write_text('x')
    with pytest.raises(FileExistsError, match='not empty'):
        sunrgbd.main(_args(tree, out))
    assert os.listdir(out) == ['keep.txt']
    os.remove(out / 'keep.txt')  # an empty folder is fine
    sunrgbd.main(_args(tree, out))
    check_output(str(out), tree['expected'])


def test_atomic_and_nproc_with_hha(tmp_path):
    tree = make_official(tmp_path / 'download')
    folder, _, depthname = SAMPLES[2][:3]  # the third of four samples fails
    broken, fixed = corrupt_file(osp.join(tree['root'], *folder.split('/'), 'depth_bfx',
                                          depthname))
    ref = check_converter_contract(cli(sunrgbd.main, *_args(tree, '{out}'), '--hha'),
                                   tmp_path / 'out', broken, fixed, OSError,
                                   rf'cannot decode depth .*{depthname} \(SUNRGBDMeta\(3\)',
                                   tamper='Label/000001.png')
    assert sorted(k for k in ref if k.startswith('HHA')) == \
        [f'HHA/{n}.jpg' for n in tree['expected']]
    check_output(str(tmp_path / 'out' / 'ref'), tree['expected'])


def _remove(rel):
    def apply(tree):
        os.remove(osp.join(tree['root'], *rel.split('/')))
    return apply


@pytest.mark.parametrize('case', ['missing image', 'missing depth', 'label size',
                                  'split path', 'class names', 'seg count', 'label values',
                                  'no such variable', 'both splits'])
def test_errors_name_the_file_and_expectation(tmp_path, case):
    kwargs, mutate = {}, None
    labels = [np.zeros(s[4], np.uint8) for s in SAMPLES]
    if case == 'missing image':
        mutate = _remove(SAMPLES[1][0] + '/image/' + SAMPLES[1][1])
        error, match = FileNotFoundError, r'(?s)1 file\(s\) named by .*SUNRGBDMeta\.mat.*' \
            r'img_0063/image/img_0063\.jpg \(image of SUNRGBDMeta\(2\)\)'
    elif case == 'missing depth':
        mutate = _remove(SAMPLES[2][0] + '/depth_bfx/' + SAMPLES[2][2])
        error = FileNotFoundError
        match = r'(?s)depth_bfx/0000103\.png \(depth of SUNRGBDMeta\(3\)'
    elif case == 'label size':
        labels[2] = labels[2].T  # 64 x 48 for a 48 x 64 image
        kwargs['seg_labels'] = labels
        error, match = ValueError, (r'SUNRGBD2Dseg\.mat: SUNRGBD2Dseg\(3\)\.seglabel is '
                                    r'64 x 48 but the image .*0000103\.jpg is 48 x 64; '
                                    r'expected equal sizes')
    elif case == 'split path':
        kwargs['extra_test'] = [PREFIX + 'SUNRGBD/xtion/sun3ddata/not_in_meta']
        error, match = ValueError, (r'allsplit\.mat: 1 of the 3 alltest path\(s\) match no '
                                    r'SUNRGBDMeta sample .*not_in_meta')
    elif case == 'both splits':
        kwargs['extra_test'] = [PREFIX + 'SUNRGBD/' + SAMPLES[0][0]]
        error, match = ValueError, r'NYU0001 is in both alltrain and alltest'
    elif case == 'class names':
        names = list(SUNRGBD_CLASSES)
        names[19] = 'floor mat'
        kwargs['class_names'] = names
        error, match = ValueError, (r"seg37list\.mat: label 20 is 'floor mat' there but "
                                    r"'floor_mat' here; expected the 37 SUN RGB-D classes")
    elif case == 'seg count':
        kwargs['seg_labels'] = labels[:3]
        error, match = ValueError, (r'SUNRGBD2Dseg\.mat: 3 seglabel entries but .*'
                                    r'SUNRGBDMeta\.mat has 4 samples')
    elif case == 'label values':
        labels[3][0, 0] = 38
        kwargs['seg_labels'] = labels
        error, match = ValueError, (r'SUNRGBD2Dseg\(4\)\.seglabel has values 0\.\.38; '
                                    r'expected 0 \(void\) \.\. 37')
    else:  # 'no such variable': a toolbox file of the wrong kind
        def mutate(tree):
            write_mat5(osp.join(tree['toolbox'], 'traintestSUNRGBD', 'allsplit.mat'),
                       dict(train=['a']))
        error = KeyError
        match = r"allsplit\.mat: no variable 'alltrain' \(found \['train'\]\)"
    tree = make_official(tmp_path / 'download', **kwargs)
    if mutate is not None:
        mutate(tree)
    out = tmp_path / 'out'
    with pytest.raises(error, match=match):
        sunrgbd.main(_args(tree, out))
    if case not in ('label size', 'label values'):  # found before writing anything
        assert not osp.exists(out)


def test_sunrgbd_dataset_reads_the_output(seg_scope, tmp_path):
    from mmseg.registry import DATASETS
    tree = make_official(tmp_path / 'download')
    out = tmp_path / 'SUNRGBD'
    sunrgbd.main(_args(tree, out))
    pipeline = [dict(type='LoadRGBXImageFromFile', x_channels=1, x_kind='depth'),
                dict(type='LoadAnnotations'), dict(type='PackRGBXSegInputs')]
    for split in ('train', 'test'):
        ds = DATASETS.build(dict(type='SUNRGBDDataset', data_root=str(out), split=split,
                                 pipeline=pipeline))
        assert type(ds).__name__ == 'SUNRGBDDataset' and len(ds) == 2
        assert ds.metainfo['classes'] == SUNRGBD_CLASSES
        for i in range(len(ds)):
            name = ds.get_data_info(i)['sample_name']
            exp = tree['expected'][name]
            assert exp['split'] == split
            item = ds[i]
            h, w = exp['label'].shape
            assert item['inputs'].shape == (4, h, w)
            np.testing.assert_array_equal(item['inputs'][3].numpy(), exp['depth_mm'])
            np.testing.assert_array_equal(
                item['inputs'][:3].numpy().transpose(1, 2, 0),
                _read(osp.join(out, 'RGB', name + '.jpg')))
            # reduce_zero_label: void (0) -> 255, class k -> k - 1
            gt = item['data_samples'].gt_sem_seg.data[0].numpy()
            np.testing.assert_array_equal(
                gt, np.where(exp['label'] == 0, 255, exp['label'].astype(np.int64) - 1))
    # and the benchmark config builds on it (resized to the 480 x 640 protocol size)
    test = dataset_from_config('sunrgbd.py', 'test_dataloader', out)
    assert len(test) == 2 and test[0]['inputs'].shape[0] == 4


def _stub_hha(monkeypatch, calls):
    """A stand-in mmrgbir.datasets.hha recording what the converter passes."""
    module = types.ModuleType('mmrgbir.datasets.hha')

    def compute_hha(depth, camera_matrix):
        calls.append((np.array(depth), np.array(camera_matrix)))
        return np.zeros(depth.shape + (3, ), np.uint8) + len(calls)

    def save_hha(path, hha):
        assert cv2.imwrite(path, hha)

    module.compute_hha, module.save_hha = compute_hha, save_hha
    monkeypatch.setitem(sys.modules, 'mmrgbir.datasets.hha', module)


def test_hha_gets_depth_in_metres_and_intrinsics(tmp_path, monkeypatch):
    calls = []
    _stub_hha(monkeypatch, calls)
    tree = make_official(tmp_path / 'download')
    out = tmp_path / 'out'
    counts = sunrgbd.main(_args(tree, out, '--hha'))
    assert counts['hha'] and len(calls) == 4
    for (depth, K), (name, exp) in zip(calls, tree['expected'].items()):
        assert depth.dtype.kind == 'f'
        np.testing.assert_allclose(depth, exp['depth_mm'] / 1000.0, rtol=1e-6)
        np.testing.assert_allclose(K, exp['K'])  # intrinsics.txt is row by row
        assert _read(osp.join(out, 'HHA', name + '.jpg')).shape == exp['label'].shape + (3, )
    # --hha needs every intrinsics.txt, checked before writing
    tree2 = make_official(tmp_path / 'download2')
    _remove(SAMPLES[0][0] + '/intrinsics.txt')(tree2)
    with pytest.raises(FileNotFoundError, match=r'NYU0001/intrinsics\.txt \(intrinsics of'):
        sunrgbd.main(_args(tree2, tmp_path / 'out2', '--hha'))
    sunrgbd.main(_args(tree2, tmp_path / 'out3'))  # not needed without --hha


def test_hha_with_the_real_module(seg_scope, tmp_path):
    pytest.importorskip('mmrgbir.datasets.hha')
    from mmseg.registry import DATASETS
    tree = make_official(tmp_path / 'download')
    out = tmp_path / 'SUNRGBD'
    sunrgbd.main(_args(tree, out, '--hha'))
    for name, exp in tree['expected'].items():
        hha = _read(osp.join(out, 'HHA', name + '.jpg'))
        assert hha.dtype == np.uint8 and hha.shape == exp['label'].shape + (3, )
    ds = DATASETS.build(dict(type='SUNRGBDDataset', data_root=str(out), split='test',
                             x_input='hha',
                             pipeline=[dict(type='LoadRGBXImageFromFile', x_channels=3,
                                            x_kind='depth'),
                                       dict(type='LoadAnnotations'),
                                       dict(type='PackRGBXSegInputs')]))
    assert ds[0]['inputs'].shape[0] == 6


def test_real_sunrgbd_frames_round_trip(seg_scope, tmp_path, monkeypatch):
    """The shared real frames (530 x 730 Kinect v2, depth in mm, K) stored the official
    way: the converter gives back the same bytes, millimetres and intrinsics."""
    data = shared_data('rgbd_sunrgbd')
    names = sorted(osp.splitext(f)[0] for f in os.listdir(osp.join(data, 'image')))
    samples, expected_k = [], []
    for i, n in enumerate(names):
        folder = f'kv2/kinect2data/{i:06d}_2014-05-26_14-23-37_260595134347_rgbf{n}-resize'
        samples.append((folder, f'{n}.jpg', f'{n}.png', 'train' if i % 2 else 'test',
                        (530, 730), 'double'))
    tree = make_official(tmp_path / 'download', samples=samples)
    for i, ((folder, rgbname, depthname, *_), n) in enumerate(zip(samples, names)):
        base = osp.join(tree['root'], *folder.split('/'))
        with open(osp.join(data, 'image', n + '.jpg'), 'rb') as f:
            jpeg = f.read()
        with open(osp.join(base, 'image', rgbname), 'wb') as f:
            f.write(jpeg)
        mm = _read(osp.join(data, 'depth_mm', n + '.png'))
        assert mm.dtype == np.uint16 and mm.shape == (530, 730)
        assert cv2.imwrite(osp.join(base, 'depth_bfx', depthname), rotate_left3(mm))
        with open(osp.join(data, 'calib', n + '.txt')) as f:  # line 2: K column by column
            K = np.array([float(v) for v in f.read().split('\n')[1].split()]).reshape(
                3, 3, order='F')
        expected_k.append(K)
        with open(osp.join(base, 'intrinsics.txt'), 'w') as f:
            f.write('\n'.join(' '.join(f'{v:g}' for v in row) for row in K) + '\n')
        tree['expected'][f'{i + 1:06d}'].update(jpeg=jpeg, depth_mm=mm)
    calls = []
    _stub_hha(monkeypatch, calls)
    out = tmp_path / 'SUNRGBD'
    sunrgbd.main(_args(tree, out, '--hha'))
    check_output(str(out), tree['expected'])
    for (depth, K), k_exp in zip(calls, expected_k):
        np.testing.assert_allclose(K, k_exp)
        assert K[0, 0] > 100 and K[2].tolist() == [0, 0, 1]  # fx, cx, cy where expected
        assert 0 < np.nanmax(depth) <= 10  # metres
    from mmseg.registry import DATASETS
    ds = DATASETS.build(dict(type='SUNRGBDDataset', data_root=str(out), split='test',
                             pipeline=[dict(type='LoadRGBXImageFromFile', x_channels=1,
                                            x_kind='depth'),
                                       dict(type='LoadAnnotations'),
                                       dict(type='PackRGBXSegInputs')]))
    item = ds[0]
    assert item['inputs'].shape == (4, 530, 730)
    np.testing.assert_array_equal(
        item['inputs'][3].numpy(),
        tree['expected'][ds.get_data_info(0)['sample_name']]['depth_mm'])
