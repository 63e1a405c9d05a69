/**
 * Child-process entry points: the compiled `.js` beside the caller, or, when the caller
 * runs from its `.ts` source (under test), the `.ts` file run through tsx.
 */
import { fileURLToPath } from 'node:url';

/** The path of module `name` (without extension) beside `callerUrl`, and the Node flags it needs. */
export function workerEntry(callerUrl: string, name: string): { path: string; execArgv: string[] } {
  const source = callerUrl.endsWith('.ts');
  return { path: fileURLToPath(new URL(`./${name}.${source ? 'ts' : 'js'}`, callerUrl)), execArgv: source ? ['--import', 'tsx'] : [] };
}
