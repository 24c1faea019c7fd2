# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""No frozen backbone stays at its random initialisation without being asked to."""
import pytest
import torch
import torch.nn as nn

from mmrgbir.apis.frozen_weights import (allow_random_frozen_weights,
                                         frozen_weights_from_checkpoint,
                                         verify_frozen_weights)
from mmrgbir.models.utils.frozen_weights import (RandomFrozenWeightsError,
                                                 frozen_state_keys, require_frozen_weights)

KW = dict(weights='ViT-B weights', converter='python tools/model_converters/x.py SRC DST')


def test_require_frozen_weights(tmp_path):
    with pytest.raises(RandomFrozenWeightsError,
                       match=r'Net: the frozen backbone has no weights .*'
                             r'model.backbone.pretrained.*tools/model_converters/x.py'):
        require_frozen_weights('Net', None, False, **KW)
    missing = str(tmp_path / 'vit.pth')
    with pytest.raises(RandomFrozenWeightsError, match=r"pretrained='.*vit.pth' does not exist"):
        require_frozen_weights('Net', missing, False, **KW)
    torch.save({}, missing)
    require_frozen_weights('Net', missing, False, **KW)      # the file is there
    require_frozen_weights('Net', None, True, **KW)           # random on purpose
    require_frozen_weights('Net', None, 'checkpoint', **KW)   # a checkpoint supplies it
    for bad in ('yes', 1, None):
        with pytest.raises(ValueError, match='allow_random_frozen must be'):
            require_frozen_weights('Net', None, bad, **KW)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.allow_random_frozen = 'checkpoint'
        self.frozen = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
        self.adapter = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4))
        for p in self.frozen.parameters():
            p.requires_grad_(False)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Conv2d(4, 2, 1)


def test_frozen_keys_include_frozen_buffers():
    keys = frozen_state_keys(Backbone(), 'backbone.')
    assert sorted(keys) == sorted([
        'backbone.frozen.0.weight', 'backbone.frozen.0.bias', 'backbone.frozen.1.weight',
        'backbone.frozen.1.bias', 'backbone.frozen.1.running_mean',
        'backbone.frozen.1.running_var', 'backbone.frozen.1.num_batches_tracked'])


def test_checkpoint_must_cover_the_frozen_tensors(tmp_path):
    model = Model()
    full = tmp_path / 'full.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, full)
    verify_frozen_weights(model, str(full))
    # an adapter-only checkpoint (no frozen weights) is refused, naming what is missing
    partial = tmp_path / 'adapter.pth'
    torch.save({'state_dict': {k: v for k, v in model.state_dict().items()
                               if 'frozen' not in k}}, partial)
    with pytest.raises(RandomFrozenWeightsError,
                       match=r'adapter.pth lacks 7 frozen tensors of Backbone'):
        verify_frozen_weights(model, str(partial))
    # DDP-style 'module.' prefixes are understood
    torch.save({'state_dict': {'module.' + k: v for k, v in model.state_dict().items()}},
               tmp_path / 'ddp.pth')
    verify_frozen_weights(model, str(tmp_path / 'ddp.pth'))
    # backbones whose weights come from `pretrained` are not checked
    model.backbone.allow_random_frozen = False
    verify_frozen_weights(model, str(partial))


def test_config_marking(tmp_path):
    existing = tmp_path / 'vit.pth'
    torch.save({}, existing)
    cfg = dict(type='EncoderDecoder', backbone=dict(type='UniRGBIRViT', pretrained=None),
               auxiliary_head=[dict(type='FCNHead')])
    assert frozen_weights_from_checkpoint(cfg, None) == 0
    assert 'allow_random_frozen' not in cfg['backbone']
    assert frozen_weights_from_checkpoint(cfg, 'full.pth') == 1
    assert cfg['backbone'] == dict(type='UniRGBIRViT', pretrained=None,
                                   allow_random_frozen='checkpoint')
    # an existing foundation file is kept (loaded first, then overwritten)
    cfg2 = dict(backbone=dict(type='DPLNetMiT', pretrained=str(existing)))
    assert frozen_weights_from_checkpoint(cfg2, 'full.pth') == 0
    # a configured file that is not there: the checkpoint supplies the weights
    cfg3 = dict(module=dict(backbone=dict(type='IVTuningSwin', pretrained='absent.pth')))
    assert frozen_weights_from_checkpoint(cfg3, 'full.pth') == 1
    assert cfg3['module']['backbone']['pretrained'] is None
    cfg4 = dict(backbone=dict(type='DualStreamBackbone', backbone=dict(type='ResNet')))
    assert allow_random_frozen_weights(cfg4) == 0
    assert allow_random_frozen_weights(cfg3) == 1
    assert cfg3['module']['backbone']['allow_random_frozen'] is True
