import { MAX_RENDERED_LENGTH, renderTemplate } from './template.render';

const data = {
  container: 'web',
  host: 'web-1',
  attrs: { exitCode: '137', nested: { deep: 'yes' } },
  labels: { team: 'ops' },
  value: 95.5,
  count: 3n,
  ok: true,
  list: ['a'],
  map: new Map([['k', 'v']]),
};

describe('renderTemplate', () => {
  it.each([
    ['{{ .container }} on {{ .host }} exited with {{ .attrs.exitCode }}', 'web on web-1 exited with 137'],
    ['{{.container}}', 'web'],
    ['{{ .attrs.nested.deep }}', 'yes'],
    ['{{ $labels.team }} at {{ $value }}', 'ops at 95.5'],
    ['{{ $.container }}', 'web'],
    ['{{ .count }} {{ .ok }}', '3 true'],
    ['{{ .map.k }}', 'v'],
    ['no actions', 'no actions'],
    ['a  {{- .container -}}  b', 'awebb'],
    ['x{{/* a comment */}}y', 'xy'],
  ])('%j → %j', (template, expected) => {
    expect(renderTemplate(template, data)).toBe(expected);
  });

  it.each([
    ['{{ .missing }}', ''],
    ['{{ .attrs.missing.deeper }}', ''],
    ['{{ $missing.x }}', ''],
    ['{{ .attrs }}', ''],
    ['{{ .list }}', ''],
    ['{{ . }}', ''],
    ['{{ .container.length }}', ''],
  ])('missing or non-scalar %j → empty', (template, expected) => {
    expect(renderTemplate(template, data)).toBe(expected);
  });

  it.each([
    '{{ .constructor }}',
    '{{ .__proto__ }}',
    '{{ .toString }}',
    '{{ .attrs.hasOwnProperty }}',
    '{{ $labels.constructor.name }}',
  ])('never reads inherited properties: %j', (template) => {
    expect(renderTemplate(template, data)).toBe('');
  });

  it('does not call functions', () => {
    const fn = jest.fn(() => 'called');
    expect(renderTemplate('{{ .fn }}', { fn })).toBe('');
    expect(fn).not.toHaveBeenCalled();
  });

  it.each([
    '{{ humanize $value }}',
    '{{ if .x }}y{{ end }}',
    '{{ .x | printf "%s" }}',
    '{{ unclosed',
    '{{}}',
  ])('copies what it does not understand verbatim: %j', (template) => {
    expect(renderTemplate(template, data)).toBe(template);
  });

  it('never throws, even on a hostile getter', () => {
    const hostile = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(() => renderTemplate('{{ .x }}', hostile)).not.toThrow();
  });

  it('limits the output to 4 KiB', () => {
    const big = renderTemplate('{{ .v }}{{ .v }}', { v: 'x'.repeat(3000) });
    expect(big).toHaveLength(MAX_RENDERED_LENGTH);
    expect(big.endsWith('…')).toBe(true);
    expect(renderTemplate('y'.repeat(10_000), {})).toHaveLength(MAX_RENDERED_LENGTH);
  });

  it('does not cut a surrogate pair in half', () => {
    const out = renderTemplate(`${'x'.repeat(MAX_RENDERED_LENGTH - 2)}😀😀`, {});
    expect(out.length).toBeLessThanOrEqual(MAX_RENDERED_LENGTH);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
