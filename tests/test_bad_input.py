# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Bad input end to end: every case fails with an error that names the file or the
config key and says what was expected, through the dataset or the Runner.
"""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from rgbx_testing import REPO, one_torch_thread, pattern_pair, write_pair

DEMO = osp.join(REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py')
META = dict(classes=('background', 'road', 'car', 'person'))
PIPE = [dict(type='LoadRGBXImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackRGBXSegInputs')]


@pytest.fixture(scope='module')
def clean_root(tmp_path_factory):
    from mmrgbir.datasets.synthetic import generate_night_rgbt
    return generate_night_rgbt(str(tmp_path_factory.mktemp('bad') / 'data'), 2, 1,
                               progress=False)


@pytest.fixture
def root(clean_root, tmp_path):
    """A fresh copy of the 3-image synthetic dataset (0000, 0001 train; 0002 val)."""
    dst = str(tmp_path / 'data')
    shutil.copytree(clean_root, dst)
    return dst


def dataset(root, **kwargs):
    from mmrgbir.datasets import RGBXSegDataset
    args = dict(data_root=root, ann_file='train.txt', metainfo=META, pipeline=PIPE,
                data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'))
    args.update(kwargs)
    return RGBXSegDataset(**args)


def f(root, sub, name='0001'):
    return osp.join(root, sub, name + '.png')


# ---------------------------------------------------------------- files, via the dataset


def test_corrupt_rgb_file(seg_scope, root):
    with open(f(root, 'rgb'), 'wb') as fh:
        fh.write(b'this is not a png')
    ds = dataset(root)
    ds[0]  # the intact sample loads
    with pytest.raises(OSError, match=r'cannot decode RGB image .*rgb/0001\.png'):
        ds[1]


@pytest.mark.parametrize('how', ['truncated', 'empty'])
def test_corrupt_x_file(seg_scope, root, how):
    path = f(root, 'thermal')
    data = open(path, 'rb').read()
    with open(path, 'wb') as fh:
        fh.write(data[:40] if how == 'truncated' else b'')
    with pytest.raises(OSError, match=r'cannot decode X image .*thermal/0001\.png'):
        dataset(root)[1]


def test_missing_x_files_listed_when_the_dataset_is_built(seg_scope, root):
    import os
    os.remove(f(root, 'thermal'))
    os.remove(f(root, 'thermal', '0000'))
    with pytest.raises(FileNotFoundError) as err:
        dataset(root)
    msg = str(err.value)
    assert '2 file(s)' in msg and 'x_path=' in msg
    assert 'thermal/0000.png' in msg and 'thermal/0001.png' in msg
    assert 'data_prefix' in msg


def test_mismatched_sizes(seg_scope, root):
    x = cv2.imread(f(root, 'thermal'), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(f(root, 'thermal'), cv2.resize(x, (64, 48)))
    with pytest.raises(ValueError) as err:
        dataset(root)[1]
    msg = str(err.value)
    assert 'thermal/0001.png is 64x48' in msg and 'rgb/0001.png is 128x96' in msg
    assert 'resize_x_to_rgb' in msg
    # the explicit opt-in works
    pipe = [dict(type='LoadRGBXImageFromFile', resize_x_to_rgb=True)] + PIPE[1:]
    assert tuple(dataset(root, pipeline=pipe)[1]['inputs'].shape) == (4, 96, 128)


def test_x_with_wrong_channel_layout(seg_scope, root):
    rgb, x, _ = pattern_pair(96, 128, x_channels=3)
    rgba = np.concatenate([x, x[..., :1]], axis=2)
    cv2.imwrite(f(root, 'thermal'), rgba)
    with pytest.raises(ValueError, match=r'thermal/0001\.png has 4 channels; expected 1'):
        dataset(root)[1]
    cv2.imwrite(f(root, 'thermal'), x)
    pipe = [dict(type='LoadRGBXImageFromFile', x_channels=1)] + PIPE[1:]
    with pytest.raises(ValueError, match=r'thermal/0001\.png has 3 different channels'):
        dataset(root, pipeline=pipe)[1]


def test_empty_split_file(seg_scope, root):
    open(osp.join(root, 'train.txt'), 'w').close()
    with pytest.raises(FileNotFoundError, match=r'no sample found .*train\.txt'):
        dataset(root)


def test_missing_x_prefix_and_bad_pipeline(seg_scope, root):
    with pytest.raises(KeyError, match='data_prefix needs an "x_path" entry'):
        dataset(root, data_prefix=dict(img_path='rgb', seg_map_path='labels'))
    bad = PIPE[:2] + [dict(type='PhotoMetricDistortion'), PIPE[2]]
    with pytest.raises(ValueError, match='PhotoMetricDistortion.*RGBOnly'):
        dataset(root, pipeline=bad)


def test_coco_empty_annotation_file(det_scope, tmp_path):
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    rgb, x, _ = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x, rgb_dir='visible', x_dir='infrared')
    ann = tmp_path / 'ann.json'
    ann.write_text('')
    with pytest.raises(ValueError, match=r'ann\.json is empty; expected a COCO json'):
        RGBXCocoDataset(data_root=str(tmp_path), ann_file='ann.json', pipeline=[],
                        data_prefix=dict(img='visible', x='infrared'),
                        metainfo=dict(classes=('person',)))
    ann.write_text('{"images": [], "annotations": [], '
                   '"categories": [{"id": 1, "name": "person"}]}')
    with pytest.raises(ValueError, match=r'ann\.json lists no image'):
        RGBXCocoDataset(data_root=str(tmp_path), ann_file='ann.json', pipeline=[],
                        data_prefix=dict(img='visible', x='infrared'),
                        metainfo=dict(classes=('person',)))


# ------------------------------------------------------------ labels, splits, annotations


def test_corrupt_label_map_names_the_file(seg_scope, root):
    with open(f(root, 'labels'), 'wb') as fh:
        fh.write(b'garbage')
    with pytest.raises(Exception, match=r'labels/0001\.png'):
        dataset(root)[1]


def test_label_map_size_mismatch_is_an_error(seg_scope, root):
    cv2.imwrite(f(root, 'labels'), np.zeros((48, 64), np.uint8))
    with pytest.raises(ValueError, match=r'labels/0001\.png'):
        dataset(root)[1]


def test_empty_json_split_file_names_the_file(seg_scope, root):
    open(osp.join(root, 'split.json'), 'w').close()
    with pytest.raises(ValueError, match=r'split\.json'):
        dataset(root, ann_file='split.json', split='train')


def test_coco_json_without_keys_names_the_file(det_scope, tmp_path):
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    rgb, x, _ = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x, rgb_dir='visible', x_dir='infrared')
    (tmp_path / 'ann.json').write_text('{}')
    with pytest.raises(Exception, match=r'ann\.json'):
        RGBXCocoDataset(data_root=str(tmp_path), ann_file='ann.json', pipeline=[],
                        data_prefix=dict(img='visible', x='infrared'),
                        metainfo=dict(classes=('person',)))


# ---------------------------------------------------------------------- via the Runner


def runner_cfg(root, tmp_path, name):
    cfg = Config.fromfile(DEMO)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_interval = 100
    cfg.custom_hooks = []
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'bad_input_{name}_{tmp_path.name}'
    return cfg


def train(cfg):
    from mmengine.runner import Runner
    import mmrgbir  # noqa: F401
    with one_torch_thread():  # tiny model: threads only contend on a shared CPU
        Runner.from_cfg(cfg).train()


@pytest.mark.parametrize('case', ['x_mean_3_on_1_channel', 'x_channels_3_in_loader',
                                  'backbone_x_channels_3'])
def test_channel_count_mismatch_through_runner(root, tmp_path, case):
    cfg = runner_cfg(root, tmp_path, case)
    if case == 'x_mean_3_on_1_channel':  # thermal files are 1-channel
        cfg.model.data_preprocessor.x_mean = [110.0, 110.0, 110.0]
        cfg.model.data_preprocessor.x_std = [50.0, 50.0, 50.0]
        match = (r'RGBXSegDataPreProcessor: input of .*/rgb/000[01]\.png has shape '
                 r'\(4, 96, 128\) but mean\+x_mean describe 6 channels.*x_mean/x_std')
    elif case == 'x_channels_3_in_loader':  # loader repeats X, statistics say 1 channel
        cfg.train_dataloader.dataset.pipeline[0]['x_channels'] = 3
        match = (r'has shape \(6, 96, 128\) but mean\+x_mean describe 4 channels.*'
                 r'LoadRGBXImageFromFile\(x_channels=\.\.\.\)')
    else:  # data and statistics agree (1 X channel), the backbone expects 3
        cfg.model.backbone.x_channels = 3
        match = (r'DualStreamBackbone: expected 3 \+ 3 channels \(x_channels=3\), got 4.*'
                 r'x_mean')
    with pytest.raises(ValueError, match=match):
        train(cfg)


def test_corrupt_and_missing_files_through_runner(root, tmp_path):
    with open(f(root, 'thermal', '0000'), 'wb') as fh:
        fh.write(b'\x89PNG\r\n\x1a\n broken')
    with pytest.raises(OSError, match=r'cannot decode X image .*thermal/0000\.png'):
        train(runner_cfg(root, tmp_path, 'corrupt'))
    import os
    os.remove(f(root, 'thermal', '0000'))
    with pytest.raises(FileNotFoundError, match=r'x_path=.*thermal/0000\.png'):
        train(runner_cfg(root, tmp_path, 'missing'))


def test_stock_preprocessor_on_stacked_input_through_runner(root, tmp_path):
    """A stock SegDataPreProcessor with a 4-value mean would skip bgr_to_rgb silently."""
    cfg = runner_cfg(root, tmp_path, 'stock_pre')
    cfg.model.data_preprocessor = dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53, 110.0],
        std=[58.395, 57.12, 57.375, 50.0], bgr_to_rgb=True, size=(96, 128))
    with pytest.raises(TypeError, match=r'SegDataPreProcessor received stacked RGB-X images.*'
                                        r'skips bgr_to_rgb.*type="RGBXSegDataPreProcessor"'):
        train(cfg)


def test_label_value_beyond_the_classes_through_runner(root, tmp_path):
    """An id >= num_classes used to crash the loss without naming the file."""
    label = cv2.imread(f(root, 'labels', '0000'), cv2.IMREAD_UNCHANGED)
    label[40:60] = 9  # 4 classes; rows that every random crop of the recipe keeps
    cv2.imwrite(f(root, 'labels', '0000'), label)
    with pytest.raises(ValueError, match=r'labels/0000\.png has label value\(s\) 9 \(\d+ px\) '
                                         r'outside the 4 classes'):
        train(runner_cfg(root, tmp_path, 'label_range'))


def test_colour_label_map_through_dataset(seg_scope, root):
    label = cv2.imread(f(root, 'labels'), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(f(root, 'labels'), np.stack([label] * 3, axis=2))
    with pytest.raises(ValueError, match=r'labels/0001\.png is a RGB image'):
        dataset(root)[1]
