# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Packing of the stacked ``[RGB | X]`` image into segmentation inputs."""
from mmseg.datasets.transforms import PackSegInputs

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import num_channels

RGBX_META_KEYS = ('x_path', 'modality_layout')


def check_stacked_channels(results: dict, who: str) -> None:
    """Fail loudly if a transform dropped channels of the stacked image."""
    layout = results.get('modality_layout')
    if layout is None:
        raise KeyError(f'{who}: results has no "modality_layout"; load the data with '
                       f'LoadRGBXImageFromFile')
    img = results['img']
    channels = 1 if img.ndim == 2 else img.shape[2]
    if channels != num_channels(layout):
        raise ValueError(
            f'{who}: the image of {results.get("img_path")} has {channels} channels but '
            f'its modality layout records {num_channels(layout)} (RGB {layout["rgb"]}, '
            f'{layout["x_kind"]} {layout["x"]}). A transform dropped channels: stock '
            f'photometric transforms (PhotoMetricDistortion, ...) keep 3 channels; wrap '
            f'them in RGBOnly(transforms=[...]).')


@TRANSFORMS.register_module()
class PackRGBXSegInputs(PackSegInputs):
    """``PackSegInputs`` for stacked RGB-X images.

    Checks that the image still has every channel the loader recorded and adds
    ``x_path`` and ``modality_layout`` to the metainfo.
    """

    def __init__(self, meta_keys=PackSegInputs().meta_keys + RGBX_META_KEYS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        check_stacked_channels(results, type(self).__name__)
        return super().transform(results)
