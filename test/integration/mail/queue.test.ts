import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import type { OutgoingMail } from '../../../src/mail/message.js';
import { purgeOnce } from '../../../src/jobs/purge.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { selfSignedCertificate } from '../../support/certificates.js';
import { openTestPglite } from '../../support/pglite.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js';
import { createServerDatabase } from '../../support/test-databases.js';

/**
 * The outbound mail subsystem (src/mail/, jobs/mail-worker.ts) against a real SMTP server on loopback:
 * queued durably, sent off the request path, retried after the mail server comes back, never twice by
 * several servers, no body kept once sent; the outbox mode writes parseable .eml files; STARTTLS.
 */

const mail = (n: number | string, to = 'someone@example.test'): OutgoingMail => ({
  kind: 'test',
  to,
  subject: `Test message ${n}`,
  text: `Body ${n} with a secret link https://shop.example/#/reset/${String(n).padStart(43, 'x')}\n`,
  html: `<p>Body ${n}</p>`,
});

async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rows(db: Db): Promise<{ text_body: string; attempts: number; failed_at: Date | null; last_error: string | null }[]> {
  return (
    await db.query<{ text_body: string; attempts: number; failed_at: Date | null; last_error: string | null }>(
      'SELECT text_body, attempts, failed_at, last_error FROM mail_queue ORDER BY id',
    )
  ).rows;
}

describe('mail over SMTP', () => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(() => smtp.stop());

  for (const database of ['pglite', 'postgres'] as const) {
    test(`a queued message is sent off the request path, and the queue keeps nothing of it (${database})`, async () => {
      const logLines: string[] = [];
      const server = await startTestServer({
        database,
        logLines,
        env: { SMTP_URL: smtp.url, MAIL_FROM: 'Stockade <stockade@shop.example>' },
      });
      try {
        const to = `one-${database}@example.test`;
        await server.deps.mailQueue.enqueue(mail(`one-${database}`, to), null);
        const got = await smtp.waitFor((m) => m.to.includes(to));
        assert.equal(got.subject, `Test message one-${database}`);
        assert.match(got.text, /Body one-/);
        assert.equal(got.parsed.from?.value[0]?.address, 'stockade@shop.example');
        await waitUntil('the row is gone', async () => (await rows(server.db)).length === 0);
        assert.ok(
          logLines.some((l) => l.includes('"mail.sent"')),
          'the send is logged',
        );
        assert.deepEqual(
          logLines.filter((l) => l.includes('secret link') || l.includes(to)),
          [],
          'neither the body nor the recipient reaches a log line',
        );
      } finally {
        await server.close();
      }
    });
  }

  test('the mail server down: nothing is lost, the message goes out once it is back', async () => {
    const down = await startSmtpServer();
    const server = await startTestServer({ env: { SMTP_URL: down.url }, mailWorker: { backoff: () => 1 } });
    try {
      await down.stop();
      await server.deps.mailQueue.enqueue(mail('while-down', 'down@example.test'), null);
      await waitUntil('a failed attempt', async () => ((await rows(server.db))[0]?.attempts ?? 0) >= 2);
      const [row] = await rows(server.db);
      assert.match(row?.last_error ?? '', /ECONNREFUSED|ESOCKET|ECONNECTION/);
      assert.match(row?.text_body ?? '', /Body while-down/, 'kept until sent');
      await down.start();
      const got = await down.waitFor((m) => m.to.includes('down@example.test'));
      assert.equal(got.subject, 'Test message while-down');
      await waitUntil('the row is gone', async () => (await rows(server.db)).length === 0);
    } finally {
      await server.close();
      await down.stop();
    }
  });

  test('a message that never goes out is given up on, with its bodies blanked', async () => {
    const server = await startTestServer({ env: { SMTP_URL: 'smtp://127.0.0.1:9' }, mailWorker: { backoff: () => 0.05, maxAttempts: 3 } });
    try {
      await server.deps.mailQueue.enqueue(mail('never'), null);
      await waitUntil('given up', async () => (await rows(server.db))[0]?.failed_at != null);
      const [row] = await rows(server.db);
      assert.equal(row?.attempts, 3);
      assert.equal(row?.text_body, '', 'no link kept once given up');
      assert.deepEqual(await server.deps.mailQueue.depth(), { waiting: 0, failed: 1 });
      const metrics = await server.deps.metrics.registry.metrics();
      assert.match(metrics, /stockade_mail_failures_total\{kind="test",final="true"\} 1/);
      assert.match(metrics, /stockade_mail_queue_failed 1/);
    } finally {
      await server.close();
    }
  });

  test('a restart loses nothing: a message queued on a stopped server is sent by the next one', async () => {
    const database = await createServerDatabase();
    try {
      const first = await startTestServer({ db: openPostgres(database.url), env: { SMTP_URL: smtp.url }, mailWorker: false });
      await first.deps.mailQueue.enqueue(mail('restart', 'restart@example.test'), null);
      await first.close();
      await first.db.close();
      const pool = openPostgres(database.url);
      const second = await startTestServer({ db: pool, env: { SMTP_URL: smtp.url } });
      try {
        await smtp.waitFor((m) => m.to.includes('restart@example.test'));
      } finally {
        await second.close();
        await pool.close();
      }
    } finally {
      await database.drop();
    }
  });

  for (const database of ['pglite', 'postgres'] as const) {
    test(`three servers on one queue never send a message twice (${database})`, async () => {
      const created = database === 'postgres' ? await createServerDatabase() : undefined;
      const shared = created ? undefined : await openTestPglite();
      const pools: Db[] = [];
      const servers: TestServer[] = [];
      const tag = `fleet-${database}-${Date.now()}`;
      try {
        for (let i = 0; i < 3; i++) {
          const db = created ? openPostgres(created.url) : (shared as Db);
          if (created) pools.push(db);
          // Workers polling fast and nudged by every enqueue: the claims race as hard as they can.
          servers.push(await startTestServer({ db, env: { SMTP_URL: smtp.url }, mailWorker: { pollMs: 20, batchSize: 3 } }));
        }
        const N = 60;
        await Promise.all(
          Array.from({ length: N }, (_, i) =>
            (servers[i % 3] as TestServer).deps.mailQueue.enqueue(mail(`${tag}-${i}`, `${tag}@example.test`), null),
          ),
        );
        await waitUntil(`${N} mails`, () => smtp.received.filter((m) => m.to.includes(`${tag}@example.test`)).length >= N);
        await waitUntil('the queue is empty', async () => (await rows(servers[0]!.db)).length === 0);
        // Past any lease, so a double send would have happened by now.
        await new Promise((r) => setTimeout(r, 500));
        const subjects = smtp.received.filter((m) => m.to.includes(`${tag}@example.test`)).map((m) => m.subject);
        assert.equal(subjects.length, N, 'each message exactly once');
        assert.equal(new Set(subjects).size, N);
      } finally {
        for (const s of servers) await s.close().catch(() => {});
        for (const p of pools) await p.close();
        await shared?.close();
        await created?.drop();
      }
    });
  }
});

describe('retention', () => {
  test('expired verification links and mails given up on a week ago are purged; the rest stays', async () => {
    const server = await startTestServer({ mailWorker: false });
    try {
      const u = await server.deps.users.create(`purge-${Date.now()}`, '$argon2id$v=19$m=19456,t=2,p=1$unused$unused');
      await server.db.query(
        `INSERT INTO email_verifications (token_hash, user_id, email, email_key, expires_at)
         VALUES ('\\x01', $1, 'a@example.test', 'a@example.test', now() - interval '1 second')`,
        [u.id],
      );
      await server.db.query(
        `INSERT INTO mail_queue (kind, recipient, subject, text_body, html_body, failed_at) VALUES
           ('test', 'old@example.test', '', '', '', now() - interval '8 days'),
           ('test', 'recent@example.test', '', '', '', now() - interval '1 day'),
           ('test', 'waiting@example.test', 's', 't', 'h', NULL)`,
      );
      const counts = await purgeOnce(server.deps, { auditRetention: server.config.auditRetention });
      assert.equal(counts.emailVerifications, 1);
      assert.equal(counts.mailGivenUp, 1);
      const left = await server.db.query<{ recipient: string }>('SELECT recipient FROM mail_queue ORDER BY recipient');
      assert.deepEqual(
        left.rows.map((r) => r.recipient),
        ['recent@example.test', 'waiting@example.test'],
      );
    } finally {
      await server.close();
    }
  });
});

describe('mail without SMTP_URL: the outbox', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'stockade-outbox-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('each message is one parseable .eml file in DATA_DIR/outbox/, logged by path only', async () => {
    const logLines: string[] = [];
    const server = await startTestServer({ logLines, env: { DATA_DIR: dataDir, MAIL_FROM: 'Stockade <stockade@shop.example>' } });
    try {
      await server.deps.mailQueue.enqueue({ ...mail('outbox', 'outbox@example.test'), html: '<p>Hello &lt;b&gt;</p>' }, null);
      const outbox = join(dataDir, 'outbox');
      await waitUntil('an .eml file', () => {
        try {
          return readdirSync(outbox).some((f) => f.endsWith('.eml'));
        } catch {
          return false;
        }
      });
      const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
      assert.equal(files.length, 1);
      const path = join(outbox, files[0] as string);
      assert.equal(statSync(path).mode & 0o777, 0o600, 'readable by the server user only: it holds a live link');
      const parsed = await simpleParser(readFileSync(path));
      assert.equal(parsed.subject, 'Test message outbox');
      assert.equal((parsed.to as { value: { address: string }[] }).value[0]?.address, 'outbox@example.test');
      assert.equal(parsed.from?.value[0]?.address, 'stockade@shop.example');
      assert.match(parsed.text ?? '', /Body outbox/);
      assert.equal(parsed.html, '<p>Hello &lt;b&gt;</p>');
      assert.ok(parsed.messageId, 'a Message-ID');
      assert.ok(parsed.date, 'a Date');
      await waitUntil('the sent line', () => logLines.some((l) => l.includes('"mail.sent"')));
      const sent = logLines.find((l) => l.includes('"mail.sent"')) as string;
      assert.equal(JSON.parse(sent).where, path);
      assert.deepEqual(
        logLines.filter((l) => l.includes('Body outbox') || l.includes('outbox@example.test')),
        [],
      );
      assert.equal((await rows(server.db)).length, 0);
    } finally {
      await server.close();
    }
  });
});

describe('STARTTLS', () => {
  let dir: string;
  let smtp: TestSmtpServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockade-smtp-tls-'));
    smtp = await startSmtpServer({ tls: selfSignedCertificate(dir) });
  });
  after(async () => {
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('smtp:// upgrades with STARTTLS when the server offers it', async () => {
    // The test certificate is self-signed: trusted here by turning verification off for this URL only.
    const server = await startTestServer({ env: { SMTP_URL: `${smtp.url}?requireTLS=true&tls.rejectUnauthorized=false` } });
    try {
      await server.deps.mailQueue.enqueue(mail('tls', 'tls@example.test'), null);
      const got = await smtp.waitFor((m) => m.to.includes('tls@example.test'));
      assert.equal(got.secure, true, 'the session was upgraded before the message was sent');
    } finally {
      await server.close();
    }
  });

  test('with a certificate the client cannot verify, nothing is sent', async () => {
    const server = await startTestServer({ env: { SMTP_URL: `${smtp.url}?requireTLS=true` }, mailWorker: { backoff: () => 1 } });
    try {
      await server.deps.mailQueue.enqueue(mail('untrusted', 'untrusted@example.test'), null);
      await waitUntil(
        'a failed attempt',
        async () => ((await rows(server.db))[0]?.attempts ?? 0) >= 1 && (await rows(server.db))[0]?.last_error != null,
      );
      assert.equal(smtp.received.filter((m) => m.to.includes('untrusted@example.test')).length, 0);
    } finally {
      await server.close();
    }
  });

  test('requireTLS refuses a server that offers no STARTTLS', async () => {
    const plain = await startSmtpServer();
    const server = await startTestServer({ env: { SMTP_URL: `${plain.url}?requireTLS=true` }, mailWorker: { backoff: () => 1 } });
    try {
      await server.deps.mailQueue.enqueue(mail('plain', 'plain@example.test'), null);
      await waitUntil('a failed attempt', async () => (await rows(server.db))[0]?.last_error != null);
      assert.equal(plain.received.length, 0);
    } finally {
      await server.close();
      await plain.stop();
    }
  });
});
