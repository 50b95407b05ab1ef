"""PyTorch's CPU training and evaluation throughput of every CIFAR backbone of the zoo with a
GAP-FC head: the yardstick for `mpw bench train --model M --head gapfc`.

Each model is built as its reference code builds it, with the parameter count of ours (checked
against the figures `mpw models --json` prints; the script stops if one differs), and with the
state-dict names of ours (load_pth.py loads `mpw convert`'s files into them). Like
`mpw bench train`: SGD (lr 0.01, momentum 0.9, weight decay 5e-4) on random images, untimed
warm-up steps, timed training steps, then timed evaluation-mode forwards without autograd.

    python zoo_train.py --model densenet100 [--channels-last] [--bf16] [--batch 64]
                        [--classes 10] [--steps 20] [--warmup 3] [--threads 2]

Prints one JSON object: images/s in training and evaluation and the peak resident memory.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Backbone parameters and feature channels of our models: `mpw models --json` prints the totals
# with a 10-class GAP-FC head, from which its features x 10 + 10 parameters are taken off.
OURS = {
    "resnet20": (272_474 - 650, 64),
    "resnet110": (1_730_714 - 650, 64),
    "wrn40_2": (2_243_546 - 1_290, 128),
    "wrn28_10": (36_479_194 - 6_410, 640),
    "densenet100": (4_068_490 - 6_790, 678),
    "pyramidnet200": (26_752_702 - 10_250, 1024),
}


class BasicBlock(nn.Module):
    """He et al.'s CIFAR block (the layout of `resnet_train.py`)."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.c1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(outputs)
        self.c2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(outputs)
        self.sc = nn.Sequential()
        if stride != 1 or inputs != outputs:
            self.sc = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(y)) + self.sc(x))


class ResNet(nn.Module):
    def __init__(self, depth):
        super().__init__()
        n = (depth - 2) // 6
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, width = [], 16
        for outputs, stride in [(16, 1), (32, 2), (64, 2)]:
            for index in range(n):
                layers.append(BasicBlock(width, outputs, stride if index == 0 else 1))
                width = outputs
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(F.relu(self.bn(self.conv(x))))


class WideBlock(nn.Module):
    """xternalz/WideResNet-pytorch's pre-activation block (dropout 0)."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs)
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.convShortcut = nn.Conv2d(inputs, outputs, 1, stride, bias=False) if inputs != outputs or stride != 1 else None

    def forward(self, x):
        activated = F.relu(self.bn1(x))
        residual = self.conv2(F.relu(self.bn2(self.conv1(activated))))
        return residual + (self.convShortcut(activated) if self.convShortcut is not None else x)


class NetworkBlock(nn.Module):
    """xternalz/WideResNet-pytorch's group of blocks at one width."""

    def __init__(self, blocks, inputs, outputs, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WideBlock(inputs if i == 0 else outputs, outputs, stride if i == 0 else 1) for i in range(blocks)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, widen):
        super().__init__()
        n = (depth - 4) // 6
        widths = [16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, 16, widths[0], 1)
        self.block2 = NetworkBlock(n, widths[0], widths[1], 2)
        self.block3 = NetworkBlock(n, widths[1], widths[2], 2)
        self.bn1 = nn.BatchNorm2d(widths[2])

    def forward(self, x):
        return F.relu(self.bn1(self.block3(self.block2(self.block1(self.conv1(x))))))


class DenseLayer(nn.Module):
    """bamos/densenet.pytorch's SingleLayer: BN-ReLU-conv3x3, concatenated after the input."""

    def __init__(self, inputs, growth):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs)
        self.conv1 = nn.Conv2d(inputs, growth, 3, 1, 1, bias=False)

    def forward(self, x):
        return torch.cat((x, self.conv1(F.relu(self.bn1(x)))), 1)


class Transition(nn.Module):
    def __init__(self, inputs, outputs):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs)
        self.conv1 = nn.Conv2d(inputs, outputs, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv1(F.relu(self.bn1(x))), 2)


class DenseNet(nn.Module):
    """DenseNet-C (no bottleneck, compression 0.5), bamos/densenet.pytorch's names."""

    def __init__(self, depth=100, growth=12, compression=0.5):
        super().__init__()
        n = (depth - 4) // 3
        channels = 2 * growth
        self.conv1 = nn.Conv2d(3, channels, 3, 1, 1, bias=False)
        for block in (1, 2, 3):
            layers = []
            for _ in range(n):
                layers.append(DenseLayer(channels, growth))
                channels += growth
            setattr(self, f"dense{block}", nn.Sequential(*layers))
            if block < 3:
                setattr(self, f"trans{block}", Transition(channels, int(channels * compression)))
                channels = int(channels * compression)
        self.bn1 = nn.BatchNorm2d(channels)

    def forward(self, x):
        x = self.trans2(self.dense2(self.trans1(self.dense1(self.conv1(x)))))
        return F.relu(self.bn1(self.dense3(x)))


class PyramidBottleneck(nn.Module):
    """dyhan0920/PyramidNet-PyTorch's bottleneck with its zero-padded shortcut."""

    def __init__(self, inputs, width, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs)
        self.conv1 = nn.Conv2d(inputs, width, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn4 = nn.BatchNorm2d(4 * width)
        self.stride = stride
        self.outputs = 4 * width

    def forward(self, x):
        out = self.conv1(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(out)))
        out = self.bn4(self.conv3(F.relu(self.bn3(out))))
        shortcut = F.avg_pool2d(x, 2) if self.stride != 1 else x
        missing = self.outputs - shortcut.shape[1]
        if missing > 0:
            n, _, h, w = shortcut.shape
            shortcut = torch.cat((shortcut, shortcut.new_zeros(n, missing, h, w)), 1)
        return out + shortcut


class PyramidNet(nn.Module):
    def __init__(self, depth=200, alpha=240):
        super().__init__()
        n = (depth - 2) // 9
        increment = alpha / (3 * n)
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        width, channels = 16.0, 16
        for stage, stride in enumerate([1, 2, 2], start=1):
            blocks = []
            for index in range(n):
                width += increment
                block = PyramidBottleneck(channels, int(round(width)), stride if index == 0 else 1)
                blocks.append(block)
                channels = block.outputs
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.bn_final = nn.BatchNorm2d(channels)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.bn1(self.conv1(x)))))
        return F.relu(self.bn_final(x))


BACKBONES = {
    "resnet20": lambda: ResNet(20),
    "resnet110": lambda: ResNet(110),
    "wrn40_2": lambda: WideResNet(40, 2),
    "wrn28_10": lambda: WideResNet(28, 10),
    "densenet100": DenseNet,
    "pyramidnet200": PyramidNet,
}


class Classifier(nn.Module):
    """Backbone, global average pooling, linear layer: our `--head gapfc`."""

    def __init__(self, backbone, features, classes):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(self.backbone(x).mean((2, 3)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(BACKBONES), default="resnet20")
    parser.add_argument("--channels-last", action="store_true", help="channels-last memory format for model and input")
    parser.add_argument("--bf16", action="store_true", help='torch.autocast("cpu", dtype=torch.bfloat16) around the forward')
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(1)

    backbone_parameters, features = OURS[arguments.model]
    model = Classifier(BACKBONES[arguments.model](), features, arguments.classes)
    parameters = sum(p.numel() for p in model.parameters())
    expected = backbone_parameters + features * arguments.classes + arguments.classes
    assert parameters == expected, f"{arguments.model}: {parameters} parameters, ours has {expected}"

    format = torch.channels_last if arguments.channels_last else torch.contiguous_format
    model = model.to(memory_format=format)
    x = torch.randn(arguments.batch, 3, 32, 32).to(memory_format=format)
    y = torch.randint(0, arguments.classes, (arguments.batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def forward():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=arguments.bf16):
            return model(x)

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(forward().float(), y).backward()
        optimizer.step()

    def timed(step):
        for _ in range(arguments.warmup):
            step()
        start = time.perf_counter()
        for _ in range(arguments.steps):
            step()
        return arguments.batch * arguments.steps / (time.perf_counter() - start)

    model.train()
    train = timed(train_step)
    model.eval()
    with torch.no_grad():
        evaluation = timed(forward)
    print(json.dumps({
        "model": arguments.model, "parameters": parameters, "channels_last": arguments.channels_last,
        "bf16": arguments.bf16, "batch": arguments.batch, "threads": arguments.threads,
        "train_images_per_second": round(train, 2), "eval_images_per_second": round(evaluation, 2),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
