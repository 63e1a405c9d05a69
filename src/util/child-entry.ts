/**
 * Entry points of forked worker processes. Built code forks the sibling `.js` file;
 * a `.ts` source (under the test runner) forks the `.ts` file through tsx.
 */
import { fileURLToPath } from 'node:url';

/** The path of the module `name` (without extension) next to `moduleUrl`, and the Node flags it needs. */
export function childEntry(moduleUrl: string, name: string): { path: string; execArgv: string[] } {
  const source = moduleUrl.endsWith('.ts');
  return { path: fileURLToPath(new URL(`./${name}.${source ? 'ts' : 'js'}`, moduleUrl)), execArgv: source ? ['--import', 'tsx'] : [] };
}
