"""Loads a state dict written by `mpw convert RUN/last.safetensors model.pth` into the reference
PyTorch module of its backbone and head, with `torch.load(weights_only=True)` and
`load_state_dict(strict=True)`, and compares the module's logits with ours.

The modules use `mpw`'s state-dict names, which are the reference implementations' own:
He et al.'s CIFAR ResNet as in `zoo_train.py` (`conv`, `bn`, `layers.i.c1/b1/c2/b2/sc`),
xternalz/WideResNet-pytorch (`conv1`, `block1.layer.i...`, `bn1`), bamos/densenet.pytorch
(`conv1`, `dense1.i`, `trans1`, ..., `bn1`), dyhan0920/PyramidNet-PyTorch (`conv1`, `bn1`,
`layer1.i`, ..., `bn_final`) and torchvision's ResNets; a CIFAR model's head sits under `head.`
(`head.fc.weight` for GAP-FC, `head.proxies` of shape (classes, M, d) for MPW), an ImageNet
ResNet's GAP-FC head is torchvision's `fc`.

    python load_pth.py MODEL HEAD model.pth logits.json [--tolerance 1e-5]

logits.json holds {"input": [B, C, H, W] nested lists, "logits": [B, K] nested lists, and for
MPW "lambda", "threshold", "max_iterations"}. Runs the module in float64 and prints one JSON line
with the largest difference relative to the largest logit; exits 1 above the tolerance.
"""
import argparse
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from zoo_train import BACKBONES, OURS


class GAPFC(nn.Module):
    def __init__(self, features, classes):
        super().__init__()
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(x.mean((2, 3)))


class MPWHead(nn.Module):
    """The multi-proxy Wasserstein head at inference: for each sample b and class k, the entropic
    transport plan T between uniform masses on the H*W feature vectors and the M proxies for the
    cost 1 - cos (Sinkhorn from beta = 1, alpha = mu / K beta, beta = nu / K^T alpha, each problem
    stopping after the first t >= 2 with |alpha_t - alpha_t-1|_1 < threshold |alpha_t|_1), and
    the score sum T * <x_j, p_km>. `proxies` is (classes, M, d)."""

    def __init__(self, classes, proxies, features, lam=0.1, threshold=0.1, max_iterations=100, bias=False):
        super().__init__()
        self.proxies = nn.Parameter(torch.empty(classes, proxies, features))
        self.bias = nn.Parameter(torch.zeros(classes)) if bias else None
        self.lam, self.threshold, self.max_iterations = lam, threshold, max_iterations

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2).double()  # B, HW, d
        p = self.proxies.double()
        s = torch.einsum("bjd,kmd->bkjm", x, p)
        inverse_x = 1 / x.norm(dim=2).clamp_min(1e-6)
        inverse_p = 1 / p.norm(dim=2).clamp_min(1e-6)
        cost = 1 - s * inverse_x[:, None, :, None] * inverse_p[None, :, None, :]
        shift = cost.amin(dim=(2, 3), keepdim=True)
        kernel = torch.exp(-(cost - shift) / self.lam)
        b, k, hw, m = s.shape
        mu, nu = 1.0 / hw, 1.0 / m
        beta = torch.ones(b, k, m, dtype=s.dtype)
        alpha = torch.zeros(b, k, hw, dtype=s.dtype)
        active = torch.ones(b, k, dtype=torch.bool)
        for t in range(1, self.max_iterations + 1):
            updated = mu / torch.einsum("bkjm,bkm->bkj", kernel, beta)
            change = (updated - alpha).abs().sum(-1)
            size = updated.sum(-1)
            alpha = torch.where(active[..., None], updated, alpha)
            new_beta = nu / torch.einsum("bkjm,bkj->bkm", kernel, alpha)
            beta = torch.where(active[..., None], new_beta, beta)
            if t >= 2:
                active = active & ~(change < self.threshold * size)
            if not active.any():
                break
        plan = alpha[..., None] * kernel * beta[:, :, None, :]
        scores = (plan * s).sum((2, 3)).to(self.proxies.dtype)
        return scores + self.bias if self.bias is not None else scores


class Classifier(nn.Module):
    """A zoo backbone with its modules at the top of the state dict and the head under `head.`,
    as `mpw` names a CIFAR model's tensors."""

    def __init__(self, backbone, head):
        super().__init__()
        for name, child in backbone.named_children():
            self.add_module(name, child)
        self.backbone_forward = type(backbone).forward
        self.head = head

    def forward(self, x):
        return self.head(self.backbone_forward(self, x))


def build(model, head, classes, proxies=4, channels=3, settings=None):
    """The reference module of an `mpw` model: `proxies` is M of the MPW head, `channels` the
    stem's input channels (1 for grey datasets trained with the default `--greyscale pad-to-32`),
    `settings` the MPW head's Sinkhorn settings (lambda, threshold, max_iterations) if not the
    defaults."""
    settings = settings or {}
    if model.startswith("resnet") and model not in BACKBONES:
        import torchvision
        if head != "gapfc":
            sys.exit(f"{model}: torchvision's ResNets have only the GAP-FC head")
        network = getattr(torchvision.models, model)(num_classes=classes)
        if channels != 3:
            network.conv1 = nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
        return network
    backbone = BACKBONES[model]()
    stem = "conv" if hasattr(backbone, "conv") else "conv1"
    if channels != 3:
        setattr(backbone, stem, nn.Conv2d(channels, getattr(backbone, stem).out_channels, 3, 1, 1, bias=False))
    features = OURS[model][1]
    if head == "gapfc":
        return Classifier(backbone, GAPFC(features, classes))
    return Classifier(backbone, MPWHead(classes, proxies, features, settings.get("lambda", 0.1),
                                        settings.get("threshold", 0.1), settings.get("max_iterations", 100)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("head", choices=["gapfc", "mpw"])
    parser.add_argument("pth")
    parser.add_argument("logits")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    arguments = parser.parse_args()
    torch.set_num_threads(2)

    state = torch.load(arguments.pth, weights_only=True)
    with open(arguments.logits) as file:
        dump = json.load(file)
    ours = torch.tensor(dump["logits"], dtype=torch.float32)
    classes = ours.shape[1]
    proxies = state["head.proxies"].shape[1] if "head.proxies" in state else 1
    inputs = torch.tensor(dump["input"], dtype=torch.float32)
    model = build(arguments.model, arguments.head, classes, proxies, inputs.shape[1], dump)
    model.load_state_dict(state, strict=True)
    # In float64, so the difference measured is our float32 rounding alone.
    model.eval().double()
    with torch.no_grad():
        theirs = model(inputs.double())
    difference = ((theirs - ours.double()).abs().max() / ours.abs().max().clamp_min(1e-30)).item()
    print(json.dumps({"model": arguments.model, "head": arguments.head, "torch": torch.__version__, "tensors": len(state),
                      "logits": list(ours.shape), "max_relative_difference": difference}))
    sys.exit(0 if difference <= arguments.tolerance else 1)


if __name__ == "__main__":
    main()
