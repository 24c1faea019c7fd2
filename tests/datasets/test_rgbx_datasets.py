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


# ------------------------------------------------------------ labels and data_prefix


def _seg_dataset(root, label, classes=('bg', 'fg', 'other'), **kwargs):
    from mmrgbir.datasets import RGBXSegDataset
    rgb, x, _ = pattern_pair()
    write_pair(str(root), 'a', rgb, x, label)
    args = dict(data_root=str(root), metainfo=dict(classes=classes),
                data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'),
                pipeline=[dict(type='LoadRGBXImageFromFile'), dict(type='LoadAnnotations'),
                          dict(type='PackRGBXSegInputs')])
    args.update(kwargs)
    return RGBXSegDataset(**args)


def test_label_values_outside_the_classes_name_the_file(seg_scope, tmp_path):
    _, _, label = pattern_pair()
    label = label * 2  # ids 0 and 2
    label[0, :5] = 7   # 5 pixels of an id beyond the 3 classes
    label[1, :3] = 255  # the ignore index is fine
    ds = _seg_dataset(tmp_path, label)
    with pytest.raises(ValueError, match=r'label map .*labels/a\.png has label value\(s\) '
                                         r'7 \(5 px\) outside the 3 classes 0\.\.2.*'
                                         r'ignore index 255.*label_map'):
        ds[0]
    # mapping the id away (here to the ignore index) is the fix
    ds = _seg_dataset(tmp_path, label, label_map={7: 255})
    gt = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    assert gt[0, :5].tolist() == [255] * 5 and set(np.unique(gt)) == {0, 2, 255}


def test_data_prefix_typo_fails_when_the_dataset_is_built(seg_scope, tmp_path):
    _, _, label = pattern_pair()
    with pytest.raises(KeyError, match=r"unknown key\(s\) 'seg_map' \(did you mean "
                                       r"'seg_map_path'\?\)"):
        _seg_dataset(tmp_path, label, data_prefix=dict(img_path='rgb', x_path='thermal',
                                                       seg_map='labels'))
    with pytest.raises(KeyError, match=r'pipeline has LoadAnnotations but data_prefix gives '
                                       r'no "seg_map_path"'):
        _seg_dataset(tmp_path, label, data_prefix=dict(img_path='rgb', x_path='thermal'))
    # a typo in a folder name: every missing file listed at construction
    with pytest.raises(FileNotFoundError, match=r'seg_map_path=.*lables/a\.png'):
        _seg_dataset(tmp_path, label, data_prefix=dict(img_path='rgb', x_path='thermal',
                                                       seg_map_path='lables'))


def test_sod_dataset_takes_0_1_masks(seg_scope, tmp_path):
    from mmrgbir.datasets import RGBXSODDataset
    rgb, x, label = pattern_pair()  # label is 0 / 1
    write_pair(str(tmp_path), 'a', rgb, x, label)
    ds = RGBXSODDataset(data_root=str(tmp_path),
                        data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'),
                        pipeline=[dict(type='LoadRGBXImageFromFile'),
                                  dict(type='LoadSODAnnotations'), dict(type='PackRGBXSegInputs')])
    gt = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(gt, label)
    assert gt.sum() == label.sum() > 0


# --------------------------------------------------------------------------- COCO


def _coco_root(tmp_path, images=None, annotations=None, categories=None):
    rgb, x, _ = pattern_pair()  # 80 x 64
    write_pair(str(tmp_path), 'a', rgb, x, rgb_dir='vis', x_dir='ir')
    write_pair(str(tmp_path), 'b', rgb, x, rgb_dir='vis', x_dir='ir')
    coco = dict(
        images=images if images is not None else [
            dict(id=1, file_name='a.png', width=80, height=64),
            dict(id=2, file_name='b.png', width=80, height=64)],
        annotations=annotations if annotations is not None else [
            dict(id=1, image_id=1, category_id=1, bbox=[12, 10, 38, 30], area=1140,
                 iscrowd=0)],
        categories=categories or [dict(id=1, name='person'), dict(id=2, name='car')])
    (tmp_path / 'ann.json').write_text(json.dumps(coco))
    return dict(data_root=str(tmp_path), ann_file='ann.json',
                data_prefix=dict(img='vis', x='ir'), metainfo=dict(classes=('person',)),
                filter_cfg=dict(filter_empty_gt=False))


BOX = dict(id=1, image_id=1, category_id=1, bbox=[12, 10, 38, 30], area=1140, iscrowd=0)
COCO_ERRORS = {
    # mmdet: KeyError: 'id'
    'image_without_id': (dict(images=[dict(file_name='a.png', width=80, height=64)]),
                         r"1 image entries cannot be used.*images\[0\] \(a\.png\) has no "
                         r"\['id'\]"),
    # mmdet: never looked up, silently unused
    'unknown_image_id': (dict(annotations=[dict(BOX, image_id=9)]),
                         r'1 annotations refer to an image_id that is not in "images".*'
                         r'annotation 1: image_id 9'),
    # mmdet: dropped silently (w < 1)
    'negative_width': (dict(annotations=[dict(BOX, bbox=[50, 40, -20, 10])]),
                       r'1 boxes have a negative width or height.*a\.png: annotation 1: '
                       r'bbox \[50, 40, -20, 10\]'),
    # mmdet: dropped silently
    'unknown_category': (dict(annotations=[dict(BOX, category_id=5)]),
                         r'category_id that is not in "categories".*category_id 5'),
    # mmdet: the class is skipped and every later label shifts
    'class_not_a_category': (dict(categories=[dict(id=1, name='people')]),
                             r"classes \['person'\] of metainfo\[\"classes\"\] are not "
                             r"category names"),
}


@pytest.mark.parametrize('case', sorted(COCO_ERRORS))
def test_coco_malformed_entries_are_named_errors(det_scope, tmp_path, case):
    import mmrgbir.det  # noqa: F401
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    changes, match = COCO_ERRORS[case]
    with pytest.raises(ValueError, match=r'(?s)ann\.json: .*' + match):
        RGBXCocoDataset(**_coco_root(tmp_path, **changes))


def test_coco_dropped_boxes_are_counted_in_a_warning(det_scope, tmp_path):
    import mmrgbir.det  # noqa: F401
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    anns = [dict(id=1, image_id=1, category_id=1, bbox=[12, 10, 38, 30], area=1140),
            dict(id=2, image_id=1, category_id=1, bbox=[100, 10, 20, 20], area=400),
            dict(id=3, image_id=2, category_id=1, bbox=[5, 5, 0.5, 10], area=5),
            dict(id=4, image_id=2, category_id=1, bbox=[-30, 5, 20, 10], area=200)]
    with pytest.warns(UserWarning, match=r'(?s)3 box\(es\) are dropped.*2 entirely outside '
                                         r'their image.*a\.png: annotation 2.*b\.png: '
                                         r'annotation 4.*1 smaller than 1 pixel.*b\.png: '
                                         r'annotation 3'):
        ds = RGBXCocoDataset(**_coco_root(tmp_path, annotations=anns))
    assert [len(ds.get_data_info(i)['instances']) for i in range(2)] == [1, 0]


def test_coco_size_mismatch_and_prefix_typo(det_scope, tmp_path):
    import mmrgbir.det  # noqa: F401
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    images = [dict(id=1, file_name='a.png', width=640, height=512)]
    with pytest.raises(ValueError, match=r'(?s)1 image\(s\) have a json width x height that '
                                         r'differs.*vis/a\.png: json 640x512, file 80x64'):
        RGBXCocoDataset(**_coco_root(tmp_path, images=images))
    kw = _coco_root(tmp_path)
    kw['data_prefix'] = dict(img='vis', x_path='ir')
    with pytest.raises(KeyError, match=r"unknown key\(s\) 'x_path' \(did you mean 'x'\?\)"):
        RGBXCocoDataset(**kw)


def test_3d_ground_truth_is_an_error(seg_scope, tmp_path):
    """A gray mask stored in 3 channels read by stock LoadAnnotations (SOD datasets let
    it pass the loader's check, for LoadSODAnnotations) becomes a 3-D ground truth."""
    from mmrgbir.datasets import RGBXSODDataset
    rgb, x, label = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x, np.stack([label * 255] * 3, axis=2))
    kw = dict(data_root=str(tmp_path),
              data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'))
    ds = RGBXSODDataset(pipeline=[dict(type='LoadRGBXImageFromFile'),
                                  dict(type='LoadAnnotations'), dict(type='PackRGBXSegInputs')],
                        **kw)
    with pytest.raises(ValueError, match=r'ground truth of .*labels/a\.png has shape '
                                         r'\(64, 80, 3\); expected one class id per pixel'):
        ds[0]
    ds = RGBXSODDataset(pipeline=[dict(type='LoadRGBXImageFromFile'),
                                  dict(type='LoadSODAnnotations'),
                                  dict(type='PackRGBXSegInputs')], **kw)
    np.testing.assert_array_equal(ds[0]['data_samples'].gt_sem_seg.data[0].numpy(), label)
