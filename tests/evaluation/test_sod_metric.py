# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""SOD measures against the reference implementation (PySODMetrics 1.6.2).

The reference is ``py_sod_metrics`` (``pip install --no-deps pysodmetrics==1.6.2``).
Its ``sod_metrics`` module imports cv2 and scikit-image at the top, but only its
HumanCorrectionEffortMeasure uses them; when they (or scikit-learn, needed by the
package ``__init__``) are missing, the module is loaded on its own with empty
placeholders for the missing modules, so MAE / S / E / F / wF are still compared.
"""
import importlib
import importlib.util
import sys
import types
import warnings

import numpy as np
import pytest
import torch

from mmrgbir.evaluation.functional import sod_measures as sm
from mmrgbir.evaluation.metrics.sod_metric import SODMetric
from mmrgbir.registry import METRICS

INSTALL_HINT = '.venv/bin/pip install --no-deps pysodmetrics==1.6.2'


def _load_reference():
    """``py_sod_metrics.sod_metrics`` (the measures only), or skip."""
    try:
        from py_sod_metrics import sod_metrics
        return sod_metrics
    except ImportError:
        pass
    spec = importlib.util.find_spec('py_sod_metrics')
    if spec is None:
        pytest.skip(f'py_sod_metrics (reference) not installed: {INSTALL_HINT}')
    # load sod_metrics.py under a private package name, bypassing the package
    # __init__ (it imports scikit-learn for measures we do not compare)
    pkg = types.ModuleType('_pysod_reference')
    pkg.__path__ = list(spec.submodule_search_locations)
    placeholders = {}
    for name in ('cv2', 'skimage', 'skimage.measure', 'skimage.morphology'):
        if importlib.util.find_spec(name.split('.')[0]) is None:
            placeholders[name] = types.ModuleType(name)
    if 'skimage' in placeholders:
        placeholders['skimage'].measure = placeholders['skimage.measure']
        placeholders['skimage'].morphology = placeholders['skimage.morphology']
    sys.modules['_pysod_reference'] = pkg
    sys.modules.update(placeholders)
    try:
        return importlib.import_module('_pysod_reference.sod_metrics')
    except ImportError as exc:
        pytest.skip(f'py_sod_metrics.sod_metrics cannot be imported ({exc})')
    finally:
        for name in placeholders:  # never leak placeholders to other tests
            sys.modules.pop(name, None)


@pytest.fixture(scope='module')
def ref():
    return _load_reference()


def _make_case(kind: str, shape, seed: int):
    """uint8 prediction (0..255) and uint8 gt (0/255), like files on disk."""
    rng = np.random.default_rng(seed)
    h, w = shape
    if kind == 'random':
        pred = rng.integers(0, 256, shape, dtype=np.uint8)
        gt = rng.random(shape) > 0.6
        return pred, gt.astype(np.uint8) * 255
    yy, xx = np.mgrid[:h, :w]
    gt = ((yy - 0.4 * h)**2 + (xx - 0.55 * w)**2) < (0.25 * min(h, w))**2
    gt |= (np.abs(yy - 0.8 * h) < 0.08 * h) & (np.abs(xx - 0.2 * w) < 0.1 * w)
    if kind == 'empty':
        gt[:] = False
    elif kind == 'full':
        gt[:] = True
    blur = gt * 0.7 + 0.15 + rng.normal(0, 0.15, shape)
    if kind == 'perfect':
        blur = gt.astype(np.float64)
    pred = (np.clip(blur, 0, 1) * 255).astype(np.uint8)
    if kind == 'constant':
        pred[:] = 77
    return pred, gt.astype(np.uint8) * 255


def _reference_values(ref, pairs, normalize=True):
    """Dataset results of the reference for a list of (pred, gt)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # Fmeasure's deprecation warning
        measures = dict(mae=ref.MAE(), sm=ref.Smeasure(), fm=ref.Fmeasure(),
                        em=ref.Emeasure(), wfm=ref.WeightedFmeasure())
    for pred, gt in pairs:
        for m in measures.values():
            m.step(pred, gt, normalize=normalize)
    res = {k: m.get_results() for k, m in measures.items()}
    fm, em = res['fm']['fm'], res['em']['em']
    return dict(MAE=res['mae']['mae'], Sm=res['sm']['sm'], maxF=fm['curve'].max(),
                meanF=fm['curve'].mean(), adpF=fm['adp'], maxE=em['curve'].max(),
                meanE=em['curve'].mean(), adpE=em['adp'], wF=res['wfm']['wfm'],
                f_curve=fm['curve'], e_curve=em['curve'])


CASES = [(kind, shape, seed) for seed, (kind, shape) in enumerate(
    [(k, s) for k in ('random', 'blobs', 'empty', 'full', 'perfect', 'constant')
     for s in ((37, 53), (48, 48), (16, 70))])]


@pytest.mark.parametrize('kind,shape,seed', CASES)
def test_measures_match_reference(ref, kind, shape, seed):
    pred_u8, gt_u8 = _make_case(kind, shape, seed)
    expected = _reference_values(ref, [(pred_u8, gt_u8)])
    pred = sm.minmax_normalize(pred_u8 / 255)
    gt = gt_u8 > 128
    got = dict(MAE=sm.mae(pred, gt), Sm=sm.s_measure(pred, gt),
               adpF=sm.f_measure_adaptive(pred, gt), adpE=sm.e_measure_adaptive(pred, gt),
               wF=sm.weighted_f_measure(pred, gt))
    for key, value in got.items():
        assert value == pytest.approx(expected[key], abs=1e-9), key
    # reference curves run from threshold 255 down to 0; ours from 0 up to 255
    f_curve, e_curve = sm.f_measure_curve(pred, gt), sm.e_measure_curve(pred, gt)
    assert f_curve.shape == e_curve.shape == (256, )
    np.testing.assert_allclose(f_curve, expected['f_curve'][::-1], atol=1e-9)
    np.testing.assert_allclose(e_curve, expected['e_curve'][::-1], atol=1e-9)


def test_known_values():
    gt = np.zeros((4, 4), bool)
    gt[:2, :2] = True
    perfect = gt.astype(np.float64)
    assert sm.mae(perfect, gt) == 0
    assert sm.s_measure(perfect, gt) == pytest.approx(1.0, abs=1e-6)
    assert sm.weighted_f_measure(perfect, gt) == pytest.approx(1.0, abs=1e-9)
    assert sm.f_measure_curve(perfect, gt)[1:].min() == pytest.approx(1.0)
    # threshold 0 selects every pixel: P = 1/4, R = 1 -> 1.3 * .25 / (.3 * .25 + 1)
    assert sm.f_measure_curve(perfect, gt)[0] == pytest.approx(1.3 * 0.25 / 1.075)
    # E-measure of a perfect map is 16 / (16 - 1) (the authors' H*W-1 normaliser)
    assert sm.e_measure_adaptive(perfect, gt) == pytest.approx(16 / 15)
    assert sm.mae(1 - perfect, gt) == 1
    # empty gt: S = 1 - mean(pred), wF = 0, F = 0
    empty = np.zeros((4, 4), bool)
    assert sm.s_measure(np.full((4, 4), 0.25), empty) == pytest.approx(0.75)
    assert sm.weighted_f_measure(perfect, empty) == 0
    assert sm.f_measure_curve(perfect, empty).max() == 0
    with pytest.raises(TypeError, match='bool'):
        sm.mae(perfect, gt.astype(np.uint8))
    with pytest.raises(ValueError, match='same shape'):
        sm.mae(perfect, gt[:3])


def test_centroid_on_last_column_is_finite(ref):
    """All salient pixels in the last column: the right blocks are empty.

    The reference returns NaN here (mean of an empty block times weight 0); an
    empty block has no area, so it contributes nothing to S_region here.
    """
    gt = np.zeros((10, 12), bool)
    gt[3:6, -1] = True
    pred = np.linspace(0, 1, gt.size).reshape(gt.shape)
    value = sm.s_measure(pred, gt)
    assert np.isfinite(value) and 0 <= value <= 1
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        s = ref.Smeasure()
        s.step(pred, gt, normalize=False)
    assert np.isnan(s.get_results()['sm'])


# ----------------------------------------------------------------- SODMetric


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _samples(num_images=5, channels=1, seed=0):
    """SegDataSample.to_dict()-like samples and the float maps behind them.

    Saliency values are (k + 0.5) / 255 so that after min-max normalisation no pixel
    sits on an 8-bit threshold (the curves compare exactly, not within float noise).
    """
    samples, probs, gts = [], [], []
    for i in range(num_images):
        shape = (20 + 3 * i, 30 - 2 * i)
        kind = ('blobs', 'random', 'empty', 'blobs', 'full')[i % 5]
        pred_u8, gt_u8 = _make_case(kind, shape, seed + i)
        k = pred_u8.astype(np.float64).clip(0, 254)
        k.flat[0], k.flat[1] = 0, 254  # fixed range: normalised values k / 254
        prob = (k + 0.5) / 255
        logit = torch.from_numpy(_logit(prob))[None]
        if channels == 2:  # softmax([0, l])[1] == sigmoid(l)
            logit = torch.cat([torch.zeros_like(logit), logit])
        gt_label = torch.from_numpy((gt_u8 > 128).astype(np.int64))[None]
        if i == 3:
            gt_label = gt_label * 2  # any label >= 1 is salient
        samples.append(dict(img_path=f'img_{i}.png', ori_shape=shape,
                            # 1 channel: mmseg stores sigmoid(logit), i.e. the probability
                            seg_logits=dict(data=torch.from_numpy(prob)[None].float()
                                            if channels == 1 else logit),
                            gt_sem_seg=dict(data=gt_label)))
        probs.append(prob)
        gts.append(gt_u8 > 128)
    return samples, probs, gts


@pytest.mark.parametrize('channels', [1, 2])
def test_sod_metric_matches_reference(ref, channels):
    samples, probs, gts = _samples(channels=channels)
    metric = METRICS.build(dict(type='SODMetric'))
    assert isinstance(metric, SODMetric)
    metric.dataset_meta = dict(classes=('background', 'salient'))
    metric.process({}, samples[:2])
    metric.process({}, samples[2:])
    assert all(isinstance(v, (float, np.ndarray)) for r in metric.results
               for v in r.values())
    got = metric.evaluate(len(samples))
    assert set(got) == {'MAE', 'Sm', 'maxF', 'meanF', 'adpF', 'maxE', 'meanE', 'adpE',
                        'wF'}
    # float32 probabilities differ from the float64 map by ~1e-8
    pairs = [(sm.minmax_normalize(p), g) for p, g in zip(probs, gts)]
    expected = _reference_values(ref, pairs, normalize=False)
    tol = 1e-6 if channels == 1 else 1e-9
    for key, value in got.items():
        assert value == pytest.approx(expected[key], abs=tol), key


def test_sod_metric_quantized_equals_reference_on_8bit_maps(ref):
    """``quantize_pred=True`` gives what the toolbox gives on saved 8-bit PNGs."""
    samples, probs, gts = _samples(channels=2, seed=3)
    metric = SODMetric(quantize_pred=True)
    metric.process({}, samples)
    got = metric.compute_metrics(metric.results)
    pairs = [(np.round(sm.minmax_normalize(p) * 255).astype(np.uint8),
              g.astype(np.uint8) * 255) for p, g in zip(probs, gts)]
    expected = _reference_values(ref, pairs, normalize=True)
    for key, value in got.items():
        assert value == pytest.approx(expected[key], abs=1e-12), key


def test_sod_metric_without_normalisation():
    samples, probs, gts = _samples(num_images=2, channels=2)
    metric = SODMetric(normalize_pred=False)
    metric.process({}, samples)
    got = metric.compute_metrics(metric.results)
    expected_mae = np.mean([sm.mae(p, g) for p, g in zip(probs, gts)])
    assert got['MAE'] == pytest.approx(expected_mae, abs=1e-9)


def test_sod_metric_errors():
    samples, _, _ = _samples(num_images=1)
    metric = SODMetric()
    # a ground truth at the network input size (loaded before Resize): an error naming
    # the image and the fix, not a silent resize of the prediction
    bad = dict(samples[0], gt_sem_seg=dict(data=torch.zeros(1, 12, 16, dtype=torch.long)),
               img_shape=(12, 16), img_path='data/vt5000/Test/RGB/0042.jpg')
    with pytest.raises(ValueError, match='0042.jpg.*after Resize'):
        metric.process({}, [bad])
    ignore = samples[0]['gt_sem_seg']['data'].clone()
    ignore[0, 0, 0] = 255
    with pytest.raises(ValueError, match='ignore value 255'):
        metric.process({}, [dict(samples[0], gt_sem_seg=dict(data=ignore))])
    with pytest.raises(ValueError, match='salient_index=3'):
        SODMetric(salient_index=3).process(
            {}, [dict(samples[0], seg_logits=dict(data=torch.zeros(2, 20, 30)))])
    with pytest.raises(KeyError, match='seg_logits'):
        metric.process({}, [dict(img_path='x.png', gt_sem_seg=samples[0]['gt_sem_seg'])])


def test_sod_metric_accepts_seg_data_samples():
    """Real ``SegDataSample`` objects (as in the val loop) and their ``to_dict()``."""
    structures = pytest.importorskip('mmseg.structures')
    from mmengine.structures import PixelData
    samples, _, _ = _samples(num_images=2)
    objs = []
    for s in samples:
        ds = structures.SegDataSample(metainfo=dict(img_path=s['img_path'],
                                                    ori_shape=s['ori_shape']))
        ds.seg_logits = PixelData(data=s['seg_logits']['data'])
        ds.gt_sem_seg = PixelData(data=s['gt_sem_seg']['data'])
        objs.append(ds)
    from_objects, from_dicts = SODMetric(), SODMetric()
    from_objects.process({}, objs)
    from_dicts.process({}, [o.to_dict() for o in objs])
    a = from_objects.compute_metrics(from_objects.results)
    b = from_dicts.compute_metrics(from_dicts.results)
    assert a == b


# ------------------------------------------------- saved maps, ground-truth size


def _map_sample(img_path, prob, gt, **meta):
    """A to_dict()-like sample: 1-channel probabilities (H, W), gt (H', W') in {0, 1}."""
    return dict(img_path=img_path, ori_shape=prob.shape, img_shape=(8, 8),
                seg_logits=dict(data=torch.from_numpy(prob)[None].float()),
                gt_sem_seg=dict(data=torch.from_numpy(gt.astype(np.int64))[None]), **meta)


def _gradient(h, w, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    return (0.2 + 0.5 * xx / w + 0.2 * yy / h + rng.uniform(0, 0.05, (h, w)))


def test_sod_metric_resizes_to_gt_and_saves_8bit_maps(ref, tmp_path):
    """Maps are measured and saved at the ground truth's size; names keep the path
    relative to the image root, so equal base names in two folders do not collide."""
    import cv2
    root = tmp_path / 'data' / 'RGB'
    prob_a, prob_b = _gradient(20, 30, 0), _gradient(24, 16, 1)[::-1].copy()
    gt_a = np.zeros((25, 37), np.uint8)  # GT larger than the image
    gt_a[5:20, 10:30] = 1
    gt_b = np.zeros((12, 8), np.uint8)  # GT smaller than the image
    gt_b[:6] = 1
    samples = [_map_sample(str(root / 'day' / '0001.jpg'), prob_a, gt_a),
               _map_sample(str(root / 'night' / '0001.jpg'), prob_b, gt_b)]
    out = tmp_path / 'maps'
    metric = SODMetric(output_dir=str(out), img_root=str(root), quantize_pred=True)
    metric.process({}, samples)
    got = metric.compute_metrics(metric.results)
    assert sorted(str(p.relative_to(out)) for p in out.rglob('*.png')) == [
        'day/0001.png', 'night/0001.png']
    pairs = []
    for sub, prob, gt in (('day', prob_a, gt_a), ('night', prob_b, gt_b)):
        saved = cv2.imread(str(out / sub / '0001.png'), cv2.IMREAD_UNCHANGED)
        assert saved.dtype == np.uint8 and saved.shape == gt.shape
        # independent: OpenCV's bilinear resize (half-pixel centres), min-max, x 255
        resized = cv2.resize(prob.astype(np.float64), gt.shape[::-1],
                             interpolation=cv2.INTER_LINEAR)
        expected = (resized - resized.min()) / (resized.max() - resized.min()) * 255
        assert np.abs(saved.astype(float) - expected).max() <= 0.5 + 1e-3
        assert saved.min() == 0 and saved.max() == 255
        pairs.append((saved, gt * 255))
    # the measures are those of the toolbox on the saved maps
    expected = _reference_values(ref, pairs, normalize=True)
    for key, value in got.items():
        assert value == pytest.approx(expected[key], abs=1e-12), key


def test_sod_metric_map_names_never_collide(tmp_path):
    prob = _gradient(10, 12, 0)
    gt = (prob > 0.5).astype(np.uint8)
    a = _map_sample('/data/kaist/set00/V000/I00000.jpg', prob, gt)
    b = _map_sample('/data/kaist/set01/V000/I00000.jpg', prob, gt)
    metric = SODMetric(output_dir=str(tmp_path / 'maps'))  # no image root: base names
    metric.process({}, [a])
    metric.process({}, [a])  # the same image again (next evaluation) is fine
    with pytest.raises(ValueError, match='set00.*set01|two images'):
        metric.process({}, [b])
    # the image roots of a NamedConcatDataset come through dataset_meta
    metric = SODMetric(output_dir=str(tmp_path / 'sets'))
    metric.dataset_meta = dict(img_roots={'s0': '/data/kaist/set00', 's1': '/data/kaist/set01'})
    metric.process({}, [a, b])
    assert (tmp_path / 'sets' / 's0' / 'V000' / 'I00000.png').is_file()
    assert (tmp_path / 'sets' / 's1' / 'V000' / 'I00000.png').is_file()
    # never onto an input file: output_dir = the data folder by mistake
    gt_file = tmp_path / 'data' / 'GT' / 'x.png'
    gt_file.parent.mkdir(parents=True)
    gt_file.write_bytes(b'keep')
    metric = SODMetric(output_dir=str(tmp_path / 'data' / 'GT'),
                       img_root=str(tmp_path / 'data' / 'RGB'))
    with pytest.raises(ValueError, match='overwrite the input file'):
        metric.process({}, [_map_sample(str(tmp_path / 'data' / 'RGB' / 'x.jpg'), prob, gt,
                                        seg_map_path=str(gt_file))])
    assert gt_file.read_bytes() == b'keep'


def test_sod_metric_format_only(tmp_path):
    import cv2
    prob = _gradient(10, 14, 2)
    sample = dict(img_path=str(tmp_path / 'RGB' / 'a.png'), ori_shape=prob.shape,
                  seg_logits=dict(data=torch.from_numpy(prob)[None].float()))
    metric = SODMetric(output_dir=str(tmp_path / 'maps'), format_only=True,
                       img_root=str(tmp_path / 'RGB'), normalize_pred=False)
    metric.process({}, [sample])  # no ground truth needed
    assert metric.compute_metrics(metric.results) == {}
    saved = cv2.imread(str(tmp_path / 'maps' / 'a.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(saved, np.round(prob * 255).astype(np.uint8))
    with pytest.raises(ValueError, match='output_dir'):
        SODMetric(format_only=True)
