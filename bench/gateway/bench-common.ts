import { resolve } from 'node:path';
import { credentials, Client, ChannelOptions, Metadata } from '@grpc/grpc-js';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, Histogram } from 'hdr-histogram-js';

export { CONTAINERS_PER_MESSAGE, encodeStatsMessage } from '@app/testing';

/** This file runs compiled, from dist/bench/gateway. */
export const REPO_ROOT = resolve(__dirname, '../../..');
export const PROTO_PATH = resolve(REPO_ROOT, 'proto/containeragent/agent.proto');

export const METHOD = {
  dataStream: '/containeragent.AgentService/DataStream',
  heartbeat: '/containeragent.AgentService/Heartbeat',
};

/** A fixed secret: the bench's gateway and its pre-made records must derive the same agent ids. */
export const BENCH_HASH_SECRET = 'bench-only-hash-secret-0123456789abcdef';
/** The bench's projectors serve /sql to this operator token (every tenant). */
export const BENCH_SQL_TOKEN = 'sql_benchOnlyToken0123456789abcdef';

/** `ak_` + 30 letters and digits: the gateway refuses keys under 22. */
export function agentKey(i: number): string {
  return `ak_bench${i.toString().padStart(6, '0')}${'x'.repeat(16)}`;
}

export function agentHost(i: number): string {
  return `bench-host-${i}`;
}

export function bearer(key: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}

/** A raw client on its own channel: the unique dummy option keeps grpc-js from sharing the subchannel. */
export function rawClient(port: number, agent: number, host = '127.0.0.1'): Client {
  // A distinct option per agent keeps grpc-js from sharing one connection between agents. Retries
  // off: a retrying call keeps every message until the server confirms it, CPU the load clients
  // (which share the machine with the server under test) should not spend. No retry buffer:
  // grpc-js otherwise completes each write at once while the call has buffered less than 1 MiB
  // (grpc.per_rpc_retry_buffer_size), so a stream would queue ~400 messages in the client beyond
  // HTTP/2 flow control; without it a write waits for the transport, as a Go agent's Send does.
  // A channel-local subchannel pool: the global one compares each new channel's options with every
  // subchannel made before, which grows with the square of the channels (10,000 idle agents).
  const options: ChannelOptions = {
    'bench.agent': agent,
    'grpc.enable_retries': 0,
    'grpc.per_rpc_retry_buffer_size': 0,
    'grpc.use_local_subchannel_pool': 1,
  };
  return new Client(`${host}:${port}`, credentials.createInsecure(), options);
}

export const identity = (b: Buffer): Buffer => b;

/** Latencies in microseconds, up to one minute. */
export function latencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export const encodeHistogram = (h: Histogram): string => encodeIntoCompressedBase64(h);
export const decodeHistogram = (s: string): Histogram => decodeFromCompressedBase64(s);

// ---- messages between the bench (parent) and its load-client processes

export interface StreamSettings {
  mode: 'stream';
  port: number;
  firstAgent: number;
  agents: number;
  warmupMs: number;
  durationMs: number;
  /** 0 = as fast as the server accepts; otherwise messages/s per agent. */
  ratePerAgent: number;
}

export interface IdleSettings {
  mode: 'idle';
  port: number;
  /** Loopback addresses of the gateway; agent i connects to hosts[i % hosts.length]. */
  hosts: string[];
  firstAgent: number;
  agents: number;
  heartbeatEveryMs: number;
}

export type ClientSettings = StreamSettings | IdleSettings;

export interface StreamResult {
  type: 'stream-result';
  written: number;
  acked: number;
  /** Messages written in the measurement window that were ACKed before the streams closed. */
  windowWritten: number;
  windowAckedOfWritten: number;
  ackedInWindow: number;
  windowMs: number;
  latency: string;
  cpuPercent: number;
  streamErrors: string[];
}

export interface IdleResult {
  type: 'idle-result';
  opened: number;
  heartbeatsOk: number;
  heartbeatsFailed: number;
  failures: string[];
  streamErrors: string[];
}

export type ToClient = { type: 'start' } | { type: 'stop' };
export type FromClient = { type: 'ready' } | { type: 'opened'; count: number } | StreamResult | IdleResult;
