/// A 5x7 pixel font for labelling contact sheets without a font library: upper-case letters
/// (lower case is drawn as upper case), digits and common punctuation; other characters are
/// drawn as '?'.
public enum BitmapFont {
    public static let glyphWidth = 5
    public static let glyphHeight = 7
    /// Horizontal distance between characters, in font pixels (one pixel of spacing).
    public static let advance = 6

    /// Each glyph as seven rows of five bits, written as 0/1 strings, top row first.
    private static let rows: [Character: String] = [
        "A": "01110 10001 10001 11111 10001 10001 10001",
        "B": "11110 10001 10001 11110 10001 10001 11110",
        "C": "01110 10001 10000 10000 10000 10001 01110",
        "D": "11110 10001 10001 10001 10001 10001 11110",
        "E": "11111 10000 10000 11110 10000 10000 11111",
        "F": "11111 10000 10000 11110 10000 10000 10000",
        "G": "01110 10001 10000 10111 10001 10001 01111",
        "H": "10001 10001 10001 11111 10001 10001 10001",
        "I": "01110 00100 00100 00100 00100 00100 01110",
        "J": "00111 00010 00010 00010 00010 10010 01100",
        "K": "10001 10010 10100 11000 10100 10010 10001",
        "L": "10000 10000 10000 10000 10000 10000 11111",
        "M": "10001 11011 10101 10101 10001 10001 10001",
        "N": "10001 10001 11001 10101 10011 10001 10001",
        "O": "01110 10001 10001 10001 10001 10001 01110",
        "P": "11110 10001 10001 11110 10000 10000 10000",
        "Q": "01110 10001 10001 10001 10101 10010 01101",
        "R": "11110 10001 10001 11110 10100 10010 10001",
        "S": "01111 10000 10000 01110 00001 00001 11110",
        "T": "11111 00100 00100 00100 00100 00100 00100",
        "U": "10001 10001 10001 10001 10001 10001 01110",
        "V": "10001 10001 10001 10001 10001 01010 00100",
        "W": "10001 10001 10001 10101 10101 10101 01010",
        "X": "10001 10001 01010 00100 01010 10001 10001",
        "Y": "10001 10001 10001 01010 00100 00100 00100",
        "Z": "11111 00001 00010 00100 01000 10000 11111",
        "0": "01110 10001 10011 10101 11001 10001 01110",
        "1": "00100 01100 00100 00100 00100 00100 01110",
        "2": "01110 10001 00001 00010 00100 01000 11111",
        "3": "11111 00010 00100 00010 00001 10001 01110",
        "4": "00010 00110 01010 10010 11111 00010 00010",
        "5": "11111 10000 11110 00001 00001 10001 01110",
        "6": "00110 01000 10000 11110 10001 10001 01110",
        "7": "11111 00001 00010 00100 01000 01000 01000",
        "8": "01110 10001 10001 01110 10001 10001 01110",
        "9": "01110 10001 10001 01111 00001 00010 01100",
        " ": "00000 00000 00000 00000 00000 00000 00000",
        "-": "00000 00000 00000 11111 00000 00000 00000",
        "_": "00000 00000 00000 00000 00000 00000 11111",
        "/": "00000 00001 00010 00100 01000 10000 00000",
        ".": "00000 00000 00000 00000 00000 01100 01100",
        ",": "00000 00000 00000 00000 01100 00100 01000",
        ":": "00000 01100 01100 00000 01100 01100 00000",
        "(": "00010 00100 01000 01000 01000 00100 00010",
        ")": "01000 00100 00010 00010 00010 00100 01000",
        "'": "01100 00100 01000 00000 00000 00000 00000",
        "&": "01100 10010 10100 01000 10101 10010 01101",
        "+": "00000 00100 00100 11111 00100 00100 00000",
        "=": "00000 00000 11111 00000 11111 00000 00000",
        "?": "01110 10001 00001 00010 00100 00000 00100",
        "%": "11001 11010 00010 00100 01000 01011 10011",
        "#": "01010 01010 11111 01010 11111 01010 01010",
    ]

    /// Glyph bitmaps, row-major, `glyphWidth * glyphHeight` booleans each.
    private static let glyphs: [Character: [Bool]] = rows.mapValues { text in
        text.filter { $0 != " " }.map { $0 == "1" }
    }

    /// True when every character of `text` has a glyph of its own (none is drawn as '?').
    public static func canDraw(_ text: String) -> Bool {
        text.uppercased().allSatisfy { glyphs[$0] != nil }
    }

    /// Width in output pixels of `text` drawn at `scale`.
    public static func width(of text: String, scale: Int) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    /// Draws `text` into an interleaved RGB canvas with its top-left corner at (`x`, `y`),
    /// each font pixel a `scale`x`scale` square; pixels outside the canvas are skipped.
    public static func draw(_ text: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8),
                     canvas: inout [UInt8], canvasWidth: Int, canvasHeight: Int) {
        for (position, character) in text.uppercased().enumerated() {
            guard let glyph = glyphs[character] ?? glyphs["?"] else { continue }
            let originX = x + position * advance * scale
            for row in 0..<glyphHeight {
                for column in 0..<glyphWidth where glyph[row * glyphWidth + column] {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let px = originX + column * scale + dx, py = y + row * scale + dy
                            guard px >= 0 && px < canvasWidth && py >= 0 && py < canvasHeight else { continue }
                            let offset = 3 * (py * canvasWidth + px)
                            canvas[offset] = color.0
                            canvas[offset + 1] = color.1
                            canvas[offset + 2] = color.2
                        }
                    }
                }
            }
        }
    }
}
