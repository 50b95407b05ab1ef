/// A picture as a list of shapes in pixel coordinates (origin top left), so the SVG file and the
/// PNG raster of a plot are drawn from one layout.
public struct Drawing: Sendable {
    public struct Color: Sendable, Equatable {
        public var red: UInt8, green: UInt8, blue: UInt8

        public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
            (self.red, self.green, self.blue) = (red, green, blue)
        }

        public var hex: String { "#" + [red, green, blue].map { String($0, radix: 16).leftPadded(to: 2) }.joined() }

        public static let black = Color(0, 0, 0), white = Color(255, 255, 255), grey = Color(128, 128, 128), lightGrey = Color(225, 225, 225)
    }

    public struct Point: Sendable, Equatable {
        public var x: Double, y: Double
        public init(_ x: Double, _ y: Double) { (self.x, self.y) = (x, y) }
    }

    public enum TextAnchor: String, Sendable { case start, middle, end }

    public enum Shape: Sendable {
        /// A polyline `width` pixels wide.
        case line([Point], color: Color, width: Double)
        /// A filled polygon, blended over what is below with `opacity`.
        case polygon([Point], color: Color, opacity: Double)
        /// Text whose cap height is `7 * scale` pixels (the bitmap font's), its top at `top`;
        /// `vertical` text reads bottom to top with `x` as its left edge.
        case text(String, x: Double, top: Double, scale: Int, anchor: TextAnchor, color: Color, vertical: Bool)
    }

    public let width: Int
    public let height: Int
    public private(set) var shapes: [Shape] = []

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public mutating func add(_ shape: Shape) { shapes.append(shape) }

    /// Width of `text` at `scale` in the bitmap font, which both renderers lay text out with.
    public static func textWidth(_ text: String, scale: Int) -> Double {
        Double(text.count * 6 - 1) * Double(scale)
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
