/// The version of this package, in one place: `mpw --version`, `mpw doctor` (text and JSON) and the
/// server's model metadata all print this string. Kept in `Kernels`, the lowest module, so every
/// other module can name it.
public enum MPWVersion {
    /// Semantic version: the minor number grows with each wave of features, the patch with fixes.
    public static let string = "0.1.0"
}
