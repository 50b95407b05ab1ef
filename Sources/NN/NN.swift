// NN: modules with PyTorch-named parameters and buffers, the CNN layers (oneDNN convolutions,
// batch normalisation, pooling), losses, SGD and learning-rate schedules.
