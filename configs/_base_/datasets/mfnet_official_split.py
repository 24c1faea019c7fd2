# MFNet with the official split: train (784) for training, val (392) for validation
# and checkpoint selection, test (393) for the reported number. Fewer training images
# than the train + val protocol of mfnet.py: numbers are not comparable.
_base_ = ['./mfnet.py']
train_dataloader = dict(dataset=dict(split='train'))
val_dataloader = dict(dataset=dict(split='val'))
test_dataloader = dict(dataset=dict(split='test'))
