# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Adapter-only checkpoints: save the trainable part, reload it onto the base weights."""
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn

from mmrgbir.models.utils.adapter_checkpoint import (FORMAT, BaseWeightsMismatchError,
                                                     adapter_state_dict,
                                                     load_adapter_checkpoint,
                                                     save_adapter_checkpoint, sha256_file)
from mmrgbir.version import __version__

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TINY_RESNET = dict(type='ResNetV1c', depth=18, in_channels=3, stem_channels=8,
                   base_channels=8, num_stages=4, out_indices=(0, 1, 2, 3),
                   norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False)


class TinySegmentor(nn.Module):
    """A backbone with a frozen part plus a 1x1-conv head on its last map."""

    def __init__(self, backbone: nn.Module, channels: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Conv2d(channels, 3, 1)

    def forward(self, x):
        feats = self.backbone(x)
        return tuple(feats) + (self.head(feats[-1]), )


def build(kind: str, seed: int) -> TinySegmentor:
    torch.manual_seed(seed)
    if kind == 'dualstream':   # frozen RGB ResNet, trainable thermal ResNet (with BN)
        from mmrgbir.models.backbones.dual_stream import DualStreamBackbone
        backbone = DualStreamBackbone(TINY_RESNET, fusion=dict(type='AddFusion'),
                                      freeze_rgb=True, x_channels=1)
        return TinySegmentor(backbone, 64)
    # IV-tuning on a tiny timm ViT: frozen ViT, adapters with BatchNorm and dropout
    from mmrgbir.models.backbones.ivtuning_vit import IVTuningViT
    backbone = IVTuningViT(model_name='vit_tiny_patch16_224', img_size=32, embed_dim=32,
                           depth=2, num_heads=2, out_indices=(0, 1), out_strides=(8, 16),
                           allow_random_frozen=True)
    return TinySegmentor(backbone, 32)


def base_module(model: TinySegmentor) -> nn.Module:
    """The part of the model the frozen base checkpoint initialises."""
    bb = model.backbone
    return bb.rgb_backbone if hasattr(bb, 'rgb_backbone') else bb.vit


def train_steps(model: nn.Module, steps: int = 3) -> None:
    torch.manual_seed(123)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05,
                          momentum=0.9)
    model.train()
    for _ in range(steps):
        loss = sum(o.float().pow(2).mean() for o in model(torch.randn(2, 4, 32, 32)))
        opt.zero_grad()
        loss.backward()
        opt.step()


def outputs(model: nn.Module, x: torch.Tensor):
    model.eval()
    with torch.no_grad():
        return model(x)


@pytest.mark.parametrize('kind', ['dualstream', 'ivtuning'])
def test_adapter_roundtrip_reproduces_outputs(seg_scope, tmp_path, kind):
    model = build(kind, seed=0)
    base_path = str(tmp_path / 'base.pth')       # the "pretrained" foundation weights
    torch.save(base_module(model).state_dict(), base_path)
    frozen_before = {k: v.clone() for k, v in base_module(model).state_dict().items()}
    train_steps(model)
    # the frozen base (parameters and BatchNorm statistics) did not change
    for k, v in base_module(model).state_dict().items():
        assert torch.equal(v, frozen_before[k]), k

    adapter_path = str(tmp_path / 'adapter.pth')
    full_path = str(tmp_path / 'full.pth')
    meta = save_adapter_checkpoint(model, adapter_path, base_weights=base_path)
    torch.save(model.state_dict(), full_path)

    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert meta['format'] == FORMAT and meta['mmrgbir_version'] == __version__
    assert meta['base_weights'] == dict(name='base.pth', sha256=sha256_file(base_path))
    assert meta['trainable_names'] == trainable
    assert meta['num_params'] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    ckpt = torch.load(adapter_path, weights_only=True)   # plain tensors and values only
    saved = set(ckpt['state_dict'])
    assert set(trainable) <= saved
    assert not any(k.startswith(('backbone.rgb_backbone.', 'backbone.vit.')) for k in saved)
    # running statistics of trainable BatchNorms travel with the adapter
    bn_stats = [k for k in saved if k.endswith('running_mean')]
    assert bn_stats and set(meta['buffer_names']) == saved - set(trainable)

    adapter_size, full_size = osp.getsize(adapter_path), osp.getsize(full_path)
    ratio = adapter_size / full_size
    numel_ratio = sum(v.numel() for v in ckpt['state_dict'].values()) / sum(
        v.numel() for v in model.state_dict().values())
    print(f'\n[{kind}] adapter {adapter_size} B / full {full_size} B = {ratio:.3f} '
          f'(tensor elements {numel_ratio:.3f})')
    assert ratio < 1 and abs(ratio - numel_ratio) < 0.1

    x = torch.randn(2, 4, 32, 32)
    expected = outputs(model, x)
    fresh = build(kind, seed=1)                   # other random adapter / head weights
    base_module(fresh).load_state_dict(torch.load(base_path, weights_only=True))
    assert not all(torch.equal(a, b) for a, b in zip(outputs(fresh, x), expected))
    report = load_adapter_checkpoint(fresh, adapter_path, base_weights=base_path)
    assert report.missing == [] and report.unexpected == []
    got = outputs(fresh, x)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert torch.equal(a, b)


def test_wrong_base_weights_and_bad_files(seg_scope, tmp_path):
    model = build('dualstream', seed=0)
    base_path = str(tmp_path / 'base.pth')
    torch.save(model.backbone.rgb_backbone.state_dict(), base_path)
    adapter_path = str(tmp_path / 'adapter.pth')
    save_adapter_checkpoint(model, adapter_path, base_weights=base_path)

    other = str(tmp_path / 'other_base.pth')
    torch.manual_seed(5)
    torch.save(build('dualstream', seed=5).backbone.rgb_backbone.state_dict(), other)
    with pytest.raises(BaseWeightsMismatchError, match=r'(?s)base.pth.*sha256.*other_base'):
        load_adapter_checkpoint(model, adapter_path, base_weights=other)
    # explicit opt-out, and no base given: loads (the latter with a warning)
    load_adapter_checkpoint(model, adapter_path, base_weights=other, check_sha=False)
    load_adapter_checkpoint(model, adapter_path)

    with pytest.raises(FileNotFoundError, match='base weights not found'):
        save_adapter_checkpoint(model, adapter_path, base_weights=str(tmp_path / 'no.pth'))
    full = str(tmp_path / 'full.pth')
    torch.save(dict(state_dict=model.state_dict()), full)
    with pytest.raises(ValueError, match='not an mmrgbir adapter checkpoint'):
        load_adapter_checkpoint(model, full)

    # a model with another trainable part: reported, or an error with strict=True
    other_model = build('dualstream', seed=0)
    other_model.head.weight.requires_grad_(False)
    other_model.backbone.rgb_backbone.stem[0].weight.requires_grad_(True)
    report = load_adapter_checkpoint(other_model, adapter_path, base_weights=base_path)
    assert report.missing == ['backbone.rgb_backbone.stem.0.weight']
    with pytest.raises(KeyError, match='stem.0.weight'):
        load_adapter_checkpoint(other_model, adapter_path, base_weights=base_path,
                                strict=True)
    sd = adapter_state_dict(model)
    sd['backbone.not_there'] = torch.zeros(1)
    torch.save(dict(meta=dict(format=FORMAT), state_dict=sd), adapter_path)
    assert load_adapter_checkpoint(model, adapter_path).unexpected == ['backbone.not_there']


def test_buffer_rule_for_parameter_free_modules():
    from mmrgbir.models.utils.adapter_checkpoint import adapter_buffer_names
    model = nn.Sequential(
        nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, affine=False)),   # trains
        nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, affine=False)),   # frozen
        nn.BatchNorm1d(2))                                                  # frozen
    for p in model[1].parameters():
        p.requires_grad_(False)
    for p in model[2].parameters():
        p.requires_grad_(False)
    assert adapter_buffer_names(model) == ['0.1.running_mean', '0.1.running_var',
                                           '0.1.num_batches_tracked']


def _runner_cfg(tmp_path, base_path):
    from mmengine.config import Config

    from mmrgbir.datasets.synthetic import generate_night_rgbt
    data_root = generate_night_rgbt(str(tmp_path / 'data'), num_train=4, num_val=2,
                                    progress=False)
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
    cfg.param_scheduler = []
    cfg.model.backbone.freeze_rgb = True
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=2)
    cfg.default_hooks.pop('visualization')
    cfg.custom_hooks = [dict(type='AdapterCheckpointHook', interval=1,
                             base_weights=base_path)]
    cfg.log_level = 'WARNING'
    return cfg


def test_hook_in_runner(tmp_path):
    import mmrgbir  # noqa: F401  (registers the components the config names)
    from mmengine.runner import Runner

    import mmrgbir.engine.hooks.adapter_checkpoint_hook  # noqa: F401 (registers the hook)
    from mmrgbir.registry import MODELS
    base_path = str(tmp_path / 'base.pth')
    with open(base_path, 'wb') as f:
        f.write(b'frozen base weights')
    runner = Runner.from_cfg(_runner_cfg(tmp_path, base_path))
    runner.train()
    work = tmp_path / 'work'
    assert sorted(f for f in os.listdir(work) if f.startswith('adapter_')) == [
        'adapter_iter_1.pth', 'adapter_iter_2.pth']          # no duplicate at the end
    assert (work / 'last_adapter_checkpoint').read_text().endswith('adapter_iter_2.pth')

    model = runner.model
    ckpt = torch.load(work / 'adapter_iter_2.pth', weights_only=True)
    meta, state = ckpt['meta'], ckpt['state_dict']
    assert meta['iter'] == 2 and meta['model_type'] == 'EncoderDecoder'
    assert meta['base_weights'] == dict(name='base.pth', sha256=sha256_file(base_path))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert meta['trainable_names'] == trainable and any(
        n.startswith('decode_head.') for n in trainable)
    assert not any(k.startswith('backbone.rgb_backbone.') for k in state)
    own = model.state_dict()
    for k, v in state.items():
        assert torch.equal(v, own[k]), k
    first = torch.load(work / 'adapter_iter_1.pth', weights_only=True)['state_dict']
    assert not all(torch.equal(first[k], state[k]) for k in state)   # it trained

    full = torch.load(work / 'iter_2.pth', map_location='cpu', weights_only=False)
    full_model = full['state_dict']
    ratio = osp.getsize(work / 'adapter_iter_2.pth') / osp.getsize(work / 'iter_2.pth')
    print(f'\nadapter_iter_2.pth / iter_2.pth (incl. optimizer state) = {ratio:.3f}')
    assert ratio < 0.6

    # base (frozen part of the full checkpoint) + adapter == the trained model
    torch.manual_seed(7)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    fresh = MODELS.build(runner.cfg.model)
    base_part = {k: v for k, v in full_model.items() if k not in state}
    fresh.load_state_dict(base_part, strict=False)
    load_adapter_checkpoint(fresh, str(work / 'adapter_iter_2.pth'), base_weights=base_path,
                            strict=True)
    x = torch.randn(1, 4, 96, 128)
    model.eval()
    fresh.eval()
    with torch.no_grad():
        a, b = model(x, mode='tensor'), fresh(x, mode='tensor')
    assert torch.equal(a, b)


def test_hook_arguments():
    from mmrgbir.engine.hooks.adapter_checkpoint_hook import AdapterCheckpointHook
    with pytest.raises(ValueError, match='interval'):
        AdapterCheckpointHook(interval=0)
