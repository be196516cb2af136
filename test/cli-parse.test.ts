/**
 * `fwaudit parse` end to end: inputs of every kind, bad input, output formats and schemas.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, symlinkSync, mkdirSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, jsonLines, CORPUS, HAVE_CORPUS } from './helpers/cli.js';
import { communityId } from '../src/sinks/community-id.js';
import { missing } from './helpers/prereqs.js';

const IPT = [
  'Mar  9 14:02:11 gw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=203.0.113.77 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=44120 DF PROTO=TCP SPT=51544 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0',
  'Mar  9 14:02:12 gw01 kernel: [UFW ALLOW] IN=eth0 OUT= SRC=10.0.0.5 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=1 DF PROTO=UDP SPT=5353 DPT=53 LEN=40',
].join('\n') + '\n';
const WINFW = [
  '#Version: 1.5', '#Software: Microsoft Windows Firewall', '#Time Format: Local',
  '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid',
  '', '2024-03-09 14:02:11 DROP TCP 203.0.113.77 192.0.2.20 51544 3389 52 S 1785634402 0 64240 - - - RECEIVE 4',
].join('\r\n') + '\r\n';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwaudit-parse-'));
  writeFileSync(join(dir, 'kern.log'), IPT);
  writeFileSync(join(dir, 'pfirewall.log'), WINFW);
});

describe('inputs', () => {
  it('reads a file, gzip by magic bytes (whatever the name), stdin and stdin gzip', () => {
    writeFileSync(join(dir, 'kern.log.1'), gzipSync(IPT));
    const plain = runCli(['parse', join(dir, 'kern.log'), '--year', '2024', '--tz', 'UTC']);
    expect(plain.code).toBe(0);
    const flows = jsonLines(plain.stdout);
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ ts: '2024-03-09T14:02:11.000Z', action: 'deny', transport: 'tcp', src_ip: '203.0.113.77', dst_port: 22, line: 1 });
    const gz = runCli(['parse', join(dir, 'kern.log.1'), '--year', '2024', '--tz', 'UTC']);
    expect(jsonLines(gz.stdout).map((f) => f['dst_port'])).toEqual([22, 53]);
    const stdin = runCli(['parse', '-', '--year', '2024', '--tz', 'UTC'], { input: IPT });
    expect(jsonLines(stdin.stdout)[1]).toMatchObject({ file: '-', line: 2, action: 'allow' });
    const stdinGz = runCli(['parse', '-', '--year', '2024'], { input: gzipSync(IPT) });
    expect(jsonLines(stdinGz.stdout)).toHaveLength(2);
    expect(stdinGz.stderr).toContain('gzip');
  });

  it('walks a directory of mixed formats and gzip files, detecting the format per file', () => {
    const d = join(dir, 'mixed');
    mkdirSync(join(d, 'sub'), { recursive: true });
    writeFileSync(join(d, 'a.log.gz'), gzipSync(IPT));
    writeFileSync(join(d, 'sub', 'pfirewall.log.gz'), gzipSync(WINFW));
    const r = runCli(['parse', d, '--year', '2024', '--tz', 'Europe/Berlin']);
    expect(r.code).toBe(0);
    const flows = jsonLines(r.stdout);
    expect(new Set(flows.map((f) => f['format']))).toEqual(new Set(['iptables', 'winfw']));
    const win = flows.find((f) => f['format'] === 'winfw')!;
    expect(win['ts']).toBe('2024-03-09T13:02:11.000Z'); // 14:02 CET = 13:02 UTC
    expect(win['direction']).toBe('inbound');
  });

  it('expands globs', () => {
    const r = runCli(['parse', join(dir, '*.log'), '--year', '2024', '-q']);
    expect(new Set(jsonLines(r.stdout).map((f) => f['format']))).toEqual(new Set(['iptables', 'winfw']));
  });

  it('reads UTF-16LE with BOM, UTF-16BE with BOM, UTF-16LE without BOM and UTF-8 with BOM', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(WINFW, 'utf16le')]);
    const be = Buffer.from(le); be.swap16();
    const noBom = Buffer.from(WINFW, 'utf16le');
    const u8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(WINFW)]);
    for (const [name, buf] of [['le.log', le], ['be.log', be], ['nobom.log', noBom], ['u8.log', u8]] as const) {
      writeFileSync(join(dir, name), buf);
      const r = runCli(['parse', join(dir, name), '--tz', 'UTC']);
      expect(r.code, name).toBe(0);
      expect(jsonLines(r.stdout), name).toEqual([expect.objectContaining({ src_ip: '203.0.113.77', dst_port: 3389, action: 'deny', line: 6 })]);
    }
  });

  it('forces a format with --format and rejects an unknown one', () => {
    const r = runCli(['parse', join(dir, 'kern.log'), '--format', 'iptables', '--year', '2024', '-q']);
    expect(jsonLines(r.stdout)).toHaveLength(2);
    const bad = runCli(['parse', join(dir, 'kern.log'), '--format', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown format "nope"');
  });
});

describe('bad input never crashes and never vanishes', () => {
  it('reports each bad input with its reason, processes the others, exits 2', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'empty.log'), '');
    writeFileSync(join(bad, 'garbage.bin'), Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919 + 13) % 256)));
    const big = Buffer.from(Array.from({ length: 4000 }, (_, i) => IPT.replace(/SPT=51544/, `SPT=${1024 + i}`)).join(''));
    const gz = gzipSync(big);
    writeFileSync(join(bad, 'trunc.log.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    writeFileSync(join(bad, 'syslog'), 'Mar  9 14:02:11 host sshd[1]: Accepted password for x\nMar  9 14:02:12 host CRON[2]: job\n');
    symlinkSync(join(bad, 'loop'), join(bad, 'loop'));
    const r = runCli(['parse', join(bad, 'empty.log'), join(bad, 'garbage.bin'), join(bad, 'trunc.log.gz'), join(bad, 'syslog'),
      join(bad, 'loop'), join(bad, 'missing.log'), join(dir, 'kern.log'), '--year', '2024']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/garbage\.bin: ERROR binary data/);
    expect(r.stderr).toMatch(/trunc\.log\.gz: iptables .*\n\s+ERROR truncated or corrupt gzip data after line \d+/);
    expect(r.stderr).toMatch(/syslog: iptables \(syslog-no-netfilter\): 2 lines = 0 flows \+ 2 not-flow \+ 0 malformed/);
    expect(r.stderr).toMatch(/2 × not a netfilter line \[not-flow\], first at .*syslog:1/);
    expect(r.stderr).toMatch(/loop: ERROR cannot read/);
    expect(r.stderr).toMatch(/missing\.log: ERROR cannot read: no such file or directory/);
    const flows = jsonLines(r.stdout);
    // the good input still arrives whole, and the flows before the truncation are kept
    expect(flows.filter((f) => String(f['file']).endsWith('kern.log'))).toHaveLength(2);
    expect(flows.filter((f) => String(f['file']).endsWith('trunc.log.gz')).length).toBeGreaterThan(10);
  });

  it('drops a 50 MB line without newline with a message naming file and line, and keeps the lines around it', () => {
    const p = join(dir, 'long.log');
    const lines = IPT.split('\n');
    writeFileSync(p, lines[0] + '\n' + 'A'.repeat(50 * 1024 * 1024) + '\n' + lines[1] + '\n');
    const r = runCli(['parse', p, '--year', '2024']);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((f) => f['line'])).toEqual([1, 3]);
    expect(r.stderr).toMatch(/1 × line longer than 1048576 bytes \(dropped\) \[malformed\], first at .*long\.log:2/);
    const strict = runCli(['parse', p, '--year', '2024', '--strict', '-q']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('--strict: 1 flow line could not be read');
  });

  it('an empty file is not an error', () => {
    const r = runCli(['parse', join(dir, 'bad', 'empty.log')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('empty 1');
  });
});

describe('outputs', () => {
  it('writes CSV with formula prefixes neutralised', () => {
    const p = join(dir, 'evil.log');
    writeFileSync(p, IPT.replace('[UFW BLOCK] ', '=HYPERLINK("x") DROP ').split('\n')[0] + '\n');
    const out = join(dir, 'flows.csv');
    const r = runCli(['parse', p, '--out', out, '--year', '2024']);
    expect(r.code).toBe(0);
    const csv = readFileSync(out, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('ts,action,raw_action,transport,src_ip,src_port,dst_ip,dst_port,direction,device,rule,app,bytes,packets,end_reason,host,url,format,file,line,community_id');
    expect(csv[1]).toContain(`"'=HYPERLINK(""x"") DROP"`);
    expect(csv[1]).toMatch(/^2024-03-09T14:02:11\.000Z,deny,/);
  });

  it('writes Parquet that DuckDB reads back with the same values', async () => {
    const out = join(dir, 'flows.parquet');
    const r = runCli(['parse', join(dir, 'kern.log'), '--out', out, '--year', '2024', '--tz', 'UTC']);
    expect(r.code).toBe(0);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const rows = (await con.runAndReadAll(`SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S') AS t, action, src_ip, dst_port, line FROM read_parquet('${out}') ORDER BY line`)).getRowObjectsJson();
    expect(rows).toEqual([
      { t: '2024-03-09T14:02:11', action: 'deny', src_ip: '203.0.113.77', dst_port: 22, line: 1 },
      { t: '2024-03-09T14:02:12', action: 'allow', src_ip: '10.0.0.5', dst_port: 53, line: 2 },
    ]);
    con.closeSync(); db.closeSync();
  });

  it('maps to ECS and OCSF with a community id', () => {
    const ecs = jsonLines(runCli(['parse', join(dir, 'kern.log'), '--schema', 'ecs', '--year', '2024', '-q']).stdout)[0]!;
    expect(ecs).toMatchObject({
      '@timestamp': '2024-03-09T14:02:11.000Z',
      source: { ip: '203.0.113.77', port: 51544 }, destination: { ip: '192.0.2.10', port: 22 },
      event: { action: '[UFW BLOCK]', outcome: 'failure' }, network: { transport: 'tcp', direction: 'ingress' }, fwaudit: { direction: 'inbound', line: 1 },
    });
    expect((ecs['network'] as Record<string, unknown>)['community_id']).toMatch(/^1:/);
    const ocsf = jsonLines(runCli(['parse', join(dir, 'kern.log'), '--schema', 'ocsf', '--year', '2024', '-q']).stdout)[0]!;
    expect(ocsf).toMatchObject({ class_uid: 4001, activity_id: 5, action: 'Denied', src_endpoint: { ip: '203.0.113.77', port: 51544 }, dst_endpoint: { port: 22 } });
  });

  it('community id matches the spec test vector', () => {
    expect(communityId('tcp', '128.232.110.120', '66.35.250.204', 34855, 80)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    expect(communityId('tcp', '66.35.250.204', '128.232.110.120', 80, 34855)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
  });
});

describe('corpus', () => {
  it.skipIf(missing(HAVE_CORPUS))('opens the published ZIP in the corpus and reads its WFP events', () => {
    const zip = join(CORPUS, 'wfp-events/OTRF__Security-Datasets__datasets-atomic-windows-credential_access-host-cmd_dumping_ntds_dit_file_ntdsutil.zip');
    const r = runCli(['parse', zip]);
    expect(r.code).toBe(0);
    const flows = jsonLines(r.stdout);
    expect(flows.length).toBeGreaterThan(100);
    expect(flows[0]!['file']).toContain('.zip!cmd_dumping_ntds_dit_file_ntdsutil.json');
    expect(r.stderr).toMatch(/wfp-json .*zip/);
  });

  it.skipIf(missing(HAVE_CORPUS))('parses every corpus file with exit 0 and at least one flow (one test enumerates the corpus)', () => {
    const files = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !/\.(assert|md)$|-expected\.json$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(40);
    for (const f of files) {
      const r = runCli(['parse', f, '-q', '--tz', 'UTC']);
      expect(r.code, `${f}\n${r.stderr}`).toBe(0);
      expect(jsonLines(r.stdout).length, f).toBeGreaterThan(0);
    }
  });
});

describe('decoding', () => {
  it('keeps UTF-8 characters split across read chunks intact (ASCII fast path next to the decoder)', async () => {
    const { TextDecoderState } = await import('../src/pipeline/decode.js');
    const text = 'abc é€𝄞 def\n';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (let cut2 = cut; cut2 <= bytes.length; cut2++) {
        const d = new TextDecoderState('utf-8', 0);
        const out = d.write(bytes.subarray(0, cut)) + d.write(bytes.subarray(cut, cut2)) + d.write(bytes.subarray(cut2)) + d.end();
        expect(out, `${cut}/${cut2}`).toBe(text);
      }
    }
  });
});

describe('parse --jobs', () => {
  it('one thread and worker threads give the same flows in the same order; a bad count is a usage error', () => {
    const args = ['parse', 'fixtures/demo/logs', 'fixtures/scenario', '--tz', 'UTC', '--year', '2026', '-q'];
    const one = runCli([...args, '--jobs', '1']);
    const two = runCli([...args, '--jobs', '2']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stdout.length).toBeGreaterThan(1000);
    expect(two.stdout).toBe(one.stdout);
    const bad = runCli([...args, '--jobs', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs expects a whole number/);
  });
});
