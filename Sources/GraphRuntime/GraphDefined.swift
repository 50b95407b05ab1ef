import ModelGraph

/// A module whose structure is a stored `ModelGraph` rather than Swift code (a backbone read
/// from a self-describing checkpoint): capturing it returns that graph as it is.
public protocol GraphDefined {
    var definition: ModelGraph { get }
}
