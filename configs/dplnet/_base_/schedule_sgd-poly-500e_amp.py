# DPLNet's optimisation (published NYUDv2 run): SGD 0.04, momentum 0.9, weight decay
# 5e-4, poly decay (power 0.9) per epoch over 500 epochs, batch 32, AMP. The lr is used
# as is (no auto-scaling). The published code picks the best epoch on the test split;
# here the test split is evaluated once, after the last epoch, and that checkpoint is
# the one to report.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='SGD', lr=0.04, momentum=0.9, weight_decay=5e-4))
max_epochs = 500
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_epochs, by_epoch=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=25, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=50, max_keep_ckpts=2,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
auto_scale_lr = dict(enable=False, base_batch_size=32)
