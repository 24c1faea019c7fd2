# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""MAE / ViTDet ViT foundation weights -> UniRGB-IR's frozen ViT (``ViTDetViT`` names).

Sources (names as published):

* detectron2 ViTDet (``model_final_*.pkl``: a pickle of numpy arrays under ``model``,
  the ViT under ``backbone.net.``, its simple feature pyramid ``backbone.simfp_*`` and
  the heads next to it) -- the official UniRGB-IR runs start from the ViT-B of
  detectron2's ViTDet Cascade Mask R-CNN with the relative-position tables removed;
* mmdet ViTDet (``backbone.`` + ``neck.`` / ``rpn_head.`` / ``roi_head.``);
* MAE / timm ViT (``blocks.*``, ``cls_token``, ``norm``, ``head``, MAE decoders) and the
  official UniRGB-IR ``..._withClsToken_noRel.pth`` file (the ViT keys alone).

The per-key map is the backbone's own (:func:`~mmrgbir.models.backbones.unirgbir_vit.
vitdet_key`, also used by ``pretrained_format='vitdet'``), so the converted file and a
direct load give the same tensors. The position embedding loses its class-token entry
and is stored on its grid (1, g, g, C). Relative-position tables are dropped by
default, as in the official runs (they then start at zero and train); ``keep_rel_pos``
keeps them (a deviation, e.g. to start from the COCO-trained tables).
"""
import pickle
import re
from typing import Optional, Sequence, Tuple

import torch

from mmrgbir.models.backbones.unirgbir_vit import ViTDetViT, _pos_embed_as_grid, vitdet_key
from mmrgbir.models.utils.pretrained import read_state_dict
from mmrgbir.models.utils.weight_conversion import (ConversionReport, StateDict,
                                                    check_converted)

__all__ = ['read_vit_checkpoint', 'convert_vit', 'reference_vit', 'convert_and_check',
           'frozen_vit_keys', 'summary']

_REL_POS = re.compile(r'blocks\.\d+\.attn\.rel_pos_[hw]')

#: non-encoder tensors of a plain ViT checkpoint, dropped on purpose
_VIT_EXTRAS = re.compile(
    r'(cls_token|dist_token|mask_token|reg_token|norm\.(weight|bias)|fc_norm\..+|'
    r'head\..+|head_drop\..+|decoder.*|pixel_(mean|std))')
#: non-encoder tensors under a detector's ``backbone.``: detectron2's simple feature
#: pyramid (``backbone.simfp_*``, ``backbone.top_block``) and ViT extras
_DET_BACKBONE_EXTRAS = re.compile(
    r'backbone\.(simfp_\d+\..+|top_block\..+|(net\.)?(cls_token|norm\..+))')

# numpy classes a detectron2 .pkl needs (numpy 1.x and 2.x module paths)
_PICKLE_ALLOWED = {
    ('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
    ('numpy', 'ndarray'), ('numpy', 'dtype'), ('collections', 'OrderedDict'),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickle dicts of numpy arrays only (a .pkl could otherwise run any code)."""

    def find_class(self, module, name):
        if (module, name) in _PICKLE_ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f'{module}.{name} is not allowed in a weights .pkl (only numpy arrays are)')


def read_vit_checkpoint(path: str) -> StateDict:
    """Read a ``.pth`` / ``.safetensors`` (via ``read_state_dict``) or a detectron2
    ``.pkl`` (numpy arrays under ``model``) into a dict of tensors."""
    if not str(path).endswith('.pkl'):
        return read_state_dict(path)
    import numpy as np
    with open(path, 'rb') as f:
        obj = _ArraysOnlyUnpickler(f, encoding='latin1').load()
    if isinstance(obj, dict) and isinstance(obj.get('model'), dict):
        obj = obj['model']
    if not isinstance(obj, dict):
        raise TypeError(f'{path}: expected a dict of arrays, got {type(obj).__name__}')
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in obj.items()
            if isinstance(v, np.ndarray)}


def convert_vit(src: StateDict, keep_rel_pos: bool = False,
                report: Optional[ConversionReport] = None) -> Tuple[StateDict,
                                                                     ConversionReport]:
    """Map a MAE / timm / mmdet / detectron2 ViT state dict to ``ViTDetViT`` names.

    Returns:
        ``(converted, report)``: detector parts, class tokens, final norms, heads and
        MAE decoders are ``dropped``; relative-position tables too unless
        ``keep_rel_pos``; names not understood are ``unused`` (an error for
        :func:`check_converted`).
    """
    report = report or ConversionReport()
    has_backbone = any(k.startswith('backbone.') for k in src)
    out: StateDict = {}
    for key, value in src.items():
        new = vitdet_key(key, has_backbone)
        if new is None:
            dropped = (not key.startswith('backbone.')) if has_backbone else \
                bool(_VIT_EXTRAS.fullmatch(key))
            if has_backbone and _DET_BACKBONE_EXTRAS.fullmatch(key):
                dropped = True
            (report.dropped if dropped else report.unused).append(key)
            continue
        if _REL_POS.fullmatch(new) and not keep_rel_pos:
            report.dropped.append(key)
            continue
        if new in out:
            raise KeyError(f'{key!r} maps to {new!r}, which another tensor already took')
        out[new] = _pos_embed_as_grid(value, key) if new == 'pos_embed' else value
        report.mapped.append((key, new))
    return out, report


def frozen_vit_keys(state: StateDict) -> list:
    """The frozen encoder's keys of a ``ViTDetViT`` state dict (all but the
    relative-position tables, which train)."""
    return [k for k in state if not _REL_POS.fullmatch(k)]


def reference_vit(converted: StateDict, num_heads: Optional[int] = None) -> ViTDetViT:
    """A random ``ViTDetViT`` shaped like ``converted`` (only its layout is used).

    Width, depth, patch and position grid come from the tensors; kept
    relative-position tables fix the window size (shortest tables) and the global
    blocks' input size (longer tables) and the heads (their width is the head width);
    without tables ``num_heads`` defaults to width / 64 (ViT-B: 12; only the tables'
    shapes depend on it).
    """
    for key in ('patch_embed.proj.weight', 'pos_embed'):
        if key not in converted:
            raise KeyError(f'the source has no ViT {key} (looked for {key}, backbone.{key}, '
                           f'backbone.net.{key}); is it a ViT checkpoint?')
    embed_dim, _, patch, _ = converted['patch_embed.proj.weight'].shape
    blocks = {int(m.group(1)) for k in converted for m in [re.match(r'blocks\.(\d+)\.', k)]
              if m}
    depth = max(blocks) + 1 if blocks else 0
    grid = converted['pos_embed'].shape[1]
    lengths = {int(k.split('.')[1]): v.shape[0] for k, v in converted.items()
               if k.endswith('attn.rel_pos_h')}
    window, img_size, global_idx = 14, grid * patch, ()
    if lengths:
        short, long_ = min(lengths.values()), max(lengths.values())
        if short != long_:
            window = (short + 1) // 2
            global_idx = tuple(i for i, n in lengths.items() if n == long_)
        else:
            global_idx = tuple(lengths)
        img_size = (long_ + 1) // 2 * patch
    if num_heads is None and lengths:
        # the tables are (rows, head_dim)
        num_heads = embed_dim // converted['blocks.%d.attn.rel_pos_h' % min(lengths)].shape[1]
    heads = num_heads or max(1, embed_dim // 64)
    return ViTDetViT(img_size=img_size, patch_size=patch, embed_dim=embed_dim, depth=depth,
                     num_heads=heads, window_size=window, global_attn_indexes=global_idx,
                     pretrain_img_size=grid * patch)


def convert_and_check(src: StateDict, keep_rel_pos: bool = False,
                      num_heads: Optional[int] = None,
                      expected_depth: Optional[int] = None,
                      ) -> Tuple[StateDict, ConversionReport]:
    """:func:`convert_vit` then :func:`check_converted`: every frozen encoder tensor
    present with consistent shapes, nothing unused (``KeyError`` with the report).

    Args:
        expected_depth: number of blocks the file must have (12 for ViT-B); a
            checkpoint with fewer blocks than that is refused.
    """
    converted, report = convert_vit(src, keep_rel_pos)
    reference = reference_vit(converted, num_heads)
    if expected_depth is not None and len(reference.blocks) != expected_depth:
        # trailing blocks missing altogether would otherwise go unnoticed
        raise KeyError(f'the source has {len(reference.blocks)} ViT blocks '
                       f'(blocks.0 ... blocks.{len(reference.blocks) - 1}), expected '
                       f'{expected_depth} (--depth)')
    check_converted(converted, reference, report,
                    required=frozen_vit_keys(reference.state_dict()))
    return converted, report


def summary(converted: StateDict) -> Sequence[str]:
    """One line per fact a user checks: width, depth, grid, rel-pos tables."""
    embed_dim, _, patch, _ = converted['patch_embed.proj.weight'].shape
    rel = sum(1 for k in converted if _REL_POS.fullmatch(k))
    return [f'ViT: width {embed_dim}, patch {patch}, position grid '
            f'{tuple(converted["pos_embed"].shape[1:3])}',
            f'relative-position tables: {rel} kept' if rel else
            'relative-position tables: none (they start at zero and train)']
