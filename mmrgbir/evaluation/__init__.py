# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .metrics import KAISTMissRateMetric, SODMetric
from .multi_datasets import NamedConcatDataset, PerDatasetEvaluator

__all__ = ['KAISTMissRateMetric', 'NamedConcatDataset', 'PerDatasetEvaluator', 'SODMetric']
