// Datasets: readers for CIFAR-10/100, CIFAR-10.1, IDX (MNIST, Fashion-MNIST) and image folders,
// augmentation, and a prefetching batch loader.
