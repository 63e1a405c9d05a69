#!/usr/bin/python3
"""Builds the importer test fixtures in test/fixtures/import/.

Run with Debian's interpreter (python3-torch, python3-onnx, python3-h5py, python3-numpy):
    /usr/bin/python3 scripts/make-import-fixtures.py
then `npx tsx scripts/make-tfjs-fixtures.ts` for the tfjs twins (it reads nets.json).

For three small networks (an MLP, a small CNN, a small ResNet) it writes, from one set of
PyTorch weights:
- <net>.pt: torch.save(model.state_dict()), and <net>.spec.json: its architecture spec;
- <net>.onnx: torch.onnx.export of the model in eval mode (the exporter folds batch-norm
  into the convolutions, as a user's export would);
- <net>.h5 (Keras 2 / tf.keras `model.save` layout) and <net>.keras (Keras 3 archive) for
  the MLP and the CNN. Keras itself does not install here (Debian has no python3-keras), so
  these are written with h5py following Keras' documented layouts: `model_weights` with the
  `layer_names` / `weight_names` attributes and `model_config` (legacy_h5_format.py), and
  the Keras 3 zip of config.json, metadata.json and model.weights.h5 with
  `layers/<name>/vars/<i>` (saving_lib.py). Kernels are in Keras' layout (dense [in, out],
  conv [kh, kw, in, out]) and the CNN's dense kernel reads a channels-last flatten;
- nets.json: the same weights as nested lists, for the tfjs script.
It also writes NumPy arrays of every dtype and order the zoos use (expected values in
numpy.json), a Small CNN Zoo directory and a Model Zoos directory in their published
layouts (see docs/formats/small-cnn-zoo.md and docs/formats/model-zoos.md).
The output is deterministic (fixed seeds); ONNX files record the exporter's version.
"""
import csv
import gzip
import io
import json
import os
import zipfile

import h5py
import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "import")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Cnn(nn.Module):
    """1x8x8 -> conv 4 -> pool -> conv 6 -> pool -> flatten (6 x 2 x 2) -> dense 3."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 3, padding=1)
        self.fc = nn.Linear(24, 3)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """A torchvision-style CIFAR ResNet: 3x3 stem, one basic block per stage."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.layer1 = nn.Sequential(Block(4, 4, 1))
        self.layer2 = nn.Sequential(Block(4, 6, 2))
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


def randomise_batchnorm(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=generator) + 0.5
            m.bias.data = torch.randn(n, generator=generator) * 0.1
            m.running_mean = torch.randn(n, generator=generator) * 0.1
            m.running_var = torch.rand(n, generator=generator) + 0.5


def spec(layers):
    return {"format": "epochgraph-architecture", "version": 1, "layers": layers}


SPECS = {
    "mlp": spec([
        {"type": "input", "name": "input", "channels": 6},
        {"type": "dense", "name": "fc1", "weight": "fc1.weight", "bias": "fc1.bias"},
        {"type": "activation"},
        {"type": "dense", "name": "fc2", "weight": "fc2.weight", "bias": "fc2.bias"},
    ]),
    "cnn": spec([
        {"type": "input", "name": "input", "channels": 1, "size": [8, 8]},
        {"type": "conv", "name": "conv1", "weight": "conv1.weight", "bias": "conv1.bias", "padding": 1},
        {"type": "activation"},
        {"type": "pool", "kernel": 2},
        {"type": "conv", "name": "conv2", "weight": "conv2.weight", "bias": "conv2.bias", "padding": 1},
        {"type": "activation"},
        {"type": "pool", "kernel": 2},
        {"type": "flatten"},
        {"type": "dense", "name": "fc", "weight": "fc.weight", "bias": "fc.bias"},
    ]),
}


def resnet_spec():
    def bn(name, inp=None):
        layer = {"type": "batchnorm", "name": name, "weight": f"{name}.weight", "bias": f"{name}.bias",
                 "running_mean": f"{name}.running_mean", "running_var": f"{name}.running_var"}
        if inp:
            layer["input"] = inp
        return layer

    def conv(name, stride, padding, inp=None):
        layer = {"type": "conv", "name": name, "weight": f"{name}.weight", "stride": stride, "padding": padding}
        if inp:
            layer["input"] = inp
        return layer

    layers = [{"type": "input", "name": "input", "channels": 3, "size": [8, 8]},
              conv("conv1", 1, 1), bn("bn1"), {"type": "activation", "name": "relu"}]
    previous = "relu"
    for stage, (stride, shortcut) in {1: (1, False), 2: (2, True)}.items():
        b = f"layer{stage}.0"
        layers += [conv(f"{b}.conv1", stride, 1, previous), bn(f"{b}.bn1"), {"type": "activation", "name": f"{b}.relu1"},
                   conv(f"{b}.conv2", 1, 1), bn(f"{b}.bn2")]
        side = previous
        if shortcut:
            layers += [conv(f"{b}.downsample.0", stride, 0, previous), bn(f"{b}.downsample.1")]
            side = f"{b}.downsample.1"
        layers += [{"type": "add", "name": f"{b}.add", "inputs": [f"{b}.bn2", side]},
                   {"type": "activation", "name": f"{b}.relu"}]
        previous = f"{b}.relu"
    layers += [{"type": "pool", "name": "avgpool", "mode": "avg", "output": 1},
               {"type": "flatten", "name": "flatten"},
               {"type": "dense", "name": "fc", "weight": "fc.weight", "bias": "fc.bias"}]
    return spec(layers)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def keras_layers(name, model):
    """(layer name, class, [(role, keras array)]) in model order, Keras layout."""
    sd = {k: v.detach().numpy().astype("<f4") for k, v in model.state_dict().items()}
    if name == "mlp":
        return [("dense", "Dense", [("kernel", sd["fc1.weight"].T), ("bias", sd["fc1.bias"])]),
                ("dense_1", "Dense", [("kernel", sd["fc2.weight"].T), ("bias", sd["fc2.bias"])])]
    # Keras flattens channels-last maps (h, w, c); PyTorch flattens (c, h, w). The Keras net
    # computing the same function has dense row (h * W + w) * C + c = PyTorch column c * H * W + h * W + w.
    fc = sd["fc.weight"].reshape(3, 6, 2, 2).transpose(2, 3, 1, 0).reshape(24, 3)
    return [("conv2d", "Conv2D", [("kernel", sd["conv1.weight"].transpose(2, 3, 1, 0)), ("bias", sd["conv1.bias"])]),
            ("max_pooling2d", "MaxPooling2D", []),
            ("conv2d_1", "Conv2D", [("kernel", sd["conv2.weight"].transpose(2, 3, 1, 0)), ("bias", sd["conv2.bias"])]),
            ("max_pooling2d_1", "MaxPooling2D", []),
            ("flatten", "Flatten", []),
            ("dense", "Dense", [("kernel", fc), ("bias", sd["fc.bias"])])]


def keras_config(layers, input_shape):
    config = [{"class_name": "InputLayer", "config": {"name": "input_layer", "batch_input_shape": [None, *input_shape]}}]
    config += [{"class_name": cls, "config": {"name": name}} for name, cls, _ in layers]
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": config}}


def write_keras2_h5(path, layers, input_shape):
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(keras_config(layers, input_shape))
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [n.encode() for n, _, _ in layers]
        g.attrs["backend"] = "tensorflow"
        g.attrs["keras_version"] = "2.15.0"
        for name, _, weights in layers:
            lg = g.create_group(name)
            names = [f"{name}/{role}:0" for role, _ in weights]
            lg.attrs["weight_names"] = [n.encode() for n in names]
            for n, (_, array) in zip(names, weights):
                lg.create_dataset(n, data=array)


def write_keras3(path, layers, input_shape):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        root = f.create_group("layers")
        for name, _, weights in layers:
            v = root.create_group(name).create_group("vars")
            for i, (_, array) in enumerate(weights):
                v.create_dataset(str(i), data=array)
        f.create_group("vars")
    config = keras_config(layers, input_shape)
    config["module"] = "keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("metadata.json", (2024, 1, 1, 0, 0, 0)), json.dumps({"keras_version": "3.3.3", "date_saved": "2024-01-01@00:00:00"}))
        z.writestr(zipfile.ZipInfo("config.json", (2024, 1, 1, 0, 0, 0)), json.dumps(config))
        z.writestr(zipfile.ZipInfo("model.weights.h5", (2024, 1, 1, 0, 0, 0)), buffer.getvalue())


def networks():
    nets = {}
    tfjs = {}
    for name, cls, shape in [("mlp", Mlp, (1, 6)), ("cnn", Cnn, (1, 1, 8, 8)), ("resnet", ResNet, (1, 3, 8, 8))]:
        generator = torch.Generator().manual_seed({"mlp": 1, "cnn": 2, "resnet": 3}[name])
        torch.manual_seed({"mlp": 1, "cnn": 2, "resnet": 3}[name])
        model = cls()
        randomise_batchnorm(model, generator)
        model.eval()
        torch.save(model.state_dict(), os.path.join(OUT, f"{name}.pt"))
        write_json(os.path.join(OUT, f"{name}.spec.json"), resnet_spec() if name == "resnet" else SPECS[name])
        x = torch.randn(*shape, generator=generator)
        torch.onnx.export(model, x, os.path.join(OUT, f"{name}.onnx"), input_names=["input"], output_names=["logits"],
                          opset_version=13, do_constant_folding=True)
        if name == "resnet":
            continue
        input_shape = [6] if name == "mlp" else [8, 8, 1]
        layers = keras_layers(name, model)
        write_keras2_h5(os.path.join(OUT, f"{name}.h5"), layers, input_shape)
        write_keras3(os.path.join(OUT, f"{name}.keras"), layers, input_shape)
        keras_input = x.numpy() if name == "mlp" else x.numpy().transpose(0, 2, 3, 1)
        tfjs[name] = {
            "input_shape": input_shape,
            "layers": [{"name": n, "class": c, "weights": [{"role": r, "shape": list(a.shape), "values": a.reshape(-1).tolist()} for r, a in w]} for n, c, w in layers],
            "input": keras_input.reshape(-1).tolist(),
            "output": model(x).detach().numpy().reshape(-1).tolist(),
        }
    write_json(os.path.join(OUT, "nets.json"), tfjs)


def numpy_arrays():
    base = np.arange(12, dtype=np.float64).reshape(3, 4) - 5.5
    arrays = {
        "f4": base.astype("<f4"),
        "f8_fortran": np.asfortranarray(base.astype("<f8")),
        "f2": base.astype("<f2"),
        "f4_big": base.astype(">f4"),
        "i8": base.astype("<i8"),
        "i4": base.astype("<i4"),
        "u1": np.abs(base).astype("u1"),
        "b1": base > 0,
        "cube_fortran": np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)),
    }
    folder = os.path.join(OUT, "numpy")
    os.makedirs(folder, exist_ok=True)
    for key, array in arrays.items():
        np.save(os.path.join(folder, f"{key}.npy"), array)
    np.savez(os.path.join(folder, "stored.npz"), **arrays)
    np.savez_compressed(os.path.join(folder, "compressed.npz"), **arrays)
    write_json(os.path.join(folder, "expected.json"), {k: {"shape": list(a.shape), "values": np.ascontiguousarray(a).astype(float).reshape(-1).tolist()} for k, a in arrays.items()})


CNN_ZOO_EPOCHS = [0, 1, 2, 3, 20, 40, 60, 80, 86]


def cnn_zoo():
    """Small CNN Zoo layout (google-research/dnn_predict_accuracy README): weights.npy rows,
    layout.csv, metrics.csv.gz. The network is the zoo's: 3 conv layers of 16 filters on a
    1-channel input, global average pooling, a 10-unit dense layer: 4970 parameters."""
    folder = os.path.join(OUT, "cnn-zoo")
    os.makedirs(folder, exist_ok=True)
    shapes = [("sequential/conv2d/kernel:0", (3, 3, 1, 16)), ("sequential/conv2d/bias:0", (16,)),
              ("sequential/conv2d_1/kernel:0", (3, 3, 16, 16)), ("sequential/conv2d_1/bias:0", (16,)),
              ("sequential/conv2d_2/kernel:0", (3, 3, 16, 16)), ("sequential/conv2d_2/bias:0", (16,)),
              ("sequential/dense/kernel:0", (16, 10)), ("sequential/dense/bias:0", (10,))]
    rows = []
    with open(os.path.join(folder, "layout.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["", "varname", "start_idx", "end_idx", "size", "shape"])
        start = 0
        for i, (name, shape) in enumerate(shapes):
            size = int(np.prod(shape))
            w.writerow([i, name, start, start + size, size, str(shape)])
            start += size
    assert start == 4970
    rng = np.random.default_rng(7)
    # Run A: all nine checkpoints; run B crashed after epoch 3 (the README's missing rows).
    runs = [("A", 157, CNN_ZOO_EPOCHS, 0.01, "sgd"), ("B", 40, CNN_ZOO_EPOCHS[:4], 0.003, "adam")]
    metrics = []
    for run, steps_per_epoch, epochs, lr, optimizer in runs:
        for epoch in epochs:
            rows.append(rng.standard_normal(4970).astype("<f4") * (1 + epoch / 10))
            acc = 0.1 + 0.8 * (1 - np.exp(-epoch / 10))
            metrics.append({
                "config.activation": "relu", "config.b_init": "zeros", "config.dataset": "cifar10",
                "config.dnn_architecture": "cnn", "config.dropout": 0.0, "config.epochs": 86,
                "config.epochs_between_checkpoints": 20, "config.init_std": 0.05, "config.l2reg": 1e-4,
                "config.learning_rate": lr, "config.num_layers": 3, "config.num_units": 16,
                "config.optimizer": optimizer, "config.random_seed": 42, "config.train_fraction": 0.5,
                "config.w_init": "glorot_normal", "modeldir": f"/tmp/zoo/cifar10/run_{run}",
                "step": epoch * steps_per_epoch, "test_accuracy": round(acc - 0.05, 4),
                "test_loss": round(2.3 - 1.5 * acc, 4), "train_accuracy": round(acc, 4), "train_loss": round(2.3 - 1.6 * acc, 4),
            })
    # Rows of the two runs interleave in the published files; shuffle them together.
    order = rng.permutation(len(rows))
    np.save(os.path.join(folder, "weights.npy"), np.stack([rows[i] for i in order]))
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow([""] + list(metrics[0].keys()))
    for i, j in enumerate(order):
        w.writerow([i] + list(metrics[j].values()))
    with gzip.GzipFile(os.path.join(folder, "metrics.csv.gz"), "wb", mtime=0) as f:
        f.write(text.getvalue().encode())


class ZooCnn(nn.Module):
    """The Model Zoos' small CNN (def_net.py, layer_lst [0, 3, 6] conv, [9, 11] fc), with 2-4 channels."""

    def __init__(self):
        super().__init__()
        self.module_list = nn.ModuleList([
            nn.Conv2d(1, 2, 5), nn.MaxPool2d(2), nn.Tanh(),
            nn.Conv2d(2, 3, 5), nn.MaxPool2d(2), nn.Tanh(),
            nn.Conv2d(3, 2, 2), nn.Tanh(), nn.Flatten(),
            nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 10),
        ])


def model_zoos():
    """Model Zoos layout (ModelZoos/ModelZooDataset): one ray-tune trial folder per model with
    params.json, result.json (a JSON line per epoch, the first before training with
    train_loss = train_acc = -999) and checkpoint_<epoch:06d>/checkpoints (a state_dict)."""
    folder = os.path.join(OUT, "model-zoos")
    for k, seed in enumerate([11, 12]):
        trial = os.path.join(folder, f"NN_tune_trainable_4f2a1_0000{k}_{k}_seed={seed}_2022-05-01_10-00-0{k}")
        os.makedirs(trial, exist_ok=True)
        torch.manual_seed(seed)
        model = ZooCnn()
        params = {"model::type": "CNN", "model::nlin": "tanh", "model::channels_in": 1, "optim::optimizer": "adam",
                  "optim::lr": 0.0003, "training::batchsize": 64, "training::epochs_train": 3, "seed": seed, "cuda": False}
        write_json(os.path.join(trial, "params.json"), params)
        lines = []
        for epoch in range(4):
            if epoch > 0:
                with torch.no_grad():
                    for p in model.parameters():
                        p.add_(torch.randn_like(p) * 0.05)
            path = os.path.join(trial, f"checkpoint_{epoch:06d}")
            os.makedirs(path, exist_ok=True)
            torch.save(model.state_dict(), os.path.join(path, "checkpoints"))
            acc = 0.1 + 0.2 * epoch + 0.05 * k
            lines.append({"train_loss": -999 if epoch == 0 else 2.3 - 0.4 * epoch, "train_acc": -999 if epoch == 0 else acc + 0.02,
                          "test_loss": 2.3 - 0.35 * epoch, "test_acc": acc, "training_iteration": epoch + 1,
                          "trial_id": f"4f2a1_0000{k}", "done": epoch == 3})
        with open(os.path.join(trial, "result.json"), "w") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    networks()
    numpy_arrays()
    cnn_zoo()
    model_zoos()


if __name__ == "__main__":
    main()
