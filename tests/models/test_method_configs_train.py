# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The three methods' tiny configs train end to end through the mmengine Runner on the
shared samples: the frozen weights stay bit-identical, the trainable ones move, the
validation metric comes out, a checkpoint is written; and the layer-wise lr decay of the
UniRGB-IR detection recipe reaches the optimizer."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmrgbir  # noqa: F401
import mmrgbir.engine.optimizers  # noqa: F401
import mmrgbir.models.backbones.dplnet_mit  # noqa: F401
import mmrgbir.models.losses  # noqa: F401
import mmrgbir.models.necks.simple_fpn  # noqa: F401
from rgbx_testing import REPO, shared_data

TINY = sorted(glob.glob(osp.join(REPO, 'configs', '*', 'tiny', '*.py')))
TINY = [p for p in TINY if osp.basename(osp.dirname(osp.dirname(p)))
        in ('unirgbir', 'dplnet', 'ivtuning')]
METRIC = {'seg': 'mIoU', 'sod': 'Sm', 'det': 'coco/bbox_mAP_50'}


def task_of(path):
    name = osp.basename(path)
    if name.startswith('llvip'):
        return 'det'
    return 'sod' if '-sod_' in name else 'seg'


# tiny tensors: one intra-op thread is as fast and does not stall on a busy CPU
pytestmark = pytest.mark.usefixtures('one_thread')


class TrainingProbe(Hook):
    """Snapshots the parameters once the Runner has initialised the weights, and keeps
    the validation metrics."""

    priority = 'LOWEST'

    def before_train(self, runner):
        model = runner.model
        self.frozen = {n: p.detach().clone() for n, p in model.named_parameters()
                       if not p.requires_grad}
        self.trainable = {n: p.detach().clone() for n, p in model.named_parameters()
                          if p.requires_grad}
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics or {})


def tiny_cfg(path, work_dir):
    cfg = Config.fromfile(path)
    task = task_of(path)
    root = shared_data('rgbt_det_llvip' if task == 'det' else 'rgbt_msrs')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    if task == 'det':
        for evaluator in ('val_evaluator', 'test_evaluator'):
            cfg[evaluator].ann_file = osp.join(root, 'annotations_coco.json')
    cfg.work_dir = str(work_dir)
    return cfg


def test_every_method_has_tiny_configs():
    names = [osp.relpath(p, osp.join(REPO, 'configs')) for p in TINY]
    for method in ('unirgbir', 'dplnet', 'ivtuning'):
        assert any(n.startswith(method + '/') for n in names)
    assert {task_of(p) for p in TINY} == {'seg', 'sod', 'det'}


@pytest.mark.parametrize('path', TINY, ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_tiny_method_config_trains(tmp_path, path):
    cfg = tiny_cfg(path, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    probe = TrainingProbe()
    runner.register_hook(probe)
    runner.train()

    params = dict(runner.model.named_parameters())
    assert probe.frozen, 'a frozen foundation model is expected'
    for name, before in probe.frozen.items():
        assert torch.equal(params[name].detach(), before), f'frozen {name} changed'
    moved = [n for n, before in probe.trainable.items()
             if not torch.equal(params[n].detach(), before)]
    assert moved, 'no trainable parameter was updated'
    assert any(n.startswith('backbone.') for n in moved), 'the adapter did not train'

    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.as_tensor(loss))
    metric = METRIC[task_of(path)]
    assert probe.metrics is not None and any(k.endswith(metric) for k in probe.metrics), \
        probe.metrics
    assert glob.glob(str(tmp_path / 'work' / '*.pth'))


def test_layer_decay_reaches_the_optimizer(tmp_path):
    """UniRGB-IR detection: rel-pos tables of block i get lr x 0.7^(L - i), the adapter
    and the detector the base lr; 1-D parameters have no weight decay."""
    path = osp.join(REPO, 'configs', 'unirgbir', 'tiny',
                    'llvip_unirgbir-tiny_simple-fpn_cascade-rcnn_4iter.py')
    cfg = tiny_cfg(path, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    names = {id(p): n for n, p in runner.model.named_parameters()}
    base_lr = cfg.optim_wrapper.optimizer.lr
    base_wd = cfg.optim_wrapper.optimizer.weight_decay
    num_layers = cfg.optim_wrapper.paramwise_cfg.num_layers
    rate = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
    seen = set()
    for group in optim_wrapper.optimizer.param_groups:
        (param, ) = group['params']
        name = names[id(param)]
        seen.add(name)
        assert param.requires_grad
        m = re.match(r'backbone\.vit\.blocks\.(\d+)\.', name)
        expected_lr = base_lr * rate ** (num_layers - int(m.group(1))) if m else base_lr
        assert group['lr'] == pytest.approx(expected_lr), name
        expected_wd = 0.0 if param.ndim == 1 else base_wd
        assert group['weight_decay'] == pytest.approx(expected_wd), name
    trainable = {n for n, p in runner.model.named_parameters() if p.requires_grad}
    assert seen == trainable  # frozen parameters are left out
    assert any(n.startswith('backbone.vit.blocks.3.attn.rel_pos') for n in seen)
    assert any(n.startswith('backbone.feature_pool.') for n in seen)


def test_simple_feature_pyramid_shapes_and_norm():
    """ViTDet's pyramid from one 1/16 map: strides 4, 8, 16, 32 and a max-pooled 64."""
    from mmrgbir.models.necks.simple_fpn import LayerNorm2d, SimpleFeaturePyramid
    neck = SimpleFeaturePyramid(in_channels=32, out_channels=16, num_outs=5)
    x = torch.randn(2, 32, 8, 12)
    outs = neck((x, ))
    assert [tuple(o.shape) for o in outs] == [
        (2, 16, 32, 48), (2, 16, 16, 24), (2, 16, 8, 12), (2, 16, 4, 6), (2, 16, 2, 3)]
    assert torch.equal(outs[4], outs[3][:, :, ::2, ::2])  # kernel-1 stride-2 max-pool
    four = SimpleFeaturePyramid(in_channels=32, out_channels=16, num_outs=4)
    assert len(four((x, ))) == 4
    # LN2d normalises each pixel over the channels
    ln = LayerNorm2d(32, eps=1e-6)
    y = ln(x)
    assert torch.allclose(y.mean(1), torch.zeros(2, 8, 12), atol=1e-5)
    assert torch.allclose(y.var(1, unbiased=False), torch.ones(2, 8, 12), atol=1e-3)
    with pytest.raises(ValueError, match='scale factor'):
        SimpleFeaturePyramid(in_channels=32, scale_factors=(3.0, ), num_outs=1)
    with pytest.raises(ValueError, match='input'):
        neck((torch.randn(1, 8, 4, 4), ))
