// Core of the oicp-full-load node, free of Node-RED.
export {
  StatusStore,
  sanitizeMeta,
  viewOfEntries,
  entriesOfView,
  type EvseEntry,
  type StoreMeta,
  type StoreChange,
  type StatusStoreOptions,
  type StoreView,
} from './store';
export { parseStatusRecords, parseDeleteIds, type ValidRecord, type Parsed } from './records';
export {
  buildFullLoad,
  buildFullLoadAsync,
  checkGuards,
  DAY_MS,
  type BuildOptions,
  type FullLoadResult,
  type FullLoadRecord,
  type GuardCode,
  type SliceOptions,
} from './builder';
export {
  parseSchedule,
  nextRunText,
  scheduleError,
  nextRunAt,
  resolveWallTime,
  localOffset,
  Scheduler,
  type Schedule,
  type OffsetFn,
  type SchedulerOptions,
} from './schedule';
export { handOver, predecessorClosed } from './handoff';
export { SerialOps, type PersistenceBackend, type RestoreReport } from './persistence';
export { FileJournal, journalDir, type FileJournalOptions } from './file-journal';
export { LastFullLoad, type LastRun } from './last-run';
export { ContextBackend, CONTEXT_FORMAT, DEFAULT_CONTEXT_KEY, type ContextAccess, type ContextBackendOptions } from './context-backend';
export {
  FullLoadAggregator,
  fullLoadMessage,
  preview,
  type FullLoadAggregatorOptions,
  type FullLoadOutcome,
  type FullLoadTrigger,
  type HandleResult,
  type Guarded,
  type RestoreOutcome,
  type SentFullLoad,
} from './aggregator';
export {
  fullLoadStatus,
  readSchedule,
  contextAccess,
  settleLate,
  stopFullLoad,
  FullLoadTimers,
  Recount,
  type CallbackContext,
  type FullLoadState,
  type FullLoadStatus,
} from './node-state';
