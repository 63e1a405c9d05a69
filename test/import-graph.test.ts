/**
 * The import graph of src/ follows the pipeline (docs/architecture.md): checkpoint ->
 * graph -> properties -> summary -> predict -> prune -> report, each stage importing only earlier
 * ones and the base (util, errors); train, zoo and the importers produce runs from the
 * stages up to the graph; the command line sits on top and nothing imports it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');
const BASE = ['util', 'errors'];
const STAGES = ['checkpoint', 'graph', 'properties', 'summary', 'predict', 'prune', 'report'];

/** What each part of src/ may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  util: ['errors'],
  errors: [],
  ...Object.fromEntries(STAGES.map((stage, k) => [stage, [...BASE, ...STAGES.slice(0, k)]])),
  train: [...BASE, 'checkpoint', 'graph'],
  zoo: [...BASE, 'checkpoint', 'graph', 'train'],
  // Importers turn published zoos into run directories, as train and zoo make them.
  importers: [...BASE, 'checkpoint', 'graph'],
  // The client of the pruning service writes checkpoints (safetensors in PyTorch's layout) and nothing else.
  client: [...BASE, 'checkpoint'],
  // The pruning service stores runs, predicts with a model file and decides with the policies; it owns no stage.
  service: [...BASE, ...STAGES.filter((s) => s !== 'report'), 'client'],
  // The library's entry point re-exports every stage, never the command line.
  // The zoo index caches a run's summary and indexes zoos; the queue runs training and feature jobs on workers.
  'zoo-index': [...BASE, 'checkpoint', 'graph', 'properties', 'summary'],
  queue: [...BASE, 'checkpoint', 'graph', 'properties', 'summary', 'train', 'zoo', 'zoo-index'],
  index: [...BASE, ...STAGES],
  cli: [...BASE, ...STAGES, 'train', 'zoo', 'importers', 'zoo-index', 'queue', 'service'],
};

interface Import {
  readonly from: string;
  readonly specifier: string;
  /** A type-only import (erased) or a dynamic import() (loaded on demand). */
  readonly lazy: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** The imports of a source file: static `import`/`export ... from`, side-effect imports and dynamic `import()`. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(/^(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    found.push({ from: file, specifier: match[3], lazy: Boolean(match[2]) });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ from: file, specifier: match[1], lazy: true });
  return found;
}

/** The part of src/ a file belongs to: its top-level folder, or its name for a top-level file. */
function partOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0].replace(/\.ts$/, '');
}

/** The source file a relative specifier names. */
function target(imported: Import): string {
  return resolve(dirname(imported.from), imported.specifier).replace(/\.js$/, '.ts');
}

const FILES = sourceFiles(SRC);
const IMPORTS = FILES.flatMap(importsOf);

describe('the import graph of src/', () => {
  it('reads the imports of every source file', () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(IMPORTS.filter((i) => i.specifier.startsWith('.')).length).toBeGreaterThan(300);
    // The parser sees every form used: static, type-only, re-export and dynamic.
    expect(IMPORTS.some((i) => i.lazy && i.specifier.includes('report'))).toBe(true);
    expect(IMPORTS.some((i) => i.from.endsWith('index.ts') && i.specifier === './summary/table.js')).toBe(true);
  });

  it('places every part of src/ in the pipeline', () => {
    const parts = [...new Set(FILES.map(partOf))].sort();
    expect(parts).toEqual(Object.keys(ALLOWED).sort());
  });

  it('has no back-edge: no stage imports a later one, nothing outside the command line imports it', () => {
    const backEdges = IMPORTS.filter((i) => i.specifier.startsWith('.'))
      .map((i) => ({ from: partOf(i.from), to: partOf(target(i)), where: `${relative(SRC, i.from)} -> ${i.specifier}` }))
      .filter(({ from, to }) => from !== to && !ALLOWED[from].includes(to))
      .map((e) => e.where);
    expect(backEdges).toEqual([]);
  });

  it('keeps the library entry point free of tfjs: no static import chain from src/index.ts reaches it', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const i of IMPORTS.filter((x) => x.from === file && !x.lazy)) {
        if (i.specifier.startsWith('.')) visit(target(i));
        else packages.add(i.specifier);
      }
    };
    visit(join(SRC, 'index.ts'));
    expect(seen.size).toBeGreaterThan(50);
    expect([...packages].filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
  });
});
