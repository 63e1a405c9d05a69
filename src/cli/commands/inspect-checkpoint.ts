/**
 * `epochgraph inspect-checkpoint FILE`: lists a checkpoint's tensors with statistics.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { ParameterOrder } from '../../checkpoint/checkpoint.js';
import { openCheckpoint } from '../../checkpoint/open.js';
import { elementCount, tensorStats } from '../../checkpoint/tensor.js';
import { formatNumber } from '../../util/format.js';
import { parseChoice } from '../options.js';
import { formatBytes, printJson, renderTable } from '../output.js';

interface InspectCheckpointOptions {
  json?: boolean;
  order?: string;
  key?: string;
}

/** Registers the command on `program`. */
export function registerInspectCheckpoint(program: Command): void {
  program
    .command('inspect-checkpoint')
    .argument('<file>', 'checkpoint file: .safetensors, .pt (torch.save), .onnx, Keras .h5/.keras, tfjs model.json, .npy/.npz')
    .description("list a checkpoint's tensors: name, dtype, shape, min/max/mean and non-finite count")
    .option('--json', 'print JSON instead of a table')
    .option('--order <order>', 'parameter order: natural (numeric-aware names) or file', undefined)
    .option('--key <key>', '.pt files saving a dict of several things: the key holding the state dict')
    .addHelpText(
      'after',
      `
Statistics are over finite values; NaN and +/-Inf are counted, not hidden.
Examples:
  epochgraph inspect-checkpoint runs/a/checkpoints/epoch-0003.safetensors
  epochgraph inspect-checkpoint model.pt --json | jq '.tensors[].shape'`,
    )
    .action(async (file: string, options: InspectCheckpointOptions) => {
      const order = parseChoice<ParameterOrder>('--order', options.order, ['natural', 'file']);
      const reader = await openCheckpoint(file, { order, key: options.key });
      const rows = [];
      try {
        for (const entry of reader.entries) {
          const stats = tensorStats(await reader.read(entry.name));
          rows.push({ ...entry, ...stats });
        }
      } finally {
        await reader.close();
      }
      const { size } = await stat(file);
      if (options.json) {
        printJson({
          path: file,
          format: reader.format,
          bytes: size,
          metadata: reader.metadata,
          tensors: rows.map((r) => ({
            name: r.name,
            dtype: r.dtype,
            shape: r.shape,
            min: r.min,
            max: r.max,
            mean: r.mean,
            non_finite: r.nonFinite,
          })),
        });
        return;
      }
      const parameters = rows.reduce((sum, r) => sum + (elementCount(r.shape) ?? 0), 0);
      console.log(`${file}  ${reader.format}, ${rows.length} tensors, ${parameters.toLocaleString('en-US')} values, ${formatBytes(size)}`);
      for (const [key, value] of Object.entries(reader.metadata)) console.log(`  ${key}: ${value}`);
      console.log(
        renderTable(
          ['name', 'dtype', 'shape', 'min', 'max', 'mean', 'non-finite'],
          rows.map((r) => [
            r.name,
            r.dtype,
            `[${r.shape.join(', ')}]`,
            formatNumber(r.min),
            formatNumber(r.max),
            formatNumber(r.mean),
            String(r.nonFinite),
          ]),
          ['left', 'left', 'left', 'right', 'right', 'right', 'right'],
        ),
      );
      const bad = rows.filter((r) => r.nonFinite > 0);
      if (bad.length > 0) {
        console.error(`warning: ${bad.length} tensor(s) hold non-finite values: ${bad.map((r) => r.name).join(', ')}`);
      }
    });
}
