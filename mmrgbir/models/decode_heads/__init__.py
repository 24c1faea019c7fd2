# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .dplnet_head import DPLNetHead

__all__ = ['DPLNetHead']
