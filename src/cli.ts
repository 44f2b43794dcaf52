#!/usr/bin/env node
import { resolve } from 'node:path';
import { ensureAdmin } from './auth/bootstrap-admin.js';
import { minimumGraceSeconds, RotationRefused, rotateAndAnnounce } from './auth/pseudonym-rotation.js';
import { type Config, ConfigError, loadConfig, parseDuration } from './config.js';
import type { Db } from './db/db.js';
import { describeDatabase, embeddedDatabaseExists } from './db/location.js';
import { migrate } from './db/migrate.js';
import { openDb } from './db/open.js';
import { type AppDeps, closeDeps, createDeps } from './wiring/deps.js';
import { AppError } from './errors.js';
import { resetLink } from './auth/password-resets.js';
import { purgeOnce } from './jobs/purge.js';

/**
 * `stockade <command>`: operator commands against the same database the server uses, configured by the
 * same environment (DATABASE_URL, or DATA_DIR for the embedded database).
 *
 * Exit codes: 0 done · 1 the command failed (unknown user, password refused, database error) ·
 * 2 usage or configuration error. Messages go to stderr, results to stdout, one line each.
 * A password is never taken from the command line (it would sit in shell history and `ps`): it is read
 * from standard input, or prompted for without echo on a terminal.
 */

const USAGE = `Usage: stockade <command> [arguments]

Commands:
  migrate                  apply pending database migrations
  create-admin <username>  create an administrator account; the password is read from
                           standard input (prompted for, without echo, on a terminal)
  revoke-user <username>   end every session of a user at once
  revoke-all               end every session of every user at once (sign everyone out);
                           sign-in throttling records are kept
  reset-link <username> [--invalidate-password]
                           print a one-time link (PUBLIC_URL/#/reset/…) with which the user
                           sets a new password; --invalidate-password also makes the current
                           password stop working and ends every session, now
  rotate-pseudonym-key [--grace <duration>] [--force]
                           make a new pseudonym key current (it keys sign-in throttling,
                           quotas and deleted users' audit rows); the previous key is still
                           consulted for the grace period (default: the longest throttling
                           window, plus 10 minutes), so no lockout is forgotten. Running
                           servers switch at once. --force: rotate while the previous key is
                           still in its grace period, or with a shorter grace (forgets the
                           throttling records made under the dropped key)
  reseal-secrets           re-seal every second-factor secret under the current SECRET_KEY
                           (after a rotation, before SECRET_KEY_PREVIOUS is removed)
  purge                    delete expired sessions, audit rows older than AUDIT_RETENTION
                           and expired sign-in throttling records
  stats [--json]           users, live sessions, items, movements, sign-ins and lockouts
                           of the last 24 hours, database size
  help                     show this text (also --help, -h)

Configuration is read from the environment, as for the server: DATABASE_URL (a PostgreSQL
server) or DATA_DIR (the embedded database, default ./data; stop the server first, since an
embedded database has one user at a time). Every command applies pending migrations first,
and first says on standard error which database it uses. A command refuses to create an
embedded database that does not exist yet unless --create is given (anywhere on the line).

Exit codes: 0 success, 1 the command failed, 2 usage or configuration error.
`;

class UsageError extends Error {}
class CommandError extends Error {}

type Out = { out: (line: string) => void; err: (line: string) => void };

/** What run() learned from the command line for every command: where to say things, --create. */
const invocation: { io: Out; create: boolean } = { io: { out: () => {}, err: () => {} }, create: false };

/**
 * Opens the configured database for a command: first one line on stderr naming it, then a refusal if it
 * is an embedded database that does not exist yet and --create was not given. Without that refusal, a
 * command run without DATABASE_URL from the wrong directory creates ./data and "succeeds" on an empty
 * database (revoke-user: "no user named …"; stats: all zero).
 */
async function openCommandDb(config: Config): Promise<Db> {
  invocation.io.err(`using ${describeDatabase(config)}`);
  if (!config.databaseUrl && !invocation.create && !embeddedDatabaseExists(config.dataDir)) {
    throw new ConfigError(
      `no embedded database at ${resolve(config.dataDir)}: set DATABASE_URL to use a PostgreSQL server, or DATA_DIR to the server's data directory; add --create to create a new embedded database there`,
    );
  }
  return openDb(config);
}

async function withDeps<T>(fn: (deps: AppDeps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db: Db = await openCommandDb(config);
  try {
    await migrate(db);
    const deps = createDeps(config, db);
    try {
      return await fn(deps);
    } finally {
      await closeDeps(deps);
    }
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/** Standard input, whole (a pipe or a file); the password is its first line. */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** A prompt on the terminal with echo off (raw mode), so the password never shows on screen. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    let value = '';
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CommandError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPiped();
  const first = await promptHidden('Password for the new administrator: ');
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new CommandError('the two passwords differ');
  return first;
}

function oneUsername(args: string[], command: string): string {
  if (args.some((a) => /^--?pass/i.test(a))) {
    throw new UsageError('passwords are never taken from the command line; pipe it on standard input');
  }
  if (args.length !== 1 || !args[0] || args[0].startsWith('-')) throw new UsageError(`${command} takes exactly one username`);
  return args[0];
}

async function createAdmin(args: string[], io: Out): Promise<void> {
  const username = oneUsername(args, 'create-admin');
  const password = await readNewPassword();
  if (!password) throw new CommandError('no password given on standard input');
  await withDeps(async (deps) => {
    if (await deps.users.findByUsername(username)) throw new CommandError(`a user named "${username}" already exists`);
    if (!(await ensureAdmin(deps.users, deps.authenticator, username, password))) {
      throw new CommandError(`a user named "${username}" already exists`);
    }
    const admin = await deps.users.findByUsername(username);
    await deps.audit.system('admin.created', { userId: admin?.id ?? null, details: { via: 'cli' } });
    io.out(`created administrator ${username}${admin ? ` (${admin.id})` : ''}`);
  });
}

async function revokeUser(args: string[], io: Out): Promise<void> {
  const username = oneUsername(args, 'revoke-user');
  await withDeps(async (deps) => {
    const user = await deps.users.findByUsername(username);
    if (!user) throw new CommandError(`no user named "${username}"`);
    const count = await deps.sessions.revokeUser(user.id);
    await deps.audit.system('session.revoked', { userId: user.id, details: { scope: 'all', count, via: 'cli' } });
    io.out(`revoked ${count} session${count === 1 ? '' : 's'} of ${user.username}`);
  });
}

/**
 * Sign everyone out: PostgreSQL first, then this deployment's Redis session keys (if the CLI has
 * REDIS_URL), then an "all" message on the bus, which every server answers by emptying its memory and,
 * if the CLI could not, the Redis session keys (sessions/stack.ts). Throttling records are not touched.
 */
async function revokeAll(args: string[], io: Out): Promise<void> {
  if (args.length > 0) throw new UsageError('revoke-all takes no arguments');
  await withDeps(async (deps) => {
    const count = await deps.sessions.revokeAll();
    await deps.audit.system('session.revoked', { userId: null, details: { scope: 'everyone', count, via: 'cli' } });
    io.out(`revoked ${count} session${count === 1 ? '' : 's'} of every user`);
  });
}

/**
 * `reset-link <username> [--invalidate-password]`: a one-time link for the user to set a new password
 * (PUBLIC_URL/#/reset/<token>, PASSWORD_RESET_TTL). With --invalidate-password the current password
 * stops working now and every session ends: the leaked-password playbook (docs/operations.md). The link
 * goes to stdout only — it is a password until used — and the audit row records that one was issued.
 */
async function resetLinkCommand(args: string[], io: Out): Promise<void> {
  const invalidatePassword = args.includes('--invalidate-password');
  const username = oneUsername(
    args.filter((a) => a !== '--invalidate-password'),
    'reset-link',
  );
  await withDeps(async (deps) => {
    const issued = await deps.passwordResets.issue({ username }, { issuedBy: 'cli', invalidatePassword });
    if (!issued) throw new CommandError(`no user named "${username}"`);
    const revoked = invalidatePassword ? await deps.sessions.revokeUser(issued.userId) : 0;
    await deps.audit.system('password.reset_issued', {
      userId: issued.userId,
      details: { via: 'cli', invalidatePassword, sessionsRevoked: revoked, expiresAt: issued.expiresAt.toISOString() },
    });
    io.out(resetLink(deps.config.publicUrl, issued.token));
    io.err(
      `reset link for ${issued.username}, valid until ${issued.expiresAt.toISOString()}${invalidatePassword ? `; the old password no longer works and ${revoked} session${revoked === 1 ? '' : 's'} ended` : ''}`,
    );
  });
}

/**
 * `rotate-pseudonym-key [--grace <duration>] [--force]` (docs/operations.md, "Rotate"): a new current
 * key, the old one kept for the grace period, and a notice on the bus that makes every running server
 * re-read the keys now (they also re-read every minute, should the notice be lost). Prints when the
 * previous key stops being consulted; never prints either key.
 */
async function rotatePseudonymKeyCommand(args: string[], io: Out): Promise<void> {
  let force = false;
  let grace: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--force') force = true;
    else if (a === '--grace' && args[i + 1] !== undefined) grace = parseDuration('--grace', args[++i]!);
    else if (a.startsWith('--grace=')) grace = parseDuration('--grace', a.slice('--grace='.length));
    else throw new UsageError(`rotate-pseudonym-key: unexpected "${a}"`);
  }
  await withDeps(async (deps) => {
    const minimum = minimumGraceSeconds(deps.config);
    const graceSeconds = grace ?? minimum;
    if (graceSeconds < minimum && !force) {
      throw new CommandError(
        `a grace period of ${graceSeconds} s is shorter than the longest throttling record can live (${minimum} s with this configuration): lockouts made under the old key would be forgotten early; add --force to do it anyway`,
      );
    }
    let result: Awaited<ReturnType<typeof rotateAndAnnounce>>;
    try {
      result = await rotateAndAnnounce(deps, { graceSeconds, force, via: 'cli' });
    } catch (err) {
      if (err instanceof RotationRefused) {
        throw new CommandError(`${err.message}: rotate again after that, or add --force (forgets the throttling records made under it)`);
      }
      throw err;
    }
    io.out(`pseudonym key rotated; the previous key is consulted until ${result.previousUntil.toISOString()} (${graceSeconds} s)`);
    if (result.droppedPrevious) io.err('the key before the previous one was dropped before its grace period ended (--force)');
    io.err(
      result.bus ? `running servers told (${result.bus} bus)` : 'no revocation bus configured: servers re-read the key within a minute',
    );
  });
}

/**
 * `reseal-secrets` (docs/operations.md, "Rotate the secret key"): every TOTP secret not sealed under the
 * current key is opened with a previous one and sealed under the current one, so SECRET_KEY_PREVIOUS can
 * then be removed without locking anyone out. Servers may keep running: each re-seal is conditional on
 * the stored seal being unchanged. Fails (exit 1) while any secret opens under none of the keys given.
 */
async function resealSecrets(args: string[], io: Out): Promise<void> {
  if (args.length > 0) throw new UsageError('reseal-secrets takes no arguments');
  await withDeps(async (deps) => {
    deps.secretBox.ready();
    const { resealed, unopenable } = await deps.secondFactors.resealAll();
    io.out(`re-sealed ${resealed} second-factor secret${resealed === 1 ? '' : 's'} under the current key`);
    if (unopenable > 0) {
      throw new CommandError(
        `${unopenable} secret${unopenable === 1 ? '' : 's'} opened under none of SECRET_KEY and SECRET_KEY_PREVIOUS: keep the key that sealed them in SECRET_KEY_PREVIOUS and run again`,
      );
    }
  });
}

async function purge(args: string[], io: Out): Promise<void> {
  if (args.length > 0) throw new UsageError('purge takes no arguments');
  await withDeps(async (deps) => {
    const counts = await purgeOnce(deps, { auditRetention: deps.config.auditRetention, maxBatches: 100_000 });
    io.out(
      `purged ${counts.sessions} expired sessions, ${counts.auditEvents} audit events, ${counts.rateLimits} throttling records, ${counts.passwordResets} reset links${counts.pendingSignIns ? `, ${counts.pendingSignIns} unfinished two-step sign-ins` : ''}${counts.pseudonymKeys ? ', the previous pseudonym key (grace period over)' : ''}`,
    );
  });
}

async function runMigrate(args: string[], io: Out): Promise<void> {
  if (args.length > 0) throw new UsageError('migrate takes no arguments');
  const config = loadConfig();
  const db = await openCommandDb(config);
  try {
    const applied = await migrate(db);
    io.out(applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply: the database is up to date');
  } finally {
    await db.close();
  }
}

/**
 * Counts across all merchants. items/movements are under FORCE ROW LEVEL SECURITY, so a database user
 * that does not bypass RLS (the usual non-superuser owner) sees none of their rows outside a tenant:
 * then they are counted merchant by merchant, each inside its own tenant transaction (one small query
 * per merchant; fine for a command run by hand).
 */
async function stats(args: string[], io: Out): Promise<void> {
  const json = args.includes('--json');
  if (args.some((a) => a !== '--json')) throw new UsageError('stats takes no arguments but --json');
  await withDeps(async ({ db }) => {
    const res = await db.query<Record<string, string | number | boolean | null>>(
      `SELECT (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM users WHERE role = 'admin') AS admins,
              (SELECT count(*) FROM users WHERE disabled) AS disabled,
              (SELECT count(*) FROM sessions WHERE idle_expires_at > now() AND absolute_expires_at > now()) AS live_sessions,
              (SELECT count(*) FROM audit_events WHERE at > now() - interval '24 hours' AND type = 'login.success') AS signins_24h,
              (SELECT count(*) FROM audit_events WHERE at > now() - interval '24 hours' AND type = 'login.failure') AS failures_24h,
              (SELECT count(*) FROM audit_events WHERE at > now() - interval '24 hours' AND type = 'login.lockout') AS lockouts_24h,
              (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS sees_all,
              pg_database_size(current_database()) AS bytes`,
    );
    const row = res.rows[0] ?? {};
    const countSql = 'SELECT (SELECT count(*) FROM items) AS items, (SELECT count(*) FROM movements) AS movements';
    let items = 0;
    let movements = 0;
    const add = (r: { items: string | number; movements: string | number } | undefined) => {
      items += Number(r?.items ?? 0);
      movements += Number(r?.movements ?? 0);
    };
    if (row.sees_all === true) {
      add((await db.query<{ items: string; movements: string }>(countSql)).rows[0]);
    } else {
      const merchants = await db.query<{ id: string }>(`SELECT id FROM users WHERE role = 'merchant'`);
      for (const m of merchants.rows)
        add((await db.tenant(m.id, (tx) => tx.query<{ items: string; movements: string }>(countSql))).rows[0]);
    }
    const n = (k: string) => Number(row[k] ?? 0);
    const out = {
      users: n('users'),
      admins: n('admins'),
      disabledUsers: n('disabled'),
      liveSessions: n('live_sessions'),
      items,
      movements,
      signIns24h: n('signins_24h'),
      signInFailures24h: n('failures_24h'),
      lockouts24h: n('lockouts_24h'),
      databaseBytes: n('bytes'),
      database: db.kind,
    };
    if (json) {
      io.out(JSON.stringify(out));
      return;
    }
    io.out(`users                 ${out.users} (admins ${out.admins}, disabled ${out.disabledUsers})`);
    io.out(`live sessions         ${out.liveSessions}`);
    io.out(`items                 ${out.items}`);
    io.out(`movements             ${out.movements}`);
    io.out(`last 24 h             ${out.signIns24h} sign-ins, ${out.signInFailures24h} failures, ${out.lockouts24h} lockouts`);
    io.out(`database              ${out.database}, ${(out.databaseBytes / 1024 / 1024).toFixed(1)} MiB`);
  });
}

const COMMANDS: Record<string, (args: string[], io: Out) => Promise<void>> = {
  migrate: runMigrate,
  'create-admin': createAdmin,
  'revoke-user': revokeUser,
  'revoke-all': revokeAll,
  'reset-link': resetLinkCommand,
  'rotate-pseudonym-key': rotatePseudonymKeyCommand,
  'reseal-secrets': resealSecrets,
  purge,
  stats,
};

/** Runs one command line; resolves with the exit code. */
async function run(argv: string[], io: Out): Promise<number> {
  const words = argv.filter((a) => a !== '--create');
  const [command, ...args] = words;
  invocation.io = io;
  invocation.create = words.length !== argv.length;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.err : io.out)(USAGE.trimEnd());
    return command === undefined ? 2 : 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.err(`stockade: unknown command "${command}"\n\n${USAGE.trimEnd()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE.trimEnd());
    return 0;
  }
  try {
    await handler(args, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`stockade ${command}: ${err.message}\n\n${USAGE.trimEnd()}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`stockade: configuration error: ${err.message}`);
      return 2;
    }
    if (err instanceof AppError) {
      const fields = err.options.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
      io.err(`stockade ${command}: ${err.message}${fields ? ` (${fields})` : ''}`);
      return 1;
    }
    io.err(`stockade ${command}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

run(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then((code) => {
  process.exitCode = code;
});
