import { renderTemplate, type RuleDefinition } from '@app/alerting';
import type { AlertChange, AlertIdentity, AlertState } from './engine.types';
import { fingerprintOf } from './fingerprint';

/** Where an alert is. Agent-level alerts (agents rules) have no host and no container. */
export interface AlertLocation {
  tenantId: string;
  agentId: string;
  host: string;
  containerId: string;
  containerName: string;
}

/**
 * Docker reports names with a leading '/' in some APIs and not in others; the fingerprint must
 * not depend on which one an agent used, so one leading slash is dropped. No name: the id.
 */
export function containerNameOf(name: string, id: string): string {
  const trimmed = name.startsWith('/') ? name.slice(1) : name;
  return trimmed === '' ? id : trimmed;
}

/**
 * Labels = the rule's labels, then the reserved ones the alerter sets itself (the rule parser
 * rejects reserved names in `labels`, and they win here anyway). `host` and `container` only for
 * container-level rules, so an agent's silence is one alert per agent, not one per host.
 */
export function identityFor(
  definition: RuleDefinition,
  where: AlertLocation,
  containerLevel: boolean,
): AlertIdentity {
  const labels: Record<string, string> = {
    ...definition.labels,
    alertname: definition.name,
    severity: definition.severity,
    tenant: where.tenantId,
    agent_id: where.agentId,
  };
  if (containerLevel) {
    labels.host = where.host;
    labels.container = where.containerName;
  }
  return {
    fingerprint: fingerprintOf(definition.name, labels),
    ruleName: definition.name,
    labels,
    tenantId: where.tenantId,
    agentId: where.agentId,
    host: where.host,
    containerId: where.containerId,
    containerName: where.containerName,
  };
}

/**
 * Annotations rendered against the alert's facts: container, container_id, host, agent_id,
 * tenant, value, labels, plus what the source adds (action, attrs, cpu_percent, …). Go
 * template style as Prometheus users write it: `{{ .attrs.exitCode }}`, `{{ $labels.team }}`,
 * `{{ $value }}` (libs/alerting's renderTemplate: never throws, output bounded).
 */
export function renderAnnotations(
  definition: RuleDefinition,
  identity: AlertIdentity,
  value: string,
  extra: Record<string, unknown>,
): Record<string, string> {
  const names = Object.keys(definition.annotations);
  if (names.length === 0) return {};
  const data: Record<string, unknown> = {
    ...extra,
    container: identity.containerName,
    container_id: identity.containerId,
    host: identity.host,
    agent_id: identity.agentId,
    tenant: identity.tenantId,
    value,
    labels: identity.labels,
  };
  const out: Record<string, string> = {};
  for (const name of names) out[name] = renderTemplate(definition.annotations[name], data);
  return out;
}

export function changeOf(
  identity: AlertIdentity,
  state: AlertState,
  times: { atMs: number; startsAtMs: number; endsAtMs?: number },
  value: string,
  annotations: Record<string, string>,
): AlertChange {
  const change: AlertChange = {
    ...identity,
    state,
    atMs: times.atMs,
    startsAtMs: times.startsAtMs,
    annotations,
    value,
  };
  if (times.endsAtMs !== undefined) change.endsAtMs = times.endsAtMs;
  return change;
}

/** The end of an alert: same identity, annotations and value as its last change. */
export function resolvedFrom(previous: AlertChange, atMs: number): AlertChange {
  return { ...previous, state: 'resolved', atMs, endsAtMs: atMs };
}
