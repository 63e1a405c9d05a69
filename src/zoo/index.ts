/**
 * `epochgraph/zoo`: grid files and the resumable, parallel zoo runner.
 */
export { readGrid, parseGrid, expandGrid, GridError } from './grid.js';
export type { Grid, PlannedRun } from './grid.js';
export { runZoo } from './runner.js';
export type { RunZooOptions, ZooEvent, ZooSummary } from './runner.js';
