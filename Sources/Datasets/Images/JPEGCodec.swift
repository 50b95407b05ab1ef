import CTurboJPEG

/// JPEG decoding (and, for test fixtures and tools, encoding) with libjpeg-turbo's TurboJPEG API.
///
/// Decoding uses the library defaults, the same as PIL: the accurate integer DCT and smooth
/// ("fancy") chroma upsampling. libjpeg warnings, such as "premature end of JPEG file" for a cut
/// file, are treated as errors, because the library would otherwise fill the missing part with
/// grey and a corrupt image would train silently.
public enum JPEGCodec {
    /// Width and height from the JPEG header.
    static func header(_ bytes: [UInt8], path: String) throws -> (width: Int, height: Int) {
        let handle = try makeHandle(decompressing: true, path: path)
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw failure(handle, path)
        }
        return (Int(width), Int(height))
    }

    /// Decodes to interleaved RGB. Grey JPEGs are expanded to RGB; CMYK and YCCK JPEGs (as written
    /// by Photoshop, with inverted ink values) are converted with R = C·K/255 and so on, PIL's rule
    /// for inverted CMYK.
    public static func decode(_ bytes: [UInt8], path: String) throws -> DecodedImage {
        let handle = try makeHandle(decompressing: true, path: path)
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw failure(handle, path)
        }
        try ImageDecoder.checkSize(width: Int(width), height: Int(height), path: path)
        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = isCMYK ? 4 : 3
        let format = isCMYK ? TJPF_CMYK : TJPF_RGB
        let pixelCount = Int(width) * Int(height)
        var status: Int32 = 0
        var decoded = [UInt8](unsafeUninitializedCapacity: pixelCount * channels) { buffer, initialized in
            status = tjDecompress2(handle, bytes, UInt(bytes.count), buffer.baseAddress, width, 0, height,
                                   Int32(format.rawValue), 0)
            initialized = buffer.count
        }
        guard status == 0 else { throw failure(handle, path) }
        if isCMYK { decoded = invertedCMYKToRGB(decoded, pixelCount: pixelCount) }
        return DecodedImage(width: Int(width), height: Int(height), channels: 3, pixels: decoded)
    }

    /// Encodes interleaved RGB or grey pixels at `quality` (1-100) with 4:4:4 chroma, so that the
    /// round trip is close to lossless at high quality.
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int) throws -> [UInt8] {
        precondition(channels == 1 || channels == 3, "JPEGCodec.encode: needs 1 or 3 channels, got \(channels)")
        precondition(pixels.count == width * height * channels, "JPEGCodec.encode: pixel count does not match \(height)x\(width)x\(channels)")
        let handle = try makeHandle(decompressing: false, path: "JPEG encoder")
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
        let subsampling = channels == 1 ? TJSAMP_GRAY : TJSAMP_444
        guard tjCompress2(handle, pixels, Int32(width), 0, Int32(height), Int32(format.rawValue), &output, &size,
                          Int32(subsampling.rawValue), Int32(quality), 0) == 0, let output else {
            throw failure(handle, "JPEG encoder")
        }
        defer { tjFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    private static func makeHandle(decompressing: Bool, path: String) throws -> tjhandle {
        guard let handle = decompressing ? tjInitDecompress() : tjInitCompress() else {
            throw DatasetError(.unreadableImage, path: path, "libjpeg-turbo could not start: \(String(cString: tjGetErrorStr2(nil)))")
        }
        return handle
    }

    private static func failure(_ handle: tjhandle, _ path: String) -> DatasetError {
        let message = String(cString: tjGetErrorStr2(handle))
        let kind = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) ? "corrupt JPEG" : "cannot decode JPEG"
        return DatasetError(.unreadableImage, path: path, "\(kind): \(message)")
    }

    private static func invertedCMYKToRGB(_ cmyk: [UInt8], pixelCount: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        for pixel in 0..<pixelCount {
            let k = UInt32(cmyk[4 * pixel + 3])
            for channel in 0..<3 {
                rgb[3 * pixel + channel] = UInt8((UInt32(cmyk[4 * pixel + channel]) * k + 127) / 255)
            }
        }
        return rgb
    }
}
