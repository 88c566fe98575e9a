import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';

const ROOT = join(__dirname, '../..');
const SEED = join(ROOT, '../shared/seed/000_976b0287b2f67fc6.txt');
const SEED_COPY = join(__dirname, 'seed-contract.proto');

/** The seed's protobuf blocks, as written in the design document (§1–§5). */
function seedProto(): string {
  let text: string;
  try {
    text = readFileSync(SEED, 'utf8');
  } catch {
    text = readFileSync(SEED_COPY, 'utf8');
  }
  const blocks = [...text.matchAll(/```protobuf\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.length > 0 ? blocks.join('\n') : text;
}

function parse(source: string): protobuf.Root {
  const { root } = protobuf.parse(source, { keepCase: true });
  root.resolveAll();
  return root;
}

function shape(field: protobuf.Field) {
  return {
    id: field.id,
    type: field.type,
    repeated: field.repeated,
    map: field.map,
    keyType: field instanceof protobuf.MapField ? field.keyType : undefined,
    oneof: field.partOf?.name,
  };
}

describe('proto/containeragent/agent.proto keeps the seed contract', () => {
  const seed = parse(seedProto());
  const ours = parse(readFileSync(join(ROOT, 'proto/containeragent/agent.proto'), 'utf8'));
  const seedPackage = seed.lookup('containeragent') as protobuf.Namespace;

  it('has the same package and go_package', () => {
    expect(ours.lookup('containeragent')).toBeInstanceOf(protobuf.Namespace);
    expect(readFileSync(join(ROOT, 'proto/containeragent/agent.proto'), 'utf8')).toMatch(
      /option go_package = "proto\/agentpb";/,
    );
  });

  const seedTypes = seedPackage.nestedArray;

  it.each(seedTypes.filter((t) => t instanceof protobuf.Type).map((t) => [t.name, t]))(
    'message %s: every seed field keeps name, number, type, label and oneof',
    (name, seedType) => {
      const ourType = ours.lookupType(`containeragent.${name}`);
      for (const field of seedType.fieldsArray) {
        const mine = ourType.fields[field.name];
        expect(mine).toBeDefined();
        expect(shape(mine)).toEqual(shape(field));
      }
      const extra = ourType.fieldsArray.filter((f) => !seedType.fields[f.name]);
      for (const field of extra) {
        expect(seedType.fieldsArray.map((f) => f.id)).not.toContain(field.id);
        expect(field.partOf).toBeTruthy(); // additions must be `optional` (proto3 presence)
      }
    },
  );

  it.each(seedTypes.filter((t) => t instanceof protobuf.Enum).map((t) => [t.name, t]))(
    'enum %s keeps every value and number',
    (name, seedEnum) => {
      expect(ours.lookupEnum(`containeragent.${name}`).values).toMatchObject(seedEnum.values);
    },
  );

  it('service AgentService keeps every RPC with its types and streaming', () => {
    const seedService = seed.lookupService('containeragent.AgentService');
    const ourService = ours.lookupService('containeragent.AgentService');
    for (const method of seedService.methodsArray) {
      const mine = ourService.methods[method.name];
      expect(mine).toBeDefined();
      expect([mine.requestType, mine.responseType, !!mine.requestStream, !!mine.responseStream]).toEqual([
        method.requestType,
        method.responseType,
        !!method.requestStream,
        !!method.responseStream,
      ]);
    }
  });

  it('covers the whole seed (guards against the seed parse silently finding nothing)', () => {
    expect(seedTypes.length).toBeGreaterThanOrEqual(20);
  });
});
