"""PyTorch's CPU training and evaluation throughput of the CIFAR ResNets (6n+2, GAP-FC head,
100 classes, batch 128): the yardstick for `mpw bench train --head gapfc`.

    python resnet_train.py DEPTH STEPS [THREADS]
"""
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
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
    def __init__(self, depth, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, width = [], 16
        for outputs, stride in [(16, 1), (32, 2), (64, 2)]:
            for index in range(n):
                layers.append(Block(width, outputs, stride if index == 0 else 1))
                width = outputs
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.layers(F.relu(self.bn(self.conv(x)))).mean((2, 3)))


depth, steps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
model = ResNet(depth, 100)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
x, y = torch.randn(128, 3, 32, 32), torch.randint(0, 100, (128,))


def step():
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()


for _ in range(3):
    step()
start = time.time()
for _ in range(steps):
    step()
train = 128 * steps / (time.time() - start)
model.eval()
with torch.no_grad():
    model(x)
    start = time.time()
    for _ in range(steps):
        model(x)
    evaluation = 128 * steps / (time.time() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"resnet{depth}: train {train:.0f} img/s, eval {evaluation:.0f} img/s, peak RSS {peak:.0f} MB")
