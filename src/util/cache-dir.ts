/**
 * Where epochgraph keeps derived files that are safe to delete (such as a dataset converted
 * to a compact binary form): `$EPOCHGRAPH_CACHE_DIR` if set, else `$XDG_CACHE_HOME/epochgraph`
 * (XDG Base Directory Specification), else `~/.cache/epochgraph`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The cache directory for `env` (default: this process's environment). Returns an absolute or env-given path. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EPOCHGRAPH_CACHE_DIR) return env.EPOCHGRAPH_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'epochgraph');
}
