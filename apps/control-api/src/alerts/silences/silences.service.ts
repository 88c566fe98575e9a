import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { alertspb } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import type { ApiScope } from '../../auth/api-tokens';
import { fail } from '../../http/problem';
import { CreateSilenceBody, MAX_SILENCE_DAYS } from '../alerting.schemas';
import { AlertingWriter, silenceRecord } from '../alerting-records';
import { notReady, owns, ownerTenant } from '../alerting-scope';
import { matchersProblem } from './silence-matchers';
import type { SilencesView } from './silences.view';

const DAY_MS = 86_400_000;

/**
 * Creates and expires silences: each is a whole SilenceRecord on `<prefix>silences` (compacted,
 * keyed by id), acknowledged by every in-sync replica before the answer, then applied here.
 */
export class SilencesService {
  constructor(
    private readonly view: SilencesView,
    private readonly writer: AlertingWriter,
    private readonly writerId: string,
    private readonly logger: AppLogger,
    private readonly now: () => number = Date.now,
  ) {}

  async create(scope: ApiScope, body: z.infer<typeof CreateSilenceBody>): Promise<alertspb.SilenceRecord> {
    const now = this.now();
    const problem = matchersProblem(body.matchers);
    if (problem) fail('invalid_request', `${problem.field}: ${problem.message}`, problem.field);
    const startsAt = body.starts_at === undefined ? now : Date.parse(body.starts_at);
    const endsAt = Date.parse(body.ends_at);
    if (endsAt <= startsAt)
      fail('invalid_request', '/body/ends_at: must be after starts_at', '/body/ends_at');
    if (endsAt <= now) fail('invalid_request', '/body/ends_at: must be in the future', '/body/ends_at');
    if (endsAt - startsAt > MAX_SILENCE_DAYS * DAY_MS)
      fail(
        'invalid_request',
        `/body/ends_at: at most ${MAX_SILENCE_DAYS} days after starts_at`,
        '/body/ends_at',
      );
    const tenant = ownerTenant(scope, body.tenant);
    if (!this.writer.alertingReady()) notReady('silences');
    const silence = alertspb.SilenceRecord.fromPartial({
      id: randomUUID(),
      matchers: body.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: m.is_regex,
        isEqual: m.is_equal,
      })),
      startsAtMs: String(startsAt),
      endsAtMs: String(endsAt),
      createdBy: scope.tokenId,
      comment: body.comment,
      tenantId: tenant,
      createdAtMs: String(now),
    });
    await this.write(silence, now);
    this.logger.info(
      { silenceId: silence.id, tenantId: tenant, createdBy: scope.tokenId },
      'silence created',
    );
    return silence;
  }

  /** Ends a silence now (deleted=true, ends_at=now); one already over is left as it is. */
  async expire(scope: ApiScope, id: string): Promise<void> {
    const silence = this.find(scope, id);
    const now = this.now();
    if (silence.deleted || Number(silence.endsAtMs) <= now) return;
    if (!this.writer.alertingReady()) notReady('silences');
    const ended = alertspb.SilenceRecord.fromPartial({
      ...silence,
      deleted: true,
      endsAtMs: String(now),
      // A pending silence ends before it started: it never applied.
      startsAtMs: String(Math.min(Number(silence.startsAtMs), now)),
    });
    await this.write(ended, now);
    this.logger.info({ silenceId: id, by: scope.tokenId }, 'silence expired');
  }

  /** A silence of another tenant (or an operator's global one, for a tenant) is "not found". */
  find(scope: ApiScope, id: string): alertspb.SilenceRecord {
    const silence = this.view.get(id);
    if (!silence || !owns(scope, silence.tenantId)) fail('not_found', `silence ${id} not found`);
    return silence;
  }

  private async write(silence: alertspb.SilenceRecord, now: number): Promise<void> {
    try {
      await this.writer.writeSilence(silenceRecord(silence, this.writerId, now));
    } catch (error) {
      fail('unavailable', `Kafka did not acknowledge the silence (${(error as Error).message}); retry`);
    }
    this.view.apply(silence);
  }
}
