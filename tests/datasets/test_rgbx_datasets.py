# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from rgbx_testing import pattern_pair, shared_data, write_pair


def _msrs_person(tmp_path, pipeline=(), **kwargs):
    from mmrgbir.datasets import RGBXSegDataset
    root = shared_data('rgbt_msrs')
    ids = sorted(osp.splitext(f)[0] for f in os.listdir(osp.join(root, 'person_mask')))
    split = tmp_path / 'train.txt'
    split.write_text('\n'.join(ids) + '\n')
    return RGBXSegDataset(
        data_root=root, ann_file=str(split),
        data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
        metainfo=dict(classes=('background', 'person')), label_map={255: 1},
        pipeline=list(pipeline), **kwargs), ids


def test_msrs_person_masks(seg_scope, tmp_path):
    pipeline = [dict(type='LoadRGBXImageFromFile', x_channels=1), dict(type='LoadAnnotations'),
                dict(type='PackRGBXSegInputs')]
    ds, ids = _msrs_person(tmp_path, pipeline)
    assert len(ds) == len(ids) == 8
    assert ds.metainfo['label_map'] == {255: 1}
    for i in range(len(ds)):
        item = ds[i]
        inputs, sample = item['inputs'], item['data_samples']
        assert inputs.shape == (4, 480, 640)
        gt = sample.gt_sem_seg.data
        assert set(gt.unique().tolist()) <= {0, 1} and gt.sum() > 0
        raw = cv2.imread(sample.seg_map_path, cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(gt[0].numpy(), (raw == 255).astype(np.uint8))
        assert sample.x_path.endswith(osp.basename(sample.img_path))


def test_sod_dataset_thresholds_masks(seg_scope, tmp_path):
    from mmrgbir.datasets import RGBXSODDataset
    rgb, x, label = pattern_pair()
    mask = (label * 255).astype(np.uint8)
    mask[0, 0] = 200  # anti-aliased edge -> salient
    mask[0, 1] = 100  # -> background
    write_pair(str(tmp_path), 'a', rgb, x, mask)
    ds = RGBXSODDataset(data_root=str(tmp_path),
                        data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'),
                        pipeline=[dict(type='LoadRGBXImageFromFile'),
                                  dict(type='LoadSODAnnotations'), dict(type='PackRGBXSegInputs')])
    assert ds.metainfo['classes'] == ('background', 'salient')
    gt = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    expected = (label == 1).astype(np.uint8)
    expected[0, 0], expected[0, 1] = 1, 0
    np.testing.assert_array_equal(gt, expected)


def test_missing_x_files_listed_at_construction(seg_scope, tmp_path):
    from mmrgbir.datasets import RGBXSegDataset
    rgb, x, label = pattern_pair()
    for n in ('a', 'b'):
        write_pair(str(tmp_path), n, rgb, x, label)
    os.remove(tmp_path / 'thermal' / 'b.png')
    with pytest.raises(FileNotFoundError, match=r'(?s)1 file\(s\).*x_path=.*thermal/b.png'):
        RGBXSegDataset(data_root=str(tmp_path), metainfo=dict(classes=('bg', 'fg')),
                       data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'))


def test_dataset_errors_are_explicit(seg_scope, tmp_path):
    from mmrgbir.datasets import RGBXSegDataset
    rgb, x, label = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x, label)
    prefix = dict(img_path='rgb', x_path='thermal', seg_map_path='labels')
    with pytest.raises(ValueError, match='class names'):
        RGBXSegDataset(data_root=str(tmp_path), data_prefix=prefix)
    with pytest.raises(KeyError, match='x_path'):
        RGBXSegDataset(data_root=str(tmp_path), metainfo=dict(classes=('a', 'b')),
                       data_prefix=dict(img_path='rgb', seg_map_path='labels'))
    with pytest.raises(ValueError, match='RGBOnly'):
        RGBXSegDataset(data_root=str(tmp_path), metainfo=dict(classes=('a', 'b')),
                       data_prefix=prefix, pipeline=[dict(type='PhotoMetricDistortion')])
    with pytest.raises(FileNotFoundError, match='no sample found'):
        RGBXSegDataset(data_root=str(tmp_path), metainfo=dict(classes=('a', 'b')),
                       data_prefix=prefix, img_suffix='.jpg')


def test_llvip_coco_boxes(det_scope):
    import mmrgbir.det  # noqa: F401
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    root = shared_data('rgbt_det_llvip')
    pipeline = [dict(type='LoadRGBXImageFromFile', x_channels=1),
                dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', scale=(640, 512), keep_ratio=True),
                dict(type='PackRGBXDetInputs')]
    ds = RGBXCocoDataset(data_root=root, ann_file='annotations_coco.json',
                         data_prefix=dict(img='visible', x='infrared'),
                         metainfo=dict(classes=('person',)), pipeline=pipeline,
                         filter_cfg=dict(filter_empty_gt=False))
    with open(osp.join(root, 'annotations_coco.json')) as f:
        coco = json.load(f)
    assert len(ds) == len(coco['images']) == 12
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds))) == 27
    item = ds[0]
    assert item['inputs'].shape == (4, 512, 640)
    boxes = item['data_samples'].gt_instances.bboxes.tensor
    info = ds.get_data_info(0)
    first = np.array(info['instances'][0]['bbox']) / 2  # resized by 0.5
    np.testing.assert_allclose(boxes[0].numpy(), first, atol=1e-3)
    assert item['data_samples'].metainfo['x_path'].endswith('infrared/' + osp.basename(
        info['img_path']))


def test_coco_x_key_and_empty_annotation_file(det_scope, tmp_path):
    import mmrgbir.det  # noqa: F401
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    rgb, x, _ = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x, rgb_dir='vis', x_dir='ir')
    os.rename(tmp_path / 'ir' / 'a.png', tmp_path / 'ir' / 'a_ir.png')
    coco = dict(images=[dict(id=1, file_name='a.png', x_file_name='a_ir.png', height=64,
                             width=80)],
                annotations=[dict(id=1, image_id=1, category_id=1, bbox=[12, 10, 38, 30],
                                  area=1140, iscrowd=0)],
                categories=[dict(id=1, name='person')])
    (tmp_path / 'ann.json').write_text(json.dumps(coco))
    kw = dict(data_root=str(tmp_path), data_prefix=dict(img='vis', x='ir'),
              metainfo=dict(classes=('person',)))
    ds = RGBXCocoDataset(ann_file='ann.json', x_key='x_file_name', **kw)
    assert ds.get_data_info(0)['x_path'].endswith('ir/a_ir.png')
    with pytest.raises(FileNotFoundError, match='ir/a.png'):
        RGBXCocoDataset(ann_file='ann.json', **kw)
    (tmp_path / 'empty.json').write_text('')
    with pytest.raises(ValueError, match='empty.json is empty'):
        RGBXCocoDataset(ann_file='empty.json', **kw)
