import type { AgentState } from '../fleet/fleet.view';
import { fail } from '../http/problem';

export interface ResolvedContainer {
  containerId: string;
  containerName: string;
}

const bare = (name: string) => (name.startsWith('/') ? name.slice(1) : name);

/**
 * The container a command names on a host of an agent, the way Docker resolves a reference: an
 * exact id, then an exact name (with or without its leading "/"), then a unique id prefix. The
 * container must be in the host's latest container list. An unknown host or container is a 404
 * naming it; a prefix of several ids is a 409 `container_ambiguous` listing them.
 */
export function resolveContainer(agent: AgentState, host: string, reference: string): ResolvedContainer {
  const listed = agent.containers.get(host);
  if (!listed && !agent.hosts.some((h) => h.name === host))
    fail('not_found', `host ${host} not found on agent ${agent.agentId}`, '/body/host');
  const containers = listed?.containers ?? [];
  const found =
    containers.find((c) => c.id === reference) ??
    containers.find((c) => c.name !== '' && bare(c.name) === bare(reference));
  if (found) return { containerId: found.id, containerName: bare(found.name) };
  const byPrefix = containers.filter((c) => c.id.startsWith(reference));
  if (byPrefix.length === 1) return { containerId: byPrefix[0].id, containerName: bare(byPrefix[0].name) };
  if (byPrefix.length > 1)
    fail(
      'container_ambiguous',
      `container ${reference} is ambiguous on host ${host}: a prefix of ${byPrefix.length} container ids (${byPrefix
        .slice(0, 5)
        .map((c) => c.id)
        .join(', ')}${byPrefix.length > 5 ? ', …' : ''}); give more of the id, or the name`,
      '/body/container',
    );
  fail(
    'not_found',
    listed
      ? `container ${reference} not found on host ${host} of agent ${agent.agentId}`
      : `container ${reference} not found: host ${host} of agent ${agent.agentId} has not reported a container list`,
    '/body/container',
  );
}
