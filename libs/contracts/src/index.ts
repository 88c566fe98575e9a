export * from './topics';
export * from './headers';
export * as agentpb from './generated/containeragent/agent';
export * as eventspb from './generated/containeragent/events/v1/lifecycle';
export * as keyspb from './generated/containeragent/events/v1/keys';
export * as commandspb from './generated/containeragent/events/v1/commands';
export * as alertspb from './generated/containeragent/events/v1/alerts';
export * from './agent-keys';
export * from './command-records';
