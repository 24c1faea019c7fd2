# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""KAIST log-average miss rate on a hand-computed case.

Four 640x512 images (two day: set06 / set07, two night: set09 / set10):

===== ====================================== =====================================
image gt boxes (xyxy)                          detections (score)
===== ====================================== =====================================
A day g1 [100,100,140,200] h100 occ0           d1 = g1 (.9)
      g2 [300,100,330,160] h60 occ2 (heavy)    d2 [302,102,330,160] (.8)
                                               d3 [500,300,530,370] (.3) nothing
B day g3 [200,200,230,240] h40                 d4 = g3 (.7), h40 < 55/1.25
      g7 [500,100,540,220] h120 (missed)       d5 [400,100,440,200] (.6) nothing
C ngt g4 [50,50,90,150] h100                   d6 [52,52,90,150] (.5), IoU .931
      g5 [2,100,40,200] (x1 < 5: border)       d7 [0,100,40,200] (.95), IoA .95 on g5
D ngt g6 [100,100,150,220] occ1 (missed)       d8 [400,400,440,500] (.55) nothing
      g8 [300,300,400,400] label 1 'people'    d9 [310,310,390,400] (.2) inside g8
===== ====================================== =====================================

reasonable (h >= 55, occ 0/1): regular g1 g4 g6 g7 (4); g2 g3 g5 g8 ignore; d4
removed, d2 d7 d9 ignored. Score order d1 T, d5 F, d8 F, d6 T, d3 F:
FPPI 0 .25 .5 .5 .75, miss 3/4 3/4 3/4 1/2 1/2. The 9 references 0.01..1 read
3/4 (x7: 0.01..0.316) and 1/2 (0.562, 1): MR = (3/4)^(7/9) (1/2)^(2/9).

all (no height / occlusion limit): regular g1 g2 g3 g4 g6 g7 (6). Order d1 T, d2 T,
d4 T, d5 F, d8 F, d6 T, d3 F: FPPI 0 0 0 .25 .5 .5 .75, miss 5/6 4/6 3/6 3/6 3/6
2/6 2/6 -> 1/2 (x7), 1/3 (x2): MR = (1/2)^(7/9) (1/3)^(2/9).

day (A, B; reasonable): regular g1 g7; d1 T, d5 F, d3 F: FPPI 0 .5 1, miss 1/2
everywhere: MR = 1/2.

night (C, D; reasonable): regular g4 g6; d8 F (.55), d6 T (.5): FPPI .5 .5, miss
1 1/2. References below .5 have no point (miss 1): MR = (1/2)^(2/9).
"""
import math

import numpy as np
import pytest
import torch

from mmrgbir.evaluation.metrics.kaist_miss_rate import (REFERENCE_FPPI,
                                                        KAISTMissRateMetric,
                                                        box_overlaps,
                                                        log_average_miss_rate,
                                                        match_image)
from mmrgbir.registry import METRICS

IMAGES = [
    dict(img_path='kaist/set06/V000/visible/I00019.jpg',
         gt=[([100, 100, 140, 200], 0, 0, 0), ([300, 100, 330, 160], 0, 2, 0)],
         dets=[([100, 100, 140, 200], .9), ([302, 102, 330, 160], .8),
               ([500, 300, 530, 370], .3)]),
    dict(img_path='kaist/set07/V001/visible/I00039.jpg',
         gt=[([200, 200, 230, 240], 0, 0, 0), ([500, 100, 540, 220], 0, 0, 0)],
         dets=[([200, 200, 230, 240], .7), ([400, 100, 440, 200], .6)]),
    dict(img_path='kaist/set09/V000/visible/I00059.jpg',
         gt=[([50, 50, 90, 150], 0, 0, 0), ([2, 100, 40, 200], 0, 0, 0)],
         dets=[([52, 52, 90, 150], .5), ([0, 100, 40, 200], .95)]),
    dict(img_path='kaist/set10/V001/visible/I00079.jpg',
         gt=[([100, 100, 150, 220], 0, 1, 0), ([300, 300, 400, 400], 1, 0, 0)],
         dets=[([400, 400, 440, 500], .55), ([310, 310, 390, 400], .2)]),
]

EXPECTED_MR = dict(
    reasonable=(3 / 4)**(7 / 9) * (1 / 2)**(2 / 9),
    all=(1 / 2)**(7 / 9) * (1 / 3)**(2 / 9),
    day=1 / 2,
    night=(1 / 2)**(2 / 9),
)


def _pred(dets):
    boxes = torch.tensor([d[0] for d in dets], dtype=torch.float32).reshape(-1, 4)
    scores = torch.tensor([d[1] for d in dets], dtype=torch.float32)
    return dict(bboxes=boxes, scores=scores, labels=torch.zeros(len(dets), dtype=torch.long))


def _instances_samples(images=IMAGES):
    """DetDataSample.to_dict()-like samples with the dataset's ``instances``."""
    samples = []
    for i, img in enumerate(images):
        instances = [dict(bbox=list(map(float, box)), bbox_label=label, occlusion=occ,
                          ignore_flag=ign) for box, label, occ, ign in img['gt']]
        samples.append(dict(img_id=i, img_path=img['img_path'], ori_shape=(512, 640),
                            instances=instances, pred_instances=_pred(img['dets'])))
    return samples


def _gt_instances_samples(images=IMAGES):
    """The same case as ``gt_instances`` / ``ignored_instances`` (PackDetInputs)."""
    samples = []
    for i, img in enumerate(images):
        regular = [g for g in img['gt'] if g[1] == 0]
        people = [g for g in img['gt'] if g[1] != 0]
        gt = dict(bboxes=torch.tensor([g[0] for g in regular], dtype=torch.float32),
                  labels=torch.tensor([g[1] for g in regular]),
                  occlusion=torch.tensor([g[2] for g in regular]))
        ignored = dict(bboxes=torch.tensor([g[0] for g in people],
                                           dtype=torch.float32).reshape(-1, 4),
                       labels=torch.tensor([g[1] for g in people], dtype=torch.long))
        samples.append(dict(img_id=i, img_path=img['img_path'], ori_shape=(512, 640),
                            gt_instances=gt, ignored_instances=ignored,
                            pred_instances=_pred(img['dets'])))
    return samples


def _evaluate(samples, **kwargs):
    metric = METRICS.build(dict(type='KAISTMissRateMetric', **kwargs))
    metric.process({}, samples[:3])
    metric.process({}, samples[3:])
    return metric, metric.evaluate(len(samples))


def test_hand_computed_log_average_miss_rate():
    metric, results = _evaluate(_instances_samples())
    assert set(results) == {f'kaist/MR_{s}' for s in EXPECTED_MR}
    for name, mr in EXPECTED_MR.items():
        assert results[f'kaist/MR_{name}'] == pytest.approx(100 * mr, abs=1e-9), name
    assert results['kaist/MR_reasonable'] == pytest.approx(68.5378, abs=1e-3)


def test_hand_computed_curves():
    metric = KAISTMissRateMetric()
    metric.process({}, _instances_samples())
    out = metric.evaluate_setting(metric.results, metric.settings['reasonable'])
    assert out['num_images'] == 4 and out['num_gt'] == 4
    np.testing.assert_allclose(out['fppi'], [0, .25, .5, .5, .75])
    np.testing.assert_allclose(out['miss_rate'], [.75, .75, .75, .5, .5])
    np.testing.assert_allclose(out['mr_at_ref'], [.75] * 7 + [.5] * 2)
    out = metric.evaluate_setting(metric.results, metric.settings['all'])
    assert out['num_gt'] == 6
    np.testing.assert_allclose(out['fppi'], [0, 0, 0, .25, .5, .5, .75])
    np.testing.assert_allclose(out['miss_rate'], np.array([5, 4, 3, 3, 3, 2, 2]) / 6)
    out = metric.evaluate_setting(metric.results, metric.settings['night'])
    assert out['num_images'] == 2 and out['num_gt'] == 2
    np.testing.assert_allclose(out['fppi'], [.5, .5])
    np.testing.assert_allclose(out['mr_at_ref'], [1.] * 7 + [.5] * 2)
    np.testing.assert_allclose(REFERENCE_FPPI, 10**np.arange(-2, 0.01, 0.25))


def test_gt_instances_input_gives_the_same_numbers():
    _, from_instances = _evaluate(_instances_samples())
    _, from_gt_instances = _evaluate(_gt_instances_samples())
    for key, value in from_instances.items():
        assert from_gt_instances[key] == pytest.approx(value, abs=1e-9), key


def test_perfect_detector_is_zero():
    images = [dict(img, dets=[(g[0], 0.9 - 0.1 * k) for k, g in enumerate(img['gt'])])
              for img in IMAGES]
    _, results = _evaluate(_instances_samples(images))
    for key, value in results.items():
        assert 0 <= value < 1e-6, key


def test_no_detections_is_100_percent():
    images = [dict(img, dets=[]) for img in IMAGES]
    _, results = _evaluate(_instances_samples(images))
    assert results['kaist/MR_reasonable'] == pytest.approx(100.0)


def test_period_from_metainfo_and_unknown_period():
    samples = _instances_samples()
    for s in samples:  # periods from the metainfo key win over the set id
        s['day_night'] = 'night' if s['img_path'].find('set06') >= 0 else 'day'
    metric = KAISTMissRateMetric(settings=('day', 'night'))
    metric.process({}, samples)
    assert [r['period'] for r in metric.results] == ['night', 'day', 'day', 'day']
    # without any period information day / night are skipped, the rest evaluated
    samples = _instances_samples()
    for s in samples:
        s['img_path'] = 'images/' + s['img_path'].rsplit('/', 1)[1]
    _, results = _evaluate(samples)
    assert set(results) == {'kaist/MR_reasonable', 'kaist/MR_all'}
    assert results['kaist/MR_reasonable'] == pytest.approx(100 * EXPECTED_MR['reasonable'])


def test_matching_rules():
    gts = np.array([[0, 0, 10, 20], [0, 0, 40, 40]], dtype=np.float64)
    ignore = np.array([False, True])
    # IoU with the regular box; intersection over the detection area with the ignore one
    overlaps = box_overlaps(np.array([[0, 0, 10, 10]]), gts, ignore)
    np.testing.assert_allclose(overlaps, [[0.5, 1.0]])
    dets = np.array([[0, 0, 10, 20], [0, 0, 10, 19], [20, 20, 30, 30], [100, 100, 110, 120]])
    scores = np.array([.5, .9, .8, .7])
    # highest score takes the regular box (IoU .95), the duplicate falls back on the
    # ignore region, the one inside the ignore region is discarded, the far one is FP
    np.testing.assert_array_equal(match_image(dets, scores, gts, ignore), [-1, 1, -1, 0])
    # exactly 0.5 IoU matches (>= threshold, as in the Caltech toolbox)
    assert match_image(np.array([[0, 0, 10, 10]]), np.array([1.]), gts[:1],
                       ignore[:1])[0] == 1
    # a regular match is preferred over a better-overlapping ignore region
    assert match_image(np.array([[0, 0, 10, 18]]), np.array([1.]), gts, ignore)[0] == 1


def test_log_average_definition():
    mr, at_ref = log_average_miss_rate(np.array([0.0]), np.array([0.2]))
    assert mr == pytest.approx(0.2) and np.allclose(at_ref, 0.2)
    mr, _ = log_average_miss_rate(np.zeros(0), np.zeros(0))
    assert mr == 1.0
    mr, _ = log_average_miss_rate(np.array([0.05, 1.0]), np.array([0.5, 0.25]))
    # points: 0.01, 0.0178, 0.0316 -> none (1.0); 0.0562 .. 0.562 -> 0.5; 1 -> 0.25
    assert mr == pytest.approx(math.exp((5 * math.log(.5) + math.log(.25)) / 9))


def test_invalid_settings():
    with pytest.raises(ValueError, match='unknown settings'):
        KAISTMissRateMetric(settings=('reasonable', 'near'))
