import type { Counter } from 'prom-client';
import type { Metrics } from '@app/observability';
import { AUTH_FAILURE_REASONS } from './auth-result';

export interface AuthMetrics {
  /** Every call refused with UNAUTHENTICATED, throttled ones included. */
  refused: Counter<'method'>;
  /** Failed authentications by reason; throttled calls are not checked and not counted here. */
  failures: Counter<'reason'>;
  /** Calls refused, unchecked, because their peer address ran out of failures. */
  throttled: Counter<string>;
}

export function authMetrics(
  metrics: Metrics,
  gauges: { trackedPeers: () => number; delayedAnswers: () => number },
): AuthMetrics {
  const failures = metrics.counter({
    name: 'gateway_auth_failures_total',
    help: 'Failed agent authentications, by reason',
    labelNames: ['reason'] as const,
  });
  // Every reason from zero, so a rate() over a reason that has not happened yet is 0, not absent.
  for (const reason of AUTH_FAILURE_REASONS) failures.inc({ reason }, 0);
  metrics.gauge({
    name: 'gateway_auth_throttle_tracked_peers',
    help: 'Peer addresses with recent authentication failures being tracked',
    value: gauges.trackedPeers,
  });
  metrics.gauge({
    name: 'gateway_auth_throttle_delayed_answers',
    help: 'Refusals to throttled peers waiting out their delay',
    value: gauges.delayedAnswers,
  });
  return {
    refused: metrics.counter({
      name: 'gateway_auth_rejections_total',
      help: 'Calls refused with UNAUTHENTICATED',
      labelNames: ['method'] as const,
    }),
    failures,
    throttled: metrics.counter({
      name: 'gateway_auth_throttled_total',
      help: 'Calls refused without checking their key because their peer address made too many failed attempts',
    }),
  };
}
