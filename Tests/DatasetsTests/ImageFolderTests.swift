import CTurboJPEG
import CZlib
import Datasets
import Foundation
import Testing
import TestSupport

@Suite struct ImageFolderTests {
    @Test func listsSortedClassesAndFilesAndDecodesPNGExactly() throws {
        let directory = try TemporaryDirectory()
        let files = try Fixtures.imageFolder(at: directory.url)
        let dataset = try ImageFolderDataset(root: directory.url.path)
        #expect(dataset.classNames == ["cat", "dog"])
        #expect(dataset.samples.map { String($0.path.dropFirst(directory.url.path.count + 1)) } == files.map(\.path))
        #expect(dataset.samples.map(\.label) == files.map(\.label))
        #expect(dataset.samples.map { [$0.height, $0.width] } == files.map { [$0.height, $0.width] })
        #expect(dataset.height == nil && dataset.channels == 3)
        for (index, file) in files.enumerated() where file.path.hasSuffix(".png") {
            let expected = Fixtures.interleavedImage(index, height: file.height, width: file.width)
            try dataset.withImage(at: index) { view in
                #expect((view.channels, view.height, view.width) == (3, file.height, file.width))
                var planar: [UInt8] = []
                var interleaved: [UInt8] = []
                for row in 0..<view.height {
                    for column in 0..<view.width {
                        for channel in 0..<3 { interleaved.append(view[channel, row, column]) }
                    }
                }
                for channel in 0..<3 {
                    for row in 0..<view.height { for column in 0..<view.width { planar.append(view[channel, row, column]) } }
                }
                #expect(interleaved == expected)
                #expect(planar[0] == expected[0] && planar[view.height * view.width] == expected[1])
            }
        }
    }

    @Test func decodesJPEGAsLibjpegTurboDoes() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        let dataset = try ImageFolderDataset(root: directory.url.path)
        let path = dataset.samples[1].path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let handle = try #require(tjInitDecompress())
        defer { tjDestroy(handle) }
        var reference = [UInt8](repeating: 0, count: 16 * 24 * 3)
        #expect(tjDecompress2(handle, bytes, UInt(bytes.count), &reference, 24, 0, 16, Int32(TJPF_RGB.rawValue), 0) == 0)
        let smooth = Fixtures.smoothImage(height: 16, width: 24)
        try dataset.withImage(at: 1) { view in
            var decoded: [UInt8] = []
            for row in 0..<16 { for column in 0..<24 { for channel in 0..<3 { decoded.append(view[channel, row, column]) } } }
            #expect(decoded == reference)
            #expect(zip(decoded, smooth).allSatisfy { abs(Int($0) - Int($1)) <= 4 })
        }
    }

    @Test func greyJPEGsAreExpandedToRGB() throws {
        let grey: [UInt8] = (0..<64).map { UInt8($0 * 4) }
        let jpeg = try JPEGCodec.encode(grey, width: 8, height: 8, channels: 1, quality: 100)
        let decoded = try ImageDecoder.decode(jpeg, path: "grey.jpg")
        #expect(decoded.channels == 3 && decoded.width == 8 && decoded.height == 8)
        let red = stride(from: 0, to: 192, by: 3).map { decoded.pixels[$0] }
        let green = stride(from: 1, to: 192, by: 3).map { decoded.pixels[$0] }
        let blue = stride(from: 2, to: 192, by: 3).map { decoded.pixels[$0] }
        #expect(red == green && red == blue)
        let differences = zip(red, grey).map { abs(Int($0) - Int($1)) }
        #expect(differences.allSatisfy { $0 <= 2 })
    }

    @Test func splitSubfoldersAreFollowed() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.file("train"))
        try Fixtures.imageFolder(at: directory.file("val"))
        try FileManager.default.removeItem(at: directory.file("val/dog"))
        let train = try DatasetKind.folder.open(directory: directory.url.path, split: .train)
        let test = try DatasetKind.folder.open(directory: directory.url.path, split: .test)
        #expect(train.count == 5 && test.count == 3 && test.classNames == ["cat"])
    }

    @Test func unreadableFilesFailListingCountAndNamesUnlessSkipped() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        try Fixtures.write(Array("garbage".utf8), to: directory.file("cat/broken.jpg"))
        try Fixtures.write([], to: directory.file("dog/empty.png"))
        try Fixtures.write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0], to: directory.file("dog/cut.png"))
        let error = try #require(throws: DatasetError.self) { try ImageFolderDataset(root: directory.url.path) }
        #expect(error.kind == .unreadableImage && error.path == directory.url.path)
        #expect(error.description.contains("3 unreadable image files of 8"))
        #expect(error.description.contains("cat/broken.jpg") && error.description.contains("dog/cut.png") && error.description.contains("dog/empty.png"))
        #expect(!error.description.contains("\n"))
        let skipping = try DatasetKind.folder.open(directory: directory.url.path, split: .train, options: .init(skipBadImages: true))
        #expect(skipping.count == 5)
        #expect(skipping.skippedFiles.map { URL(fileURLWithPath: $0).lastPathComponent } == ["broken.jpg", "cut.png", "empty.png"])
    }

    @Test func truncatedImagesAreCaughtWhenOpening() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        for path in ["dog/x.jpg", "cat/a.png"] {
            let url = directory.file(path)
            let bytes = [UInt8](try Data(contentsOf: url))
            try Fixtures.write(Array(bytes.prefix(bytes.count - 20)), to: url)
        }
        let error = try #require(throws: DatasetError.self) { try ImageFolderDataset(root: directory.url.path) }
        #expect(error.description.contains("2 unreadable image files of 5"))
        #expect(error.description.contains("cat/a.png (truncated: no IEND marker") && error.description.contains("dog/x.jpg (truncated: no EOI marker"))
        let skipping = try ImageFolderDataset(root: directory.url.path, skipBadImages: true)
        #expect(skipping.count == 3 && skipping.skippedFiles == [directory.file("cat/a.png").path, directory.file("dog/x.jpg").path])
    }

    @Test func anImageDamagedInsideFailsWhenDecodedNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        // A detailed image, so most of the file is entropy-coded data after the header.
        let jpeg = directory.file("dog/x.jpg")
        try Fixtures.write(try JPEGCodec.encode(Fixtures.interleavedImage(3, height: 96, width: 96), width: 96, height: 96, channels: 3, quality: 95), to: jpeg)
        try Fixtures.damageMiddle(of: jpeg)
        let png = directory.file("cat/a.png")
        try Fixtures.damageMiddle(of: png)
        let dataset = try ImageFolderDataset(root: directory.url.path)
        let jpegError = try #require(throws: DatasetError.self) { try dataset.withImage(at: 3) { _ in } }
        #expect(jpegError.kind == .unreadableImage && jpegError.path == jpeg.path)
        let pngError = try #require(throws: DatasetError.self) { try dataset.withImage(at: 0) { _ in } }
        #expect(pngError.kind == .unreadableImage && pngError.path == png.path)
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeAllocating() throws {
        // A valid PNG header (correct CRC) announcing 100000x100000 RGB pixels.
        func chunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(kind.utf8) + data
            let crc = UInt32(body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
            return Fixtures.bigEndian(UInt32(data.count)) + body + Fixtures.bigEndian(crc)
        }
        let header = Fixtures.bigEndian(100_000) + Fixtures.bigEndian(100_000) + [8, 2, 0, 0, 0]
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
        let error = try #require(throws: DatasetError.self) { try ImageDecoder.decode(png, path: "bomb.png") }
        #expect(error.kind == .unreadableImage && error.description.contains("pixel limit"), "\(error)")
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        try Fixtures.write(png, to: directory.file("dog/bomb.png"))
        let folder = try #require(throws: DatasetError.self) { try ImageFolderDataset(root: directory.url.path) }
        #expect(folder.description.contains("dog/bomb.png"))
    }

    @Test func missingAndEmptyFoldersAreNamed() throws {
        let directory = try TemporaryDirectory()
        #expect(try #require(throws: DatasetError.self) { try ImageFolderDataset(root: directory.file("none").path) }.kind == .missing)
        #expect(try #require(throws: DatasetError.self) { try ImageFolderDataset(root: directory.url.path) }.kind == .missing)
        try FileManager.default.createDirectory(at: directory.file("empty"), withIntermediateDirectories: true)
        let error = try #require(throws: DatasetError.self) { try ImageFolderDataset(root: directory.url.path) }
        #expect(error.kind == .missing && error.description.contains("empty"))
    }
}
