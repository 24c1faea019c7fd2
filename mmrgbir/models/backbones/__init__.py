# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .dual_stream import DualStreamBackbone, SingleModalityBackbone

__all__ = ['DualStreamBackbone', 'SingleModalityBackbone']
