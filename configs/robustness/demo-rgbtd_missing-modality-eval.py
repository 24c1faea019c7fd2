# Robustness of the three-modality demo model (configs/demo/night-rgbtd_...py): each
# modality missing in turn, and each pair, one Runner.test per condition:
#   python tools/analysis/robustness_eval.py \
#       configs/robustness/demo-rgbtd_missing-modality-eval.py CHECKPOINT
# 'missing' sets the modality to 0 in raw units (black RGB, 0 K-counts, no depth).
_base_ = ['../demo/night-rgbtd_multistream-r18-cmnext_segformerhead.py']
custom_imports = dict(imports=['mmrgbir'], allow_failed_imports=False)

missing_thermal = dict(type='ModalityCorruption', modality='thermal', mode='missing')
missing_depth = dict(type='ModalityCorruption', modality='depth', mode='missing')
robustness_conditions = [
    dict(name='clean', transforms=[]),
    dict(name='rgb_missing',
         transforms=[dict(type='ModalityCorruption', modality='rgb', mode='missing')]),
    dict(name='thermal_missing', transforms=[missing_thermal]),
    dict(name='depth_missing', transforms=[missing_depth]),
    dict(name='thermal+depth_missing', transforms=[missing_thermal, missing_depth]),
]
test_dataloader = dict(num_workers=0, persistent_workers=False)
