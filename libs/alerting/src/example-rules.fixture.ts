/** The rule file from the alerter issue, verbatim; the specs load it. */
export const EXAMPLE_RULES_YAML = `rules:
  - name: container-died
    source: events                     # events | stats | agents | containers
    when: 'event.action == "die" && !(event.attrs["exitCode"] in ["0", "143"])'
    severity: critical
    labels: { team: ops }
    annotations: { summary: '{{ .container }} on {{ .host }} exited with {{ .attrs.exitCode }}' }
  - name: restart-loop
    source: events
    when: 'event.action == "die"'
    count: { at_least: 3, within: 5m }   # per container
  - name: high-cpu
    source: stats
    when: 'stats.cpu_percent > 90'
    for: 2m
    keep_firing_for: 1m
  - name: agent-silent
    source: agents
    absent_for: 90s                       # no heartbeat and no stream message
  - name: container-stats-missing
    source: containers
    absent_for: 2m                        # running per the latest list, but no stats
  - name: restart-web-on-oom        # remediation, opt-in per rule
    source: events
    when: 'event.action == "oom"'
    action: { command: RESTART, cooldown: 10m, max_attempts: 3 }
`;
