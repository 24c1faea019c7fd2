# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Per-modality normalisation shared by the segmentation and detection preprocessors."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn


class RGBXNormalizer(nn.Module):
    """Normalise stacked ``[RGB | X]`` tensors with separate statistics per modality.

    Args:
        mean, std: RGB statistics (3 values, in the channel order of the *output*,
            i.e. RGB when ``bgr_to_rgb=True``).
        x_mean, x_std: X statistics, one value per X channel, in the units of the
            X file (e.g. 0-255 for 8-bit thermal, millimetres for 16-bit depth).
        bgr_to_rgb: reverse the first three channels (mmcv loads BGR); X is never
            reordered.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float],
                 x_mean: Sequence[float], x_std: Sequence[float],
                 bgr_to_rgb: bool = False, owner: str = 'RGBXDataPreprocessor') -> None:
        super().__init__()
        for key, val, n in (('mean', mean, 3), ('std', std, 3)):
            if val is None or len(val) != n:
                raise ValueError(f'{owner}: {key} must have {n} values (RGB), got {val}')
        if x_mean is None or x_std is None:
            raise ValueError(f'{owner}: x_mean and x_std are required (one value per X '
                             f'channel, in the units of the X files)')
        if len(x_mean) != len(x_std) or len(x_mean) == 0:
            raise ValueError(f'{owner}: x_mean {list(x_mean)} and x_std {list(x_std)} must '
                             f'have the same, non-zero length (one value per X channel)')
        if any(s <= 0 for s in list(std) + list(x_std)):
            raise ValueError(f'{owner}: std and x_std must be positive')
        self.owner = owner
        self.bgr_to_rgb = bgr_to_rgb
        self.register_buffer('mean', torch.tensor(list(mean) + list(x_mean),
                                                  dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor(list(std) + list(x_std),
                                                 dtype=torch.float32).view(-1, 1, 1), False)

    @property
    def channels(self) -> int:
        return self.mean.shape[0]

    def forward(self, img: torch.Tensor, where: Optional[str] = None) -> torch.Tensor:
        """(C, H, W) any dtype -> (C, H, W) float32, C == 3 + len(x_mean)."""
        if img.dim() != 3 or img.shape[0] != self.channels:
            got = tuple(img.shape)
            raise ValueError(
                f'{self.owner}: input{" " + where if where else ""} has shape {got} but '
                f'mean+x_mean describe {self.channels} channels (3 RGB + '
                f'{self.channels - 3} X). Set x_mean/x_std with one value per X channel, '
                f'or LoadRGBXImageFromFile(x_channels=...) to match.')
        img = img.float()
        if self.bgr_to_rgb:
            img = torch.cat([img[[2, 1, 0]], img[3:]], dim=0)
        return (img - self.mean) / self.std

    def normalize_batch(self, inputs, data_samples=None) -> List[torch.Tensor]:
        where = None
        out = []
        for i, img in enumerate(inputs):
            if data_samples is not None and i < len(data_samples):
                where = f'of {data_samples[i].metainfo.get("img_path", f"sample {i}")}'
            out.append(self.forward(img, where))
        return out
