'use strict';
/**
 * `node scripts/run-built.js dist/<entry>.js [args…]`: runs one built entry point, in this process,
 * and never builds. Building belongs to `npm run build` (or `npm start`) alone, so that apps started
 * at the same moment never find dist/ half rewritten by another app's build (tsc emits
 * `require('@app/config')` first and tsc-alias rewrites it afterwards).
 *
 * Plain JavaScript so that it runs before anything is built.
 */
const { existsSync } = require('node:fs');
const { relative, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const [entryArg, ...args] = process.argv.slice(2);
if (!entryArg) {
  process.stderr.write('usage: node scripts/run-built.js dist/<entry>.js [args…]\n');
  process.exit(2);
}
const entry = resolve(root, entryArg);
if (!existsSync(entry)) {
  const what = existsSync(resolve(root, 'dist')) ? `${relative(root, entry)} is missing` : 'dist/ is missing';
  process.stderr.write(
    `${what}: nothing is built yet.\n` +
      '  Run `npm run build` once (again after changing the code), then this command;\n' +
      '  or `npm start`, which builds and then runs Kafka, the gateway, the projector and agent-sim.\n',
  );
  process.exit(1);
}
// The entry sees the arguments as if it had been started with `node <entry> args…`.
process.argv = [process.argv[0], entry, ...args];
require(entry);
