import { readFileSync } from 'node:fs';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on loopback (the `smtp-server` package), for tests that need mail to arrive: it
 * accepts every message, parses it with `mailparser`, and keeps it for the test to read. It can be
 * stopped and started again on the same port (the "mail server down" tests), and offer STARTTLS with a
 * test certificate (test/support/certificates.ts).
 */
export interface ReceivedMail {
  /** Lower-cased (the domain is case-insensitive, and tests compare with their own spelling). */
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Whether the SMTP session had been upgraded to TLS when the message was sent. */
  readonly secure: boolean;
  readonly parsed: ParsedMail;
}

export interface TestSmtpServer {
  readonly port: number;
  /** `smtp://127.0.0.1:PORT` (plus what the test adds). */
  readonly url: string;
  readonly received: ReceivedMail[];
  /** The first mail (arrived or arriving) that matches, polled; throws after `timeoutMs`. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export interface SmtpServerOptions {
  /** Offer STARTTLS with this certificate (files from selfSignedCertificate). */
  tls?: { certFile: string; keyFile: string };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

export async function startSmtpServer(opts: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const tls = opts.tls ? { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) } : undefined;
  let server: SMTPServer | undefined;
  let port = 0;

  const listen = async () => {
    const s = new SMTPServer({
      authOptional: true,
      logger: false,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls ?? {}),
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            received.push({
              to: addresses(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              secure: session.secure,
              parsed,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    s.on('error', () => {}); // a client dropping mid-session is not the test's failure
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const address = s.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    port = address.port;
    server = s;
  };
  await listen();

  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    received,
    async waitFor(match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching mail within ${timeoutMs} ms (received ${received.length})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start: listen,
  };
}

/** The one-time link in a mail's text body (`…/#/reset/<token>`, `…/#/verify-email/<token>` or `…/#/join/<token>`). */
export function linkIn(mail: ReceivedMail, kind: 'reset' | 'verify-email' | 'join'): string {
  const m = new RegExp(`(\\S+/#/${kind}/[A-Za-z0-9_-]{43})`).exec(mail.text);
  if (!m?.[1]) throw new Error(`no ${kind} link in mail "${mail.subject}"`);
  return m[1];
}

export const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);
