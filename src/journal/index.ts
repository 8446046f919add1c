export {
  Journal,
  type JournalOwner,
  type JournalOptions,
  type JournalLoadReport,
  type JournalWriteError,
  type JournalDamage,
  type IncompleteMark,
} from './journal';
export { nodeIo, type JournalIo, type JournalHandle } from './io';
export { crc32 } from './crc32';
export { stateHealth, describeProblem, type StateProblem, type StateKind, type StateOwner } from './health';
export { findLegacyLayout, type LegacyLayout } from './legacy';
