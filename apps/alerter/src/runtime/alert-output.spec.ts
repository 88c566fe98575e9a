import { alertspb } from '@app/contracts';
import { Metrics } from '@app/observability';
import type { AlertChange } from '../engine';
import type { NotifiableAlert, Notifier } from '../notify/notifiable-alert';
import type { AlertLog, KnownAlert } from './alert-log';
import { AlertOutput } from './alert-output';
import type { Remediation } from './remediation';
import type { SilenceStore } from './silence-store';

/** The alerts topic as memory only: writes apply at once, as AlertLog does before Kafka answers. */
function memoryLog(): AlertLog {
  const known = new Map<string, KnownAlert>();
  return {
    known,
    async write(entries: Partial<alertspb.AlertLogRecord>[]) {
      for (const e of entries) {
        if (e.transition) {
          const k = known.get(e.transition.fingerprint);
          if (k) k.transition = e.transition;
          else
            known.set(e.transition.fingerprint, {
              transition: e.transition,
              notified: new Map(),
              remediations: [],
            });
        } else if (e.notified?.ok) {
          known.get(e.notified.fingerprint)?.notified.set(e.notified.channel, e.notified.state);
        }
      }
      await new Promise((r) => setTimeout(r, 5)); // Kafka's round trip, after memory (as AlertLog.write)
    },
  } as unknown as AlertLog;
}

const change = (state: AlertChange['state']): AlertChange => ({
  fingerprint: 'fp1',
  ruleName: 'died',
  state,
  atMs: 1,
  startsAtMs: 1,
  endsAtMs: state === 'resolved' ? 2 : undefined,
  labels: { alertname: 'died' },
  annotations: {},
  tenantId: 't',
  agentId: 'ag',
  host: 'h',
  containerId: 'c',
  containerName: 'web',
  value: '',
});

describe('AlertOutput', () => {
  it('pages a firing that resolved before its own write returned, then its resolve, in that order', async () => {
    const sent: NotifiableAlert['state'][] = [];
    const webhook: Notifier = {
      notify: async (a) => {
        sent.push(a.state);
        return { ok: true, attempts: 1, detail: '' };
      },
      close: async () => undefined,
    };
    const output = new AlertOutput(
      memoryLog(),
      { webhook },
      { all: () => [] } as unknown as SilenceStore,
      { consider: async () => undefined } as unknown as Remediation,
      () => undefined,
      { warn: () => undefined } as never,
      new Metrics('alerter', false),
    );
    const firing = output.emit([change('firing')]);
    const resolved = output.emit([change('resolved')]); // the tick resolved it meanwhile
    await Promise.all([firing, resolved]);
    await output.drain();
    expect(sent).toEqual(['firing', 'resolved']);
  });
});
