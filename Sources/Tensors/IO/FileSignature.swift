import Foundation

/// Tells what a file given as a checkpoint or weights file is from its first bytes, so a text file,
/// an ONNX model or a torch.save archive passed where a safetensors file belongs is named as such
/// instead of being parsed as a header length in the billions.
public enum FileSignature {
    /// True when the bytes start as a safetensors file does: an 8-byte little-endian header length
    /// within the reference's 100 MB limit, then a JSON object. A file that passes but holds fewer
    /// bytes than its header length claims is a truncated safetensors file, not another format.
    public static func looksLikeSafeTensors(_ bytes: Data) -> Bool {
        guard bytes.count >= 10 else { return false }
        let start = bytes.startIndex
        let headerLength = bytes[start..<start + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return headerLength >= 2 && headerLength <= UInt64(SafeTensorsFile.maximumHeaderSize) && bytes[start + 8] == UInt8(ascii: "{")
    }

    /// A short phrase for what the file looks like, for an error message ("a text file starting
    /// \"# Multi\"", "an ONNX model", ...), or its first bytes in hex.
    public static func describe(_ bytes: Data) -> String {
        let head = [UInt8](bytes.prefix(24))
        if head.isEmpty { return "an empty file" }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "a zip archive, as torch.save writes .pth files" }
        if head.count >= 14, head[0] == 0x80, head[2] == 0x8A { return "a pickle stream, as the legacy torch.save writes .pth files" }
        if let text = String(bytes: head, encoding: .utf8), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || "\n\r\t".unicodeScalars.contains($0) }) {
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return "a text file starting \"\(line.prefix(16))\""
        }
        // ONNX's ModelProto opens with field 1 (ir_version, a varint): tag byte 0x08.
        if head[0] == 0x08, head.count > 2, head[1] < 0x80, head[2] == 0x12 || head[2] == 0x1A || head[2] == 0x3A || head[2] == 0x42 {
            return "an ONNX model"
        }
        return "a file starting with bytes " + head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
