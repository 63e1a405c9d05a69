/**
 * Live progress on a terminal: a block of lines redrawn in place on stderr (at most
 * ten times a second). When stderr is not a terminal nothing is redrawn; commands
 * print plain lines for finished steps instead, so logs stay readable.
 */

/** Formats seconds as "1h02m", "4m10s" or "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A text progress bar of `width` cells for `fraction` in [0, 1]. */
export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** A redrawable block of lines on a TTY stream; inert on anything else. */
export class LiveBlock {
  private drawn = 0;
  private lastDraw = 0;
  readonly enabled: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = Boolean(stream.isTTY);
  }

  /** Redraws the block with `lines` (throttled unless `force`). */
  update(lines: readonly string[], force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = this.stream.columns ?? 100;
    const clipped = lines.map((l) => (l.length > width - 1 ? `${l.slice(0, width - 2)}…` : l));
    this.stream.write(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : ''}\x1b[0J${clipped.join('\n')}\n`);
    this.drawn = clipped.length;
  }

  /** Prints a permanent line above the block. */
  log(line: string): void {
    if (!this.enabled) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : ''}\x1b[0J${line}\n`);
    this.drawn = 0;
  }

  /** Erases the block. */
  clear(): void {
    if (this.enabled && this.drawn > 0) this.stream.write(`\x1b[${this.drawn}F\x1b[0J`);
    this.drawn = 0;
  }
}
