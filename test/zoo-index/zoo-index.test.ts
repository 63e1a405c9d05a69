import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFormatError } from '../../src/errors.js';
import { ZooIndex, ZooIndexError, openFreshZooIndex } from '../../src/zoo-index/zoo-index.js';
import { runCli, tempDir } from '../helpers.js';
import { writeSyntheticZoo } from './synthetic-zoo.js';

interface RunJson {
  config: { arch: string; lr: number };
  history: { epoch: number; test_acc: number }[];
}

const readRunJson = (zoo: string, run: string) => JSON.parse(readFileSync(join(zoo, run, 'run.json'), 'utf8')) as RunJson;

describe('zoo index', () => {
  it('answers filtered joins as a scan of the run.json files does, and updates incrementally', async () => {
    const zoo = tempDir();
    const names = writeSyntheticZoo(zoo, 30, { epochs: 6 });
    const index = await ZooIndex.open(zoo);
    try {
      expect(await index.update()).toMatchObject({ runs: 30, added: 30, updated: 0, removed: 0, featureRows: 0 });
      expect(await index.freshness()).toBe('fresh');
      expect((await index.query('SELECT count(*) AS n FROM history')).rows).toEqual([[30 * 7]]);
      expect((await index.query('SELECT typeof(lr), typeof(arch), typeof(batch_norm), typeof(seed) FROM runs LIMIT 1')).rows).toEqual([['DOUBLE', 'VARCHAR', 'BOOLEAN', 'BIGINT']]);

      const sql = "SELECT r.run, h.test_acc FROM runs r JOIN history h USING (run) WHERE r.arch = 'mlp' AND r.lr > 0.01 AND h.epoch = 3 ORDER BY r.run";
      const scanned = names.flatMap((run) => {
        const json = readRunJson(zoo, run);
        return json.config.arch === 'mlp' && json.config.lr > 0.01 ? [[run, json.history.find((h) => h.epoch === 3)?.test_acc]] : [];
      });
      expect(scanned.length).toBeGreaterThan(0);
      expect((await index.query(sql)).rows).toEqual(scanned);

      // One run changed, one removed, two added.
      const changed = readRunJson(zoo, names[3]);
      changed.config.arch = 'changed';
      writeFileSync(join(zoo, names[3], 'run.json'), JSON.stringify({ id: names[3], ...changed }));
      utimesSync(join(zoo, names[3], 'run.json'), new Date(), new Date(Date.now() + 5000));
      rmSync(join(zoo, names[5]), { recursive: true });
      writeSyntheticZoo(zoo, 2, { first: 30, epochs: 6 });
      expect(await index.freshness()).toBe('stale');
      expect(await index.update()).toMatchObject({ runs: 31, added: 2, updated: 1, removed: 1 });
      expect((await index.query(`SELECT arch FROM runs WHERE run = '${names[3]}'`)).rows).toEqual([['changed']]);
      expect((await index.query(`SELECT count(*) FROM history WHERE run = '${names[5]}'`)).rows).toEqual([[0]]);
      expect(await index.update()).toMatchObject({ runs: 31, added: 0, updated: 0, removed: 0 });

      // A malformed run fails the update and leaves the index as it was.
      mkdirSync(join(zoo, 'run-broken'));
      writeFileSync(join(zoo, 'run-broken', 'run.json'), '{"id": "run-broken", "config": {}, "history": [{"epoch": -1}]}');
      const error = await index.update().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunFormatError);
      expect((error as Error).message).toMatch(/run-broken\/run\.json: history\[0\]\.epoch/);
      expect((await index.query('SELECT count(*) FROM runs')).rows).toEqual([[31]]);
      rmSync(join(zoo, 'run-broken'), { recursive: true });

      await expect(index.query('SELECT nothing FROM runs')).rejects.toThrow(ZooIndexError);
      const parquet = join(zoo, 'out', 'mlp.parquet');
      await index.export("SELECT run, lr FROM runs WHERE arch = 'mlp' ORDER BY run", parquet);
      const rows = await parquetReadObjects({ file: await asyncBufferFromFile(parquet) });
      const mlp = (await index.query("SELECT run, lr FROM runs WHERE arch = 'mlp' ORDER BY run")).rows;
      expect(rows.map((r) => [r.run, r.lr])).toEqual(mlp);
    } finally {
      index.close();
    }
    const fresh = await openFreshZooIndex(zoo);
    expect(fresh).toBeDefined();
    fresh?.close();
    utimesSync(join(zoo, names[0], 'run.json'), new Date(), new Date(Date.now() + 9000));
    expect(await openFreshZooIndex(zoo)).toBeUndefined();
  });

  it('epochgraph index and query: JSON and CSV output, errors with exit code 2', async () => {
    const zoo = tempDir();
    writeSyntheticZoo(zoo, 12, { epochs: 3 });
    const built = await runCli(['index', zoo, '--json']);
    expect(built.code).toBe(0);
    expect(JSON.parse(built.stdout)).toEqual([expect.objectContaining({ runs: 12, added: 12 })]);
    const counts = await runCli(['query', zoo, 'SELECT arch, count(*) AS n FROM runs GROUP BY arch ORDER BY arch', '--json']);
    expect(JSON.parse(counts.stdout)).toEqual([
      { arch: 'lenet5', n: 4 },
      { arch: 'mlp', n: 4 },
      { arch: 'resnet', n: 4 },
    ]);
    expect((await runCli(['query', zoo, "SELECT run, epoch FROM history WHERE run = 'run-00001' ORDER BY epoch", '--csv'])).stdout).toBe('run,epoch\nrun-00001,0\nrun-00001,1\nrun-00001,2\nrun-00001,3\n');
    const bad = await runCli(['query', zoo, 'SELECT * FROM nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^epochgraph: query: Catalog Error: Table with name nowhere does not exist/);
    // A run added after the index was built is picked up before the query.
    writeSyntheticZoo(zoo, 1, { first: 12 });
    const updated = await runCli(['query', zoo, 'SELECT count(*) AS n FROM runs', '--json']);
    expect(JSON.parse(updated.stdout)).toEqual([{ n: 13 }]);
    expect(updated.stderr).toMatch(/updated \(1 added, 0 updated, 0 removed\)/);
  });
});
