export { parseDuration, formatDuration } from './duration';
export {
  RULE_SOURCES,
  ACTION_COMMANDS,
  RESERVED_LABELS,
  type RuleSource,
  type ActionCommand,
  type RuleDefinition,
  type FieldError,
  type ParseRuleResult,
} from './rule.types';
export { parseRule } from './rule.parse';
export { loadRulesFile, MAX_RULES, MAX_RULES_FILE_BYTES, type LoadRulesResult } from './rule-file.loader';
export {
  compileCondition,
  MAX_CONDITION_LENGTH,
  type Activation,
  type Condition,
  type CompileResult,
  type EvaluationResult,
} from './cel.condition';
export { SOURCE_VARIABLES, type ScalarKind, type VariableShape } from './cel.variables';
export {
  activationForEvent,
  activationForStats,
  activationForAgent,
  activationForContainer,
  type IntLike,
  type EventFacts,
  type StatsFacts,
  type AgentFacts,
  type ContainerFacts,
} from './cel.activation';
export { ruleToProto, ruleFromProto, ruleToJson, type RuleJson } from './rule.convert';
export { renderTemplate, MAX_RENDERED_LENGTH } from './template.render';
export {
  isSilenced,
  matcherMatches,
  validateMatchers,
  operator,
  regexProblem,
  hasNestedQuantifier,
  MAX_REGEX_LENGTH,
  MAX_MATCHERS,
  type SilenceMatcherLike,
  type SilenceLike,
} from './silence-matcher';
