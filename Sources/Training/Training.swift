// Training: the training loop, checkpoints, metrics and run directories.
