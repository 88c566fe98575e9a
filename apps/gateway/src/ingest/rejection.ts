/** Why a message went to the DLQ; the value of the `dlq-reason` header. */
export type RejectionReason =
  | 'undecodable'
  | 'unknown_type'
  | 'missing_payload'
  | 'multiple_payloads'
  | 'type_mismatch'
  | 'invalid_number'
  | 'string_too_long'
  | 'list_too_long'
  | 'absurd_timestamp'
  | 'invalid_host'
  | 'agent_key_mismatch';

export interface Rejection {
  reason: RejectionReason;
  detail: string;
}

export const reject = (reason: RejectionReason, detail: string): Rejection => ({ reason, detail });
