import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { OutgoingMail } from './message.js';

/**
 * Where a message goes: an SMTP server (SMTP_URL), or, without one, a file per message in
 * DATA_DIR/outbox/ (the embedded default: an install without a mail server still sees what would have
 * been sent, and can hand it on by hand).
 *
 * - smtp:// upgrades with STARTTLS whenever the server offers it (nodemailer's default), smtps:// is TLS
 *   from the first byte; `?requireTLS=true` refuses to send over a server that does not offer STARTTLS.
 *   Certificates are verified (Node's CA store; `NODE_EXTRA_CA_CERTS` for a private CA).
 * - Timeouts are bounded (1 min), well inside the queue's lease (queue.ts): a hung server cannot make
 *   a second worker send the same message.
 * - The outbox file is written under a temporary name and renamed: a reader never sees half a message.
 *   Mode 0600: it holds a live link until it is handled.
 * - What `send` returns is a description for the log: the SMTP server's message id or the file's path,
 *   never the content (the body holds a token).
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  /** Resolves with where it went (path or message id); rejects with an error whose `safeReason` is loggable. */
  send(mail: OutgoingMail): Promise<string>;
  close(): void;
}

const TIMEOUT_MS = 60_000;

export function createMailTransport(opts: { smtpUrl: string | undefined; from: string; dataDir: string }): MailTransport {
  return opts.smtpUrl ? smtpTransport(opts.smtpUrl, opts.from) : outboxTransport(join(resolve(opts.dataDir), 'outbox'), opts.from);
}

function message(mail: OutgoingMail, from: string) {
  return { from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html };
}

function smtpTransport(url: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    // Never log the conversation: it holds the message, and so the link.
    logger: false,
    debug: false,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    kind: 'smtp',
    async send(mail) {
      const info = await transporter.sendMail(message(mail, from));
      return String(info.messageId ?? 'sent');
    },
    close: () => transporter.close(),
  };
}

function outboxTransport(dir: string, from: string): MailTransport {
  // The stream transport renders the RFC 5322 text exactly as SMTP would have carried it.
  const renderer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let ready: Promise<unknown> | undefined;
  return {
    kind: 'outbox',
    async send(mail) {
      ready ??= mkdir(dir, { recursive: true, mode: 0o700 });
      await ready;
      const info = await renderer.sendMail(message(mail, from));
      const raw = (info as { message?: unknown }).message;
      if (!Buffer.isBuffer(raw)) throw new Error('the message was not rendered');
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.kind}-${randomUUID().slice(0, 8)}.eml`;
      const path = join(dir, name);
      const temp = join(dir, `.${name}.tmp`);
      await writeFile(temp, raw, { mode: 0o600 });
      await rename(temp, path);
      return path;
    },
    close: () => renderer.close(),
  };
}

/** What of a send failure may be logged and stored: its code and SMTP status, never the message text. */
export function safeReason(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown; command?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : 'error'];
  if (typeof e.responseCode === 'number') parts.push(String(e.responseCode));
  if (typeof e.command === 'string' && /^[A-Z ]{2,12}$/.test(e.command)) parts.push(e.command);
  return parts.join(' ');
}
