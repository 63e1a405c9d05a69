import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { REPORT_FILE, writeDirectory } from '../../src/report/output-dir.js';
import { listFiles, tempDir } from '../helpers.js';

const manifest = JSON.stringify({ format: 'epochgraph-report' });

describe('writeDirectory', () => {
  it('creates the directory with everything written into the staging directory', async () => {
    const parent = tempDir();
    const out = join(parent, 'nested', 'report');
    const result = await writeDirectory(out, async (dir) => {
      writeFileSync(join(dir, REPORT_FILE), manifest);
      mkdirSync(join(dir, 'figures'));
      writeFileSync(join(dir, 'figures', 'a.svg'), '<svg/>');
      return 42;
    });
    expect(result).toBe(42);
    expect(listFiles(out)).toEqual(['figures', 'figures/a.svg', REPORT_FILE]);
    expect(readdirSync(join(parent, 'nested'))).toEqual(['report']);
  });

  it('leaves an earlier report untouched when writing fails part-way, and removes what it staged', async () => {
    const parent = tempDir();
    const out = join(parent, 'report');
    await writeDirectory(out, async (dir) => writeFileSync(join(dir, REPORT_FILE), manifest));
    await expect(
      writeDirectory(out, async (dir) => {
        writeFileSync(join(dir, REPORT_FILE), '{"format":"epochgraph-report","new":true}');
        throw new Error('figure failed');
      }),
    ).rejects.toThrow('figure failed');
    expect(readFileSync(join(out, REPORT_FILE), 'utf8')).toBe(manifest);
    expect(readdirSync(parent)).toEqual(['report']);
  });

  it('replaces an earlier report or an empty directory whole', async () => {
    const parent = tempDir();
    const out = join(parent, 'report');
    await writeDirectory(out, async (dir) => {
      writeFileSync(join(dir, REPORT_FILE), manifest);
      writeFileSync(join(dir, 'old-figure.png'), 'x');
    });
    await writeDirectory(out, async (dir) => writeFileSync(join(dir, REPORT_FILE), manifest));
    expect(listFiles(out)).toEqual([REPORT_FILE]);
    expect(readdirSync(parent)).toEqual(['report']);
    const empty = join(parent, 'empty');
    mkdirSync(empty);
    await writeDirectory(empty, async (dir) => writeFileSync(join(dir, REPORT_FILE), manifest));
    expect(listFiles(empty)).toEqual([REPORT_FILE]);
  });

  it('refuses a file, or a directory holding anything but a report, before writing anything', async () => {
    const parent = tempDir();
    const file = join(parent, 'file.txt');
    writeFileSync(file, 'data');
    const other = join(parent, 'other');
    mkdirSync(other);
    writeFileSync(join(other, REPORT_FILE), '{"format":"something-else"}');
    let called = false;
    const fill = async () => {
      called = true;
    };
    await expect(writeDirectory(file, fill)).rejects.toThrow(OptionError);
    await expect(writeDirectory(other, fill)).rejects.toThrow(/holds no earlier report/);
    expect(called).toBe(false);
    expect(listFiles(parent)).toEqual(['file.txt', 'other', `other/${REPORT_FILE}`]);
  });
});
