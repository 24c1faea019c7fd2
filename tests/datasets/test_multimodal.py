# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Three or more modalities: layout, loader, dataset, per-modality wrapper and
corruption, alignment under geometric transforms, per-modality normalisation."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from mmrgbir.datasets import MultiModalSegDataset
from mmrgbir.datasets.transforms import (LoadMultiModalImageFromFile, ModalityCorruption,
                                         ModalityOnly)
from mmrgbir.structures import (find_modality, make_layout, make_multimodal_layout,
                                modality_names, modality_parts, modality_slice)
from rgbx_testing import write_image

H, W = 24, 32
CLASSES = dict(classes=('background', 'road', 'car', 'person'))


def test_multimodal_layout_values():
    layout = make_multimodal_layout([('thermal', 1, 'thermal', 'uint8'),
                                     ('depth', 1, 'depth', 'uint16'),
                                     ('event', 3, 'x', 'uint8')])
    assert modality_names(layout) == ['rgb', 'thermal', 'depth', 'event']
    assert modality_slice(layout, 'rgb') == slice(0, 3)
    assert modality_slice(layout, 'thermal') == slice(3, 4)
    assert modality_slice(layout, 'depth') == slice(4, 5)
    assert modality_slice(layout, 'event') == slice(5, 8)
    # 'x' keeps its two-modality meaning: every channel after RGB
    assert modality_slice(layout, 'x') == slice(3, 8)
    assert layout['channels'] == 8 and layout['x'] == (3, 8)
    assert find_modality(layout, 'depth')['dtype'] == 'uint16'
    with pytest.raises(KeyError, match="no modality 'sonar'.*'thermal', 'depth', 'event'"):
        modality_slice(layout, 'sonar')
    with pytest.raises(ValueError, match='unique'):
        make_multimodal_layout([('d', 1, 'depth', 'uint8'), ('d', 1, 'depth', 'uint8')])
    with pytest.raises(ValueError, match="not 'rgb' / 'x'"):
        make_multimodal_layout([('x', 1, 'depth', 'uint8')])
    # a two-modality layout reads as rgb + its x_kind
    two = make_layout(1, 'depth', 'uint16')
    assert [p['name'] for p in modality_parts(two)] == ['rgb', 'depth']
    assert modality_slice(two, 'depth') == slice(3, 4)


def write_sample(root, name, seed=0):
    """Distinct values per modality: RGB (given in BGR order on disk), 8-bit thermal,
    16-bit depth above 255 (lost if truncated to 8 bits) and a label map; the
    same L-shaped marker in all of them."""
    rng = np.random.default_rng(seed)
    marker = np.zeros((H, W), bool)
    marker[4:18, 5:9] = True
    marker[14:18, 5:25] = True
    bgr = np.zeros((H, W, 3), np.uint8)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 11, 22, 33
    bgr[marker] = (201, 202, 203)
    thermal = rng.integers(40, 60, (H, W)).astype(np.uint8)
    thermal[marker] = 250
    depth = rng.integers(1000, 2000, (H, W)).astype(np.uint16)
    depth[marker] = 60001
    label = marker.astype(np.uint8) * 3
    write_image(osp.join(root, 'rgb', name + '.png'), bgr)
    write_image(osp.join(root, 'thermal', name + '.png'), thermal)
    write_image(osp.join(root, 'depth', name + '.png'), depth)
    write_image(osp.join(root, 'labels', name + '.png'), label)
    return bgr, thermal, depth, label


def paths(root, name):
    return dict(img_path=osp.join(root, 'rgb', name + '.png'),
                modality_paths=dict(thermal=osp.join(root, 'thermal', name + '.png'),
                                    depth=osp.join(root, 'depth', name + '.png')),
                seg_map_path=osp.join(root, 'labels', name + '.png'))


def test_loader_stacks_every_modality_exactly(tmp_path):
    bgr, thermal, depth, _ = write_sample(tmp_path, 'a')
    out = LoadMultiModalImageFromFile(modalities=('thermal', 'depth'))(paths(tmp_path, 'a'))
    img = out['img']
    assert img.shape == (H, W, 5) and img.dtype == np.float32  # 16-bit depth -> float32
    assert np.array_equal(img[..., :3], bgr.astype(np.float32))
    assert np.array_equal(img[..., 3], thermal.astype(np.float32))
    assert np.array_equal(img[..., 4], depth.astype(np.float32))  # 60001 kept exactly
    layout = out['modality_layout']
    assert modality_names(layout) == ['rgb', 'thermal', 'depth']
    assert [p['dtype'] for p in modality_parts(layout)] == ['uint8', 'uint8', 'uint16']
    # order follows `modalities`
    out2 = LoadMultiModalImageFromFile(modalities=('depth', 'thermal'))(paths(tmp_path, 'a'))
    assert np.array_equal(out2['img'][..., 3], depth.astype(np.float32))
    assert modality_slice(out2['modality_layout'], 'thermal') == slice(4, 5)
    # channels: a 1-channel modality repeated to 3
    out3 = LoadMultiModalImageFromFile(modalities=('thermal', 'depth'),
                                       channels=dict(thermal=3))(paths(tmp_path, 'a'))
    assert out3['img'].shape[2] == 7
    assert modality_slice(out3['modality_layout'], 'depth') == slice(6, 7)


def test_loader_errors_name_the_file_and_modality(tmp_path):
    write_sample(tmp_path, 'a')
    write_image(osp.join(tmp_path, 'depth', 'a.png'), np.zeros((H + 2, W), np.uint16))
    load = LoadMultiModalImageFromFile(modalities=('thermal', 'depth'))
    with pytest.raises(ValueError, match=r'depth image .*depth/a.png is 32x26'):
        load(paths(tmp_path, 'a'))
    res = paths(tmp_path, 'a')
    del res['modality_paths']['depth']
    with pytest.raises(KeyError, match=r"no path for \['depth'\]"):
        load(res)
    with pytest.raises(KeyError, match='not in modalities'):
        LoadMultiModalImageFromFile(modalities=('thermal',), channels=dict(depth=1))
    # the label map is checked as by the two-modality loader
    write_sample(tmp_path, 'b')
    write_image(osp.join(tmp_path, 'labels', 'b.png'), np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError, match=r'labels/b.png is a RGB image'):
        load(paths(tmp_path, 'b'))
    with pytest.raises(ValueError, match='channels'):
        LoadMultiModalImageFromFile(modalities=('thermal', 'depth'), x_channels=1)


def test_dataset_and_pipeline_keep_modalities_aligned(tmp_path, seg_scope):
    for i in range(2):
        write_sample(tmp_path, f'{i}', seed=i)
    (tmp_path / 'train.txt').write_text('0\n1\n')
    pipeline = [dict(type='LoadMultiModalImageFromFile', modalities=('thermal', 'depth')),
                dict(type='LoadAnnotations'),
                dict(type='RandomFlip', prob=1.0, direction='horizontal'),
                dict(type='Resize', scale=(2 * W, 2 * H), keep_ratio=False,
                     interpolation='nearest'),
                dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
                dict(type='PackRGBXSegInputs')]
    ds = MultiModalSegDataset(
        modalities=('thermal', 'depth'), data_root=str(tmp_path), ann_file='train.txt',
        data_prefix=dict(img_path='rgb', thermal='thermal', depth='depth',
                         seg_map_path='labels'),
        metainfo=CLASSES, pipeline=pipeline)
    assert len(ds) == 2
    assert ds.get_data_info(0)['modality_paths']['depth'].endswith('depth/0.png')
    sample = ds[0]
    img = sample['inputs'].numpy().transpose(1, 2, 0)
    gt = sample['data_samples'].gt_sem_seg.data.numpy()[0]
    assert img.shape == (2 * H, 2 * W, 5)
    # the marker is where the label says, in thermal and depth (values exact)
    assert np.array_equal(img[..., 3] == 250, gt == 3)
    assert np.array_equal(img[..., 4] == 60001, gt == 3)
    assert sample['data_samples'].metainfo['modality_layout']['channels'] == 5


def test_dataset_errors(tmp_path):
    write_sample(tmp_path, '0')
    (tmp_path / 'depth' / '0.png').unlink()
    prefix = dict(img_path='rgb', thermal='thermal', depth='depth', seg_map_path='labels')
    with pytest.raises(FileNotFoundError, match=r'depth=.*depth/0.png'):
        MultiModalSegDataset(modalities=('thermal', 'depth'), data_root=str(tmp_path),
                             data_prefix=prefix, metainfo=CLASSES)
    with pytest.raises(KeyError, match=r"missing \['depth'\]"):
        MultiModalSegDataset(modalities=('thermal', 'depth'), data_root=str(tmp_path),
                             data_prefix=dict(img_path='rgb', thermal='thermal'),
                             metainfo=CLASSES)


def test_modality_only_and_corruption_touch_one_modality(tmp_path):
    bgr, thermal, depth, _ = write_sample(tmp_path, 'a')
    res = LoadMultiModalImageFromFile(modalities=('thermal', 'depth'))(paths(tmp_path, 'a'))
    before = res['img'].copy()
    noise = dict(type='ModalityCorruption', modality='depth', mode='missing')
    out = ModalityCorruption(modality='depth', mode='missing')(dict(res))
    assert np.array_equal(out['img'][..., :4], before[..., :4])
    assert (out['img'][..., 4] == 0).all()
    out = ModalityCorruption(modality='thermal', mode='missing')(dict(res))
    assert (out['img'][..., 3] == 0).all()
    assert np.array_equal(out['img'][..., 4], before[..., 4])
    with pytest.raises(KeyError, match="no modality 'sonar'"):
        ModalityCorruption(modality='sonar', mode='missing')(dict(res))
    Compose([noise])  # the config form builds
    # ModalityOnly: the wrapped transform sees (and changes) the named part only
    for name, channel in (('thermal', 3), ('depth', 4)):
        seen = []
        out = ModalityOnly(modality=name, transforms=[AddOne(seen)])(dict(res))
        assert seen == [(H, W, 1)]
        expected = before.copy()
        expected[..., channel] += 1
        assert np.array_equal(out['img'], expected)


class AddOne:
    """A photometric stand-in: adds 1 to whatever image it is given."""

    def __init__(self, seen):
        self.seen = seen

    def __call__(self, results):
        self.seen.append(results['img'].shape)
        results['img'] = results['img'] + 1
        return results


def test_preprocessor_normalises_each_modality_with_its_statistics():
    from mmseg.structures import SegDataSample

    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    pre = RGBXSegDataPreProcessor(mean=[10., 20., 30.], std=[1., 2., 3.],
                                  x_mean=[100., 5000.], x_std=[10., 1000.], bgr_to_rgb=True)
    img = torch.empty(5, 2, 2)
    for c, v in enumerate([30., 40., 10., 130., 8000.]):  # B, G, R, thermal, depth
        img[c] = v
    sample = SegDataSample(metainfo=dict(img_shape=(2, 2), ori_shape=(2, 2), pad_shape=(2, 2)))
    out = pre(dict(inputs=[img], data_samples=[sample]))['inputs'][0]
    # expected by hand: R=(10-10)/1, G=(40-20)/2, B=(30-30)/3, T=(130-100)/10,
    # D=(8000-5000)/1000
    assert torch.equal(out[:, 0, 0], torch.tensor([0., 10., 0., 3., 3.]))


def test_rgbx_random_resize_uses_its_own_interpolation_for_x():
    """RGB bilinear, X nearest at the same random size: X holds only values of the
    original X (no invented depth between two surfaces), placed where mmcv's
    nearest resize of the label map puts the labels."""
    import mmcv

    from mmrgbir.datasets.transforms import RGBXRandomResize
    from mmrgbir.structures import make_layout
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (H, W, 3)).astype(np.float32)
    depth = np.where(np.arange(W)[None, :] < W // 2, 1000.0, 9000.0) * np.ones((H, 1))
    img = np.concatenate([rgb, depth[..., None]], axis=2).astype(np.float32)
    label = (depth > 5000).astype(np.uint8)
    res = dict(img=img, img_shape=(H, W), ori_shape=(H, W), gt_seg_map=label,
               seg_fields=['gt_seg_map'], modality_layout=make_layout(1, 'depth', 'uint16'))
    out = RGBXRandomResize(scale=(2 * W, 2 * H), ratio_range=(0.7, 0.7), keep_ratio=True,
                           x_interpolation='nearest')(res)
    h, w = out['img'].shape[:2]
    assert h > H and w > W  # enlarged (keep_ratio rounding is mmcv's)
    x = out['img'][..., 3]
    assert set(np.unique(x)) == {1000.0, 9000.0}
    assert np.array_equal(x > 5000, out['gt_seg_map'] == 1)
    # RGB is the stock bilinear resize of the RGB part
    expected_rgb = mmcv.imresize(rgb, (w, h), interpolation='bilinear')
    np.testing.assert_array_equal(out['img'][..., :3], expected_rgb)
    # the stock RandomResize mixes the two depths at the edge
    from mmcv.transforms import RandomResize
    stock = RandomResize(scale=(2 * W, 2 * H), ratio_range=(0.7, 0.7), keep_ratio=True)(
        dict(img=img.copy(), img_shape=(H, W), ori_shape=(H, W)))
    assert len(np.unique(stock['img'][..., 3])) > 2
    with pytest.raises(ValueError, match='x_interpolation'):
        RGBXRandomResize(scale=(W, H), x_interpolation='cubic')


def test_loader_x_dtype_names_a_file_of_the_wrong_bit_depth(tmp_path):
    from mmrgbir.datasets.transforms import LoadRGBXImageFromFile
    write_sample(tmp_path, 'a')
    res = dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'),
               x_path=osp.join(tmp_path, 'depth', 'a.png'))
    with pytest.raises(ValueError, match=r'depth/a.png is uint16 but the pipeline expects '
                                         r'uint8'):
        LoadRGBXImageFromFile(x_dtype='uint8')(dict(res))
    out = LoadRGBXImageFromFile(x_dtype='uint16')(dict(res))
    assert out['img'].shape[2] == 4
    with pytest.raises(ValueError, match='x_dtype must be'):
        LoadRGBXImageFromFile(x_dtype='int8')


def test_modality_only_uses_the_modality_own_bit_depth(tmp_path, seg_scope):
    """An 8-bit thermal part of a float32 stack (next to 16-bit depth) takes 8-bit
    transforms (values as on a plain uint8 image); the 16-bit depth part refuses them."""
    _, thermal, _, _ = write_sample(tmp_path, 'a')
    res = LoadMultiModalImageFromFile(modalities=('thermal', 'depth'))(paths(tmp_path, 'a'))
    before = res['img'].copy()
    gamma = dict(type='AdjustGamma', gamma=2.0)
    out = ModalityOnly(modality='thermal', transforms=[gamma])(dict(res))
    # mmseg's gamma table, by hand: (i / 255) ** (1 / gamma) * 255, truncated to uint8
    table = ((np.arange(256) / 255.0) ** 0.5 * 255).astype(np.uint8)
    np.testing.assert_array_equal(out['img'][..., 3], table[thermal].astype(np.float32))
    np.testing.assert_array_equal(out['img'][..., [0, 1, 2, 4]], before[..., [0, 1, 2, 4]])
    with pytest.raises(ValueError, match='uint16'):
        ModalityOnly(modality='depth', transforms=[gamma])(dict(res))
