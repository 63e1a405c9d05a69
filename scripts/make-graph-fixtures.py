#!/usr/bin/python3
"""Builds the graph-engine test fixtures in test/fixtures/graph/.

For each small network it writes the weights as <name>.safetensors (written by hand from
numpy bytes: 8-byte little-endian header length, JSON header, data) and <name>.json with
reference values computed here independently of epochgraph:
- the rolled (and for `cnn` the unrolled) edge list, built with numpy from the method's
  definitions (conv: Frobenius norm of each kernel, dense: |w|, flatten: L2 norm over the
  positions of a channel, batch-norm folded as |gamma| / sqrt(running_var + eps) per channel,
  identity shortcuts of weight 1);
- in-, out- and total strength (numpy sums);
- eigenvector centrality and the spectral radius of the undirected graph (scipy eigsh,
  which="LA", tol=0; checked against numpy's dense eigh);
- PageRank (networkx.pagerank, alpha 0.85, tol 1e-12; checked against an exact linear solve).

Run with Debian's interpreter, which has numpy, scipy and networkx:
    /usr/bin/python3 scripts/make-graph-fixtures.py
"""
import json
import os
import struct

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "graph")
ALPHA = 0.85
EPS = 1e-5


def write_safetensors(path, tensors):
    """tensors: list of (name, float32 array). Writes a safetensors file."""
    header = {}
    offset = 0
    blobs = []
    for name, array in tensors:
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


class Builder:
    """Accumulates node layers and edges (source, target, weight) in node order."""

    def __init__(self):
        self.layers = []
        self.edges = []
        self.n = 0

    def layer(self, name, size):
        self.layers.append({"name": name, "offset": self.n, "size": size})
        self.n += size
        return self.n - size

    def block(self, src, dst, weights):
        """weights[i, j]: edge src + j -> dst + i."""
        rows, cols = weights.shape
        for i in range(rows):
            for j in range(cols):
                self.edges.append((src + j, dst + i, float(weights[i, j])))


def f64(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def conv_rolled(w):
    w = f64(w)
    return np.sqrt((w * w).reshape(w.shape[0], w.shape[1], -1).sum(axis=2))


def bn_scale(gamma, var):
    return np.abs(f64(gamma)) / np.sqrt(f64(var) + EPS)


def references(builder):
    n = builder.n
    edges = sorted(builder.edges, key=lambda e: (e[1], e[0]))
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges])
    a = scipy.sparse.csr_matrix((w, (src, dst)), shape=(n, n))
    s = (a + a.T).tocsr()
    strength_in = np.bincount(dst, weights=w, minlength=n)
    strength_out = np.bincount(src, weights=w, minlength=n)

    value, vector = scipy.sparse.linalg.eigsh(s, k=1, which="LA", tol=0)
    v = vector[:, 0]
    v = v * np.sign(v.sum())
    v = v / np.linalg.norm(v)
    dense_values, dense_vectors = np.linalg.eigh(s.toarray())
    d = dense_vectors[:, -1] * np.sign(dense_vectors[:, -1].sum())
    assert abs(dense_values[-1] - value[0]) <= 1e-12 * abs(value[0]), "eigsh and eigh disagree on the eigenvalue"
    assert np.max(np.abs(d - v)) < 1e-10, "eigsh and eigh disagree on the eigenvector"

    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(edges)
    pr = nx.pagerank(g, alpha=ALPHA, tol=1e-12, max_iter=100000, weight="weight")
    pagerank = np.array([pr[i] for i in range(n)])
    out = np.asarray(a.sum(axis=1)).ravel()
    p = np.zeros((n, n))
    nz = out > 0
    p[nz] = a.toarray()[nz] / out[nz, None]
    exact = np.linalg.solve(np.eye(n) - ALPHA * p.T, np.full(n, 1.0 / n))
    exact /= exact.sum()
    assert np.max(np.abs(exact - pagerank)) < 1e-10, "networkx pagerank and the linear solve disagree"

    return {
        "nodes": n,
        "edges": len(edges),
        "layers": builder.layers,
        "edge_list": [[int(a_), int(b_), c_] for a_, b_, c_ in edges],
        "strength_in": strength_in.tolist(),
        "strength_out": strength_out.tolist(),
        "strength": (strength_in + strength_out).tolist(),
        "eigenvalue": float(value[0]),
        "eigenvector": v.tolist(),
        "pagerank": pagerank.tolist(),
    }


def mlp(rng):
    """6-5-4-3 MLP, weights of both signs, one exact zero."""
    w1 = rng.normal(size=(5, 6)).astype(np.float32)
    w1[2, 3] = 0
    w2 = rng.normal(size=(4, 5)).astype(np.float32)
    w3 = rng.normal(size=(3, 4)).astype(np.float32)
    tensors = [("layers.0.weight", w1), ("layers.0.bias", rng.normal(size=5)), ("layers.2.weight", w2),
               ("layers.2.bias", rng.normal(size=4)), ("layers.4.weight", w3), ("layers.4.bias", rng.normal(size=3))]
    b = Builder()
    offsets = [b.layer("input", 6), b.layer("layers.0", 5), b.layer("layers.2", 4), b.layer("layers.4", 3)]
    for (src, dst), w in zip(zip(offsets, offsets[1:]), [w1, w2, w3]):
        b.block(src, dst, np.abs(f64(w)))
    return tensors, {"rolled": references(b)}


def cnn(rng):
    """2x6x6 input; conv 3x3 pad 1 (4); max pool 2; grouped conv 3x3 pad 1 (6, groups 2); flatten; dense 5; dense 3."""
    c1 = rng.normal(size=(4, 2, 3, 3)).astype(np.float32)
    c2 = rng.normal(size=(6, 2, 3, 3)).astype(np.float32)
    d1 = rng.normal(size=(5, 54)).astype(np.float32)
    d2 = rng.normal(size=(3, 5)).astype(np.float32)
    tensors = [("conv1.weight", c1), ("conv1.bias", rng.normal(size=4)), ("conv2.weight", c2),
               ("conv2.bias", rng.normal(size=6)), ("fc1.weight", d1), ("fc1.bias", rng.normal(size=5)),
               ("fc2.weight", d2), ("fc2.bias", rng.normal(size=3))]
    spec = {"format": "epochgraph-architecture", "version": 1, "layers": [
        {"type": "input", "name": "input", "channels": 2, "size": [6, 6]},
        {"type": "conv", "name": "conv1", "weight": "conv1.weight", "bias": "conv1.bias", "padding": 1},
        {"type": "activation"},
        {"type": "pool", "name": "pool1", "mode": "max", "kernel": 2},
        {"type": "conv", "name": "conv2", "weight": "conv2.weight", "bias": "conv2.bias", "padding": 1, "groups": 2},
        {"type": "activation"},
        {"type": "flatten"},
        {"type": "dense", "name": "fc1", "weight": "fc1.weight", "bias": "fc1.bias"},
        {"type": "dense", "name": "fc2", "weight": "fc2.weight", "bias": "fc2.bias"},
    ]}

    rolled = Builder()
    i, l1, l2, f1, f2 = (rolled.layer("input", 2), rolled.layer("conv1", 4), rolled.layer("conv2", 6),
                         rolled.layer("fc1", 5), rolled.layer("fc2", 3))
    rolled.block(i, l1, conv_rolled(c1))
    norms = conv_rolled(c2)  # [6, 2]: group g = out // 3 reads channels 2g, 2g+1
    full = np.zeros((6, 4))
    for o in range(6):
        g = o // 3
        full[o, 2 * g:2 * g + 2] = norms[o]
    for o in range(6):
        for j in range(4):
            if o // 3 == j // 2:
                rolled.edges.append((l1 + j, l2 + o, float(full[o, j])))
    rolled.block(l2, f1, np.sqrt((f64(d1).reshape(5, 6, 9) ** 2).sum(axis=2)))
    rolled.block(f1, f2, np.abs(f64(d2)))

    unrolled = Builder()
    ui = unrolled.layer("input", 2 * 36)
    u1 = unrolled.layer("conv1", 4 * 36)
    up = unrolled.layer("pool1", 4 * 9)
    u2 = unrolled.layer("conv2", 6 * 9)
    uf1 = unrolled.layer("fc1", 5)
    uf2 = unrolled.layer("fc2", 3)

    def conv_edges(w, src, dst, size, groups):
        out_c, per_group = w.shape[:2]
        for o in range(out_c):
            g = o // (out_c // groups)
            for y in range(size):
                for x in range(size):
                    for jj in range(per_group):
                        j = g * per_group + jj
                        for ky in range(3):
                            for kx in range(3):
                                iy, ix = y - 1 + ky, x - 1 + kx
                                if 0 <= iy < size and 0 <= ix < size:
                                    unrolled.edges.append((src + (j * size + iy) * size + ix, dst + (o * size + y) * size + x,
                                                           abs(float(w[o, jj, ky, kx]))))

    conv_edges(c1, ui, u1, 6, 1)
    for c in range(4):
        for y in range(3):
            for x in range(3):
                for dy in range(2):
                    for dx in range(2):
                        unrolled.edges.append((u1 + (c * 6 + 2 * y + dy) * 6 + 2 * x + dx, up + (c * 3 + y) * 3 + x, 1.0))
    conv_edges(c2, up, u2, 3, 2)
    unrolled.block(u2, uf1, np.abs(f64(d1)))
    unrolled.block(uf1, uf2, np.abs(f64(d2)))
    return tensors, {"spec": spec, "rolled": references(rolled), "unrolled": references(unrolled)}


def resnet(rng):
    """torchvision-style ResNet: 3x3 stem + BN, one identity basic block (4 ch), one projection block (4 -> 6, stride 2), fc."""
    tensors = []

    def conv(name, out, inp, k):
        w = rng.normal(size=(out, inp, k, k)).astype(np.float32)
        tensors.append((name + ".weight", w))
        return w

    def bn(name, c):
        p = {"weight": rng.uniform(-1.5, 1.5, size=c), "bias": rng.normal(size=c),
             "running_mean": rng.normal(size=c), "running_var": rng.uniform(0.2, 2.0, size=c)}
        for k, v in p.items():
            tensors.append((f"{name}.{k}", np.asarray(v, dtype=np.float32)))
        return bn_scale(p["weight"], p["running_var"])

    stem = conv("conv1", 4, 3, 3)
    s_stem = bn("bn1", 4)
    a1 = conv("layer1.0.conv1", 4, 4, 3)
    s_a1 = bn("layer1.0.bn1", 4)
    a2 = conv("layer1.0.conv2", 4, 4, 3)
    s_a2 = bn("layer1.0.bn2", 4)
    b1 = conv("layer2.0.conv1", 6, 4, 3)
    s_b1 = bn("layer2.0.bn1", 6)
    b2 = conv("layer2.0.conv2", 6, 6, 3)
    s_b2 = bn("layer2.0.bn2", 6)
    ds = conv("layer2.0.downsample.0", 6, 4, 1)
    s_ds = bn("layer2.0.downsample.1", 6)
    fc = rng.normal(size=(3, 6)).astype(np.float32)
    tensors += [("fc.weight", fc), ("fc.bias", rng.normal(size=3).astype(np.float32))]

    result = {}
    for fold in (True, False):
        def scale(s):
            return s[:, None] if fold else 1.0

        b = Builder()
        i = b.layer("input", 3)
        c = b.layer("conv1", 4)
        l1a = b.layer("layer1.0.conv1", 4)
        l1b = b.layer("layer1.0.conv2", 4)
        l2a = b.layer("layer2.0.conv1", 6)
        l2b = b.layer("layer2.0.conv2", 6)
        f = b.layer("fc", 3)
        b.block(i, c, conv_rolled(stem) * scale(s_stem))
        b.block(c, l1a, conv_rolled(a1) * scale(s_a1))
        b.block(l1a, l1b, conv_rolled(a2) * scale(s_a2))
        b.edges += [(c + k, l1b + k, 1.0) for k in range(4)]  # identity shortcut: block input -> block output, channel to channel
        b.block(l1b, l2a, conv_rolled(b1) * scale(s_b1))
        b.block(l2a, l2b, conv_rolled(b2) * scale(s_b2))
        b.block(l1b, l2b, conv_rolled(ds) * scale(s_ds))  # projection shortcut into the block output
        b.block(l2b, f, np.abs(f64(fc)))
        result["rolled" if fold else "rolled_no_fold"] = references(b)
    return tensors, result


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240517)
    for name, make in (("mlp", mlp), ("cnn", cnn), ("resnet", resnet)):
        tensors, reference = make(rng)
        write_safetensors(os.path.join(OUT, name + ".safetensors"), [(n, np.asarray(a, dtype=np.float32)) for n, a in tensors])
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(reference, f, separators=(",", ":"))
            f.write("\n")
        sizes = ", ".join(f"{k}: {v['nodes']} nodes / {v['edges']} edges" for k, v in reference.items() if k != "spec")
        print(f"{name}: {sizes}")


if __name__ == "__main__":
    main()
