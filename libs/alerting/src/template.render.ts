export const MAX_RENDERED_LENGTH = 4096;

// The part of Go's text/template that Prometheus and Alertmanager users write in annotations:
//   {{ .field }}  {{ .attrs.exitCode }}   fields of `data`, nested
//   {{ $labels.team }}  {{ $value }}      `$name` is data[name]; `$.x` is data.x
//   {{- .x -}}                            trims whitespace around the action
//   {{/* comment */}}                     renders nothing
// Anything else inside {{ }} (pipelines, functions, if/range) is copied verbatim, so the author
// sees it was not understood. Lookups read own properties (or Map entries) only and never call
// anything: a template is data, not code.

const ACTION = /\{\{(-\s)?\s*([\s\S]*?)\s*(\s-)?\}\}/g;
const PATH = /^(?:\$([A-Za-z_][A-Za-z0-9_]*)?)?((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;

/** Renders a template; missing values are empty, never throws, output ≤ 4 KiB. */
export function renderTemplate(template: string, data: Record<string, unknown>): string {
  try {
    return truncate(render(String(template), data));
  } catch {
    return truncate(String(template));
  }
}

function render(template: string, data: Record<string, unknown>): string {
  let out = '';
  let last = 0;
  for (const match of template.matchAll(ACTION)) {
    const [whole, trimLeft, body, trimRight] = match;
    let text = template.slice(last, match.index);
    if (trimLeft) text = text.trimEnd();
    out += text;
    out += evaluate(body, whole, data);
    last = match.index + whole.length;
    if (trimRight) last += /^\s*/.exec(template.slice(last))?.[0].length ?? 0;
    if (out.length > MAX_RENDERED_LENGTH) return out;
  }
  return out + template.slice(last);
}

function evaluate(body: string, whole: string, data: Record<string, unknown>): string {
  if (body.startsWith('/*') && body.endsWith('*/')) return '';
  if (body === '.') return '';
  const path = PATH.exec(body);
  if (!path || body === '') return whole;
  const [, variable, fields] = path;
  let value: unknown = variable === undefined ? data : lookup(data, variable);
  for (const field of fields.split('.').slice(1)) value = lookup(value, field);
  return format(value);
}

function lookup(container: unknown, key: string): unknown {
  if (container instanceof Map) return container.get(key) as unknown;
  if (typeof container !== 'object' || container === null || Array.isArray(container)) return undefined;
  return Object.prototype.hasOwnProperty.call(container, key)
    ? (container as Record<string, unknown>)[key]
    : undefined;
}

function format(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return '';
}

function truncate(text: string): string {
  if (text.length <= MAX_RENDERED_LENGTH) return text;
  let end = MAX_RENDERED_LENGTH - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
