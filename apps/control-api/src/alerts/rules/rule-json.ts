import type { z } from 'zod';
import { ruleFromProto, ruleToJson } from '@app/alerting';
import type { alertspb } from '@app/contracts';
import type { AlertRule } from '../alerting.schemas';

/** A rule as the API shows it: the library's JSON of it, its tenant (null: every tenant), revision and author. */
export function ruleJson(record: alertspb.AlertRuleRecord): z.infer<typeof AlertRule> {
  const json = ruleToJson(ruleFromProto(record.rule!));
  return {
    ...json,
    tenant: json.tenant || null,
    revision: Number(record.revision),
    updated_at: new Date(Number(record.updatedAtMs)).toISOString(),
    updated_by: record.actor,
  };
}
