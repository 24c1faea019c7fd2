# Robustness evaluation of the demo RGB-T model (configs/demo/...cmx_segformerhead.py):
# the same model and test set, plus the conditions that
# tools/analysis/robustness_eval.py runs, one Runner.test each:
#   python tools/analysis/robustness_eval.py \
#       configs/robustness/demo_missing-modality-eval.py CHECKPOINT
# Values are in raw data units (8-bit RGB / thermal) and pixels of the 96 x 128
# test images; 'missing' sets a modality to 0 before normalisation (see
# mmrgbir/datasets/transforms/robustness.py for how that relates to pad_val).
_base_ = ['../demo/night-rgbt_dualstream-r18-cmx_segformerhead.py']
custom_imports = dict(imports=['mmrgbir'],
                      allow_failed_imports=False)

robustness_conditions = [
    dict(name='clean', transforms=[]),
    dict(name='rgb_missing',
         transforms=[dict(type='ModalityCorruption', modality='rgb', mode='missing')]),
    dict(name='x_missing',
         transforms=[dict(type='ModalityCorruption', modality='x', mode='missing')]),
    dict(name='rgb_noise', transforms=[
        dict(type='ModalityCorruption', modality='rgb', mode='noise', severity=25.0)]),
    dict(name='x_noise', transforms=[
        dict(type='ModalityCorruption', modality='x', mode='noise', severity=25.0)]),
    dict(name='rgb_blur', transforms=[
        dict(type='ModalityCorruption', modality='rgb', mode='blur', severity=2.0)]),
    dict(name='x_blur', transforms=[
        dict(type='ModalityCorruption', modality='x', mode='blur', severity=2.0)]),
    dict(name='x_misaligned', transforms=[
        dict(type='RandomXMisalignment', max_shift=(8, 8), max_rotate=0, max_scale=0,
             prob=1.0, seed=0)]),
    dict(name='x_misaligned_affine', transforms=[
        dict(type='RandomXMisalignment', max_shift=(4, 4), max_rotate=5, max_scale=0.05,
             prob=1.0, seed=0)]),
]
# Single-process evaluation with no worker processes: quick on the 40 demo images.
test_dataloader = dict(num_workers=0, persistent_workers=False)
