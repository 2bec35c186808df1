/** Telemetry: record types, JSONL writer, FLOP count and MFU. Browser-safe (the file sink is in ./node-file.ts). */
export { JsonlWriter, MemorySink, parseJsonl, toJsonLine, type LineSink } from './jsonl.ts';
export { flopsPerToken, modelFlopsUtilization, paramCounts, type ParamCounts } from './flops.ts';
export {
  bitsPerByte,
  evalRecord,
  routingTelemetry,
  type EvalRecord,
  type RoutingInput,
  type RoutingTelemetry,
  type RunRecord,
  type StepRecord,
  type TelemetryRecord,
} from './records.ts';
export { TELEMETRY_CONFIG_FIELDS, runRecord } from './run-record.ts';
