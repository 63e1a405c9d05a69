"""PyTorch peer of bench/kernels.ts and bench/train.ts: samples/s of one training step on
the CPU, one thread.

The same networks and step as the TypeScript benches: forward, softmax cross-entropy,
backward, SGD with momentum, batch 64, random inputs. Besides the fixed networks
(mlp, lenet5, resnet8 on 32x32x3), "ARCH-wWIDTH" names (vgg, alexnet, resnet8; e.g.
"alexnet-w0.5") build the trainer's architectures (src/train/architectures.ts) on
28x28x1 inputs with every channel and hidden size multiplied by WIDTH. It serves rounds on request so
that the bench can alternate PyTorch and tfjs rounds under the same machine load: each
stdin line "NETWORK SECONDS" runs one round of about SECONDS (the first round of a
network warms it up first) and answers one JSON line {"network", "samples_per_s"}.
The first line written is {"torch": version}.

Usage: python3 bench/kernels_torch.py
"""
import json
import math
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 64


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def scaled(n, width):
    """Channel count n times width, rounded half up, at least 1 (as src/train/architectures.ts)."""
    return max(1, math.floor(n * width + 0.5))


def vgg(width):
    """VGG with the trainer's default stages 32 / 64 / 128,128 on 28x28x1, dense 256."""
    layers, cin, side = [], 1, 28
    for stage in ([32], [64], [128, 128]):
        for c in stage:
            layers += [nn.Conv2d(cin, scaled(c, width), 3, padding=1), nn.ReLU()]
            cin = scaled(c, width)
        layers.append(nn.MaxPool2d(2))
        side //= 2
    hidden = scaled(256, width)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * side * side, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def alexnet(width):
    """CIFAR-sized AlexNet on 28x28x1: convs 64 (5x5), 192 (5x5), 384, 256, 256 (3x3), dense 1024, 512."""
    c = [scaled(n, width) for n in (64, 192, 384, 256, 256)]
    d = [scaled(n, width) for n in (1024, 512)]
    return nn.Sequential(
        nn.Conv2d(1, c[0], 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c[0], c[1], 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c[1], c[2], 3, padding=1), nn.ReLU(),
        nn.Conv2d(c[2], c[3], 3, padding=1), nn.ReLU(),
        nn.Conv2d(c[3], c[4], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c[4] * 3 * 3, d[0]), nn.ReLU(), nn.Linear(d[0], d[1]), nn.ReLU(), nn.Linear(d[1], 10),
    )


STUDY = {"vgg": vgg, "alexnet": alexnet, "resnet8": lambda width: ResNet8(1, width)}


def network(name):
    """Returns (constructor, input shape) of a network name."""
    if name in NETWORKS:
        return NETWORKS[name]
    match = re.fullmatch(r"(vgg|alexnet|resnet8)-w([0-9.]+)", name)
    if match is None:
        raise ValueError(f"unknown network {name}")
    width = float(match.group(2))
    return (lambda: STUDY[match.group(1)](width)), (1, 28, 28)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.shortcut(x))


class ResNet8(nn.Module):
    def __init__(self, channels=3, width=1.0):
        super().__init__()
        c16, c32, c64 = scaled(16, width), scaled(32, width), scaled(64, width)
        self.conv1 = nn.Conv2d(channels, c16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c16)
        self.layers = nn.Sequential(Block(c16, c16, 1), Block(c16, c32, 2), Block(c32, c64, 2))
        self.fc = nn.Linear(c64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(x.mean((2, 3)))


NETWORKS = {
    "mlp": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)), (1, 28, 28)),
    "lenet5": (LeNet5, (1, 28, 28)),
    "resnet8": (ResNet8, (3, 32, 32)),
}


class Trainer:
    """One network, its optimizer and a fixed random batch."""

    def __init__(self, name):
        make, shape = network(name)
        torch.manual_seed(0)
        self.model = make()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.x = torch.randn(BATCH, *shape)
        self.y = torch.randint(0, 10, (BATCH,))
        self.step_seconds = None

    def step(self):
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def round(self, seconds):
        """Runs steps for about `seconds`; returns samples/s."""
        if self.step_seconds is None:
            start = time.perf_counter()
            warmup = 0
            while warmup < 3 or time.perf_counter() - start < seconds / 2:
                self.step()
                warmup += 1
            self.step_seconds = (time.perf_counter() - start) / warmup
        steps = max(3, round(seconds / self.step_seconds))
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return BATCH * steps / (time.perf_counter() - start)


def main():
    torch.set_num_threads(1)
    trainers = {}
    print(json.dumps({"torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        name, seconds = line.split()
        if name not in trainers:
            trainers[name] = Trainer(name)
        rate = trainers[name].round(float(seconds))
        print(json.dumps({"network": name, "samples_per_s": rate}), flush=True)


if __name__ == "__main__":
    main()
