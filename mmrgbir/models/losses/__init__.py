# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .class_weighted_ce import ClassWeightedCrossEntropyLoss
from .soft_iou_loss import SoftIoULoss, soft_iou
from .ssim_loss import SSIMLoss, ssim_map

__all__ = ['ClassWeightedCrossEntropyLoss', 'SoftIoULoss', 'SSIMLoss', 'soft_iou',
           'ssim_map']
