import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';

/** TLS when both files are configured, otherwise plaintext (for a TLS-terminating load balancer or tests). */
export function serverCredentials(certFile?: string, keyFile?: string): ServerCredentials {
  if (!certFile || !keyFile) return ServerCredentials.createInsecure();
  const read = (file: string, variable: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`${variable}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  return ServerCredentials.createSsl(null, [
    { cert_chain: read(certFile, 'GATEWAY_TLS_CERT'), private_key: read(keyFile, 'GATEWAY_TLS_KEY') },
  ]);
}
