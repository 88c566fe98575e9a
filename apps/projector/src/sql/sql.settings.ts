export interface SqlSettings {
  token?: string;
  maxRows: number;
  timeoutSeconds: number;
}

export const SQL_SETTINGS = Symbol('SQL_SETTINGS');
