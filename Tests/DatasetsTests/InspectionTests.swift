@testable import Datasets
import CTurboJPEG
import Foundation
import Testing
import TestSupport

@Suite struct InspectionTests {
    @Test func channelStatisticsAreExact() throws {
        let dataset = InMemoryDataset(pixels: Fixtures.planarImages(0..<7, channels: 3, height: 5, width: 6), labels: Array(repeating: 0, count: 7),
                                      classNames: ["a"], channels: 3, height: 5, width: 6)
        let statistics = try ChannelStatistics.compute(dataset)
        for channel in 0..<3 {
            var values: [Double] = []
            for image in 0..<7 { for row in 0..<5 { for column in 0..<6 { values.append(Double(Fixtures.pixel(image, channel, row, column)) / 255) } } }
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            #expect(abs(statistics.mean[channel] - mean) < 1e-12)
            #expect(abs(statistics.standardDeviation[channel] - deviation) < 1e-12)
        }
        #expect(try ChannelStatistics.compute(dataset, limit: 2).imageCount == 2)
    }

    @Test func contactSheetShowsEachClassRowWithItsLabel() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.cifar10(in: directory.url)
        let dataset = try CIFAR10.load(directory: directory.url.path, split: .train)
        let layout = ContactSheet.Layout(imagesPerClass: 2, maximumClasses: 4, thumbnailSize: 64)
        let sheet = try ContactSheet.render(dataset, title: "cifar10 train", layout: layout)
        // Labels "0 airplane" ... "3 cat": the widest, "1 automobile", is 12 characters of 6 font
        // pixels at scale 2.
        let labelWidth = (12 * 6 - 1) * 2
        let gridLeft = 8 + labelWidth + 8, gridTop = 8 + 14 + 8
        #expect(sheet.width == gridLeft + 2 * 68 - 4 + 8)
        #expect(sheet.height == gridTop + 4 * 68 - 4 + 8)
        func pixel(_ x: Int, _ y: Int, _ channel: Int) -> UInt8 { sheet.pixels[3 * (y * sheet.width + x) + channel] }
        // Class 1's first image is dataset image 1, drawn 2x into the second row's first cell.
        for (row, column) in [(0, 0), (5, 9), (31, 31)] {
            for channel in 0..<3 {
                #expect(pixel(gridLeft + 2 * column + 1, gridTop + 68 + 2 * row, channel) == Fixtures.pixel(1, channel, row, column))
            }
        }
        // Every row has label text: bright pixels left of the grid.
        for row in 0..<4 {
            let bright = (gridTop + row * 68..<gridTop + row * 68 + 64).reduce(0) { count, y in
                count + (8..<(8 + labelWidth)).filter { pixel($0, y, 0) == 240 }.count
            }
            #expect(bright > 40, "row \(row) label")
        }
        // Classes without images leave empty cells: class 3 has one image in this fixture.
        #expect(pixel(gridLeft + 68 + 32, gridTop + 3 * 68 + 32, 0) == 28)
    }

    @Test func contactSheetIsWrittenAtomicallyAsAPNG() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.file("folder"))
        let dataset = try ImageFolderDataset(root: directory.file("folder").path)
        let path = directory.file("sheet.png").path
        try ContactSheet.write(dataset, title: "folder train", to: path, layout: .init(imagesPerClass: 3, thumbnailSize: 10))
        let decoded = try ImageDecoder.decode(fileAt: path)
        let rendered = try ContactSheet.render(dataset, title: "folder train", layout: .init(imagesPerClass: 3, thumbnailSize: 10))
        #expect(decoded.pixels == rendered.pixels)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == ["folder", "sheet.png"])
        #expect(throws: (any Error).self) { try ContactSheet.write(dataset, title: "x", to: directory.file("missing/sheet.png").path) }
    }

    @Test func bitmapFontDrawsUpperCaseForLowerCase() {
        var upper = [UInt8](repeating: 0, count: 3 * 40 * 10), lower = upper
        BitmapFont.draw("Ab?", x: 1, y: 1, scale: 1, color: (255, 255, 255), canvas: &upper, canvasWidth: 40, canvasHeight: 10)
        BitmapFont.draw("AB~", x: 1, y: 1, scale: 1, color: (255, 255, 255), canvas: &lower, canvasWidth: 40, canvasHeight: 10)
        #expect(upper == lower)
        #expect(upper.contains(255))
    }

    @Test func pngRoundTripsGreyAndRGB() throws {
        let rgb = Fixtures.interleavedImage(2, height: 6, width: 5)
        let decoded = try PNGCodec.decode(try PNGCodec.encode(rgb, width: 5, height: 6, channels: 3), path: "rgb.png")
        #expect(decoded.pixels == rgb && decoded.width == 5 && decoded.height == 6)
        let grey: [UInt8] = (0..<12).map { UInt8($0 * 20) }
        let expanded = try PNGCodec.decode(try PNGCodec.encode(grey, width: 4, height: 3, channels: 1), path: "grey.png")
        #expect(expanded.pixels == grey.flatMap { [$0, $0, $0] })
    }

    @Test func cmykJPEGsAreConvertedToRGB() throws {
        let cmyk: [UInt8] = (0..<16).flatMap { [UInt8(200), UInt8(100), UInt8($0 * 16), UInt8(128)] }
        let handle = try #require(tjInitCompress())
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        #expect(tjCompress2(handle, cmyk, 4, 0, 4, Int32(TJPF_CMYK.rawValue), &buffer, &size, Int32(TJSAMP_444.rawValue), 100, 0) == 0)
        let jpeg = Array(UnsafeBufferPointer(start: try #require(buffer), count: Int(size)))
        tjFree(buffer)
        let decoded = try ImageDecoder.decode(jpeg, path: "cmyk.jpg")
        #expect(decoded.channels == 3 && decoded.width == 4 && decoded.height == 4)
        for pixel in 0..<16 {
            let expected = [200 * 128 / 255, 100 * 128 / 255, pixel * 16 * 128 / 255]
            for channel in 0..<3 { #expect(abs(Int(decoded.pixels[3 * pixel + channel]) - expected[channel]) <= 3) }
        }
    }
}
