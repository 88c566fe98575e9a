#!/usr/bin/env node
'use strict';
// Fails when the checked-in generated TypeScript differs from what the protos generate now.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const committed = path.join(root, 'libs/contracts/src/generated');
const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-gen-'));
const template = fs
  .readFileSync(path.join(root, 'buf.gen.yaml'), 'utf8')
  .replace('out: libs/contracts/src/generated', `out: ${fresh}`);
execFileSync(path.join(root, 'node_modules/.bin/buf'), ['generate', '--template', template], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PATH: `${path.join(root, 'node_modules/.bin')}${path.delimiter}${process.env.PATH}`,
  },
});

const list = (dir) =>
  fs
    .readdirSync(dir, { recursive: true })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
const a = list(committed);
const b = list(fresh);
const stale = [...new Set([...a, ...b])].filter(
  (f) =>
    !a.includes(f) ||
    !b.includes(f) ||
    !fs.readFileSync(path.join(committed, f)).equals(fs.readFileSync(path.join(fresh, f))),
);
fs.rmSync(fresh, { recursive: true, force: true });
if (stale.length > 0) {
  console.error(`generated code is stale (run npm run proto:gen): ${stale.join(', ')}`);
  process.exit(1);
}
console.log('generated code matches proto/');
