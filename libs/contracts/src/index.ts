export * from './topics';
export * from './headers';
export * as agentpb from './generated/containeragent/agent';
export * as eventspb from './generated/containeragent/events/v1/lifecycle';
