/**
 * `--keep-checkpoints`: which epochs keep their checkpoint file. `all`, or a comma list
 * of epochs (`3`), ranges (`0-5`) and `last` (the final epoch, whenever training ends).
 */
import { UsageError } from '../errors.js';

/** A parsed policy. */
export interface CheckpointPolicy {
  readonly all: boolean;
  readonly epochs: ReadonlySet<number>;
  readonly last: boolean;
  /** The text it was parsed from (recorded in run.json). */
  readonly text: string;
}

/** Parses a policy string. Returns the policy; throws `UsageError` naming the bad item. */
export function parseCheckpointPolicy(text: string): CheckpointPolicy {
  if (text.trim() === 'all') return { all: true, epochs: new Set(), last: true, text: 'all' };
  const epochs = new Set<number>();
  let last = false;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const range = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (item === 'last') last = true;
    else if (range) {
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      if (to < from) throw new UsageError(`--keep-checkpoints: range ${item} is empty`);
      for (let e = from; e <= to; e++) epochs.add(e);
    } else throw new UsageError(`--keep-checkpoints: expected all, or a list of epochs, ranges (0-5) and last; got ${JSON.stringify(item)}`);
  }
  return { all: false, epochs, last, text };
}

/** True if epoch `epoch`'s checkpoint stays once a later epoch exists. */
export function keepsEpoch(policy: CheckpointPolicy, epoch: number): boolean {
  return policy.all || policy.epochs.has(epoch);
}
