/**
 * Epoch lists as text, the one spelling shared by epoch windows and checkpoint policies:
 * epochs (`3`), ranges (`0-3`) and, where a caller allows them, keywords (`last`), joined
 * by commas. Formatting gives the shortest such text (`0-3`, `0-2,5`).
 */
import { OptionError } from '../errors.js';

/** Largest epoch a list may name: far beyond any training, and small enough that a range is cheap to expand. */
export const MAX_EPOCH = 1_000_000;

/** Parses `text` for the option `field`. Returns the sorted distinct epochs and the keywords met; throws `OptionError` naming the bad item. */
export function parseEpochList(text: string, field: string, keywords: readonly string[] = []): { epochs: number[]; keywords: Set<string> } {
  const epochs = new Set<number>();
  const met = new Set<string>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const range = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (keywords.includes(item)) met.add(item);
    else if (range) {
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      if (to < from) throw new OptionError(field, `range ${item} is empty`);
      if (to > MAX_EPOCH) throw new OptionError(field, `epoch ${range[2] ?? range[1]} is above ${MAX_EPOCH.toLocaleString('en-US')}, the largest epoch a list may name`);
      for (let e = from; e <= to; e++) epochs.add(e);
    } else {
      const words = keywords.length > 0 ? ` and ${keywords.join(', ')}` : '';
      throw new OptionError(field, `expected a comma-separated list of epochs (3), ranges (0-3)${words}; got ${JSON.stringify(item)} in ${JSON.stringify(text)}`);
    }
  }
  return { epochs: [...epochs].sort((a, b) => a - b), keywords: met };
}

/** Parses an epoch window (`0-3`, `0,1,3`). Returns its sorted distinct epochs; throws `OptionError` for field `window`. */
export function parseEpochWindow(text: string): number[] {
  return parseEpochList(text, 'window').epochs;
}

/** Formats ascending epochs as the shortest text: contiguous runs become ranges (`0-3,5`). */
export function formatEpochs(epochs: readonly number[], separator = ','): string {
  const parts: string[] = [];
  for (let i = 0; i < epochs.length; ) {
    let j = i;
    while (j + 1 < epochs.length && epochs[j + 1] === epochs[j] + 1) j++;
    parts.push(j === i ? String(epochs[i]) : `${epochs[i]}-${epochs[j]}`);
    i = j + 1;
  }
  return parts.join(separator);
}
