/**
 * Numbers as people read them, shared by the command line and the report, and untrusted
 * text made fit for a one-line error message.
 */

/** Formats a number compactly (4 significant digits, exponent for very small or large); null prints as "-". */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e9) return String(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** Longest piece of untrusted text an error message quotes. */
const MAX_QUOTED = 200;

/** `text` made safe for a one-line message: control characters (newlines included) escaped, length capped. */
export function printable(text: string): string {
  const short = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text;
  let out = '';
  for (const c of short) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}
