import { parseRule, ruleToProto } from '@app/alerting';
import { alertspb } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import type { ApiScope } from '../../auth/api-tokens';
import { KeyedSerializer } from '../../commands/idempotency';
import { TENANT } from '../../http/api-schemas';
import { fail } from '../../http/problem';
import { AlertingWriter, ruleRecord, ruleTombstone } from '../alerting-records';
import { notReady, owns, ownerTenant } from '../alerting-scope';
import type { RulesView } from './rules.view';

const invalid = (field: string, message: string): never =>
  fail('invalid_request', `${field}: ${message}`, field);

/**
 * Sets and deletes alert rules: each PUT writes the whole rule as an AlertRuleRecord (revision + 1)
 * to `<prefix>alert-rules`, keyed by name, and a DELETE writes the name's tombstone; both
 * acknowledged by every in-sync replica, then applied here. Validation is the rule library's, the
 * same the alerter applies to its YAML file. Names are global; writes to one name are serialized
 * in this process (two control API instances writing one name at once may both take the same
 * revision: the later record wins on the topic).
 */
export class RulesService {
  private readonly serializer = new KeyedSerializer();

  constructor(
    private readonly view: RulesView,
    private readonly writer: AlertingWriter,
    private readonly writerId: string,
    private readonly logger: AppLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stored record, and whether the rule is new. */
  async put(
    scope: ApiScope,
    name: string,
    body: unknown,
  ): Promise<{ record: alertspb.AlertRuleRecord; created: boolean }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      invalid('/body', 'must be a JSON object');
    const fields = body as Record<string, unknown>;
    if (fields.name !== undefined && fields.name !== name)
      invalid('/body/name', `must be absent or equal the path's ${name}`);
    if (fields.tenant !== undefined && !TENANT.safeParse(fields.tenant).success)
      invalid('/body/tenant', 'a tenant: 1 to 64 of [A-Za-z0-9_-]');
    const tenant = ownerTenant(scope, fields.tenant as string | undefined);
    const parsed = parseRule({ ...fields, name, tenant: tenant || undefined });
    if (!parsed.ok) {
      const [first] = parsed.errors;
      fail(
        'invalid_request',
        parsed.errors.map((e) => `/body${e.field}: ${e.message}`).join('; '),
        `/body${first.field}`,
      );
    }
    return this.serializer.run(name, async () => {
      const existing = this.visible(scope, name, false);
      if (!this.writer.alertingReady()) notReady('alert-rules');
      const now = this.now();
      const record = alertspb.AlertRuleRecord.fromPartial({
        rule: ruleToProto(parsed.rule),
        actor: scope.tokenId,
        updatedAtMs: String(now),
        revision: String(existing ? Number(existing.revision) + 1 : 1),
      });
      await this.write(() => this.writer.writeRule(ruleRecord(record, this.writerId)));
      this.view.apply(name, record);
      this.logger.info(
        { rule: name, tenantId: tenant, revision: record.revision, actor: scope.tokenId },
        'alert rule set',
      );
      return { record, created: existing === undefined };
    });
  }

  async remove(scope: ApiScope, name: string): Promise<void> {
    await this.serializer.run(name, async () => {
      const existing = this.visible(scope, name, true)!;
      if (!this.writer.alertingReady()) notReady('alert-rules');
      await this.write(() =>
        this.writer.writeRule(ruleTombstone(name, existing.rule!.tenantId, this.writerId, this.now())),
      );
      this.view.remove(name);
      this.logger.info({ rule: name, actor: scope.tokenId }, 'alert rule deleted');
    });
  }

  /** The rule if this scope may see it; another tenant's rule is "not found" (404 when `required`, or taken). */
  visible(scope: ApiScope, name: string, required: boolean): alertspb.AlertRuleRecord | undefined {
    const existing = this.view.get(name);
    if (existing && !owns(scope, existing.rule!.tenantId)) fail('not_found', `alert rule ${name} not found`);
    if (!existing && required) fail('not_found', `alert rule ${name} not found`);
    return existing;
  }

  private async write(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      fail('unavailable', `Kafka did not acknowledge the rule (${(error as Error).message}); retry`);
    }
  }
}
