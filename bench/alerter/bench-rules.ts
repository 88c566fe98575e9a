import { stringify } from 'yaml';

/** The rule the latency probes fire (one alert per probe container). */
export const PROBE_RULE = 'bench-probe';
export const PROBE_ACTION = 'bench-probe';

/** Container kinds: a container's name is `<kind>-<global index>`, its image `bench/<kind>:1`. */
export const KINDS = ['web', 'db', 'cache', 'worker', 'api'] as const;

/**
 * Containers whose global index is HOT_OFFSET modulo HOT_EVERY run hot (CPU ~97 %, memory ~93 %):
 * the few stats rules meant to fire (cpu-critical, memory-critical, …) fire for them; the rest of
 * the stats rules never fire.
 */
export const HOT_EVERY = 1000;
export const HOT_OFFSET = 7;

/** Rule as written in the YAML file (snake_case, durations as strings). */
type RuleYaml = Record<string, unknown>;

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length];

/**
 * The bench's 100 rules: 60 stats threshold rules (different fields, thresholds and scopes, with
 * `for` and `keep_firing_for`; only those meant for the hot containers ever fire), 34 event rules
 * (exits, OOMs, kills, health, restart and crash loops by count) and the probe rule, and 5
 * absence rules (agents and containers).
 */
export function benchRules(probeResolveAfter = '1s'): RuleYaml[] {
  const rules: RuleYaml[] = [];
  const fors = ['30s', '1m', '2m', '5m'];
  const keeps = ['0s', '30s', '1m', '2m'];
  const scope = (i: number) => {
    if (i % 3 === 0) return '';
    const kind = pick(KINDS, i);
    return ` && container.name.startsWith("${kind}-")`;
  };

  // -- stats (60). Normal containers stay below 60 % CPU, 70 % memory, 1.4 GB, 2 GB of traffic.
  // Meant to fire for the hot containers (CPU 97 %, memory 93 %):
  rules.push(
    stat('cpu-critical', 'stats.cpu_percent > 95.0', '10s', '30s', 'critical'),
    stat('memory-critical', 'stats.memory_percent > 90.0', '15s', '1m', 'critical'),
    stat(
      'cpu-and-memory-critical',
      'stats.cpu_percent > 90.0 && stats.memory_percent > 90.0',
      '20s',
      '1m',
      'critical',
    ),
  );
  for (let i = 0; rules.length < 20; i++) {
    const threshold = 70 + ((i * 7) % 29); // 70..98 % — above the hot containers' 97 % only with a scope
    rules.push(
      stat(
        `cpu-over-${threshold}-${i}`,
        `stats.cpu_percent > ${threshold}.5${scope(i + 1)}`,
        pick(fors, i),
        pick(keeps, i),
      ),
    );
  }
  for (let i = 0; rules.length < 35; i++) {
    const threshold = 75 + ((i * 5) % 24);
    rules.push(
      stat(
        `memory-over-${threshold}-${i}`,
        `stats.memory_percent > ${threshold}.5${scope(i + 1)}`,
        pick(fors, i + 1),
        pick(keeps, i + 2),
      ),
    );
  }
  for (let i = 0; rules.length < 45; i++) {
    const gib = 2 + (i % 6);
    rules.push(
      stat(
        `memory-usage-over-${gib}gib-${i}`,
        `stats.memory_usage > ${gib * 1024 * 1024 * 1024}${scope(i)}`,
        pick(fors, i + 2),
        pick(keeps, i),
      ),
    );
  }
  for (let i = 0; rules.length < 53; i++) {
    const field = i % 2 === 0 ? 'network_rx' : 'network_tx';
    const gb = 50 * (1 + (i % 4));
    rules.push(
      stat(`${field}-over-${gb}gb-${i}`, `stats.${field} > ${gb * 1_000_000_000}`, pick(fors, i), '0s'),
    );
  }
  rules.push(
    stat('memory-near-limit', 'double(stats.memory_usage) / double(stats.memory_limit) > 0.98', '1m', '1m'),
    stat(
      'db-cpu-and-memory',
      'container.name.startsWith("db-") && stats.cpu_percent > 80.0 && stats.memory_percent > 80.0',
      '2m',
      '1m',
    ),
    stat('web-host-0-cpu', 'host == "h-0-0" && stats.cpu_percent > 75.0', '1m', '30s'),
    stat(
      'cache-memory-usage',
      'container.name.startsWith("cache-") && stats.memory_usage > 1800000000',
      '5m',
      '2m',
    ),
    stat('no-limit-set', 'stats.memory_limit == 0 && stats.memory_usage > 0', '5m', '0s'),
    stat('api-cpu-idle-name', 'container.name.endsWith("-canary") && stats.cpu_percent < 0.5', '5m', '0s'),
    stat(
      'worker-saturated',
      'container.name.startsWith("worker-") && stats.cpu_percent > 99.0',
      '30s',
      '30s',
    ),
  );

  // -- events (34 + the probe). Exits with a code other than 0/143 (~1/s in the mix) fire.
  const events: RuleYaml[] = [
    event(
      'container-died',
      'event.action == "die" && !(event.attrs["exitCode"] in ["0", "143"])',
      'critical',
      '5m',
    ),
    event('container-oom', 'event.action == "oom"', 'critical', '10m'),
    event('container-killed-9', 'event.action == "kill" && event.attrs["signal"] == "9"', 'warning', '5m'),
    event('container-unhealthy', 'event.action == "health_status: unhealthy"', 'warning', '5m'),
    event('container-destroyed', 'event.action == "destroy"', 'info', '5m'),
    event('exec-failed', 'event.action == "exec_die" && event.attrs["exitCode"] != "0"', 'info', '2m'),
    {
      ...event('restart-loop', 'event.action == "restart"', 'critical', '5m'),
      count: { at_least: 3, within: '5m' },
    },
    {
      ...event('crash-loop', 'event.action == "die" && event.attrs["exitCode"] != "0"', 'critical', '5m'),
      count: { at_least: 5, within: '10m' },
    },
    {
      ...event('flapping-health', 'event.action == "health_status: unhealthy"', 'warning', '10m'),
      count: { at_least: 3, within: '10m' },
    },
    {
      ...event('oom-repeated', 'event.action == "oom"', 'critical', '30m'),
      count: { at_least: 2, within: '30m' },
    },
  ];
  for (const kind of KINDS) {
    events.push(
      event(
        `${kind}-died`,
        `event.action == "die" && event.actor_name.startsWith("${kind}-") && event.attrs["exitCode"] != "0"`,
        kind === 'db' ? 'critical' : 'warning',
        '5m',
      ),
      event(
        `${kind}-oom`,
        `event.action == "oom" && event.actor_name.startsWith("${kind}-")`,
        'critical',
        '10m',
      ),
      event(
        `${kind}-stopped`,
        `event.action == "stop" && event.actor_name.startsWith("${kind}-") && event.attrs["image"].endsWith(":canary")`,
        'info',
        '1m',
      ),
    );
  }
  events.push(
    event(
      'image-payments-died',
      'event.action == "die" && event.attrs["image"].startsWith("payments/")',
      'critical',
      '5m',
    ),
    event('host-0-events', 'host == "h-0-0" && event.action in ["pause", "unpause"]', 'info', '1m'),
    event('segfault', 'event.action == "die" && event.attrs["exitCode"] == "139"', 'critical', '5m'),
    event('network-disconnect', 'event.type == "network" && event.action == "disconnect"', 'warning', '5m'),
    {
      ...event(
        'restart-storm-db',
        'event.action == "restart" && event.actor_name.startsWith("db-")',
        'critical',
        '5m',
      ),
      count: { at_least: 2, within: '1m' },
    },
    event('container-paused', 'event.action == "pause"', 'info', '1m'),
    event('exec-killed', 'event.action == "exec_die" && event.attrs["exitCode"] == "137"', 'warning', '2m'),
    event('killed-abort', 'event.action == "kill" && event.attrs["signal"] == "6"', 'warning', '5m'),
    {
      ...event('restart-burst', 'event.action == "restart"', 'critical', '5m'),
      count: { at_least: 10, within: '1m' },
    },
  );
  rules.push(...events);
  rules.push({
    name: PROBE_RULE,
    source: 'events',
    when: `event.action == "${PROBE_ACTION}"`,
    severity: 'info',
    labels: { bench: 'probe' },
    annotations: { summary: 'latency probe {{ .container }}' },
    resolve_after: probeResolveAfter,
  });

  // -- absence (5)
  rules.push(
    { name: 'agent-silent', source: 'agents', absent_for: '90s', severity: 'critical' },
    { name: 'agent-silent-long', source: 'agents', when: 'tenant == "default"', absent_for: '10m' },
    { name: 'container-stats-missing', source: 'containers', absent_for: '2m' },
    {
      name: 'db-stats-missing',
      source: 'containers',
      when: 'container.image.startsWith("bench/db")',
      absent_for: '1m',
      severity: 'critical',
    },
    {
      name: 'running-container-silent',
      source: 'containers',
      when: 'container.state == "running"',
      absent_for: '5m',
    },
  );
  return rules;
}

export function benchRulesYaml(probeResolveAfter?: string): string {
  return `# generated by bench/alerter (npm run bench:alerter)\n${stringify({ rules: benchRules(probeResolveAfter) }, { lineWidth: 0 })}`;
}

function stat(name: string, when: string, forDuration: string, keep: string, severity = 'warning'): RuleYaml {
  return {
    name,
    source: 'stats',
    when,
    for: forDuration,
    keep_firing_for: keep,
    severity,
    labels: { team: 'platform' },
    annotations: { summary: '{{ .container }} on {{ .host }}: {{ .value }}' },
  };
}

function event(name: string, when: string, severity: string, resolveAfter: string): RuleYaml {
  return {
    name,
    source: 'events',
    when,
    severity,
    labels: { team: 'ops' },
    annotations: { summary: '{{ .container }} on {{ .host }}: {{ .action }}' },
    resolve_after: resolveAfter,
  };
}
