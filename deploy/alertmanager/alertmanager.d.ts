/** Types of deploy/alertmanager/alertmanager.js (plain JS so it runs before anything is built). */
export interface AlertmanagerOptions {
  /** Default ALERTMANAGER_PORT or 9095 (9093 is the Kafka controller of npm start). */
  port?: number;
  /** The default route's webhook receiver; default ALERTMANAGER_WEBHOOK_URL, else a null receiver. */
  webhookUrl?: string;
  /** group_wait/group_interval 1s, repeat 1h (tests); default ALERTMANAGER_FAST=1. */
  fast?: boolean;
  /** Default <repo>/.cache/alertmanager; the instance lives in <cacheDir>/<port>/. */
  cacheDir?: string;
  timeoutMs?: number;
}
export interface StartedAlertmanager {
  url: string;
  port: number;
  pid: number;
  binary: string;
  version: string;
  dir: string;
  configFile: string;
  logFile: string;
  stop(): Promise<void>;
}
export function provision(): Promise<{ binary: string; version: string; cached: boolean }>;
export function findBinary(): string | null;
export function startAlertmanager(opts?: AlertmanagerOptions): Promise<StartedAlertmanager>;
export function stopAlertmanager(
  portOrOpts?: number | Pick<AlertmanagerOptions, 'port' | 'cacheDir'>,
): Promise<{ stopped: boolean; pid: number }>;
export function alertmanagerStatus(
  opts?: Pick<AlertmanagerOptions, 'port' | 'cacheDir'>,
): Promise<{ running: boolean; ready: boolean; pid: number; url: string; dir: string }>;
export function isReady(port?: number, timeoutMs?: number): Promise<boolean>;
export function renderConfig(opts?: AlertmanagerOptions): string;
