import Datasets
import Models
import Tensors

/// The matching-flow sheet of `mpw explain --sheet` for images already in the model's input
/// form: per image its picture, one heatmap per proxy of the predicted class and the argmax
/// assignment, drawn by the same `FlowPicture` and `PictureSheet` code.
public enum FlowSheet {
    /// `model` must have a multi-proxy head and be in evaluation mode; `pixels` are the images
    /// before normalisation, `labels` one row label per image.
    public static func render(_ model: ImageClassifier, input: Tensor, pixels: [DecodedImage], labels: [String], classNames: [String],
                              title: String) -> DecodedImage {
        let proxyLabels = (0..<(model.multiProxyHead?.proxiesPerClass ?? 0)).map { "P\($0)" }
        let (explanations, _) = model.explain(input, classes: pixels.map { _ in nil })
        let scale = max(1, 128 / max(pixels.first?.height ?? 1, 1))
        let rows = zip(explanations.indices, explanations).map { index, explanation in
            let picture = FlowPicture.enlarged(pixels[index], scale: scale)
            let heatmaps = explanation.proxies.map {
                FlowPicture.heatmap($0.map, mapHeight: explanation.mapHeight, mapWidth: explanation.mapWidth, over: picture)
            }
            let argmax = FlowPicture.assignment(explanation.proxies.map(\.map), mapHeight: explanation.mapHeight,
                                                mapWidth: explanation.mapWidth, labels: proxyLabels, over: picture)
            let name = explanation.classIndex < classNames.count ? classNames[explanation.classIndex] : String(explanation.classIndex)
            return PictureSheet.Row(label: "\(labels[index]) \(name)", pictures: [picture] + heatmaps + [argmax])
        }
        return PictureSheet.render(title: title, columnLabels: ["IMAGE"] + proxyLabels + ["ARGMAX"], rows: rows)
    }
}
