/**
 * Checkpoint policies: which epochs keep their checkpoint file. `all`, or a comma list
 * of epochs (`3`), ranges (`0-5`) and `last` (the final epoch, whenever training ends).
 */
import { OptionError } from '../errors.js';
import { parseEpochList } from '../util/epochs.js';

/** A parsed policy. */
export interface CheckpointPolicy {
  readonly all: boolean;
  readonly epochs: ReadonlySet<number>;
  readonly last: boolean;
  /** The text it was parsed from (recorded in run.json). */
  readonly text: string;
}

/** Parses a policy string. Returns the policy; throws `OptionError` (field `keepCheckpoints`) naming the bad item. */
export function parseCheckpointPolicy(text: string): CheckpointPolicy {
  const { epochs, keywords } = parseEpochList(text, 'keepCheckpoints', ['all', 'last']);
  if (keywords.has('all')) {
    if (epochs.length > 0 || keywords.size > 1) throw new OptionError('keepCheckpoints', `all keeps every checkpoint and takes nothing else; got ${JSON.stringify(text)}`);
    return { all: true, epochs: new Set(), last: true, text: 'all' };
  }
  return { all: false, epochs: new Set(epochs), last: keywords.has('last'), text };
}

/** True if epoch `epoch`'s checkpoint stays once a later epoch exists. */
export function keepsEpoch(policy: CheckpointPolicy, epoch: number): boolean {
  return policy.all || policy.epochs.has(epoch);
}
