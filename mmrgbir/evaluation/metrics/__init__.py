# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .kaist_miss_rate import KAISTMissRateMetric
from .sod_metric import SODMetric

__all__ = ['KAISTMissRateMetric', 'SODMetric']
