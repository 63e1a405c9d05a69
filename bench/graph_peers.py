#!/usr/bin/python3
"""Peer timings for `npm run bench:graph`: scipy, igraph and networkx on the graph that
bench/graph.ts wrote to DIR (src.i32, dst.i32, w.f64: one entry per edge; w2.f64: the
perturbed copy's weights; ours.f64: our strength in, strength out, eigenvector centrality,
PageRank, update strength in and out, n values each).

Prints one JSON object: per peer and property the median wall-clock and CPU seconds over
the runs, and the largest absolute difference from epochgraph's values. Graph construction is not timed;
whatever conversion a peer's own call does (networkx -> scipy) is.

Usage: /usr/bin/python3 bench/graph_peers.py DIR RUNS NETWORKX_RUNS
"""
import json
import sys
import time

import igraph as ig
import networkx as nx
import numpy as np
import scipy
import scipy.sparse
import scipy.sparse.linalg

ALPHA = 0.85


def timed(fn, runs):
    """Median wall-clock and CPU seconds of `runs` calls, and the last result."""
    wall = []
    cpu = []
    result = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"wall": float(np.median(wall)), "cpu": float(np.median(cpu))}, result


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    v = v * np.sign(v.sum())
    return v / np.linalg.norm(v)


def scipy_pagerank(a, tol=1e-6, max_iter=100):
    """networkx's _pagerank_scipy power iteration on a prebuilt CSR matrix (same stopping rule)."""
    n = a.shape[0]
    s = np.asarray(a.sum(axis=1)).ravel()
    nonzero = s != 0
    s[nonzero] = 1.0 / s[nonzero]
    q = scipy.sparse.diags(s) @ a
    x = np.full(n, 1.0 / n)
    p = np.full(n, 1.0 / n)
    dangling = np.where(~nonzero)[0]
    for _ in range(max_iter):
        last = x
        x = ALPHA * (x @ q + x[dangling].sum() * p) + (1 - ALPHA) * p
        if np.abs(x - last).sum() < n * tol:
            return x
    raise RuntimeError("scipy pagerank did not converge")


def main():
    folder, runs, nx_runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    src = np.fromfile(folder + "/src.i32", dtype="<i4")
    dst = np.fromfile(folder + "/dst.i32", dtype="<i4")
    w = np.fromfile(folder + "/w.f64", dtype="<f8")
    w2 = np.fromfile(folder + "/w2.f64", dtype="<f8")
    ours = np.fromfile(folder + "/ours.f64", dtype="<f8").reshape(6, -1)
    n = ours.shape[1]
    ours_in, ours_out, ours_eig, ours_pr, ours_update_in, ours_update_out = ours

    def deviation(strengths=None, eig=None, pr=None):
        out = {}
        if strengths is not None:
            out["strength"] = float(max(np.max(np.abs(strengths[0] - ours_in)), np.max(np.abs(strengths[1] - ours_out))))
        if eig is not None:
            out["eigenvector"] = float(np.max(np.abs(unit(eig) - ours_eig)))
        if pr is not None:
            out["pagerank"] = float(np.max(np.abs(np.asarray(pr) - ours_pr)))
        return out

    result = {"versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                           "igraph": ig.__version__, "networkx": nx.__version__}}

    a = scipy.sparse.csr_matrix((w, (src, dst)), shape=(n, n))
    sym = (a + a.T).tocsr()
    t_s, s = timed(lambda: (np.asarray(a.sum(axis=0)).ravel(), np.asarray(a.sum(axis=1)).ravel()), runs)
    t_e, e = timed(lambda: scipy.sparse.linalg.eigsh(sym, k=1, which="LA")[1][:, 0], runs)
    t_p, p = timed(lambda: scipy_pagerank(a), runs)
    b = scipy.sparse.csr_matrix((w2, (src, dst)), shape=(n, n))

    def update():
        moved = abs(b - a)
        return (np.asarray(moved.sum(axis=0)).ravel(), np.asarray(moved.sum(axis=1)).ravel(),
                np.asarray(a.sum(axis=0)).ravel(), np.asarray(a.sum(axis=1)).ravel())
    t_u, u = timed(update, runs)
    update_deviation = float(max(np.max(np.abs(u[0] - ours_update_in)), np.max(np.abs(u[1] - ours_update_out))))
    result["scipy"] = {"update": t_u, "strength": t_s, "eigenvector": t_e, "pagerank": t_p,
                       "deviation": {**deviation(s, e, p), "update": update_deviation},
                       "notes": "A.sum over CSR; |B - A| sums for the update; eigsh(A + A^T, k=1, which='LA', tol=0); networkx's power iteration on CSR, tol 1e-6"}

    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=True)
    g.es["weight"] = w
    t_s, s = timed(lambda: (np.array(g.strength(mode="in", weights="weight")), np.array(g.strength(mode="out", weights="weight"))), runs)
    t_e, e = timed(lambda: g.eigenvector_centrality(directed=False, scale=False, weights="weight"), runs)
    t_p, p = timed(lambda: g.pagerank(directed=True, damping=ALPHA, weights="weight"), runs)
    result["igraph"] = {"strength": t_s, "eigenvector": t_e, "pagerank": t_p, "deviation": deviation(s, e, p),
                        "notes": "strength in + out; eigenvector_centrality(directed=False) (ARPACK); pagerank (PRPACK)"}

    d = nx.DiGraph()
    d.add_nodes_from(range(n))
    d.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), w.tolist()))
    u = d.to_undirected()
    t_s, s = timed(lambda: (np.array([v for _, v in sorted(d.in_degree(weight="weight"))]),
                            np.array([v for _, v in sorted(d.out_degree(weight="weight"))])), nx_runs)
    t_e, e = timed(lambda: nx.eigenvector_centrality_numpy(u, weight="weight"), nx_runs)
    t_p, p = timed(lambda: nx.pagerank(d, alpha=ALPHA, weight="weight"), nx_runs)
    result["networkx"] = {"strength": t_s, "eigenvector": t_e, "pagerank": t_p,
                          "deviation": deviation(s, [e[i] for i in range(n)], [p[i] for i in range(n)]),
                          "notes": "in/out_degree(weight); eigenvector_centrality_numpy (ARPACK); pagerank (scipy, tol 1e-6)"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
