/** Progress display: pure formatters and a thin reporter for terminals and logs. */
export { etaMs, formatBar, formatCount, formatDuration, formatLogLine, formatProgressLine, formatSummary, type ProgressState, type RunSummary } from './format.ts';
export { ProgressReporter, type ProgressOutput, type ReporterOptions, type StepProgress } from './reporter.ts';
