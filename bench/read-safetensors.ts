/**
 * Benchmark: reading a ~500 MB safetensors file.
 *
 * Prints, from the same run and the same (page-cached) file:
 * - raw sequential read throughput of the file (the bound any reader can reach);
 * - epochgraph's `readCheckpoint` throughput (all tensors) and its ratio to the raw read;
 * - a NumPy peer (header parsed with json, tensors with numpy.fromfile) where /usr/bin/python3 has numpy;
 * - peak RSS of a fresh process that opens the file and reads one tensor, against an idle process.
 *
 * Usage: npm run bench [-- --size-mb 500 --repeats 5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCheckpoint, writeSafetensors } from '../src/index.js';
import { makeTensor } from '../src/checkpoint/tensor.js';
import { median, printComparison } from './report.js';

const { values } = parseArgs({
  options: { 'size-mb': { type: 'string', default: '500' }, repeats: { type: 'string', default: '5' } },
});
const sizeMb = Number(values['size-mb']);
const repeats = Number(values.repeats);
const TENSOR_MB = 10;
const file = join(tmpdir(), `epochgraph-bench-${sizeMb}mb.safetensors`);
const root = resolve(import.meta.dirname, '..');

async function ensureFile(): Promise<void> {
  if (existsSync(file)) return;
  const count = Math.round(sizeMb / TENSOR_MB);
  const elements = (TENSOR_MB * 1e6) / 4;
  const tensors = [];
  for (let i = 0; i < count; i++) {
    const data = new Float32Array(elements);
    for (let j = 0; j < elements; j++) data[j] = Math.sin(i * 131 + j) * 0.05;
    tensors.push(makeTensor(`layers.${i}.weight`, 'F32', [elements / 1000, 1000], data));
  }
  await writeSafetensors(file, tensors, { producer: 'epochgraph bench' });
}

/**
 * Raw sequential read of the whole file in 8 MiB requests. With `fresh`, every request
 * lands in newly allocated memory (what any reader returning the data must pay in page
 * faults); without, one buffer is reused (the page-cache copy alone).
 */
async function rawRead(fresh: boolean): Promise<number> {
  const handle = await open(file, 'r');
  const chunkBytes = 8 << 20;
  let chunk = new Uint8Array(chunkBytes);
  const kept: Uint8Array[] = [];
  const start = performance.now();
  let position = 0;
  for (;;) {
    if (fresh) {
      chunk = new Uint8Array(Buffer.allocUnsafeSlow(chunkBytes).buffer);
      kept.push(chunk);
    }
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
  }
  const seconds = (performance.now() - start) / 1000;
  await handle.close();
  return seconds;
}

async function epochgraphRead(): Promise<number> {
  const start = performance.now();
  const checkpoint = await readCheckpoint(file);
  const seconds = (performance.now() - start) / 1000;
  if (checkpoint.tensors.length === 0) throw new Error('bench: no tensors read');
  return seconds;
}

const NUMPY_PEER = `
import json, struct, sys, time
import numpy as np
path, repeats = sys.argv[1], int(sys.argv[2])
dtypes = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, e in header.items():
            if name == "__metadata__":
                continue
            b, end = e["data_offsets"]
            f.seek(base + b)
            out[name] = np.fromfile(f, dtype=dtypes[e["dtype"]], count=(end - b) // np.dtype(dtypes[e["dtype"]]).itemsize).reshape(e["shape"])
    times.append(time.perf_counter() - t0)
print(json.dumps(times))
`;

function numpyPeer(): number[] | undefined {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return undefined;
  const result = spawnSync(python, ['-c', NUMPY_PEER, file, String(repeats)], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return JSON.parse(result.stdout) as number[];
}

/**
 * Peak RSS (MB) of a fresh Node process running `script` (an ES module, from the package root)
 * then printing its high-water mark. VmHWM, unlike getrusage's maxrss, is not inherited
 * from the parent across fork and exec.
 */
function peakRss(script: string): number {
  const printPeak = `console.log(/VmHWM:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', `${script}\n${printPeak}`], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bench: child failed: ${result.stderr}`);
  return Number(result.stdout.trim()) / 1024;
}

await ensureFile();
const bytes = statSync(file).size;
const mb = bytes / 1e6;
console.log(`file: ${file} (${mb.toFixed(0)} MB, ${Math.round(sizeMb / TENSOR_MB)} tensors), page cache warm, median of ${repeats}`);
await rawRead(false); // warm the page cache
const rawReused = [];
const rawFresh = [];
const ours = [];
for (let i = 0; i < repeats; i++) {
  rawReused.push(await rawRead(false));
  rawFresh.push(await rawRead(true));
  ours.push(await epochgraphRead());
}
const oursMbs = mb / median(ours);
const numpy = numpyPeer();
const rows: [string, number, string][] = [
  ['raw read, 8 MiB requests into one reused buffer', mb / median(rawReused), 'MB/s'],
  ['raw read, 8 MiB requests into fresh memory', mb / median(rawFresh), 'MB/s'],
];
if (numpy) rows.push(['numpy.fromfile per tensor (/usr/bin/python3)', mb / median(numpy), 'MB/s']);
printComparison('read all tensors', { name: 'epochgraph readCheckpoint', value: oursMbs, unit: 'MB/s' }, rows, 'higher');

const idle = peakRss(`await import('./dist/index.js');`);
const oneTensor = peakRss(
  `import { readCheckpoint } from './dist/index.js';
   const c = await readCheckpoint(${JSON.stringify(file)}, { names: ['layers.7.weight'] });
   if (c.tensors[0].data.length !== ${(TENSOR_MB * 1e6) / 4}) throw new Error('wrong tensor');`,
);
console.log(`\npeak RSS, one ${TENSOR_MB} MB tensor of the ${mb.toFixed(0)} MB file: ${oneTensor.toFixed(1)} MB (node with epochgraph loaded, nothing read: ${idle.toFixed(1)} MB; target < 100 MB)`);
