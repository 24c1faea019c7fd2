# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .metrics import KAISTMissRateMetric, SODMetric

__all__ = ['KAISTMissRateMetric', 'SODMetric']
