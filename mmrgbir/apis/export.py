# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Export of an RGB-X segmentation model to ONNX.

The exported graph takes ONE input ``input``: a (1, 3 + Cx, H, W) float32 tensor.
By default it is the *normalised* stacked tensor that the backbone receives
(channels 0-2: RGB in RGB order, ``(v - mean) / std``; channels 3..: X,
``(v - x_mean) / x_std``): normalisation happens before the graph, exactly as the
data preprocessor does it. With ``include_normalization=True`` the normalisation
is put into the graph instead and the input is the raw ``[RGB | X]`` tensor (RGB in
RGB order, 0-255; X in the units of its files). The statistics are stored in the
model's metadata either way (``mean``, ``std``, ``x_mean``, ``x_std``,
``input_normalized``, ``classes``).

The output ``logits`` is (1, num_classes, H, W): the decode head's logits resized to
the input size (mmseg's 'whole' inference, ``EncoderDecoder.encode_decode``); take
the argmax over channels for the label map (sigmoid for a 1-channel head). The
input size is fixed at export time.
"""
import json
import warnings
from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['SegmentorONNXWrapper', 'export_segmentor_onnx', 'onnx_parity']


class SegmentorONNXWrapper(nn.Module):
    """(1, 3 + Cx, H, W) tensor -> (1, num_classes, H, W) logits of an mmseg segmentor."""

    def __init__(self, model: nn.Module, include_normalization: bool = False) -> None:
        super().__init__()
        self.model = model
        self.include_normalization = include_normalization
        norm = model.data_preprocessor.normalizer
        self.register_buffer('mean', norm.mean.detach().clone().view(1, -1, 1, 1), False)
        self.register_buffer('std', norm.std.detach().clone().view(1, -1, 1, 1), False)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.include_normalization:
            inputs = (inputs - self.mean) / self.std
        feats = self.model.extract_feat(inputs)
        logits = self.model.decode_head.forward(feats)
        return F.interpolate(logits, size=inputs.shape[2:], mode='bilinear',
                             align_corners=self.model.decode_head.align_corners)


def _metadata(model: nn.Module, include_normalization: bool) -> Dict[str, str]:
    norm = model.data_preprocessor.normalizer
    mean = norm.mean.flatten().tolist()
    std = norm.std.flatten().tolist()
    classes = list((getattr(model, 'dataset_meta', None) or {}).get('classes', []))
    return dict(
        input_normalized=json.dumps(not include_normalization),
        input_layout='(1, 3 + Cx, H, W): RGB (RGB order) then X',
        mean=json.dumps(mean[:3]), std=json.dumps(std[:3]),
        x_mean=json.dumps(mean[3:]), x_std=json.dumps(std[3:]),
        classes=json.dumps(classes))


def export_segmentor_onnx(model: nn.Module, out_file: str, shape: Sequence[int],
                          include_normalization: bool = False,
                          opset_version: int = 17) -> Dict[str, str]:
    """Export a segmentor built by :func:`mmrgbir.apis.init_model` to ``out_file``.

    Args:
        model: an mmseg ``EncoderDecoder`` with an RGB-X data preprocessor.
        out_file: the .onnx file to write.
        shape: input (H, W).
        include_normalization: put the preprocessor's normalisation in the graph
            (input: raw values) instead of expecting a normalised input.
        opset_version: ONNX opset.

    Returns:
        The metadata written into the model.
    """
    import onnx
    from mmseg.models import BaseSegmentor
    if not isinstance(model, BaseSegmentor) or not hasattr(model, 'decode_head'):
        raise TypeError(f'ONNX export supports mmseg encoder-decoder segmentors, got '
                        f'{type(model).__name__}')
    if not hasattr(model.data_preprocessor, 'normalizer'):
        raise TypeError('the model has no RGB-X data preprocessor (RGBXSegDataPreProcessor)')
    channels = model.data_preprocessor.normalizer.channels
    wrapper = SegmentorONNXWrapper(model, include_normalization).eval()
    dummy = torch.zeros(1, channels, int(shape[0]), int(shape[1]))
    with torch.no_grad(), warnings.catch_warnings():
        # shape checks in Python become constants: fine, the input size is fixed
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        # the TorchScript-based exporter: the torch.export one needs onnxscript
        torch.onnx.export(wrapper, (dummy,), out_file, input_names=['input'],
                          output_names=['logits'], opset_version=opset_version,
                          do_constant_folding=True, dynamo=False)
    meta = _metadata(model, include_normalization)
    proto = onnx.load(out_file)
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, out_file)
    onnx.checker.check_model(out_file)
    return meta


def onnx_parity(model: nn.Module, onnx_file: str, inputs: torch.Tensor) -> float:
    """Max abs difference between onnxruntime (CPU) and PyTorch on ``inputs``.

    ``inputs`` is what the ONNX model takes (normalised or raw, as exported); the
    PyTorch reference is mmseg's ``EncoderDecoder.encode_decode`` on the normalised
    tensor.
    """
    import onnxruntime as ort
    sess = ort.InferenceSession(onnx_file, providers=['CPUExecutionProvider'])
    meta = sess.get_modelmeta().custom_metadata_map
    normalized = inputs
    if not json.loads(meta.get('input_normalized', 'true')):
        norm = model.data_preprocessor.normalizer
        normalized = (inputs - norm.mean[None]) / norm.std[None]
    h, w = inputs.shape[2:]
    metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                  padding_size=[0, 0, 0, 0])]
    with torch.no_grad():
        ref = model.encode_decode(normalized, metas).numpy()
    out = sess.run(None, {'input': inputs.numpy()})[0]
    if out.shape != ref.shape:
        raise ValueError(f'ONNX output {out.shape} != PyTorch output {ref.shape}')
    return float(abs(out - ref).max())
