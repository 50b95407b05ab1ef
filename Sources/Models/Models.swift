// Models: the paper's CIFAR and ImageNet backbones, assembled with any head.
