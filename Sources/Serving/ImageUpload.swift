import Datasets

/// The image of a /v1 request: the body itself (a JPEG or PNG), or the first file part of a
/// multipart/form-data body (an HTML form's upload), refused by its header when too large and
/// decoded as `mpw predict` decodes files.
enum ImageUpload {
    static func decode(_ body: [UInt8], contentType: String?, maxSide: Int) throws -> DecodedImage {
        let bytes = try imageBytes(body, contentType: contentType)
        guard !bytes.isEmpty else { throw ServingError.badRequest("the request has no image: send a JPEG or PNG as the body or as a multipart/form-data file") }
        if let claimed = ClaimedImageSize.of(bytes) { try checkSide(claimed, maxSide: maxSide) }
        do {
            let header = try ImageDecoder.header(bytes, path: "upload")
            try checkSide((header.width, header.height), maxSide: maxSide)
            return try ImageDecoder.decode(bytes, path: "upload")
        } catch let error as DatasetError {
            throw ServingError(.unprocessableContent, error.description)
        }
    }

    private static func checkSide(_ size: (width: Int, height: Int), maxSide: Int) throws {
        guard size.width <= maxSide && size.height <= maxSide else {
            throw ServingError(.contentTooLarge, "the image is \(size.width)x\(size.height) pixels; the server takes at most \(maxSide) on a side (--max-image-side)")
        }
    }

    /// The body, or the content of its first multipart part that carries a file (else the first part).
    static func imageBytes(_ body: [UInt8], contentType: String?) throws -> [UInt8] {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return body }
        guard let boundary = MultipartForm.boundary(contentType) else {
            throw ServingError.badRequest("multipart/form-data without a boundary in its Content-Type")
        }
        let parts: [MultipartForm.Part]
        do {
            parts = try MultipartForm.parts(body, boundary: boundary)
        } catch let refusal as RequestRefusal {
            throw ServingError(refusal)
        }
        guard let part = parts.first(where: { $0.filename != nil }) ?? parts.first else {
            throw ServingError.badRequest("the multipart/form-data body has no parts")
        }
        return part.content
    }
}
