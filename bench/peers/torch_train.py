"""PyTorch peer for `npm run bench:train`: training-step throughput of the same networks.

Prints one JSON object: {"torch": version, "threads": 1, "results": {name: [samples/s per repeat]}}.
Usage: /usr/bin/python3 bench/peers/torch_train.py STEPS REPEATS
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(784, 256), nn.Linear(256, 256), nn.Linear(256, 10)])

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.layers[0](x))
        x = F.relu(self.layers[1](x))
        return self.layers[2](x)


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
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def throughput(model, steps, repeats, batch=64):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    results = []
    for repeat in range(repeats + 1):
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        if repeat > 0:  # the first repeat warms up
            results.append(steps * batch / seconds)
    return results


steps, repeats = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "results": {"mlp": throughput(Mlp(), steps, repeats), "lenet5": throughput(LeNet5(), steps, repeats)},
}))
