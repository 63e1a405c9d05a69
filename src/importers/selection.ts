/**
 * Which checkpoints of each imported run to keep: `--epochs 0-3,last` keeps epochs 0 to 3
 * and each run's last checkpoint; `all` keeps every one.
 */
import { EpochgraphError } from '../errors.js';

/** A parsed checkpoint selection. */
export interface CheckpointSelection {
  /** Epochs asked for by number. */
  readonly epochs: ReadonlySet<number>;
  /** Keep each run's last checkpoint. */
  readonly last: boolean;
  /** Keep every checkpoint. */
  readonly all: boolean;
}

/**
 * Parses a selection such as `0-3,last`, `0,20,86` or `all`. Returns it; throws
 * `EpochgraphError` naming `option` for anything else.
 */
export function parseCheckpointSelection(text: string, option = '--epochs'): CheckpointSelection {
  const epochs = new Set<number>();
  let last = false;
  let all = false;
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === 'last') {
      last = true;
      continue;
    }
    if (part === 'all') {
      all = true;
      continue;
    }
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new EpochgraphError(`${option}: expected epochs such as 0-3,last or all; got ${JSON.stringify(text)}`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new EpochgraphError(`${option}: range ${part} is empty`);
    for (let e = from; e <= to; e++) epochs.add(e);
  }
  return { epochs, last, all };
}

/** The epochs of `available` (one run's checkpoint epochs) that `selection` keeps, in increasing order. */
export function selectEpochs(selection: CheckpointSelection, available: readonly number[]): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  const lastEpoch = sorted.at(-1);
  return sorted.filter((e) => selection.all || selection.epochs.has(e) || (selection.last && e === lastEpoch));
}
