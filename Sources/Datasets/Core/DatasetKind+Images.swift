/// What a dataset's images look like and what its classes are called, known without opening it:
/// what a trained model needs to classify other images as its training data was presented.
extension DatasetKind {
    /// Channels and size of the dataset's images (height and width nil for image folders, whose
    /// images vary in size).
    public var imageShape: (channels: Int, height: Int?, width: Int?) {
        switch self {
        case .fashionMNIST, .mnistIDX: (1, 28, 28)
        case .cifar10, .cifar100, .cifar10_1: (3, 32, 32)
        case .folder: (3, nil, nil)
        }
    }

    /// The class names every copy of the dataset has, or nil when they come from its files
    /// (CIFAR-100's names file, a folder's subfolders).
    public var fixedClassNames: [String]? {
        switch self {
        case .fashionMNIST: MNISTStyle.fashionMNISTClassNames
        case .mnistIDX: MNISTStyle.digitClassNames
        case .cifar10, .cifar10_1: CIFAR10.classNames
        case .cifar100, .folder: nil
        }
    }
}
