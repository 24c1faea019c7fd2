# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""FLOPs and parameters of an RGB-X model for a (1, 3 + Cx, H, W) input.

    python tools/analysis/get_flops.py CONFIG --shape 480 640

Cx, the number of X channels, is the length of the config's
``model.data_preprocessor.x_mean``. The count is mmengine's
(``mmengine.analysis.get_model_complexity_info``): one multiply-add is one FLOP, as
in mmseg's and mmdet's get_flops. It covers the network (backbone, neck, heads) in
tensor mode, not the data preprocessor or the post-processing (resize, NMS).
"""
import argparse
import copy

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='FLOPs and parameters of an RGB-X model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=[512, 512],
                        help='input height and width (one value: square)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def x_channels_of(cfg: Config) -> int:
    """Number of X channels the model takes: ``len(data_preprocessor.x_mean)``."""
    pre = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor') or {}
    x_mean = pre.get('x_mean')
    if not x_mean:
        raise KeyError('the config has no model.data_preprocessor.x_mean; cannot tell the '
                       'number of X channels')
    return len(x_mean)


class TensorForward(nn.Module):
    """Calls the model's tensor-mode forward on one (1, C, H, W) input."""

    def __init__(self, model: nn.Module, task: str, shape) -> None:
        super().__init__()
        self.model = model
        self.data_samples = None
        if task == 'det':  # detectors' heads read the image metas
            from mmdet.structures import DetDataSample
            sample = DetDataSample()
            hw = tuple(shape)
            sample.set_metainfo(dict(img_shape=hw, ori_shape=hw, pad_shape=hw,
                                     batch_input_shape=hw, scale_factor=(1.0, 1.0)))
            self.data_samples = [sample]

    def forward(self, inputs: torch.Tensor):
        return self.model._forward(inputs, self.data_samples)


def get_flops(cfg: Config, shape=(512, 512)) -> dict:
    """``dict(flops, params, flops_str, params_str, input_shape)`` of the config's model."""
    from mmengine.analysis import get_model_complexity_info

    from mmrgbir.apis.frozen_weights import allow_random_frozen_weights
    from mmrgbir.apis.inference import detect_task, init_model
    if len(shape) == 1:
        shape = (shape[0], shape[0])
    if len(shape) != 2:
        raise ValueError(f'--shape takes H W (or one value), got {shape}')
    input_shape = (1, 3 + x_channels_of(cfg), int(shape[0]), int(shape[1]))
    cfg = copy.deepcopy(cfg)
    allow_random_frozen_weights(cfg.model)  # FLOPs do not depend on the weights' values
    model = init_model(cfg, device='cpu')
    wrapper = TensorForward(model, detect_task(model), shape).eval()
    with torch.no_grad():
        info = get_model_complexity_info(wrapper, input_shape=None,
                                         inputs=(torch.zeros(input_shape),),
                                         show_table=False, show_arch=False)
    return dict(flops=info['flops'], params=info['params'], flops_str=info['flops_str'],
                params_str=info['params_str'], input_shape=input_shape)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    res = get_flops(cfg, args.shape)
    c = res['input_shape'][1]
    split_line = '=' * 40
    print(f'{split_line}\nInput shape: {res["input_shape"]} (RGB 3 + X {c - 3})\n'
          f'Flops: {res["flops_str"]} ({res["flops"] / 1e9:.3f} GFLOPs)\n'
          f'Params: {res["params_str"]} ({res["params"]} parameters)\n{split_line}')
    print('!!! FLOPs count one multiply-add as one FLOP and cover the network in tensor '
          'mode only (no preprocessing or post-processing). Check the numbers before '
          'quoting them in a paper.')


if __name__ == '__main__':
    main()
