# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The dataset-construction check rejects what would corrupt a stacked RGB-X image,
also inside RandomResize, TTA wrappers and dataset wrappers, and border fills give RGB
and X the same value."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose

from rgbx_testing import write_pair
from mmrgbir.datasets import check_rgbx_pipeline
from mmrgbir.datasets.pipeline_check import check_rgbx_dataset
from mmrgbir.structures import make_layout

LOAD = dict(type='LoadRGBXImageFromFile')


@pytest.mark.parametrize('bad,fix', [
    (dict(type='Rerange'), 'data preprocessor'),
    (dict(type='Normalize', mean=[0, 0, 0], std=[1, 1, 1]), 'x_mean / x_std'),
    (dict(type='RGB2Gray'), r'type="RGBOnly".*RGB2Gray'),
    (dict(type='RandomGrayscale'), 'keep_channels=True'),
    (dict(type='RandomCutOut', prob=1.0, n_holes=1, cutout_shape=(2, 2)), 'RGBOnly / XOnly'),
    (dict(type='CutOut', n_holes=1, cutout_shape=(2, 2)), 'RandomModalityDropout'),
    (dict(type='RandomCenterCropPad', crop_size=(8, 8)), 'RGBXPad'),
    (dict(type='ShearX'), 'RandomAffine'), (dict(type='ShearY'), 'RandomAffine'),
    (dict(type='TranslateX'), 'max_translate_ratio'),
    (dict(type='TranslateY'), 'max_translate_ratio'),
    (dict(type='Mosaic', img_scale=(8, 8)), '3-channel canvas'),
])
def test_rejects_transforms_that_mix_or_drop_channels(bad, fix):
    with pytest.raises(ValueError, match=rf'ds pipeline: {bad["type"]} .*{fix}'):
        check_rgbx_pipeline([LOAD, bad], 'ds')


def test_rejects_area_interpolation_inside_built_random_resize(seg_scope):
    from mmseg.registry import TRANSFORMS
    for cfg in (dict(type='RandomResize', scale=(8, 8), ratio_range=(0.5, 2.0),
                     interpolation='area'),
                dict(type='RandomChoiceResize', scales=[(8, 8), (16, 16)],
                     interpolation='area')):
        with pytest.raises(ValueError, match='interpolation="area"'):
            check_rgbx_pipeline([cfg])  # config
        with pytest.raises(ValueError, match=r'Resize with interpolation="area"'):
            check_rgbx_pipeline(Compose([TRANSFORMS.build(cfg)]))  # as datasets see it
    check_rgbx_pipeline(Compose([TRANSFORMS.build(dict(
        type='RandomResize', scale=(8, 8), ratio_range=(0.5, 2.0)))]))


def test_area_interpolation_really_fails_beyond_4_channels():
    """The cv2 limit the check is about: a non-integer 'area' downscale (where it
    differs from bilinear) works up to 4 channels and fails beyond."""
    cv2.resize(np.zeros((16, 16, 4), np.uint8), (11, 11), interpolation=cv2.INTER_AREA)
    for channels in (5, 6):
        with pytest.raises(cv2.error):
            cv2.resize(np.zeros((16, 16, channels), np.uint8), (11, 11),
                       interpolation=cv2.INTER_AREA)


def test_looks_inside_test_time_aug(seg_scope):
    from mmseg.registry import TRANSFORMS
    tta = dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
        [dict(type='RandomFlip', prob=0.), dict(type='PhotoMetricDistortion')]])
    with pytest.raises(ValueError, match='PhotoMetricDistortion'):
        check_rgbx_pipeline([LOAD, tta], 'tta')  # config: a list of lists
    built = TRANSFORMS.build(tta)
    assert not hasattr(built, 'transforms')  # the built one keeps "subroutines"
    with pytest.raises(ValueError, match='PhotoMetricDistortion'):
        check_rgbx_pipeline(Compose([built]), 'tta')
    check_rgbx_pipeline(Compose([TRANSFORMS.build(dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in (0.5, 1.0)],
        [dict(type='RandomFlip', prob=p) for p in (0., 1.)]]))]))


def test_looks_inside_auto_augment(det_scope):
    import mmrgbir.det  # noqa: F401
    from mmdet.registry import TRANSFORMS
    aa = dict(type='AutoAugment', policies=[[dict(type='Rotate', prob=1.0, level=3)],
                                            [dict(type='TranslateX', prob=1.0, level=3)]])
    with pytest.raises(ValueError, match='Rotate with img_border_value'):
        check_rgbx_pipeline([aa])
    aa['policies'] = [[dict(type='RandomFlip', prob=0.5)],
                      [dict(type='TranslateX', prob=1.0, level=3)]]
    with pytest.raises(ValueError, match='TranslateX'):
        check_rgbx_pipeline(Compose([TRANSFORMS.build(aa)]))


def _det_dataset(pipeline, **kw):
    return dict(type='RGBXCocoDataset', data_root='d', ann_file='a.json',
                data_prefix=dict(img='rgb', x='x'), pipeline=pipeline, **kw)


def test_checks_multi_image_mix_dataset_pipeline():
    inner = _det_dataset([LOAD, dict(type='LoadAnnotations', with_bbox=True)])
    mix = dict(type='MultiImageMixDataset', dataset=inner,
               pipeline=[dict(type='Mosaic', img_scale=(64, 64)),
                         dict(type='PackRGBXDetInputs')])
    with pytest.raises(ValueError, match=r'MultiImageMixDataset pipeline: Mosaic .*3-channel'):
        check_rgbx_dataset(mix)
    # wrappers of wrappers, and datasets that do not load RGB-X are left alone
    with pytest.raises(ValueError, match='Mosaic'):
        check_rgbx_dataset(dict(type='RepeatDataset', times=2, dataset=mix))
    stock = dict(type='MultiImageMixDataset', dataset=dict(
        type='CocoDataset', pipeline=[dict(type='LoadImageFromFile')]),
        pipeline=[dict(type='Mosaic', img_scale=(64, 64))])
    check_rgbx_dataset(stock)
    check_rgbx_dataset(dict(type='ConcatDataset', datasets=[inner, inner]))


@pytest.mark.parametrize('wrapped', [dict(type='RandomFlip', prob=1.0),
                                     dict(type='RandomRotate', prob=1.0, degree=5),
                                     dict(type='RandomCrop', crop_size=(4, 4))],
                         ids=lambda t: t['type'])
def test_rejects_geometric_inside_wrappers_in_configs(wrapped):
    for wrapper in ('RGBOnly', 'XOnly'):
        with pytest.raises(ValueError, match=rf'{wrapper}\({wrapped["type"]}\).*outside'):
            check_rgbx_pipeline([dict(type=wrapper, transforms=[wrapped])])


def test_rejects_normalisation_inside_wrappers_in_configs():
    for wrapper in ('RGBOnly', 'XOnly'):
        with pytest.raises(ValueError, match=rf'{wrapper}\(Rerange\).*data preprocessor'):
            check_rgbx_pipeline([dict(type=wrapper, transforms=[dict(type='Rerange')])])


def test_x_only_8_bit_transform_against_the_dataset_x_dtype(seg_scope, tmp_path):
    from mmseg.registry import TRANSFORMS
    pipe = [LOAD, dict(type='XOnly', transforms=[dict(type='CLAHE')])]
    check_rgbx_pipeline(pipe, 'ds', x_dtype='uint8')
    with pytest.raises(ValueError, match=r'XOnly\(CLAHE\).*X is uint16.*60000 -> 96'):
        check_rgbx_pipeline(pipe, 'ds', x_dtype='uint16')
    # learnt from the dataset's first sample through the pipeline's own loader
    rgb = np.full((4, 5, 3), 9, np.uint8)
    write_pair(str(tmp_path), 'a', rgb, np.full((4, 5), 60000, np.uint16))
    write_pair(str(tmp_path), 'b', rgb, np.full((4, 5), 200, np.uint8))
    built = Compose([TRANSFORMS.build(t) for t in pipe])
    sample = dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'), seg_fields=[],
                  x_path=osp.join(tmp_path, 'thermal', 'a.png'))
    with pytest.raises(ValueError, match='X is uint16'):
        check_rgbx_pipeline(built, 'ds', sample=sample)
    sample.update(img_path=osp.join(tmp_path, 'rgb', 'b.png'),
                  x_path=osp.join(tmp_path, 'thermal', 'b.png'))
    check_rgbx_pipeline(built, 'ds', sample=sample)


def test_dataset_construction_rejects_misaligning_wrapper(seg_scope, tmp_path):
    from mmengine.registry import DATASETS
    write_pair(str(tmp_path), 'a', np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5), np.uint8),
               label=np.zeros((4, 5), np.uint8))
    cfg = dict(type='RGBXSegDataset', data_root=str(tmp_path),
               data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'),
               metainfo=dict(classes=('a', 'b')),
               pipeline=[LOAD, dict(type='RGBOnly', transforms=[dict(type='RandomFlip',
                                                                     prob=0.5)])])
    with pytest.raises(ValueError, match='RGBOnly cannot wrap RandomFlip'):
        DATASETS.build(cfg)


# ---------------------------------------------------------------- border fills


def _stack(channels, dtype=np.uint8):
    img = np.full((20, 20, channels), 50, dtype)
    return dict(img=img, img_shape=(20, 20), ori_shape=(20, 20),
                gt_seg_map=np.ones((20, 20), np.uint8), seg_fields=['gt_seg_map'],
                modality_layout=make_layout(channels - 3))


@pytest.mark.parametrize('channels', [4, 6])
def test_cv2_fills_unevenly_beyond_3_channels(channels):
    """Why non-uniform fills are rejected: a number or a 3-tuple leaves X channels
    with 0 or RGB values depending on the channel index."""
    img = np.full((10, 10, channels), 50, np.uint8)
    m = cv2.getRotationMatrix2D((5, 5), 30, 1.0)
    corner = cv2.warpAffine(img, m, (10, 10), borderValue=(7, 8, 9))[0, 0].tolist()
    assert corner == [7, 8, 9, 0, 7, 8][:channels]
    corner = cv2.warpAffine(img, m, (10, 10), borderValue=(7, 7, 7, 7))[0, 0].tolist()
    assert corner == [7] * channels


@pytest.mark.parametrize('bad', [dict(type='RandomRotate', prob=1.0, degree=30, pad_val=128),
                                 dict(type='RandomRotate', prob=1.0, degree=30,
                                      pad_val=(1, 2, 3))])
def test_rejects_uneven_random_rotate_fill(seg_scope, bad):
    from mmseg.registry import TRANSFORMS
    with pytest.raises(ValueError, match=r'RandomRotate with pad_val=.*pad_val=0'):
        check_rgbx_pipeline([bad])
    with pytest.raises(ValueError, match='RandomRotate with pad_val='):
        check_rgbx_pipeline(Compose([TRANSFORMS.build(bad)]))  # built: kept as "pal_val"


@pytest.mark.parametrize('channels', [4, 6])
@pytest.mark.parametrize('pad_val,fill', [(0, 0), ((90, 90, 90, 90), 90)])
def test_random_rotate_fills_rgb_and_x_alike(seg_scope, channels, pad_val, fill):
    from mmseg.registry import TRANSFORMS
    cfg = dict(type='RandomRotate', prob=1.0, degree=(30, 30), pad_val=pad_val,
               seg_pad_val=255)
    check_rgbx_pipeline([cfg])
    out = TRANSFORMS.build(cfg)(_stack(channels))
    assert out['img'][0, 0].tolist() == [fill] * channels  # every channel, RGB and X
    assert out['img'][10, 10].tolist() == [50] * channels
    assert out['gt_seg_map'][0, 0] == 255


@pytest.mark.parametrize('cfg,ok', [
    (dict(type='RandomAffine'), False),  # stock border_val=(114, 114, 114)
    (dict(type='RandomAffine', border_val=(114, 114, 114, 114)), True),
    (dict(type='RandomAffine', border_val=0), True),
    (dict(type='Rotate', prob=1.0, level=5), False),  # stock img_border_value=128
    (dict(type='Rotate', prob=1.0, level=5, img_border_value=0), True)])
def test_det_border_fills(det_scope, cfg, ok):
    import mmrgbir.det  # noqa: F401
    from mmdet.registry import TRANSFORMS
    built = Compose([TRANSFORMS.build(cfg)])
    if not ok:
        with pytest.raises(ValueError, match=rf'{cfg["type"]} with \w+=.*unevenly'):
            check_rgbx_pipeline(built)
        return
    check_rgbx_pipeline(built)
    fill = 114 if cfg.get('border_val') else 0
    for channels in (4, 6):
        np.random.seed(3)
        if cfg['type'] == 'RandomAffine':
            t = TRANSFORMS.build(dict(cfg, max_rotate_degree=0, max_shear_degree=0,
                                      scaling_ratio_range=(0.5, 0.5), max_translate_ratio=0))
        else:
            t = TRANSFORMS.build(dict(cfg, level=10, max_mag=30.0))
        res = _stack(channels)
        res.update(gt_bboxes=np.zeros((0, 4), np.float32), gt_bboxes_labels=np.zeros(0, int),
                   gt_ignore_flags=np.zeros(0, bool))
        out = t(res)
        # (RandomAffine scales about the top-left corner: look at the bottom-right one)
        assert out['img'][-1, -1].tolist() == [fill] * channels


def test_x_only_8_bit_transform_on_a_16_bit_dataset(seg_scope, tmp_path):
    """What datasets pass as ``sample`` (their first data info) finds a 16-bit X."""
    from mmengine.registry import DATASETS
    write_pair(str(tmp_path), 'a', np.zeros((4, 5, 3), np.uint8),
               np.full((4, 5), 60000, np.uint16), label=np.zeros((4, 5), np.uint8))
    cfg = dict(
        type='RGBXSegDataset', data_root=str(tmp_path), metainfo=dict(classes=('a', 'b')),
        data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels'),
        pipeline=[LOAD, dict(type='XOnly', transforms=[dict(type='AdjustGamma')])])
    # the dataset passes its first sample at construction
    with pytest.raises(ValueError, match=r'RGBXSegDataset pipeline: XOnly\(AdjustGamma\).*'
                                         r'X is uint16'):
        DATASETS.build(cfg)
    # lazily initialised (no sample at construction): caught at run time
    ds = DATASETS.build(dict(cfg, lazy_init=True))
    ds.full_init()
    with pytest.raises(ValueError, match=r'XOnly\(AdjustGamma\).*X is uint16.*truncated'):
        ds[0]  # and at run time, whatever the construction check knew
