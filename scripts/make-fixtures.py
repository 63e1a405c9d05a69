"""Writes the PyTorch checkpoint test fixtures into test/fixtures/pytorch/.

Run with the interpreter that has torch installed (Debian's torch 1.13):

    /usr/bin/python3 scripts/make-fixtures.py

Every tensor file is produced by real PyTorch (torch.save, or PyTorch's own zip
writer torch._C.PyTorchFileWriter for the deliberately broken ones), and
expected.json records the values PyTorch itself reports, so the TypeScript
tests compare against PyTorch rather than against the reader under test.
The .safetensors twins are written by hand (8-byte little-endian header
length, JSON header, raw data) because no safetensors package is installed.
The output is deterministic (re-running the script rewrites identical bytes)
except legacy.pt, whose legacy format names storages by object id.
"""

import collections
import io
import json
import os
import pickle
import struct
import zipfile
import zlib

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "pytorch")

DTYPE_NAMES = {
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float32: "F32",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}

expected = {}


def path(name):
    return os.path.join(OUT, name)


def describe(t):
    """Dtype, shape and row-major values of a tensor as PyTorch reports them."""
    t = t.detach()
    entry = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape)}
    flat = t.reshape(-1)
    if t.dtype == torch.int64:
        # Decimal strings: JSON numbers cannot carry every int64 exactly.
        entry["values"] = [str(v) for v in flat.tolist()]
    elif t.dtype in (torch.float16, torch.bfloat16):
        entry["values"] = flat.float().tolist()
        entry["bits"] = [v & 0xFFFF for v in flat.contiguous().view(torch.int16).tolist()]
    else:
        entry["values"] = flat.tolist()
    return entry


def record(name, tensors):
    """Remembers the expected tensors of fixture `name`, in file order."""
    expected[name] = {
        "order": list(tensors.keys()),
        "tensors": {k: describe(v) for k, v in tensors.items()},
    }


def tensor_bytes(t):
    """The raw little-endian bytes of a tensor's values in row-major order."""
    return bytes(t.detach().contiguous().reshape(-1).view(torch.uint8).tolist())


def write_safetensors(name, tensors):
    header = {}
    data = bytearray()
    for key, t in tensors.items():
        raw = tensor_bytes(t)
        header[key] = {
            "dtype": DTYPE_NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path(name), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(data))


def write_torch_archive(name, records):
    """Writes a torch zip container with PyTorch's own writer; `records` maps names to bytes."""
    writer = torch._C.PyTorchFileWriter(path(name))
    for key, data in records.items():
        writer.write_record(key, data, len(data))
    writer.write_end_of_file()
    del writer


class ForgedStorage:
    """Stands for a storage record; pickled as the persistent id torch.save writes."""

    def __init__(self, key, numel, storage_type=torch.FloatStorage):
        self.key = key
        self.numel = numel
        self.storage_type = storage_type


class ForgedView:
    """Pickles exactly like a tensor, with whatever offset, size and stride it is given."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class ForgingPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, ForgedStorage):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel)
        return None


def forged_pickle(obj):
    buf = io.BytesIO()
    ForgingPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def write_forged(name, tensors, records):
    data = {"data.pkl": forged_pickle(tensors), "version": b"3\n"}
    data.update({"data/" + k: v for k, v in records.items()})
    write_torch_archive(name, data)


def write_zip64(name, source):
    """Re-packs a torch zip with zip64 records everywhere (as torch writes for files over 4 GiB).

    Every size and offset field holds 0xFFFFFFFF and the real values live in
    zip64 extra fields, the zip64 end-of-central-directory record and its locator
    (PKWARE APPNOTE.TXT 4.3.14-4.3.15, 4.5.3). Data stays 64-byte aligned.
    """
    entries = []
    with zipfile.ZipFile(path(source)) as z:
        for info in z.infolist():
            entries.append((info.filename.encode(), z.read(info.filename)))
    out = bytearray()
    central = bytearray()
    for fname, data in entries:
        crc = zlib.crc32(data)
        offset = len(out)
        zip64 = struct.pack("<HHQQ", 0x0001, 16, len(data), len(data))
        pad = -(offset + 30 + len(fname) + len(zip64) + 4) % 64
        extra = zip64 + struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(fname), len(extra))
        out += fname + extra + data
        cextra = struct.pack("<HHQQQ", 0x0001, 24, len(data), len(data), offset)
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
            len(fname), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF,
        )
        central += fname + cextra
    cd_offset = len(out)
    out += central
    eocd64_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path(name), "wb") as f:
        f.write(out)


def patch_declared_size(name, source, entry_suffix, declared):
    """Copies a torch zip and makes the central directory claim `declared` bytes for one entry."""
    with open(path(source), "rb") as f:
        data = bytearray(f.read())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        fname = bytes(data[pos + 46 : pos + 46 + name_len])
        if fname.endswith(entry_suffix):
            struct.pack_into("<II", data, pos + 20, declared, declared)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    else:
        raise RuntimeError("entry not found")
    with open(path(name), "wb") as f:
        f.write(data)


def write_zip(name, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path(name), "w", compression=compression) as z:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)


def refused_by_torch(name):
    """True if torch.load(weights_only=True) also refuses the file."""
    try:
        torch.load(path(name), weights_only=True)
    except Exception:
        return True
    return False


class Net(nn.Module):
    """A tiny CNN whose registration order (features, then classifier) differs from natural name order."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 2, 3),
            nn.BatchNorm2d(2),
            nn.ReLU(),
            nn.Conv2d(2, 2, 3, bias=False),
            nn.BatchNorm2d(2),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Identity(),
            nn.Identity(),
            nn.Identity(),
            nn.Conv2d(2, 3, 1),
            nn.BatchNorm2d(3),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(3, 2)

    def forward(self, x):
        return self.classifier(self.features(x))


def mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(path(old))
    torch.manual_seed(0)

    # A tiny MLP state_dict, also as safetensors, and saved with pickle protocol 4
    # (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE instead of protocol 2's opcodes).
    model = mlp()
    sd = model.state_dict()
    torch.save(sd, path("mlp.pt"))
    torch.save(sd, path("mlp-protocol4.pt"), pickle_protocol=4)
    write_safetensors("mlp.safetensors", sd)
    record("mlp.pt", sd)
    write_zip64("mlp-zip64.pt", "mlp.pt")
    assert all(torch.equal(v, sd[k]) for k, v in torch.load(path("mlp-zip64.pt")).items())

    # nn.Parameter values (torch._utils._rebuild_parameter) rather than plain tensors.
    torch.save(dict(model.named_parameters()), path("parameters.pt"))
    record("parameters.pt", dict(model.named_parameters()))

    # A CNN with batch norm after one training step: running stats and int64 num_batches_tracked.
    net = Net()
    net.train()
    net(torch.randn(2, 1, 7, 7)).sum().backward()
    torch.save(net.state_dict(), path("cnn.pt"))
    write_safetensors("cnn.safetensors", net.state_dict())
    record("cnn.pt", net.state_dict())

    # Views: transposed, offset, strided, expanded (stride 0), 0-d and empty tensors,
    # several of them sharing one storage.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    halves = torch.randn(4, 4).half()
    longs = torch.arange(12, dtype=torch.int64).reshape(3, 4) - 5
    views = {
        "matrix": base,
        "transposed": base.t(),
        "rows_1_to_2": base[1:3],
        "columns_2_to_4": base[:, 2:5],
        "every_third": base.reshape(-1)[1::3],
        "element_2_3": base[2, 3],
        "permuted": torch.randn(2, 3, 4).permute(2, 0, 1),
        "expanded": torch.tensor([1.0, 2.0, 3.0]).expand(4, 3),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 5),
        "f64_transposed": torch.randn(3, 5, dtype=torch.float64).t(),
        "f16_even_columns": halves[:, ::2],
        "bf16_transposed": torch.randn(3, 2).bfloat16().t(),
        "i64_transposed": longs.t(),
        "bool_strided": (torch.arange(10) % 3 == 0)[::2],
    }
    torch.save(views, path("views.pt"))
    write_safetensors("views.safetensors", views)
    record("views.pt", views)

    # Every dtype, with edge values.
    dtypes = {
        "f16": torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.0e-8, 0.333], dtype=torch.float16),
        "bf16": torch.tensor([0.0, -1.5, 3.0e38, 1.0e-38, 0.1], dtype=torch.bfloat16),
        "f32": torch.tensor([[0.1, -0.2], [3.0e38, 1.0e-45]], dtype=torch.float32),
        "f64": torch.tensor([1.0 / 3.0, -1.0e300, 5.0e-324], dtype=torch.float64),
        "i64": torch.tensor([-(2**63), 2**63 - 1, 0, 2**53 + 1], dtype=torch.int64),
        "i32": torch.tensor([-(2**31), 2**31 - 1, 7], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, -1], dtype=torch.int16),
        "i8": torch.tensor([[-128, 127], [0, -1]], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 128], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
    }
    torch.save(dtypes, path("dtypes.pt"))
    write_safetensors("dtypes.safetensors", dtypes)
    record("dtypes.pt", dtypes)

    # A training checkpoint wrapping the state dict, with optimizer state next to it.
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(5, 4)).pow(2).mean().backward()
    opt.step()
    checkpoint = {
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": opt.state_dict(),
        "loss": 0.25,
        "history": [0.9, 0.5, 0.25],
        "note": "tiny",
    }
    torch.save(checkpoint, path("checkpoint.pt"))
    record("checkpoint.pt", model.state_dict())

    # A wrapper whose keys match none of the conventional names.
    other = mlp()
    torch.save({"step": 10, "ema": other.state_dict(), "tag": None}, path("custom-key.pt"))
    record("custom-key.pt", other.state_dict())

    # Legacy (pre-1.6) format: a bare pickle stream, not a zip.
    torch.save(sd, path("legacy.pt"), _use_new_zipfile_serialization=False)

    # Hostile and broken files.
    # GLOBAL 'os system' + REDUCE: what a malicious data.pkl looks like.
    os_system = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."
    write_torch_archive("hostile-os-system.pt", {"data.pkl": os_system, "version": b"3\n"})

    class CallsEval:
        def __reduce__(self):
            return (eval, ("print('pwned')",))

    torch.save({"w": torch.ones(2), "payload": CallsEval()}, path("hostile-eval.pt"), pickle_protocol=4)
    # An innocent-looking but not loadable value: a numpy scalar in the checkpoint.
    torch.save({"w": torch.ones(2), "accuracy": np.float64(0.9)}, path("numpy-scalar.pt"))
    # A whole module instead of its state_dict.
    torch.save(nn.Linear(2, 2), path("whole-module.pt"))
    for name in ("hostile-os-system.pt", "hostile-eval.pt", "numpy-scalar.pt", "whole-module.pt"):
        assert refused_by_torch(name), name

    # INT, a protocol-0 text opcode that torch.save never emits.
    write_torch_archive("unknown-opcode.pt", {"data.pkl": b"\x80\x02I1\n.", "version": b"3\n"})
    write_zip("not-torch.zip", {"readme.txt": b"just a zip\n"})
    write_torch_archive("big-endian.pt", {"data.pkl": b"\x80\x02}q\x00.", "byteorder": b"big", "version": b"3\n"})
    # data.pkl deflated: torch.save stores every record, and inflating could be a zip bomb.
    write_zip("deflated.pt", {"deflated/data.pkl": b"\x80\x02}." + b"\x00" * 1_000_000, "deflated/version": b"3\n"}, zipfile.ZIP_DEFLATED)
    # The central directory claims a data.pkl of almost 4 GiB in a file of a few hundred bytes.
    patch_declared_size("huge-entry.pt", "mlp.pt", b"/data.pkl", 0xFFFFFFF0)

    storage16 = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    # The persistent id declares 64 floats, but the record holds 4.
    write_forged("short-record.pt", {"w": ForgedView(ForgedStorage("0", 64), 0, (8, 8), (8, 1))}, {"0": storage16})
    # The storage holds 4 floats but the view (offset 1, 3x3) needs 10.
    write_forged("view-beyond-storage.pt", {"w": ForgedView(ForgedStorage("0", 4), 1, (3, 3), (3, 1))}, {"0": storage16})
    # Absurd sizes that must be refused before anything is allocated.
    write_forged("absurd-numel.pt", {"w": ForgedView(ForgedStorage("0", 2**50), 0, (2**25, 2**25), (2**25, 1))}, {"0": storage16})
    write_forged("absurd-shape.pt", {"w": ForgedView(ForgedStorage("0", 4), 0, (2**30, 2**30, 2**30), (0, 0, 0))}, {"0": storage16})
    # Real torch.save of an expanded tensor: one stored float, a 2^20 x 2^20 view of it (4 TiB once materialised).
    torch.save({"w": torch.zeros(1).expand(2**20, 2**20)}, path("expanded.pt"))
    # The pickle references storage 7, which has no record.
    write_forged("missing-record.pt", {"w": ForgedView(ForgedStorage("7", 4), 0, (4,), (1,))}, {"0": storage16})

    with open(path("expected.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "fixtures": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
