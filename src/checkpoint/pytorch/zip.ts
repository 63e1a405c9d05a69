/**
 * The zip container `torch.save` writes since PyTorch 1.6 (torch/serialization.py,
 * caffe2/serialize/inline_container.h): `<prefix>/data.pkl` holds the pickled object,
 * `<prefix>/data/<key>` the raw little-endian bytes of one storage, `<prefix>/version`
 * the format version and, in newer releases, `<prefix>/byteorder`. Records are stored
 * uncompressed and 64-byte aligned, so each is a plain byte range of the file.
 *
 * yauzl parses the central directory, zip64 included (PKWARE APPNOTE.TXT 4.3.14-4.3.16,
 * 4.5.3). It reads through a RandomAccessReader over our own file handle rather than
 * `yauzl.fromFd`, whose reader closes the descriptor when the zip is closed; record
 * bytes are then read by direct byte range (`readExactly`) instead of yauzl's streams,
 * so a tensor view of a large storage reads only the bytes it covers.
 */
import type { FileHandle } from 'node:fs/promises';
import { RandomAccessReader, fromRandomAccessReaderPromise } from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { CheckpointError, LimitError } from '../../errors.js';
import { readExactly } from '../file.js';
import { printable } from '../../util/format.js';

/** Zip local file header size without its name and extra field (APPNOTE.TXT 4.3.7). */
const LOCAL_HEADER_BYTES = 30;

/** Compression method 0: stored. */
const STORED = 0;

/** An opened torch zip container; record data is read on demand. */
export interface TorchArchive {
  /** Folder every record lives in (the saved file's base name, or `archive`). */
  readonly prefix: string;
  /** Byte size of each storage record, by storage key (`<prefix>/data/<key>`). */
  readonly storageSizes: ReadonlyMap<string, number>;
  /** Returns the bytes of `<prefix>/data.pkl`. */
  readPickle(): Promise<Uint8Array>;
  /** Returns `length` bytes starting `start` bytes into storage record `key`. */
  readStorage(key: string, start: number, length: number): Promise<Uint8Array>;
  /** Releases yauzl's hold on the file; the caller still closes the handle. */
  close(): void;
}

/** Limits applied while opening an archive. */
export interface TorchArchiveLimits {
  /** Largest accepted data.pkl, bytes. */
  readonly maxPickleBytes: number;
}

/** yauzl's view of our file handle: every read must return all bytes asked for. */
export class HandleReader extends RandomAccessReader {
  constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    readExactly(this.handle, this.file, position, length).then(
      (bytes) => {
        buffer.set(bytes, offset);
        callback(null);
      },
      (error: Error) => callback(error),
    );
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A CheckpointError as is; anything yauzl raised becomes one with `context`. */
function zipError(file: string, context: string, error: unknown): CheckpointError {
  return error instanceof CheckpointError ? error : new CheckpointError(file, `${context} (${message(error)})`);
}

/**
 * Opens the torch zip container in `handle` (a file of `fileSize` bytes): reads the
 * central directory, finds `<prefix>/data.pkl` and the storage records, and checks every
 * entry's declared size against the file size before anything is read or allocated.
 * Returns the archive; throws `CheckpointError` if it is not a readable torch zip.
 */
export async function openTorchArchive(
  file: string,
  handle: FileHandle,
  fileSize: number,
  limits: TorchArchiveLimits,
): Promise<TorchArchive> {
  let zip: ZipFile;
  try {
    zip = await fromRandomAccessReaderPromise(new HandleReader(file, handle), fileSize, { autoClose: false });
  } catch (error) {
    throw zipError(file, 'not a zip archive, or a truncated one', error);
  }
  try {
    const entries = new Map<string, Entry>();
    try {
      for await (const entry of zip.eachEntry()) {
        if (entries.has(entry.fileName)) throw new CheckpointError(file, `zip archive has two entries named ${printable(entry.fileName)}`);
        entries.set(entry.fileName, entry);
      }
    } catch (error) {
      throw zipError(file, 'corrupt zip central directory', error);
    }
    const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
    if (pickles.length === 0) {
      throw new CheckpointError(file, 'not a PyTorch checkpoint: the zip archive has no <name>/data.pkl record');
    }
    if (pickles.length > 1) throw new CheckpointError(file, `zip archive has several data.pkl records: ${printable(pickles.join(', '))}`);
    const prefix = pickles[0].slice(0, -'/data.pkl'.length);
    const archive = new ZipTorchArchive(file, handle, zip, prefix, entries);
    await archive.init(limits);
    return archive;
  } catch (error) {
    zip.close();
    throw error;
  }
}

class ZipTorchArchive implements TorchArchive {
  readonly storageSizes = new Map<string, number>();
  private readonly storages = new Map<string, Entry>();
  private readonly pickle: Entry;
  /** Absolute file offset of each entry's data, known once its local header has been read. */
  private readonly dataStarts = new Map<Entry, number>();

  constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly zip: ZipFile,
    readonly prefix: string,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {
    this.pickle = this.checked(entries.get(`${prefix}/data.pkl`) as Entry);
    const storageFolder = `${prefix}/data/`;
    for (const [name, entry] of entries) {
      if (!name.startsWith(storageFolder)) continue;
      const key = name.slice(storageFolder.length);
      this.storages.set(key, this.checked(entry));
      this.storageSizes.set(key, entry.uncompressedSize);
    }
  }

  /** Checks the pickle's size and the byte order. */
  async init(limits: TorchArchiveLimits): Promise<void> {
    if (this.pickle.uncompressedSize > limits.maxPickleBytes) {
      throw new LimitError(this.file, `${printable(this.pickle.fileName)} is ${this.pickle.uncompressedSize.toLocaleString('en-US')} bytes`, 'maxPickleBytes', limits.maxPickleBytes);
    }
    const byteorder = await this.readSmallText('byteorder');
    if (byteorder === 'big') {
      throw new CheckpointError(
        this.file,
        'checkpoint was saved big-endian (byteorder record says "big"); only little-endian files are supported',
      );
    }
    if (byteorder !== undefined && byteorder !== 'little') {
      throw new CheckpointError(this.file, `unrecognised byteorder record ${JSON.stringify(byteorder)}`);
    }
  }

  async readPickle(): Promise<Uint8Array> {
    return this.readEntry(this.pickle, 0, this.pickle.uncompressedSize);
  }

  async readStorage(key: string, start: number, length: number): Promise<Uint8Array> {
    const entry = this.storages.get(key);
    if (!entry) throw new CheckpointError(this.file, `no storage record ${printable(`${this.prefix}/data/${key}`)}`);
    return this.readEntry(entry, start, length);
  }

  close(): void {
    this.zip.close();
  }

  /** Contents of a short text record such as `byteorder` (trimmed), or undefined if absent. */
  private async readSmallText(name: string): Promise<string | undefined> {
    const entry = this.entries.get(`${this.prefix}/${name}`);
    if (!entry) return undefined;
    const size = this.checked(entry).uncompressedSize;
    // torch writes a single word here; anything longer is not a torch record.
    if (size > 64) throw new CheckpointError(this.file, `${printable(entry.fileName)} is ${size} bytes, expected a short text record`);
    return new TextDecoder().decode(await this.readEntry(entry, 0, size)).trim();
  }

  /** Returns `entry` after refusing compressed, encrypted or impossibly large records. */
  private checked(entry: Entry): Entry {
    if (entry.compressionMethod !== STORED) {
      throw new CheckpointError(
        this.file,
        `zip entry ${printable(entry.fileName)} is compressed (method ${entry.compressionMethod}); torch.save stores records uncompressed`,
      );
    }
    if (entry.isEncrypted()) throw new CheckpointError(this.file, `zip entry ${printable(entry.fileName)} is encrypted`);
    const end = entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + entry.uncompressedSize;
    if (end > this.zip.fileSize) {
      throw new CheckpointError(
        this.file,
        `zip entry ${printable(entry.fileName)} declares ${entry.uncompressedSize} bytes at offset ` +
          `${entry.relativeOffsetOfLocalHeader}, beyond the end of the ${this.zip.fileSize}-byte file`,
      );
    }
    return entry;
  }

  private async readEntry(entry: Entry, start: number, length: number): Promise<Uint8Array> {
    if (start < 0 || length < 0 || start + length > entry.uncompressedSize) {
      throw new CheckpointError(
        this.file,
        `zip entry ${printable(entry.fileName)}: bytes [${start}, ${start + length}) lie outside its ${entry.uncompressedSize} bytes`,
      );
    }
    let dataStart = this.dataStarts.get(entry);
    if (dataStart === undefined) {
      try {
        ({ fileDataStart: dataStart } = await this.zip.readLocalFileHeaderPromise(entry, { minimal: true }));
      } catch (error) {
        throw zipError(this.file, `corrupt zip entry ${printable(entry.fileName)}`, error);
      }
      this.dataStarts.set(entry, dataStart);
    }
    return readExactly(this.handle, this.file, dataStart + start, length);
  }
}
