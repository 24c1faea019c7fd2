# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Reusable pieces of the adapter methods (UniRGB-IR, DPLNet, IV-tuning)."""
from .ivtuning_prompts import InitialPromptGenerator, PromptedBlockAdapter
from .ms_deform_attn import MSDeformAttn, multi_scale_deformable_attn_pytorch
from .multimodal_feature_adapter import MultimodalFeatureAdapter
from .multimodal_feature_pool import MultiModalFeaturePool
from .multimodal_prompt_generator import MultimodalPromptGenerator, OverlapPatchEmbed
from .simam import SimAM
from .split_fuse_enhancer import SplitFuseEnhancer
from .supplementary_feature_injector import InjectionGate, SupplementaryFeatureInjector

__all__ = ['InitialPromptGenerator', 'InjectionGate', 'MSDeformAttn', 'MultiModalFeaturePool',
           'MultimodalFeatureAdapter', 'MultimodalPromptGenerator', 'OverlapPatchEmbed',
           'PromptedBlockAdapter', 'SimAM', 'SplitFuseEnhancer', 'SupplementaryFeatureInjector',
           'multi_scale_deformable_attn_pytorch']
