extension GraphOperation {
    /// The same op reading its weights under other names (`rename` of each), for splicing a
    /// stored graph into a larger one whose state dict names them differently.
    public func renamingParameters(_ rename: (String) -> String) -> GraphOperation {
        func renamed(_ layer: Linear) -> Linear { Linear(weight: rename(layer.weight), bias: layer.bias.map(rename)) }
        switch self {
        case .convolution(var c):
            c.weight = rename(c.weight)
            c.bias = c.bias.map(rename)
            return .convolution(c)
        case .batchNorm(var b):
            (b.weight, b.bias) = (rename(b.weight), rename(b.bias))
            (b.runningMean, b.runningVariance) = (rename(b.runningMean), rename(b.runningVariance))
            return .batchNorm(b)
        case .linear(let l): return .linear(renamed(l))
        case .multiProxy(var m):
            m.proxies = rename(m.proxies)
            m.bias = m.bias.map(rename)
            return .multiProxy(m)
        case .multiFCAverage(let m): return .multiFCAverage(MultiFCAverage(layers: m.layers.map(renamed)))
        case .relu, .add, .concatenateChannels, .averagePool, .maxPool, .globalAveragePool, .zeroPadChannels, .flatten,
             .bilinearPooling, .attentionPooling:
            return self
        }
    }
}
