import { alertspb } from '@app/contracts';
import type { FollowedRecord } from '@app/kafka';

/**
 * The alert-rules topic (compacted, keyed by rule name) folded in memory, rebuilt from its start
 * at boot: the latest record per name; a tombstone (null value) deletes the rule. The API's own
 * writes are applied once Kafka acknowledged them.
 */
export class RulesView {
  private readonly rules = new Map<string, alertspb.AlertRuleRecord>();
  private sorted: alertspb.AlertRuleRecord[] | undefined;

  applyRecord(record: FollowedRecord): void {
    const name = record.message.key?.toString();
    if (name === undefined) return;
    if (!record.message.value) this.remove(name);
    else this.apply(name, alertspb.AlertRuleRecord.decode(record.message.value));
  }

  apply(name: string, record: alertspb.AlertRuleRecord): void {
    if (!record.rule || record.rule.name !== name) return;
    this.rules.set(name, record);
    this.sorted = undefined;
  }

  remove(name: string): void {
    if (this.rules.delete(name)) this.sorted = undefined;
  }

  get(name: string): alertspb.AlertRuleRecord | undefined {
    return this.rules.get(name);
  }

  /** By name; `after`: the last name of the previous page. */
  page(
    tenant: string | undefined,
    limit: number,
    after?: string,
  ): { items: alertspb.AlertRuleRecord[]; next?: string } {
    this.sorted ??= [...this.rules.values()].sort((a, b) => (a.rule!.name < b.rule!.name ? -1 : 1));
    const items: alertspb.AlertRuleRecord[] = [];
    for (const record of this.sorted) {
      if (after !== undefined && record.rule!.name <= after) continue;
      if (tenant !== undefined && record.rule!.tenantId !== tenant) continue;
      if (items.length === limit) return { items, next: items[items.length - 1].rule!.name };
      items.push(record);
    }
    return { items };
  }

  get size(): number {
    return this.rules.size;
  }
}
