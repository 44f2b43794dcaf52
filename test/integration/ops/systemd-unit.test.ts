import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './documented.js';

/**
 * deploy/stockade@.service, the unit docs/operations.md tells operators to install. Two checks:
 * - its shape, always: the sections and keys the guide relies on (ordering after the network and
 *   PostgreSQL, SIGTERM with a stop timeout above the 10 s drain, the environment file per instance,
 *   hardening), and no inline comments (systemd does not strip "# …" after a value: the old guide's
 *   `EnvironmentFile=/etc/stockade/env   # DATABASE_URL=…` named a file that does not exist);
 * - `systemd-analyze verify` on the template and on an instance of it, where systemd-analyze is
 *   installed: exit 0 and no warning at all (unknown keys and bad values are only warnings there).
 */
const UNIT = join(ROOT, 'deploy/stockade@.service');

type Unit = Map<string, Map<string, string[]>>;

/** systemd's unit syntax: [Section], Key=Value (a key may repeat), whole-line # or ; comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header?.[1]) {
      section = new Map();
      unit.set(header[1], section);
      return;
    }
    const eq = line.indexOf('=');
    assert.ok(section && eq > 0, `line ${i + 1} is neither a section, a key nor a comment: ${raw}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    assert.doesNotMatch(value, /\s[#;]/, `line ${i + 1}: an inline comment would become part of ${key}'s value`);
    section.set(key, [...(section.get(key) ?? []), value]);
  });
  return unit;
}

function one(unit: Unit, section: string, key: string): string {
  const values = unit.get(section)?.get(key);
  assert.ok(values && values.length > 0, `[${section}] ${key}= is set`);
  return values[values.length - 1] ?? '';
}

describe('deploy/stockade@.service', () => {
  test('has the sections, ordering, stop behaviour and hardening the operations guide relies on', () => {
    const unit = parseUnit(readFileSync(UNIT, 'utf8'));
    assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install']);

    assert.match(one(unit, 'Unit', 'Wants'), /\bnetwork-online\.target\b/);
    const after = one(unit, 'Unit', 'After').split(/\s+/);
    for (const u of ['network-online.target', 'postgresql.service']) assert.ok(after.includes(u), `After= names ${u}`);

    assert.ok(['simple', 'exec'].includes(one(unit, 'Service', 'Type')));
    assert.equal(one(unit, 'Service', 'EnvironmentFile'), '/etc/stockade/%i.env', 'one environment file per instance');
    assert.match(
      one(unit, 'Service', 'ExecStart'),
      /^\/\S+\/node \S+\/dist\/src\/main\.js$/,
      'node runs the server itself: signals reach it',
    );
    assert.ok(one(unit, 'Service', 'User') !== 'root');
    assert.equal(one(unit, 'Service', 'KillSignal'), 'SIGTERM');
    assert.ok(Number(one(unit, 'Service', 'TimeoutStopSec')) > 10, 'longer than the 10 s drain bound');
    assert.equal(one(unit, 'Service', 'Restart'), 'on-failure');
    assert.equal(one(unit, 'Service', 'RestartPreventExitStatus'), '2', 'a configuration error is not retried');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['AmbientCapabilities', ''],
    ] as const) {
      assert.equal(one(unit, 'Service', key), value, `${key}=${value}`);
    }
    assert.match(one(unit, 'Service', 'ReadWritePaths'), /^\/var\/lib\/stockade\/%i$/, 'only DATA_DIR is writable');
    assert.equal(unit.get('Service')?.has('MemoryDenyWriteExecute'), false, "V8's JIT needs writable, executable memory");
    assert.equal(one(unit, 'Install', 'WantedBy'), 'multi-user.target');
  });

  test('the backup service and its timer: deploy/backup.sh as a hardened one-shot, nightly, catching up after downtime', () => {
    const service = parseUnit(readFileSync(join(ROOT, 'deploy/stockade-backup.service'), 'utf8'));
    assert.deepEqual([...service.keys()], ['Unit', 'Service']);
    assert.equal(one(service, 'Service', 'Type'), 'oneshot');
    assert.equal(one(service, 'Service', 'EnvironmentFile'), '/etc/stockade/backup.env');
    // systemd, not JavaScript, expands ${STATE_DIRECTORY} (the directory StateDirectory= made).
    assert.equal(one(service, 'Service', 'ExecStart'), ['/opt/stockade/deploy/backup.sh', '$' + '{STATE_DIRECTORY}'].join(' '));
    assert.equal(one(service, 'Service', 'StateDirectoryMode'), '0700', 'dumps hold password hashes');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['CapabilityBoundingSet', ''],
    ] as const) {
      assert.equal(one(service, 'Service', key), value, `${key}=${value}`);
    }
    const timer = parseUnit(readFileSync(join(ROOT, 'deploy/stockade-backup.timer'), 'utf8'));
    assert.ok(one(timer, 'Timer', 'OnCalendar'));
    assert.equal(one(timer, 'Timer', 'Persistent'), 'true');
    assert.equal(one(timer, 'Install', 'WantedBy'), 'timers.target');
  });

  test('the operations guide installs this file and no longer shows a unit of its own', () => {
    const guide = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    assert.match(guide, /deploy\/stockade@\.service/);
    assert.doesNotMatch(guide, /^EnvironmentFile=.*#/m, 'no inline comment on an EnvironmentFile line');
  });

  test('systemd-analyze verify accepts every shipped unit (and an instance of the template) without a warning', (t) => {
    const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
    if (which.status !== 0) {
      // The shape tests above still ran; say plainly that systemd's own check did not.
      t.diagnostic('systemd-analyze is not installed: only the parsed checks above ran');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'stockade-unit-'));
    try {
      // verify checks that ExecStart's program exists: point at this checkout, and at this node where
      // /usr/bin/node is absent. Nothing else in the files is changed.
      const local = (text: string) => {
        let out = text.replaceAll('ExecStart=/opt/stockade/', `ExecStart=${ROOT}`);
        if (!existsSync('/usr/bin/node')) out = out.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `);
        return out;
      };
      const files: string[] = [];
      for (const [name, source] of [
        ['stockade@.service', 'stockade@.service'],
        ['stockade@main.service', 'stockade@.service'],
        ['stockade-backup.service', 'stockade-backup.service'],
        ['stockade-backup.timer', 'stockade-backup.timer'],
      ] as const) {
        const file = join(dir, name);
        writeFileSync(file, local(readFileSync(join(ROOT, 'deploy', source), 'utf8')));
        files.push(file);
      }
      for (const file of files) {
        const run = spawnSync('systemd-analyze', ['verify', file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
        assert.equal(run.status, 0, `${file}: ${run.stderr}`);
        // Lines about other units (e.g. this host's own) are not ours; any line about these files is.
        const ours = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.includes('stockade'));
        assert.deepEqual(ours, [], `systemd-analyze warns about ${file}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
