import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentpb } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import {
  agentClient,
  bearer,
  Client,
  heartbeat,
  register,
  statsMessage,
  streamMessages,
} from '../support/agent-client';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import { eventually, sql, startTestProjector, tempClickHousePath } from '../support/test-projector';

const { DataType } = agentpb;
const DB = 'containeragent';

describe('projector: topics to ClickHouse tables (real Kafka, embedded ClickHouse)', () => {
  const prefix = uniqueTopicPrefix();
  let gateway: RunningGateway;
  let projector: RunningProjector;
  let client: Client;
  let agentId = '';
  const now = Date.now();

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
    });
    client = agentClient(gateway.grpcPort);
    agentId = (
      await register(client, bearer(KEY.alpha), {
        agentKey: KEY.alpha,
        agentName: 'édge-1 🚀',
        hosts: [{ name: 'docker-a', addr: '10.0.0.1' }],
      })
    ).agentId;
    await heartbeat(client, bearer(KEY.alpha), { agentKey: KEY.alpha, timestamp: String(now) });
    await streamMessages(client, bearer(KEY.alpha), [
      {
        agentKey: KEY.alpha,
        type: DataType.CONTAINER_LIST,
        host: 'docker-a',
        timestamp: String(now),
        listData: {
          containers: [
            { id: 'c1', name: 'wéb', image: 'nginx:1.27', state: 'running', status: 'Up 1 minute' },
            { id: 'c2', name: 'db', image: 'postgres:16', state: 'exited', status: 'Exited (0)' },
          ],
        },
      },
      {
        agentKey: KEY.alpha,
        type: DataType.CONTAINER_INSPECT,
        host: 'docker-a',
        timestamp: String(now),
        inspectData: {
          inspects: [
            agentpb.ContainerInspect.fromPartial({
              id: 'c1',
              name: '/wéb',
              image: 'nginx:1.27',
              state: { status: 'running', running: true, exitCode: 0, startedAt: '2026-11-25T10:00:00Z' },
              config: {
                env: ['A=1', 'B=두'],
                cmd: ['nginx', '-g', 'daemon off;'],
                labels: { tier: 'front', 'com.x': '値' },
              },
              network: {
                ipAddress: '172.18.0.2',
                ports: {
                  '80/tcp': { bindings: [{ hostIp: '0.0.0.0', hostPort: '8080' }] },
                  '443/tcp': { bindings: [] },
                },
                networks: {
                  demo: { networkId: 'n1', ipAddress: '172.18.0.2', gateway: '172.18.0.1', macAddress: 'm' },
                },
              },
              mounts: [
                {
                  type: 'volume',
                  name: 'v',
                  source: '/var/lib/docker/volumes/v',
                  destination: '/data',
                  mode: 'z',
                  rw: true,
                },
              ],
            }),
          ],
        },
      },
      statsMessage(KEY.alpha, 'docker-a', 1, String(now)),
      {
        agentKey: KEY.alpha,
        type: DataType.CONTAINER_EVENT,
        host: 'docker-a',
        timestamp: String(now),
        eventData: {
          type: 'container',
          action: 'die',
          actorId: 'c1',
          actorName: 'wéb',
          timestamp: `${now}000000`,
          attrs: { exitCode: '137', 'com.docker.compose.project': 'démo' },
        },
      },
    ]);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    await projector?.close();
  });

  it('stores stats with every seed field, 64-bit counters intact', async () => {
    const rows = await eventually(async () => {
      const r = await sql(
        projector.httpPort,
        `SELECT * FROM ${DB}.container_stats WHERE agent_id = '${agentId}' ORDER BY container_id`,
      );
      expect(r).toHaveLength(20);
      return r;
    });
    expect(rows[0]).toMatchObject({
      tenant_id: 'default',
      agent_id: agentId,
      host: 'docker-a',
      container_id: 'c00'.padEnd(64, '0'),
      container_name: 'container-0',
      cpu_percent: 1,
      memory_usage: '100000000',
      memory_limit: '2147483648',
      memory_percent: 4.66,
      network_rx: '18446744073709551615',
      network_tx: '1',
    });
    const [{ ms }] = await sql<{ ms: string }>(
      projector.httpPort,
      `SELECT toString(toUnixTimestamp64Milli(ts)) AS ms FROM ${DB}.container_stats LIMIT 1`,
    );
    expect(Number(ms)).toBe(now);
  });

  it('keeps the 1-minute and 1-hour rollups', async () => {
    const [row] = await eventually(async () => {
      const r = await sql<{ samples: string; cpu: number }>(
        projector.httpPort,
        `SELECT sum(samples) AS samples, max(cpu_max) AS cpu FROM ${DB}.container_stats_1m WHERE agent_id = '${agentId}'`,
      );
      expect(Number(r[0].samples)).toBe(20);
      return r;
    });
    expect(row.cpu).toBeCloseTo(1.19);
    const [hour] = await sql<{ avg: number }>(
      projector.httpPort,
      `SELECT avgMerge(cpu_avg) AS avg FROM ${DB}.container_stats_1h WHERE agent_id = '${agentId}' AND container_id = '${'c01'.padEnd(64, '0')}'`,
    );
    expect(hour.avg).toBeCloseTo(1.01);
  });

  it('stores events with their attributes map and the event time', async () => {
    const [event] = await eventually(async () => {
      const r = await sql<Record<string, unknown>>(
        projector.httpPort,
        `SELECT *, toUnixTimestamp64Milli(ts) AS ms FROM ${DB}.container_events WHERE agent_id = '${agentId}'`,
      );
      expect(r).toHaveLength(1);
      return r;
    });
    expect(event).toMatchObject({
      action: 'die',
      actor_id: 'c1',
      actor_name: 'wéb',
      event_type: 'container',
      attrs: { exitCode: '137', 'com.docker.compose.project': 'démo' },
    });
    expect(Number(event.ms)).toBe(now);
  });

  it('keeps inventory history and latest state per container', async () => {
    const rows = await eventually(async () => {
      const r = await sql(
        projector.httpPort,
        `SELECT container_id, name, image, state FROM ${DB}.container_inventory FINAL WHERE agent_id = '${agentId}' ORDER BY container_id`,
      );
      expect(r).toHaveLength(2);
      return r;
    });
    expect(rows).toEqual([
      { container_id: 'c1', name: 'wéb', image: 'nginx:1.27', state: 'running' },
      { container_id: 'c2', name: 'db', image: 'postgres:16', state: 'exited' },
    ]);
  });

  it('keeps inspect data queryable: config, labels, ports, networks, mounts', async () => {
    const [row] = await eventually(async () => {
      const r = await sql<Record<string, unknown>>(
        projector.httpPort,
        `SELECT * FROM ${DB}.container_inspect FINAL WHERE agent_id = '${agentId}'`,
      );
      expect(r).toHaveLength(1);
      return r;
    });
    expect(row).toMatchObject({
      name: '/wéb',
      state_running: true,
      config_env: ['A=1', 'B=두'],
      config_cmd: ['nginx', '-g', 'daemon off;'],
      config_labels: { tier: 'front', 'com.x': '値' },
      network_ip_address: '172.18.0.2',
      'networks.name': ['demo'],
      'mounts.destination': ['/data'],
      'mounts.rw': [true],
    });
    const ports = await sql(
      projector.httpPort,
      `SELECT p.container_port AS port, p.host_port AS host_port FROM ${DB}.container_inspect FINAL ARRAY JOIN ports AS p WHERE agent_id = '${agentId}' ORDER BY port`,
    );
    expect(ports).toEqual([
      { port: '443/tcp', host_port: '' },
      { port: '80/tcp', host_port: '8080' },
    ]);
  });

  it('stores lifecycle events, with nulls where the agent gave no time', async () => {
    const rows = await eventually(async () => {
      const r = await sql<Record<string, unknown>>(
        projector.httpPort,
        `SELECT kind, agent_name, hosts.name AS hosts, toUnixTimestamp64Milli(agent_time) AS agent_ms FROM ${DB}.agent_lifecycle WHERE agent_id = '${agentId}' ORDER BY ts, kind`,
      );
      expect(r.map((x) => x.kind)).toEqual(
        expect.arrayContaining(['registered', 'heartbeat', 'stream_opened', 'stream_closed']),
      );
      return r;
    });
    expect(rows.find((r) => r.kind === 'registered')).toMatchObject({
      agent_name: 'édge-1 🚀',
      hosts: ['docker-a'],
      agent_ms: null,
    });
    expect(Number(rows.find((r) => r.kind === 'heartbeat')!.agent_ms)).toBe(now);
  });

  it('runs every example query of the README', async () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### SQL for data teams'));
    const block = /```sql\n([\s\S]*?)```/.exec(section)![1];
    const queries = block
      .split(';')
      .map((q) => q.replace(/--[^\n]*/g, '').trim())
      .filter(Boolean)
      .map((q) => q.replace("'ag_…'", `'${agentId}'`));
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const query of queries) await expect(sql(projector.httpPort, query)).resolves.toBeInstanceOf(Array);
    const timeline = await sql(
      projector.httpPort,
      queries[3].replace("actor_name = 'web'", "actor_name = 'wéb'"),
    );
    expect(timeline).toEqual([expect.objectContaining({ action: 'die', exit_code: '137' })]);
  });
});
