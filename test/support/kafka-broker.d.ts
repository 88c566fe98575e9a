/** Types of deploy/kafka/kafka-broker.js (plain JS so it runs before anything is built). */
export interface BrokerOptions {
  port?: number;
  controllerPort?: number;
  dataDir?: string;
  partitions?: number;
  cacheDir?: string;
  timeoutMs?: number;
}
export interface StartedBroker {
  brokers: string;
  pid: number;
  dataDir: string;
  alreadyRunning: boolean;
  stop(): Promise<void>;
  kill(): Promise<void>;
}
export function provision(
  opts?: BrokerOptions,
): Promise<{ libsDir: string; version: string; cached: boolean }>;
export function startBroker(opts?: BrokerOptions): Promise<StartedBroker>;
export function stopBroker(opts?: BrokerOptions): Promise<{ stopped: boolean; pid: number }>;
export function killBroker(opts?: BrokerOptions): Promise<{ killed: boolean; pid: number }>;
export function isReady(host?: string, port?: number, timeoutMs?: number): Promise<boolean>;
