# VT5000-train -> VT821 (821 pairs, RGB/, T/, GT/): the vt5000.py protocol with VT821
# as the test set.
_base_ = ['./vt5000.py']
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_delete_=True, type='VT821Dataset', data_root='data/VT821',
                 pipeline={{_base_.test_pipeline}}))
