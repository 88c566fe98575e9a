import { createHash } from 'node:crypto';

/**
 * The alert's identity: sha256 over the rule name and its labels sorted by name, as 16 hex
 * characters. JSON framing keeps `{a: "b,c"}` and `{a: "b", c: ""}` apart; sorting makes it
 * independent of the order labels were written in, so it is the same across runs and instances.
 */
export function fingerprintOf(ruleName: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]]);
  return createHash('sha256')
    .update(JSON.stringify([ruleName, sorted]))
    .digest('hex')
    .slice(0, 16);
}
