/// Each backbone's training recipe as the paper describes it: "All models are trained by 200
/// epochs in total with initial learning rate as 0.1. We adjust the learning rate in the training
/// process by following the strategies described in the original works. We use SGD [...] momentum
/// as 0.9 and weight decay as 0.0005", and for ILSVRC2012 "90 epochs in total, and multiply
/// learning rate by 0.1 at epoch 30 and epoch 60 [...] batch size as 256 and the input size as
/// 224x224. Other setting are same with CIFAR experiments." Where the paper is explicit (epochs,
/// initial rate, momentum, weight decay) it wins over the original works; the schedule's shape,
/// batch size, Nesterov momentum and CutMix come from the original works, with their milestones
/// kept as fractions of the run.
enum PaperRecipes {
    typealias Setting = PaperPreset.Setting

    struct Recipe {
        let settings: [Setting]
        let description: String
    }

    /// The paper's explicit CIFAR settings, shared by every backbone.
    static let cifarCommon: [Setting] = [Setting("--epochs", "200"), Setting("--lr", "0.1"), Setting("--momentum", "0.9"), Setting("--wd", "5e-4")]

    static func cifar(_ model: String) -> Recipe {
        switch model {
        case "wrn40_2", "wrn28_10":
            return Recipe(
                settings: cifarCommon + [Setting("--batch", "128"), Setting("--schedule", "multistep:30%,60%,80%x0.2"), Setting("--nesterov")],
                description: "Wide ResNet recipe (Zagoruyko & Komodakis 2016, sec. 4): batch 128, Nesterov momentum 0.9, weight decay 5e-4, "
                    + "learning rate x0.2 at 30%, 60% and 80% of the run (epochs 60, 120, 160 of 200); no dropout.")
        case "densenet100":
            return Recipe(
                settings: cifarCommon + [Setting("--batch", "64"), Setting("--schedule", "multistep:50%,75%"), Setting("--nesterov")],
                description: "DenseNet recipe (Huang et al. 2017, sec. 4.2): batch 64, Nesterov momentum 0.9, learning rate x0.1 at 50% "
                    + "and 75% of the run (epochs 100, 150); its 300 epochs and weight decay 1e-4 give way to the paper's explicit 200 and 5e-4.")
        case "pyramidnet200":
            return Recipe(
                settings: cifarCommon + [Setting("--batch", "64"), Setting("--schedule", "multistep:50%,75%"), Setting("--cutmix")],
                description: "PyramidNet-200 (alpha 240) with CutMix as in the CutMix recipe (Yun et al. 2019; clovaai/CutMix-PyTorch): "
                    + "batch 64, CutMix with beta 1 and probability 0.5, learning rate x0.1 at 50% and 75% of the run; its 300 epochs, "
                    + "initial rate 0.25 and weight decay 1e-4 give way to the paper's explicit 200 epochs, 0.1 and 5e-4.")
        default:
            return Recipe(
                settings: cifarCommon + [Setting("--batch", "128"), Setting("--schedule", "multistep:50%,75%")],
                description: "CIFAR ResNet recipe (He et al. 2016, sec. 4.2): batch 128, learning rate x0.1 at 50% and 75% of the run "
                    + "(32k and 48k of 64k iterations there; epochs 100, 150 of 200 here); its weight decay 1e-4 gives way to the paper's "
                    + "5e-4, and ResNet-110's 0.01 warm-up for the first 400 iterations is not part of the paper's description.")
        }
    }

    static let imageNet = Recipe(
        settings: [Setting("--dataset", "folder"), Setting("--epochs", "90"), Setting("--batch", "256"), Setting("--lr", "0.1"),
                   Setting("--momentum", "0.9"), Setting("--wd", "5e-4"), Setting("--schedule", "multistep:30,60")],
        description: "ILSVRC2012 as the paper says: 90 epochs, batch 256, 224x224 inputs (random resized crop and flip; resize 256, "
            + "centre crop 224 for evaluation), learning rate 0.1 x0.1 at epochs 30 and 60, momentum 0.9 and weight decay 5e-4 "
            + "(\"other settings same with CIFAR\"). Give the image folder with --data.")

    /// The head's own settings: the paper's M = 4, p = 1, lambda 0.1, threshold 0.1, 100 iterations for MPW; M = 4 for the
    /// multi-branch comparison heads.
    static func head(_ kind: String) -> [Setting] {
        switch kind {
        case "mpw":
            return [Setting("--head", "mpw"), Setting("--proxies", "4"), Setting("--p", "1"), Setting("--lambda", "0.1"),
                    Setting("--threshold", "0.1"), Setting("--max-iter", "100"),
                    // The authors' code stops the whole batch on the mean absolute change of alpha (see --stop-rule).
                    Setting("--stop-rule", "batch-absolute")]
        case "multifc-avg", "multifc-cosine", "wsdan": return [Setting("--head", kind), Setting("--proxies", "4")]
        default: return [Setting("--head", kind)]
        }
    }
}
