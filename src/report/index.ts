/**
 * `epochgraph/report`: the HTML report of a zoo and of a single run.
 */
export { writeReport } from './report.js';
export type { ReportInput, ReportSummary } from './report.js';
export { reportZoo } from './zoo-report.js';
export { writeRunReport } from './run-report.js';
