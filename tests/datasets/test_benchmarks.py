# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Benchmark datasets (MFNet, PST900, FMB, NYUDv2, SUN RGB-D, VT5000/1000/821), the
4-channel loader, and the benchmark / baseline configs, on small trees in each
official layout made here."""
import glob
import os
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from rgbx_testing import DATASET_CFGS, REPO, dataset_from_config, shared_data, write_image

from mmrgbir.datasets.benchmarks import (FMBDataset, MFNetDataset, NYUDv2Dataset,
                                         PST900Dataset, SUNRGBDDataset, VT821Dataset,
                                         VT1000Dataset, VT5000Dataset)
from mmrgbir.datasets.benchmarks.folder_layout import name_from_list_line
from mmrgbir.datasets.transforms.stacked_loading import LoadStackedRGBXImageFromFile

H, W = 24, 32


def _rng(seed):
    return np.random.default_rng(seed)




def _label_of(item):
    return item['data_samples'].gt_sem_seg.data[0].numpy()


# ------------------------------------------------------------- 4-channel loader


def test_stacked_loader_on_mfnet_file(tmp_path):
    path = osp.join(shared_data('rgbt_mfnet_4ch'), '01234N.png')
    raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert raw.shape == (480, 640, 4)
    out = LoadStackedRGBXImageFromFile()(dict(img_path=path, x_kind='thermal'))
    img = out['img']
    assert img.shape == (480, 640, 4) and img.dtype == np.uint8
    # RGB in BGR order, like LoadImageFromFile; thermal = the 4th stored channel
    np.testing.assert_array_equal(img[..., :3], cv2.imread(path, cv2.IMREAD_COLOR))
    np.testing.assert_array_equal(img[..., 3], raw[..., 3])
    assert out['modality_layout'] == dict(rgb=(0, 3), x=(3, 4), x_kind='thermal',
                                          x_dtype='uint8', channels=4)
    assert out['ori_shape'] == (480, 640)
    three = LoadStackedRGBXImageFromFile(x_channels=3, to_float32=True)(dict(img_path=path))
    assert three['img'].shape == (480, 640, 6) and three['img'].dtype == np.float32
    for c in (3, 4, 5):
        np.testing.assert_array_equal(three['img'][..., c], raw[..., 3])
    assert three['modality_layout']['x'] == (3, 6)


def test_stacked_loader_errors_name_the_file(tmp_path):
    rgb = str(tmp_path / 'rgb.png')
    write_image(rgb, np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError, match=r'rgb\.png has 3 channel\(s\); expected 4'):
        LoadStackedRGBXImageFromFile()(dict(img_path=rgb))
    with pytest.raises(ValueError, match='differs from img_path'):
        LoadStackedRGBXImageFromFile()(dict(img_path=rgb, x_path=str(tmp_path / 'x.png')))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        LoadStackedRGBXImageFromFile()(dict(img_path=str(tmp_path / 'missing.png')))


def test_split_list_lines():
    assert name_from_list_line('00001D\n') == '00001D'
    assert name_from_list_line('00001D.png') == '00001D'
    assert name_from_list_line('RGB/12.jpg Label/12.png') == '12'
    assert name_from_list_line('31_bag1a_rect_rgb_frame0000000007') == \
        '31_bag1a_rect_rgb_frame0000000007'
    assert name_from_list_line('  ') is None and name_from_list_line('# note') is None


# ----------------------------------------------------------------------- MFNet

MFNET_SPLITS = dict(train=['00001D', '00002N'], val=['00003D'], test=['00004D', '00005N'])


def make_mfnet_official(root):
    """The MFNet download: images/ (4-channel PNG), labels/, train/val/test.txt."""
    for i, name in enumerate(sum(MFNET_SPLITS.values(), [])):
        rng = _rng(i)
        write_image(osp.join(root, 'images', name + '.png'),
               rng.integers(0, 256, (H, W, 4), dtype=np.uint8))
        write_image(osp.join(root, 'labels', name + '.png'),
               rng.integers(0, 9, (H, W), dtype=np.uint8))
    for split, names in MFNET_SPLITS.items():
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write('\n'.join(names) + '\n')


def test_mfnet_stacked_storage_and_splits(seg_scope, tmp_path):
    root = tmp_path / 'ir_seg_dataset'
    make_mfnet_official(str(root))
    # the 4-channel config protocol: train + val -> test
    train = dataset_from_config('mfnet_4ch.py', 'train_dataloader', root)
    test = dataset_from_config('mfnet_4ch.py', 'test_dataloader', root)
    assert isinstance(train, MFNetDataset) and train.stacked
    assert len(train) == 3 and len(test) == 2
    assert train.metainfo['classes'][0] == 'unlabeled' and len(train.metainfo['classes']) == 9
    info = test.get_data_info(0)
    assert info['x_path'] == info['img_path'] and info['img_path'].endswith('images/00004D.png')
    item = test[0]
    assert item['inputs'].shape == (4, 480, 640)  # resized to the 480 x 640 protocol size
    np.testing.assert_array_equal(_label_of(item),  # label loaded after Resize: full size
                                  cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED))
    plain = MFNetDataset(data_root=str(root), stacked=True, split='test',
                         pipeline=[dict(type='LoadStackedRGBXImageFromFile'),
                                   dict(type='PackRGBXSegInputs')])
    raw = cv2.imread(info['img_path'], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(plain[0]['inputs'].numpy(),
                                  raw.transpose(2, 0, 1))  # B, G, R, thermal
    # the train pipeline (random scale, crop, flip, RGBOnly photometric) keeps 4 channels
    assert train[0]['inputs'].shape[0] == 4
    # official split and day / night subsets
    kw = dict(data_root=str(root), stacked=True, lazy_init=False)
    assert [len(MFNetDataset(split=s, **kw)) for s in ('train', 'val', 'test')] == [2, 1, 2]
    assert MFNetDataset(split='test_night', **kw).get_data_info(0)['sample_name'] == '00005N'
    assert len(MFNetDataset(split='test_day', **kw)) == 1
    with pytest.raises(ValueError, match="unknown split 'all'"):
        MFNetDataset(split='all', **kw)
    with pytest.raises(ValueError, match='use LoadStackedRGBXImageFromFile'):
        MFNetDataset(split='test', pipeline=[dict(type='LoadRGBXImageFromFile')], **kw)


def test_mfnet_folders_equal_stacked_and_ignore_unlabeled(seg_scope, tmp_path):
    root = tmp_path / 'ir_seg_dataset'
    make_mfnet_official(str(root))
    out = tmp_path / 'mfnet'
    for sub in ('rgb', 'thermal', 'labels'):
        os.makedirs(out / sub)
    for name in sum(MFNET_SPLITS.values(), []):
        img = cv2.imread(str(root / 'images' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        write_image(str(out / 'rgb' / f'{name}.png'), img[..., :3])
        write_image(str(out / 'thermal' / f'{name}.png'), img[..., 3])
        shutil.copy(root / 'labels' / f'{name}.png', out / 'labels')
    for split in MFNET_SPLITS:
        shutil.copy(root / f'{split}.txt', out)
    folders = dataset_from_config('mfnet.py', 'val_dataloader', out)
    stacked = dataset_from_config('mfnet_4ch.py', 'val_dataloader', root)
    assert not folders.stacked and len(folders) == len(stacked) == 2
    for i in range(2):
        a, b = folders[i], stacked[i]
        np.testing.assert_array_equal(a['inputs'].numpy(), b['inputs'].numpy())
        np.testing.assert_array_equal(_label_of(a), _label_of(b))
    with pytest.raises(ValueError, match='use LoadRGBXImageFromFile'):
        MFNetDataset(data_root=str(out), split='test',
                     pipeline=[dict(type='LoadStackedRGBXImageFromFile')])
    # unlabeled (0) -> ignored, classes 1..8 -> 0..7
    ds = MFNetDataset(data_root=str(out), split='test', ignore_unlabeled=True,
                      pipeline=[dict(type='LoadRGBXImageFromFile'), dict(type='LoadAnnotations'),
                                dict(type='PackRGBXSegInputs')])
    assert len(ds.metainfo['classes']) == 8 and ds.metainfo['palette'][0] == [64, 0, 128]
    raw = cv2.imread(ds.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    expected = np.where(raw == 0, 255, raw.astype(np.int64) - 1)
    np.testing.assert_array_equal(_label_of(ds[0]), expected)


# ------------------------------------------------------------------ PST900, FMB


def _make_split_folders(root, names, rgb, x, label, num_classes, seed=0):
    for split, split_names in names.items():
        for i, name in enumerate(split_names):
            rng = _rng(seed + i)
            write_image(osp.join(root, split, rgb, name + '.png'),
                   rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
            write_image(osp.join(root, split, x, name + '.png'),
                   rng.integers(0, 256, (H, W), dtype=np.uint8))
            write_image(osp.join(root, split, label, name + '.png'),
                   rng.integers(0, num_classes, (H, W), dtype=np.uint8))


def test_pst900_official_layout(seg_scope, tmp_path):
    names = dict(train=['31_bag1a_rect_rgb_frame0000000007', 'b'], test=['c'])
    _make_split_folders(str(tmp_path), names, 'rgb', 'thermal', 'labels', 5)
    os.makedirs(tmp_path / 'train' / 'depth')  # present in the download, unused
    train = dataset_from_config('pst900.py', 'train_dataloader', tmp_path)
    test = dataset_from_config('pst900.py', 'test_dataloader', tmp_path)
    assert isinstance(train, PST900Dataset)
    assert len(train) == 2 and len(test) == 1
    assert train.metainfo['classes'] == ('background', 'fire_extinguisher', 'backpack',
                                         'hand_drill', 'survivor')
    assert train.get_data_info(0)['x_path'].endswith(
        'train/thermal/31_bag1a_rect_rgb_frame0000000007.png')
    item = test[0]
    assert item['inputs'].shape == (4, 720, 960)  # test Resize to fit 1280 x 720
    assert train[0]['inputs'].shape[0] == 4


def test_fmb_official_layout_and_14_class_variant(seg_scope, tmp_path):
    names = dict(train=['00001', '00002'], test=['00003'])
    _make_split_folders(str(tmp_path), names, 'Visible', 'Infrared', 'Label', 15)
    test = dataset_from_config('fmb.py', 'test_dataloader', tmp_path)
    assert isinstance(test, FMBDataset) and len(test.metainfo['classes']) == 15
    assert len(dataset_from_config('fmb.py', 'train_dataloader', tmp_path)) == 2
    ds14 = dataset_from_config('fmb.py', 'test_dataloader', tmp_path, ignore_unlabeled=True)
    assert len(ds14.metainfo['classes']) == 14 and ds14.metainfo['classes'][0] == 'road'
    raw = cv2.imread(ds14.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    # the test pipeline resizes the image but loads the label afterwards, at full size
    np.testing.assert_array_equal(_label_of(ds14[0]),
                                  np.where(raw == 0, 255, raw.astype(np.int64) - 1))
    with pytest.raises(ValueError, match='ignore_unlabeled=True needs class 0'):
        PST900Dataset(data_root=str(tmp_path), split='test', ignore_unlabeled=True)


# ----------------------------------------------------------- NYUDv2, SUN RGB-D


def make_rgbd_pack(root, train, test, num_classes, seed=0):
    """CMX / DFormer pack: RGB/*.jpg, Depth/*.png (16 bit), HHA/*.jpg, Label/*.png."""
    for i, name in enumerate(train + test):
        rng = _rng(seed + i)
        write_image(osp.join(root, 'RGB', name + '.jpg'),
               rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
        write_image(osp.join(root, 'Depth', name + '.png'),
               rng.integers(0, 10000, (H, W), dtype=np.uint16))
        write_image(osp.join(root, 'HHA', name + '.jpg'),
               rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
        write_image(osp.join(root, 'Label', name + '.png'),
               rng.integers(0, num_classes + 1, (H, W), dtype=np.uint8))
    with open(osp.join(root, 'train.txt'), 'w') as f:  # "RGB/x.jpg Label/x.png" lines
        f.write(''.join(f'RGB/{n}.jpg Label/{n}.png\n' for n in train))
    with open(osp.join(root, 'test.txt'), 'w') as f:
        f.write(''.join(f'{n}\n' for n in test))


def test_nyudv2_raw_depth_and_hha(seg_scope, tmp_path):
    make_rgbd_pack(str(tmp_path), ['1', '2', '3'], ['4', '5'], 40)
    test = dataset_from_config('nyudv2.py', 'test_dataloader', tmp_path)
    train = dataset_from_config('nyudv2.py', 'train_dataloader', tmp_path)
    assert isinstance(test, NYUDv2Dataset) and len(train) == 3 and len(test) == 2
    assert len(test.metainfo['classes']) == 40 and len(test.metainfo['palette']) == 40
    assert test.metainfo['classes'][-1] == 'otherprop'
    info = test.get_data_info(0)
    assert info['x_path'].endswith('Depth/4.png') and info['x_kind'] == 'depth'
    item = test[0]
    assert item['inputs'].shape == (4, 480, 640)  # resized to the 480 x 640 protocol size
    assert item['data_samples'].metainfo['modality_layout']['x_dtype'] == 'uint16'
    raw = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    # void (0) -> 255, class k -> k - 1
    np.testing.assert_array_equal(_label_of(item),
                                  np.where(raw == 0, 255, raw.astype(np.int64) - 1))
    # raw 16-bit depth reaches the model exactly (no resize: the plain loader)
    plain = NYUDv2Dataset(data_root=str(tmp_path), split='test',
                          pipeline=[dict(type='LoadRGBXImageFromFile'),
                                    dict(type='PackRGBXSegInputs')])
    np.testing.assert_array_equal(plain[0]['inputs'][3].numpy(),
                                  cv2.imread(info['x_path'], cv2.IMREAD_UNCHANGED))
    hha = dataset_from_config('nyudv2_hha.py', 'test_dataloader', tmp_path)
    assert hha.get_data_info(0)['x_path'].endswith('HHA/4.jpg')
    assert hha[0]['inputs'].shape == (6, 480, 640)


def test_sunrgbd_pack(seg_scope, tmp_path):
    make_rgbd_pack(str(tmp_path), ['000001', '000002'], ['000003'], 37)
    ds = dataset_from_config('sunrgbd.py', 'train_dataloader', tmp_path)
    assert isinstance(ds, SUNRGBDDataset) and len(ds) == 2
    assert len(ds.metainfo['classes']) == 37 and ds.metainfo['classes'][0] == 'wall'
    assert ds[0]['inputs'].shape[0] == 4
    test = dataset_from_config('sunrgbd.py', 'test_dataloader', tmp_path)
    assert test.get_data_info(0)['img_path'].endswith('RGB/000003.jpg')


# --------------------------------------------------------------- VT SOD sets


def _make_vt(root, suffixes, seed=0):
    """RGB/, T/, GT/ with per-sample suffixes ``{stem: (rgb, t, gt)}``."""
    masks = {}
    for i, (stem, (rs, ts, gs)) in enumerate(sorted(suffixes.items())):
        rng = _rng(seed + i)
        write_image(osp.join(root, 'RGB', stem + rs), rng.integers(0, 256, (H, W, 3), np.uint8))
        thermal = rng.integers(0, 256, (H, W), np.uint8)
        write_image(osp.join(root, 'T', stem + ts), np.stack([thermal] * 3, axis=2))
        mask = np.zeros((H, W), np.uint8)
        mask[4:12 + i, 6:20] = 255
        write_image(osp.join(root, 'GT', stem + gs), mask)
        masks[stem] = mask > 127
    return masks


def test_vt_sets_match_mixed_suffixes(seg_scope, tmp_path):
    vt5000 = tmp_path / 'VT5000'
    train_masks = _make_vt(str(vt5000 / 'Train'), {'1': ('.jpg', '.jpg', '.png'),
                                                   '2': ('.png', '.bmp', '.png')})
    _make_vt(str(vt5000 / 'Test'), {'3': ('.jpg', '.jpg', '.png')})
    train = dataset_from_config('vt5000.py', 'train_dataloader', vt5000)
    test = dataset_from_config('vt5000.py', 'test_dataloader', vt5000)
    assert isinstance(train, VT5000Dataset) and len(train) == 2 and len(test) == 1
    info = train.get_data_info(1)
    assert info['img_path'].endswith('Train/RGB/2.png')
    assert info['x_path'].endswith('Train/T/2.bmp')
    assert info['seg_map_path'].endswith('Train/GT/2.png')
    item = test[0]
    assert item['inputs'].shape == (6, 384, 384)  # 3-channel thermal, 384 x 384 input
    assert _label_of(item).shape == (H, W)  # ground truth kept at full size
    plain = VT5000Dataset(data_root=str(vt5000), split='train',
                          pipeline=[dict(type='LoadRGBXImageFromFile', x_channels=3),
                                    dict(type='LoadSODAnnotations'),
                                    dict(type='PackRGBXSegInputs')])
    for i, stem in enumerate(('1', '2')):
        np.testing.assert_array_equal(_label_of(plain[i]), train_masks[stem].astype(np.uint8))
    for cfg_file, cls in (('vt1000.py', VT1000Dataset), ('vt821.py', VT821Dataset)):
        root = tmp_path / cls.__name__
        _make_vt(str(root), {'a': ('.jpg', '.jpg', '.jpg'), 'b': ('.jpg', '.png', '.bmp')})
        ds = dataset_from_config(cfg_file, 'test_dataloader', root)
        assert type(ds) is cls and len(ds) == 2
        assert ds.get_data_info(1)['seg_map_path'].endswith('GT/b.bmp')
        assert ds[1]['inputs'].shape == (6, 384, 384)


def test_vt_errors_name_the_files(seg_scope, tmp_path):
    _make_vt(str(tmp_path), {'a': ('.jpg', '.jpg', '.png'), 'b': ('.jpg', '.jpg', '.png')})
    os.remove(tmp_path / 'GT' / 'b.png')
    with pytest.raises(FileNotFoundError,
                       match=r'(?s)1 sample\(s\) lack a file.*b \(no file in .*GT'):
        VT821Dataset(data_root=str(tmp_path))
    shutil.copy(tmp_path / 'GT' / 'a.png', tmp_path / 'GT' / 'b.png')
    shutil.copy(tmp_path / 'T' / 'a.jpg', tmp_path / 'T' / 'a.png')
    with pytest.raises(ValueError,
                       match=r'T has two files for "a": a\.(jpg and a\.png|png and a\.jpg)'):
        VT821Dataset(data_root=str(tmp_path))


# ------------------------------------------------------------ registration


def test_registration_is_lazy_for_detection(seg_scope):
    from mmengine.registry import DATASETS as ROOT
    from mmseg.registry import DATASETS, TRANSFORMS
    for name in ('MFNetDataset', 'PST900Dataset', 'FMBDataset', 'NYUDv2Dataset',
                 'SUNRGBDDataset', 'VT5000Dataset', 'VT1000Dataset', 'VT821Dataset'):
        assert DATASETS.get(name) is not None, name
    assert TRANSFORMS.get('LoadStackedRGBXImageFromFile') is LoadStackedRGBXImageFromFile
    for name in ('FLIRAlignedDataset', 'LLVIPDataset', 'M3FDDataset', 'KAISTDataset'):
        assert ROOT.get(name) is not None, name
    # no module imported by ``import mmrgbir.datasets.benchmarks`` imports mmdet or the
    # detection module (static check: mmseg itself may import mmdet when installed)
    import ast
    package = osp.dirname(sys.modules['mmrgbir.datasets.benchmarks'].__file__)
    for path in glob.glob(osp.join(package, '*.py')):
        if path.endswith('det_benchmarks.py'):
            continue
        tree = ast.parse(open(path).read())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                  for a in n.names]
        assert not [n for n in names if n.startswith('mmdet') or 'det_benchmarks' in n], path


# ------------------------------------------------------------------- configs


def test_dataset_configs_declare_their_protocol():
    expect = {
        'mfnet.py': ('MFNetDataset', 'trainval', 'test', 'IoUMetric'),
        'mfnet_4ch.py': ('MFNetDataset', 'trainval', 'test', 'IoUMetric'),
        'mfnet_official_split.py': ('MFNetDataset', 'train', 'val', 'IoUMetric'),
        'pst900.py': ('PST900Dataset', 'train', 'test', 'IoUMetric'),
        'fmb.py': ('FMBDataset', 'train', 'test', 'IoUMetric'),
        'nyudv2.py': ('NYUDv2Dataset', 'train', 'test', 'IoUMetric'),
        'nyudv2_hha.py': ('NYUDv2Dataset', 'train', 'test', 'IoUMetric'),
        'sunrgbd.py': ('SUNRGBDDataset', 'train', 'test', 'IoUMetric'),
        'vt5000.py': ('VT5000Dataset', 'train', 'test', 'SODMetric'),
        'flir_aligned.py': ('FLIRAlignedDataset', 'flir_aligned_train.json',
                            'flir_aligned_test.json', 'CocoMetric'),
        'llvip.py': ('LLVIPDataset', 'llvip_train.json', 'llvip_test.json', 'CocoMetric'),
        'm3fd.py': ('M3FDDataset', 'm3fd_train.json', 'm3fd_test.json', 'CocoMetric'),
        'kaist.py': ('KAISTDataset', 'kaist_train_sanitized.json', 'kaist_test_improved.json',
                     'KAISTMissRateMetric'),
    }
    for name, (ds_type, train_split, val_split, metric) in expect.items():
        cfg = Config.fromfile(osp.join(DATASET_CFGS, name))
        train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
        assert train.type == val.type == ds_type, name
        if train_split.endswith('.json'):
            assert train.ann_file.endswith(train_split) and val.ann_file.endswith(val_split)
            assert val.test_mode and cfg.val_evaluator.get('ann_file', val_split).endswith(
                val_split), name
        else:
            assert (train.split, val.split) == (train_split, val_split), name
        assert cfg.val_evaluator.type == metric, name
        photometric = [t for t in cfg.train_dataloader.dataset.pipeline
                       if t.type == 'RGBOnly']
        assert photometric, f'{name}: photometric augmentation must be wrapped in RGBOnly'
    assert Config.fromfile(osp.join(DATASET_CFGS, 'mfnet_official_split.py')) \
        .test_dataloader.dataset.split == 'test'
    kaist = Config.fromfile(osp.join(DATASET_CFGS, 'kaist.py'))
    assert 'instances' in kaist.test_dataloader.dataset.pipeline[-1].meta_keys
    for name, test_type in (('vt1000.py', 'VT1000Dataset'), ('vt821.py', 'VT821Dataset')):
        cfg = Config.fromfile(osp.join(DATASET_CFGS, name))
        assert cfg.test_dataloader.dataset.type == test_type
        assert cfg.train_dataloader.dataset.type == 'VT5000Dataset'


def test_baseline_configs_build(seg_scope):
    """Every baseline builds (on the meta device: structure and shapes, no weights) and
    its backbone + neck run on an input of its channel count."""
    import torch
    from mmengine.registry import MODELS, init_default_scope
    files = sorted(glob.glob(osp.join(REPO, 'configs', 'baselines', '*.py')))
    assert len(files) == 11
    classes = dict(MFNetDataset=9, PST900Dataset=5, FMBDataset=15, NYUDv2Dataset=40,
                   SUNRGBDDataset=37, VT5000Dataset=2, FLIRAlignedDataset=3, LLVIPDataset=1,
                   M3FDDataset=6, KAISTDataset=1)
    built = set()
    for f in files:
        cfg = Config.fromfile(f)
        dataset = cfg.train_dataloader.dataset.type
        init_default_scope(cfg.default_scope)
        with torch.device('meta'):
            model = MODELS.build(cfg.model)
            x_channels = model.backbone.x_channels
            feats = model.extract_feat(torch.empty(1, 3 + x_channels, 64, 96))
        if 'faster-rcnn' in f:
            assert type(model).__name__ == 'FasterRCNN', f
            assert type(model.data_preprocessor).__name__ == 'RGBXDetDataPreprocessor'
            assert model.roi_head.bbox_head.num_classes == classes[dataset], f
            assert [tuple(x.shape) for x in feats][:2] == [(1, 256, 16, 24), (1, 256, 8, 12)]
        else:
            assert type(model).__name__ == 'EncoderDecoder', f
            assert model.decode_head.num_classes == classes[dataset], f
            assert cfg.model.data_preprocessor.size is not None, f
            assert tuple(feats[0].shape) == (1, 64, 16, 24), f
        assert type(model.backbone).__name__ == 'DualStreamBackbone'
        built.add(dataset)
    assert built == set(classes)
