import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate for 127.0.0.1 (EC P-256, one day), made by openssl in `dir`:
 * `<name>cert.pem` and `<name>key.pem`. For tests that serve or connect over TLS on loopback.
 */
export function selfSignedCertificate(dir: string, name = ''): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}cert.pem`);
  const keyFile = join(dir, `${name}key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile };
}
