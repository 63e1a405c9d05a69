/**
 * Graph engine benchmark: `npm run bench:graph [-- options]`.
 *
 * 1. The rolled graph of an MLP 784-1024-1024-10 with |He-init| weights (2,842 nodes,
 *    1,861,632 edges): strengths, eigenvector centrality and PageRank, median of `--runs`
 *    after a warm-up, for float64 and float32 edge storage; the same graph timed with scipy,
 *    igraph and networkx in a child /usr/bin/python3 (bench/graph_peers.py), with the largest
 *    deviation of each peer's values from ours. Then the update strengths between that graph
 *    and a perturbed copy of it (every weight times 1 + 0.01 N(0, 1)), against scipy's
 *    |B - A| row and column sums.
 * 2. The memory-bandwidth bound of one product: a product must read every stored edge weight
 *    and the node vectors (`productBytes`); the bound is the time the machine takes to move
 *    that many bytes through memory with the same footprint, measured as a plain
 *    Float32Array copy of productBytes / 2 (read + write = productBytes), interleaved with
 *    the products so that both see the same cache state. A read-only JavaScript sum is
 *    reported too; it is slower than the copy, so the copy gives the stricter bound.
 * 3. A ResNet-50-sized checkpoint (torchvision layout, random weights, 25.6M parameters)
 *    written to a temporary safetensors file, then read into its rolled graph (one weight
 *    tensor at a time) and all properties computed, in a fresh child process per run,
 *    reporting times and peak RSS against the file size, and the update strengths of the
 *    graph against itself (their cost does not depend on the weights).
 *
 * Options: --runs N (15), --peer-runs N (5), --networkx-runs N (1), --resnet-runs N (3), --no-peers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSafetensors } from '../src/checkpoint/safetensors.js';
import { makeTensor } from '../src/checkpoint/tensor.js';
import type { Tensor } from '../src/checkpoint/tensor.js';
import type { Graph } from '../src/graph/graph.js';
import { buildRolledGraph, readRolledGraph } from '../src/graph/rolled.js';
import type { Precision } from '../src/graph/rolled.js';
import { computeProperties } from '../src/properties/compute.js';
import { eigenvectorCentrality } from '../src/properties/eigenvector-centrality.js';
import { pagerank } from '../src/properties/pagerank.js';
import { strength } from '../src/properties/strength.js';
import { updateStrength } from '../src/properties/update-strength.js';
import { createRng } from '../src/util/random.js';
import { median } from './report.js';
import { resnet50Tensors } from './resnet50.js';

const PYTHON = '/usr/bin/python3';
const HERE = import.meta.dirname;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** Median milliseconds, wall clock and CPU time. */
interface Timing {
  wall: number;
  cpu: number;
}

/**
 * Median wall-clock and CPU milliseconds of `runs` calls. On a shared machine the CPU time
 * (this process only) is the fairer figure: it leaves out the time other processes held the CPU.
 */
function time(fn: () => void, runs: number): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const usage = process.cpuUsage();
    const start = performance.now();
    fn();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(usage);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)) + ' ms';
const fmtMB = (bytes: number): string => (bytes / 1e6).toFixed(1) + ' MB';
const pad = (text: string, width: number): string => text.padEnd(width);

/**
 * Median times of one symmetric product and of the bandwidth references for `bytes`,
 * interleaved. Returns milliseconds: product, copy of bytes / 2 (the bound), read-only sum of bytes.
 */
function productAndBound(graph: Graph, runs: number): { product: number; bound: number; sum: number } {
  const bytes = graph.adjacency.productBytes;
  const src = new Float32Array(Math.round(bytes / 8)).fill(1.5);
  const dst = new Float32Array(src.length);
  const whole = new Float32Array(Math.round(bytes / 4)).fill(0.5);
  const x = new Float64Array(graph.nodeCount).fill(1);
  const y = new Float64Array(graph.nodeCount);
  let sink = 0;
  const sum = (): void => {
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (let i = 0; i + 3 < whole.length; i += 4) {
      a += whole[i];
      b += whole[i + 1];
      c += whole[i + 2];
      d += whole[i + 3];
    }
    sink += a + b + c + d;
  };
  const product: number[] = [];
  const copy: number[] = [];
  const sums: number[] = [];
  for (let r = 0; r < runs + 3; r++) {
    let start = performance.now();
    graph.adjacency.symmetricProduct(x, y);
    const p = performance.now() - start;
    start = performance.now();
    dst.set(src);
    const c = performance.now() - start;
    start = performance.now();
    sum();
    const s = performance.now() - start;
    // The first rounds warm up the JIT and the caches.
    if (r >= 3) {
      product.push(p);
      copy.push(c);
      sums.push(s);
    }
  }
  if (sink === 42) console.log('');
  return { product: median(product), bound: median(copy), sum: median(sums) };
}

/** |He-init| dense weights of an MLP 784-1024-1024-10 (fan-in normal, absolute values), or `base`'s perturbed by 1% noise. */
function mlpTensors(seed = 1, base?: Tensor[]): Tensor[] {
  const rng = createRng(seed);
  const sizes = [784, 1024, 1024, 10];
  return sizes.slice(1).map((out, k) => {
    const fanIn = sizes[k];
    const data = new Float32Array(out * fanIn);
    const earlier = base?.[k].data as Float32Array | undefined;
    for (let i = 0; i < data.length; i++) data[i] = earlier ? Math.abs(earlier[i] * (1 + 0.01 * rng.normal())) : Math.abs(rng.normal() * Math.sqrt(2 / fanIn));
    return makeTensor(`layers.${k}.weight`, 'F32', [out, fanIn], data);
  });
}

interface PeerResult {
  update?: Timing;
  strength: Timing;
  eigenvector: Timing;
  pagerank: Timing;
  deviation: Record<string, number>;
  notes: string;
}

/** Runs bench/graph_peers.py on `graph`; returns its JSON (seconds) or the reason it could not run. */
function runPeers(graph: Graph, later: Graph, ours: Float64Array[], runs: number, networkxRuns: number): Record<string, PeerResult> | string {
  const dir = mkdtempSync(join(tmpdir(), 'epochgraph-bench-'));
  try {
    const src = new Int32Array(graph.edgeCount);
    const dst = new Int32Array(graph.edgeCount);
    const w = new Float64Array(graph.edgeCount);
    let e = 0;
    graph.adjacency.forEachEdge((s, t, weight) => {
      src[e] = s;
      dst[e] = t;
      w[e++] = weight;
    });
    writeFileSync(join(dir, 'src.i32'), src);
    writeFileSync(join(dir, 'dst.i32'), dst);
    writeFileSync(join(dir, 'w.f64'), w);
    e = 0;
    later.adjacency.forEachEdge((_s, _t, weight) => (w[e++] = weight));
    writeFileSync(join(dir, 'w2.f64'), w);
    const all = new Float64Array(ours.length * graph.nodeCount);
    ours.forEach((values, k) => all.set(values, k * graph.nodeCount));
    writeFileSync(join(dir, 'ours.f64'), all);
    const result = spawnSync(PYTHON, [join(HERE, 'graph_peers.py'), dir, String(runs), String(networkxRuns)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (result.status !== 0) return `peers failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`;
    return JSON.parse(result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PROPERTIES = ['strength', 'eigenvector', 'pagerank'] as const;
const PEERS = ['scipy', 'igraph', 'networkx'] as const;

interface Measured extends Record<(typeof PROPERTIES)[number] | 'update', Timing> {
  products: number;
  product: number;
  bound: number;
  sum: number;
  bytes: number;
}

async function mlpSection(runs: number, peerRuns: number, networkxRuns: number, peers: boolean): Promise<void> {
  const tensors = mlpTensors();
  const laterTensors = mlpTensors(2, tensors);
  const measured: Record<string, Measured> = {};
  let reference: Graph | undefined;
  let referenceLater: Graph | undefined;
  let ours: Float64Array[] = [];
  for (const precision of ['float64', 'float32'] as Precision[]) {
    const graph = buildRolledGraph(tensors, { precision });
    const later = buildRolledGraph(laterTensors, { precision });
    // Warm-up: JIT and WebAssembly tier-up.
    for (let k = 0; k < 3; k++) {
      strength(graph);
      eigenvectorCentrality(graph);
      pagerank(graph);
      updateStrength(graph, later);
    }
    measured[precision] = {
      update: time(() => updateStrength(graph, later), runs),
      strength: time(() => strength(graph), runs),
      eigenvector: time(() => eigenvectorCentrality(graph), runs),
      pagerank: time(() => pagerank(graph), runs),
      products: eigenvectorCentrality(graph).products,
      bytes: graph.adjacency.productBytes,
      ...productAndBound(graph, runs),
    };
    if (precision === 'float64') {
      reference = graph;
      referenceLater = later;
      const s = strength(graph);
      const u = updateStrength(graph, later);
      ours = [s.in, s.out, eigenvectorCentrality(graph).values, pagerank(graph), u.in, u.out];
    }
  }
  const graph = reference as Graph;
  console.log(`MLP 784-1024-1024-10, |He-init| weights: rolled graph of ${graph.nodeCount.toLocaleString('en-US')} nodes, ${graph.edgeCount.toLocaleString('en-US')} edges`);
  console.log(`medians of ${runs} runs after warm-up (peers: ${peerRuns}, networkx ${networkxRuns}); Lanczos used ${measured.float64.products} products (tolerance 1e-12)\n`);

  console.log('One product (y = (A + A^T) x) against the memory-bandwidth bound (wall clock)');
  for (const [precision, m] of Object.entries(measured)) {
    console.log(
      `  ${pad(precision, 8)} reads ${fmtMB(m.bytes)}: product ${fmtMs(m.product)}, bound ${fmtMs(m.bound)} ` +
        `(copy at ${((m.bytes / m.bound) * 1e-6).toFixed(1)} GB/s; JS sum ${((m.bytes / m.sum) * 1e-6).toFixed(1)} GB/s), ` +
        `${(m.product / m.bound).toFixed(2)}x the bound`,
    );
  }

  const peerResults = peers ? runPeers(graph, referenceLater as Graph, ours, peerRuns, networkxRuns) : 'skipped (--no-peers)';
  const passes = { strength: () => 1, eigenvector: (m: Measured) => m.products, pagerank: () => 2 };
  for (const clock of ['wall', 'cpu'] as const) {
    console.log(`\n${clock === 'wall' ? 'Wall-clock' : 'CPU'} time`);
    console.log(`  ${pad('property', 14)}${pad('ours f64', 11)}${pad('ours f32', 11)}${PEERS.map((p) => pad(p, 11)).join('')}${pad('fastest peer / ours (f64, f32)', 34)}x bound (f64, f32)`);
    for (const property of PROPERTIES) {
      const f64 = measured.float64[property][clock];
      const f32 = measured.float32[property][clock];
      let peerText = pad('', 33);
      let ratio = 'n/a';
      if (typeof peerResults !== 'string') {
        const times = PEERS.map((p) => peerResults[p][property][clock] * 1000);
        peerText = times.map((t) => pad(fmtMs(t), 11)).join('');
        const fastest = Math.min(...times);
        ratio = `${(fastest / f64).toFixed(1)}x, ${(fastest / f32).toFixed(1)}x (${PEERS[times.indexOf(fastest)]})`;
      }
      const bound = (m: Measured) => `${(m[property][clock] / (passes[property](m) * m.bound)).toFixed(2)}x`;
      console.log(`  ${pad(property, 14)}${pad(fmtMs(f64), 11)}${pad(fmtMs(f32), 11)}${peerText}${pad(ratio, 34)}${bound(measured.float64)}, ${bound(measured.float32)}`);
    }
  }
  console.log(`  (x bound: time / (passes over the edges x one-product bound); passes: strength 1, eigenvector ${measured.float64.products}, pagerank 2)`);
  console.log('\nUpdate strengths to a perturbed copy (|B - A| summed in and out, with A\'s strengths), median wall clock / CPU');
  const scipyUpdate = typeof peerResults === 'string' ? undefined : peerResults.scipy.update;
  for (const precision of ['float64', 'float32']) {
    const ours = measured[precision].update;
    const versus = scipyUpdate ? `; scipy ${fmtMs(scipyUpdate.wall * 1000)} / ${fmtMs(scipyUpdate.cpu * 1000)}, scipy / ours ${((scipyUpdate.wall * 1000) / ours.wall).toFixed(1)}x (wall)` : '';
    console.log(`  ${pad(precision, 8)} ours ${fmtMs(ours.wall)} / ${fmtMs(ours.cpu)}${versus}`);
  }
  if (typeof peerResults === 'string') {
    console.log(`\npeers: ${peerResults}`);
    return;
  }
  console.log('\nPeers (largest |difference| from epochgraph float64 values):');
  for (const name of PEERS) {
    const p = peerResults[name];
    const dev = Object.entries(p.deviation)
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join(', ');
    console.log(`  ${pad(name, 9)} ${dev}; ${p.notes}`);
  }
  console.log(`  versions: ${JSON.stringify((peerResults as unknown as Record<string, unknown>).versions)}`);
}

/** Child process: read + build + all properties of one checkpoint; prints JSON. */
async function resnetChild(file: string, precision: Precision): Promise<void> {
  const baseline = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  let start = performance.now();
  const graph = await readRolledGraph(file, { precision });
  const build = performance.now() - start;
  start = performance.now();
  const properties = computeProperties(graph);
  const compute = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuTotal = (used.user + used.system) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  start = performance.now();
  computeProperties(graph);
  const warm = performance.now() - start;
  const { product, bound } = productAndBound(graph, 5);
  // The update strengths' cost does not depend on the values: the graph against itself.
  start = performance.now();
  updateStrength(graph, graph);
  const update = performance.now() - start;
  console.log(
    JSON.stringify({
      build, compute, cpuTotal, warm, peak, baseline, product, bound, update,
      nodes: graph.nodeCount, edges: graph.edgeCount, products: properties.eigenvectorProducts, bytes: graph.adjacency.productBytes,
    }),
  );
}

async function resnetSection(runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'epochgraph-bench-'));
  try {
    const file = join(dir, 'resnet50.safetensors');
    const tensors = resnet50Tensors(createRng(50));
    const parameters = tensors.reduce((n, t) => n + (t.dtype === 'F32' ? t.data.length : 0), 0);
    await writeSafetensors(file, tensors);
    const size = statSync(file).size;
    console.log(`\nResNet-50 (torchvision layout, random weights, ${(parameters / 1e6).toFixed(1)}M parameters, ${fmtMB(size)} safetensors):`);
    console.log(`readRolledGraph (one weight tensor at a time) + computeProperties, fresh process per run, medians of ${runs} runs`);
    for (const precision of ['float64', 'float32'] as Precision[]) {
      const results: Record<string, number>[] = [];
      for (let r = 0; r < runs; r++) {
        const child = spawnSync(process.execPath, ['--import', 'tsx', resolve(HERE, 'graph.ts'), '--resnet-child', file, precision], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        });
        if (child.status !== 0) throw new Error(`ResNet-50 child failed: ${child.stderr}`);
        results.push(JSON.parse(child.stdout.trim().split('\n').at(-1) as string));
      }
      const m = (key: string) => median(results.map((x) => x[key]));
      const total = m('build') + m('compute');
      const first = results[0];
      console.log(
        `  ${pad(precision, 8)} ${first.nodes.toLocaleString('en-US')} nodes, ${first.edges.toLocaleString('en-US')} edges: ` +
          `read + build ${fmtMs(m('build'))} + properties ${fmtMs(m('compute'))} = ${fmtMs(total)} (CPU ${fmtMs(m('cpuTotal'))}; ` +
          `properties again, warm: ${fmtMs(m('warm'))}; ${m('products')} products)`,
      );
      console.log(
        `  ${pad('', 8)} peak RSS ${fmtMB(m('peak'))} = ${(m('peak') / size).toFixed(2)}x the file; above the ${fmtMB(m('baseline'))} ` +
          `runtime baseline ${fmtMB(m('peak') - m('baseline'))} = ${((m('peak') - m('baseline')) / size).toFixed(2)}x; ` +
          `product ${fmtMs(m('product'))} reading ${fmtMB(first.bytes)}, bound ${fmtMs(m('bound'))}: ${(m('product') / m('bound')).toFixed(2)}x; ` +
          `update strengths ${fmtMs(m('update'))}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--resnet-child') {
  await resnetChild(process.argv[3], process.argv[4] as Precision);
} else {
  console.log(`epochgraph graph benchmark, node ${process.version}, ${new Date().toISOString()}\n`);
  await mlpSection(option('--runs', 15), option('--peer-runs', 5), option('--networkx-runs', 1), !process.argv.includes('--no-peers'));
  await resnetSection(option('--resnet-runs', 3));
}
