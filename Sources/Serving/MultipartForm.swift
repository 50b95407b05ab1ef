import Foundation

/// multipart/form-data bodies (RFC 7578): the parts between the boundary lines, each with its
/// headers' form field name and file name.
enum MultipartForm {
    struct Part {
        let name: String?
        let filename: String?
        let content: [UInt8]
    }

    /// The boundary parameter of a Content-Type, unquoted.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 && pair[0].lowercased() == "boundary" {
                let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    static func parts(_ body: [UInt8], boundary: String) throws -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        guard var start = find(delimiter, in: body, from: 0) else {
            throw RequestRefusal.badRequest("the multipart/form-data body does not contain its boundary")
        }
        var parts: [Part] = []
        let separator = Array("\r\n".utf8) + delimiter
        while true {
            var cursor = start + delimiter.count
            if body[cursor...].starts(with: Array("--".utf8)) { return parts }
            guard body[cursor...].starts(with: Array("\r\n".utf8)) else { throw RequestRefusal.badRequest("malformed multipart/form-data boundary line") }
            cursor += 2
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: cursor) else {
                throw RequestRefusal.badRequest("a multipart/form-data part has no end to its headers")
            }
            guard let end = find(separator, in: body, from: headerEnd + 4) else {
                throw RequestRefusal.badRequest("the multipart/form-data body ends before its closing boundary (truncated?)")
            }
            let headers = String(decoding: body[cursor..<headerEnd], as: UTF8.self)
            parts.append(Part(name: dispositionParameter("name", headers), filename: dispositionParameter("filename", headers),
                              content: Array(body[(headerEnd + 4)..<end])))
            start = end + 2
        }
    }

    /// A parameter of the part's Content-Disposition header, e.g. `filename="cat.jpg"`.
    private static func dispositionParameter(_ key: String, _ headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            for parameter in line.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2 && pair[0].lowercased() == key {
                    return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
            }
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = from
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
