# VT5000-train -> VT1000 (1,000 pairs, RGB/, T/, GT/): the vt5000.py protocol with
# VT1000 as the test set.
_base_ = ['./vt5000.py']
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_delete_=True, type='VT1000Dataset', data_root='data/VT1000',
                 pipeline={{_base_.test_pipeline}}))
