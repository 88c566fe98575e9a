import type { z } from 'zod';
import type { alertspb } from '@app/contracts';
import type { Silence } from '../alerting.schemas';
import { silenceState } from './silences.view';

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

export function silenceJson(s: alertspb.SilenceRecord, now: number): z.infer<typeof Silence> {
  return {
    id: s.id,
    tenant: s.tenantId || null,
    matchers: s.matchers.map((m) => ({
      name: m.name,
      value: m.value,
      is_regex: m.isRegex,
      is_equal: m.isEqual,
    })),
    starts_at: iso(s.startsAtMs),
    ends_at: iso(s.endsAtMs),
    comment: s.comment,
    created_by: s.createdBy,
    created_at: iso(s.createdAtMs),
    state: silenceState(s, now),
    deleted: s.deleted,
  };
}
