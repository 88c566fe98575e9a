import { activationForAgent, activationForContainer } from '@app/alerting';
import { changeOf, renderAnnotations, type AlertLocation } from './alert.identity';
import type { Emit } from './engine.types';
import { containerKeyOf, type FleetState } from './fleet.state';
import { SeriesRule, type BaseSeries } from './series.rule';

type AbsenceSeries = BaseSeries;

abstract class AbsenceRule extends SeriesRule<AbsenceSeries> {
  protected windowMs(): number {
    return this.rule.definition.absentForMs;
  }

  protected inScope(tenantId: string): boolean {
    const scope = this.rule.definition.tenantId;
    return scope === '' || scope === tenantId;
  }

  /** The thing was heard from again (receive time): its alert, if any, resolves. */
  seen(key: string, receivedAtMs: number, emit: Emit): void {
    const s = this.series.get(key);
    if (!s?.alert) return;
    s.touchedMs = receivedAtMs;
    this.resolve(s, Math.max(receivedAtMs, s.alert.atMs), emit);
  }

  has(key: string): boolean {
    return this.series.get(key)?.alert !== undefined;
  }

  protected fire(key: string, where: AlertLocation, lastSeenMs: number, nowMs: number, emit: Emit): void {
    const s = this.obtain(key, () => ({ where, touchedMs: nowMs }));
    if (!s || s.alert) return;
    s.touchedMs = nowMs;
    const identity = this.identityOf(s);
    const startsAtMs = lastSeenMs + this.rule.definition.absentForMs;
    const value = String(nowMs - lastSeenMs);
    const annotations = renderAnnotations(this.rule.definition, identity, value, {
      last_seen_ms: lastSeenMs,
    });
    this.record(s, changeOf(identity, 'firing', { atMs: nowMs, startsAtMs }, value, annotations), emit);
  }
}

/**
 * `source: agents`: per agent, fires in tick(now) once now − last seen ≥ absentForMs
 * (atMs = now, startsAtMs = last seen + absentForMs); resolves when the agent is seen again, at
 * that input's receive time. Last seen is the receive time of anything from the agent but
 * `offline` and `stream_closed` (see FleetState). Only agents seen at least once in this
 * partition are tracked: an agent that never connected cannot be missed. `when` filters agents.
 * The value is the silence in ms.
 */
export class AgentAbsenceRule extends AbsenceRule {
  protected containerLevel(): boolean {
    return false;
  }

  tick(nowMs: number, fleet: FleetState, emit: Emit): void {
    const absentForMs = this.rule.definition.absentForMs;
    for (const [key, agent] of fleet.agents) {
      if (nowMs - agent.lastSeenMs < absentForMs || this.has(key) || !this.inScope(agent.tenantId)) continue;
      if (
        !this.matches(
          activationForAgent({ agentId: agent.agentId, tenant: agent.tenantId, name: agent.name }),
        )
      ) {
        continue;
      }
      const where = {
        tenantId: agent.tenantId,
        agentId: agent.agentId,
        host: '',
        containerId: '',
        containerName: '',
      };
      this.fire(key, where, agent.lastSeenMs, nowMs, emit);
    }
  }
}

/**
 * `source: containers`: the containers the latest list of their host shows running; last stats =
 * receive time of their last stats (from the list's receive time when first listed running).
 * Fires in tick(now) once now − last stats ≥ absentForMs; resolves when stats arrive again, or
 * when a newer list no longer shows it running (or at all).
 *
 * Only while its agent is heard from (any input within absentForMs): when the whole agent is
 * silent, the agents rule pages once for it, instead of one page per container of that agent.
 * `when` filters containers.
 */
export class ContainerAbsenceRule extends AbsenceRule {
  protected containerLevel(): boolean {
    return true;
  }

  tick(nowMs: number, fleet: FleetState, emit: Emit): void {
    const absentForMs = this.rule.definition.absentForMs;
    for (const [hostKey, host] of fleet.hosts) {
      if (!this.inScope(host.tenantId)) continue;
      let alive: boolean | undefined;
      for (const c of host.running.values()) {
        if (nowMs - c.lastStatsMs < absentForMs) continue;
        const key = containerKeyOf(hostKey, c.id);
        if (this.has(key)) continue;
        alive ??= fleet.agentAlive(host.tenantId, host.agentId, nowMs, absentForMs);
        if (!alive) break;
        const facts = { host: host.host, agentId: host.agentId, tenant: host.tenantId, container: c };
        if (!this.matches(activationForContainer(facts))) continue;
        const where = {
          tenantId: host.tenantId,
          agentId: host.agentId,
          host: host.host,
          containerId: c.id,
          containerName: c.name,
        };
        this.fire(key, where, c.lastStatsMs, nowMs, emit);
      }
    }
  }
}
