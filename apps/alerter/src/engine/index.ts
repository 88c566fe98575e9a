export { PartitionEngine } from './partition.engine';
export { fingerprintOf } from './fingerprint';
export { STATS_SILENCE_MS } from './stats.rule';
export { DEFAULT_MAX_SERIES } from './rule.context';
export type {
  AlertChange,
  AlertState,
  EngineHooks,
  EngineInput,
  EngineOptions,
  EngineRule,
} from './engine.types';
