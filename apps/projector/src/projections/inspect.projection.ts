import type { containerInspectHistory, RowOf } from '@app/clickhouse';
import type { agentpb } from '@app/contracts';
import { decodeAgentMessage } from './agent-message.decode';
import { epochMs, SourceRecord, sourceColumns } from './source-record';

export type InspectRow = RowOf<typeof containerInspectHistory>;

export function inspectRows(record: SourceRecord): InspectRow[] {
  const message = decodeAgentMessage(record, 'inspectData');
  const { tenant_id, agent_id, ...source } = sourceColumns(record);
  const ts = epochMs(message.timestamp);
  return message.inspectData.inspects.map((i) => ({
    ts,
    tenant_id,
    agent_id,
    host: message.host,
    container_id: i.id,
    name: i.name,
    image: i.image,
    created: i.created,
    platform: i.platform,
    ...stateColumns(i.state),
    ...configColumns(i.config),
    ...networkColumns(i.network),
    'mounts.type': i.mounts.map((m) => m.type),
    'mounts.name': i.mounts.map((m) => m.name),
    'mounts.source': i.mounts.map((m) => m.source),
    'mounts.destination': i.mounts.map((m) => m.destination),
    'mounts.mode': i.mounts.map((m) => m.mode),
    'mounts.rw': i.mounts.map((m) => m.rw),
    ...source,
  }));
}

function stateColumns(state: agentpb.ContainerState | undefined) {
  return {
    state_status: state?.status ?? '',
    state_running: state?.running ?? false,
    state_paused: state?.paused ?? false,
    state_restarting: state?.restarting ?? false,
    state_exit_code: state?.exitCode ?? 0,
    state_started_at: state?.startedAt ?? '',
    state_finished_at: state?.finishedAt ?? '',
  };
}

function configColumns(config: agentpb.ContainerConfig | undefined) {
  return {
    config_hostname: config?.hostname ?? '',
    config_user: config?.user ?? '',
    config_env: config?.env ?? [],
    config_cmd: config?.cmd ?? [],
    config_entrypoint: config?.entrypoint ?? [],
    config_working_dir: config?.workingDir ?? '',
    config_labels: config?.labels ?? {},
  };
}

/** Port bindings flattened to one entry per (container port, binding); an unbound port keeps empty host fields. */
function networkColumns(network: agentpb.ContainerNetwork | undefined) {
  const ports = Object.entries(network?.ports ?? {}).flatMap(([port, b]) =>
    b.bindings.length > 0 ? b.bindings.map((x) => [port, x.hostIp, x.hostPort]) : [[port, '', '']],
  );
  const networks = Object.entries(network?.networks ?? {});
  return {
    network_ip_address: network?.ipAddress ?? '',
    network_gateway: network?.gateway ?? '',
    network_mac_address: network?.macAddress ?? '',
    'ports.container_port': ports.map((p) => p[0]),
    'ports.host_ip': ports.map((p) => p[1]),
    'ports.host_port': ports.map((p) => p[2]),
    'networks.name': networks.map(([name]) => name),
    'networks.network_id': networks.map(([, n]) => n.networkId),
    'networks.ip_address': networks.map(([, n]) => n.ipAddress),
    'networks.gateway': networks.map(([, n]) => n.gateway),
    'networks.mac_address': networks.map(([, n]) => n.macAddress),
  };
}
