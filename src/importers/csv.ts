/**
 * CSV files read line by line (RFC 4180 quoting; no line breaks inside fields), plain or
 * gzip-compressed (detected by the gzip magic bytes 1f 8b, RFC 1952), so that a table of
 * hundreds of thousands of rows is never held whole.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImportError } from './errors.js';

/** Splits one CSV line into fields, undoing RFC 4180 quoting. Returns the fields. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) {
          value += line.slice(i);
          i = line.length;
          break;
        }
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

/**
 * Calls `row` with each data row of a CSV file (plain or gzip) as a record keyed by the
 * header's column names, and its 0-based index. Returns the header; throws `ImportError`
 * naming the file for a missing file, a bad gzip stream or a row of the wrong width.
 */
export async function readCsv(file: string, row: (record: Readonly<Record<string, string>>, index: number) => void): Promise<string[]> {
  let gzip: boolean;
  try {
    const handle = await open(file, 'r');
    const magic = new Uint8Array(2);
    await handle.read(magic, 0, 2, 0);
    await handle.close();
    gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  } catch (error) {
    throw new ImportError(file, `cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let stream: Readable = createReadStream(file);
  if (gzip) stream = stream.pipe(createGunzip());
  let header: string[] | undefined;
  let index = 0;
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (line === '') continue;
      const fields = splitCsvLine(line);
      if (!header) {
        header = fields;
        continue;
      }
      if (fields.length !== header.length) throw new ImportError(file, `row ${index + 1} has ${fields.length} fields, the header ${header.length}`);
      const record: Record<string, string> = {};
      header.forEach((name, k) => (record[name] = fields[k]));
      row(record, index++);
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(file, `cannot read (${(error as Error).message})`);
  }
  if (!header) throw new ImportError(file, 'is empty: expected a header line');
  return header;
}
