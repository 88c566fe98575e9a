// Interim stand-in for libs/alerting's renderTemplate, which has not landed yet: the same call
// shape (template, data) → text, with the subset the example rules use: `{{ .a.b }}` looks up a
// dotted path in `data` (a missing value renders as ''), everything else is copied as is.
// Replace with the library's function once it is exported.

const ACTION = /\{\{\s*\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)?\s*\}\}/g;

export function renderTemplate(template: string, data: Record<string, unknown>): string {
  return template.replace(ACTION, (_whole, path: string | undefined) => {
    let value: unknown = data;
    for (const part of path === undefined ? [] : path.split('.')) {
      if (value === null || typeof value !== 'object') return '';
      value = Object.prototype.hasOwnProperty.call(value, part)
        ? (value as Record<string, unknown>)[part]
        : undefined;
    }
    switch (typeof value) {
      case 'string':
        return value;
      case 'number':
      case 'bigint':
      case 'boolean':
        return String(value);
      case 'object':
        return value === null ? '' : JSON.stringify(value);
      case 'undefined':
      case 'symbol':
      case 'function':
        return '';
    }
  });
}
