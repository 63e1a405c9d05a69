/**
 * The PyTorch peer of the training benchmarks (bench/kernels_torch.py, one CPU thread),
 * driven round by round over stdin so that PyTorch and epochgraph rounds alternate under
 * the same machine load.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Networks both sides can train: fixed ones, and the trainer's convolutional architectures
 * on 28x28x1 at a width multiplier (`vgg-w0.5`, `alexnet-w1`, `resnet8-w2`, ...).
 */
export type Network = 'mlp' | 'lenet5' | 'resnet8' | `${'vgg' | 'alexnet' | 'resnet8'}-w${number}`;

/** A running PyTorch peer process. */
export interface TorchPeer {
  version: string;
  round: (network: Network, seconds: number) => Promise<number>;
  close: () => void;
}

/** Starts bench/kernels_torch.py; returns undefined where /usr/bin/python3 cannot run it. */
export async function startTorchPeer(): Promise<TorchPeer | undefined> {
  const script = fileURLToPath(new URL('./kernels_torch.py', import.meta.url));
  const child = spawn('/usr/bin/python3', [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    const { value, done } = await lines.next();
    return done ? undefined : (JSON.parse(value as string) as Record<string, unknown>);
  };
  const failed = new Promise<undefined>((resolve) => child.on('error', () => resolve(undefined)));
  const hello = await Promise.race([next(), failed]);
  if (hello === undefined) return undefined;
  return {
    version: String(hello.torch),
    round: async (network, seconds) => {
      child.stdin.write(`${network} ${seconds}\n`);
      const answer = await next();
      if (answer === undefined) throw new Error('bench: the PyTorch peer exited');
      return Number(answer.samples_per_s);
    },
    close: () => child.stdin.end(),
  };
}
