import Foundation

/// A line chart of series against a shared x axis, each line the median over seeds with the
/// seeds' range as a shaded band: title, axis labels, ticks with grid lines, and a legend.
public struct LineChart: Sendable {
    public struct Sample: Sendable, Equatable {
        public var x: Double, median: Double, low: Double, high: Double
        public init(x: Double, median: Double, low: Double, high: Double) { (self.x, self.median, self.low, self.high) = (x, median, low, high) }
    }

    public struct Series: Sendable {
        public var name: String
        public var samples: [Sample]
        public init(name: String, samples: [Sample]) { (self.name, self.samples) = (name, samples) }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Whole-number x ticks only (epochs).
    public var integerX = true

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
    }

    /// Tableau's ten colours, distinct on screen and in print.
    public static let palette: [Drawing.Color] = [
        .init(31, 119, 180), .init(255, 127, 14), .init(44, 160, 44), .init(214, 39, 40), .init(148, 103, 189),
        .init(140, 86, 75), .init(227, 119, 194), .init(127, 127, 127), .init(188, 189, 34), .init(23, 190, 207),
    ]

    /// Evenly spaced round values covering [low, high]: steps of 1, 2 or 5 times a power of ten.
    public static func ticks(_ low: Double, _ high: Double, count: Int = 6, integer: Bool = false) -> (values: [Double], step: Double) {
        let span = max(high - low, 1e-12)
        let raw = span / Double(max(count - 1, 1))
        let power = pow(10, (log10(raw)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        if integer { step = max(1, step.rounded()) }
        let first = (low / step).rounded(.up) * step
        let values = stride(from: first, through: high + step * 1e-9, by: step).map { ($0 / step).rounded() * step }
        return (values, step)
    }

    static func label(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        return text == "-0" ? "0" : text
    }

    public func drawing(width: Int = 960, height: Int = 560) -> Drawing {
        var drawing = Drawing(width: width, height: height)
        let all = series.flatMap(\.samples)
        let textScale = 2, titleScale = Drawing.textWidth(title, scale: 3) <= Double(width - 32) ? 3 : 2
        drawing.add(.text(title, x: Double(width) / 2, top: 16, scale: titleScale, anchor: .middle, color: .black, vertical: false))
        guard !all.isEmpty else {
            drawing.add(.text("no data", x: Double(width) / 2, top: Double(height) / 2, scale: textScale, anchor: .middle, color: .grey, vertical: false))
            return drawing
        }
        var (xLow, xHigh) = (all.map(\.x).min()!, all.map(\.x).max()!)
        if xLow == xHigh { (xLow, xHigh) = (xLow - 1, xHigh + 1) }
        var (yLow, yHigh) = (all.map(\.low).min()!, all.map(\.high).max()!)
        if yHigh - yLow < 1e-9 * max(1, abs(yHigh)) { (yLow, yHigh) = (yLow - max(abs(yLow) * 0.05, 0.5), yHigh + max(abs(yHigh) * 0.05, 0.5)) }
        let pad = (yHigh - yLow) * 0.06
        (yLow, yHigh) = (yLow - pad, yHigh + pad)
        let yTicks = Self.ticks(yLow, yHigh), xTicks = Self.ticks(xLow, xHigh, count: 8, integer: integerX)
        let yLabels = yTicks.values.map { Self.label($0, step: yTicks.step) }
        let legendWidth = Int((series.map { Drawing.textWidth($0.name, scale: textScale) + 34 } + [Drawing.textWidth("band: seeds", scale: textScale)]).max()!) + 30
        let plotLeft = 40.0 + Double(7 * textScale) + (yLabels.map { Drawing.textWidth($0, scale: textScale) }.max() ?? 0)
        let plotRight = Double(width - legendWidth - 20), plotTop = 64.0, plotBottom = Double(height) - 76
        func px(_ x: Double) -> Double { plotLeft + (x - xLow) / (xHigh - xLow) * (plotRight - plotLeft) }
        func py(_ y: Double) -> Double { plotBottom - (y - yLow) / (yHigh - yLow) * (plotBottom - plotTop) }

        for (value, text) in zip(yTicks.values, yLabels) {
            drawing.add(.line([.init(plotLeft, py(value)), .init(plotRight, py(value))], color: .lightGrey, width: 1))
            drawing.add(.line([.init(plotLeft - 6, py(value)), .init(plotLeft, py(value))], color: .black, width: 1.5))
            drawing.add(.text(text, x: plotLeft - 10, top: py(value) - Double(7 * textScale) / 2, scale: textScale, anchor: .end, color: .black, vertical: false))
        }
        for value in xTicks.values {
            drawing.add(.line([.init(px(value), plotTop), .init(px(value), plotBottom)], color: .lightGrey, width: 1))
            drawing.add(.line([.init(px(value), plotBottom), .init(px(value), plotBottom + 6)], color: .black, width: 1.5))
            drawing.add(.text(Self.label(value, step: xTicks.step), x: px(value), top: plotBottom + 12, scale: textScale, anchor: .middle, color: .black, vertical: false))
        }
        drawing.add(.line([.init(plotLeft, plotTop), .init(plotLeft, plotBottom), .init(plotRight, plotBottom)], color: .black, width: 1.5))
        drawing.add(.text(xLabel, x: (plotLeft + plotRight) / 2, top: plotBottom + 44, scale: textScale, anchor: .middle, color: .black, vertical: false))
        drawing.add(.text(yLabel, x: 14, top: (plotTop + plotBottom) / 2, scale: textScale, anchor: .middle, color: .black, vertical: true))

        for (index, line) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let samples = line.samples.sorted { $0.x < $1.x }
            if samples.contains(where: { $0.high > $0.low }) {
                let band = samples.map { Drawing.Point(px($0.x), py($0.high)) } + samples.reversed().map { Drawing.Point(px($0.x), py($0.low)) }
                drawing.add(.polygon(band, color: color, opacity: 0.18))
            }
            drawing.add(.line(samples.map { Drawing.Point(px($0.x), py($0.median)) }, color: color, width: 2.5))
            for sample in samples {
                let (cx, cy) = (px(sample.x), py(sample.median))
                drawing.add(.polygon([.init(cx - 4, cy - 4), .init(cx + 4, cy - 4), .init(cx + 4, cy + 4), .init(cx - 4, cy + 4)], color: color, opacity: 1))
            }
            let rowTop = plotTop + Double(index) * 26
            let legendLeft = plotRight + 24
            drawing.add(.line([.init(legendLeft, rowTop + 7), .init(legendLeft + 26, rowTop + 7)], color: color, width: 4))
            drawing.add(.text(line.name, x: legendLeft + 34, top: rowTop, scale: textScale, anchor: .start, color: .black, vertical: false))
        }
        if series.count > 0 {
            let noteTop = plotTop + Double(series.count) * 26 + 8
            drawing.add(.text("band: seeds", x: plotRight + 24, top: noteTop, scale: textScale, anchor: .start, color: .grey, vertical: false))
            drawing.add(.text("min-max", x: plotRight + 24, top: noteTop + 20, scale: textScale, anchor: .start, color: .grey, vertical: false))
        }
        return drawing
    }
}
