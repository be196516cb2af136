import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Requirement, Ruleset } from '../src/model/ruleset.js';
import {
  builtinRulesetFiles,
  evaluateWhen,
  loadBuiltinRulesets,
  loadRuleset,
  paramValues,
  resolveRulesets,
  validateRulesetFile,
} from '../src/rulesets/load.js';
import { resolvePorts } from '../src/rulesets/ports.js';
import { missingPath } from './helpers/prereqs.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const VENDOR_DOCS = path.resolve(ROOT, '../shared/vendor-docs');

function rs(id: string): Ruleset {
  const r = loadBuiltinRulesets().find((x) => x.id === id);
  if (!r) throw new Error(`no builtin ${id}`);
  return r;
}
function req(r: Ruleset, id: string): Requirement {
  const q = r.requirements.find((x) => x.id === id);
  if (!q) throw new Error(`no requirement ${id} in ${r.id}`);
  return q;
}
const ports = (r: Ruleset, q: Requirement, over = {}) => resolvePorts(q.ports, paramValues(r, over));

describe('built-in rulesets', () => {
  it('all four validate without errors', () => {
    const files = builtinRulesetFiles().map((f) => path.basename(f));
    expect(files).toEqual(['escan.yaml', 'finjan-vsos.yaml', 'gfi-languard.yaml', 'groundlabs-er.yaml']);
    for (const f of builtinRulesetFiles()) expect(validateRulesetFile(f).errors.map(String)).toEqual([]);
    expect(loadBuiltinRulesets().map((r) => r.id)).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er']);
  });

  it('declares exactly the agreed roles', () => {
    expect(Object.keys(rs('gfi-languard').roles)).toEqual(['server', 'relay', 'agent', 'target', 'dns', 'ad']);
    expect(Object.keys(rs('escan').roles)).toEqual(['server', 'update-agent', 'client', 'console']);
    expect(Object.keys(rs('groundlabs-er').roles)).toEqual(['master', 'node-agent', 'proxy-agent', 'console', 'target']);
    expect(Object.keys(rs('finjan-vsos').roles)).toEqual([
      'policy-server', 'scanning-server', 'standby-policy-server', 'auth-server', 'icap-client',
      'client', 'admin', 'wccp-router', 'ad', 'dns',
    ]);
  });

  it('has the expected requirement counts', () => {
    const counts = Object.fromEntries(loadBuiltinRulesets().map((r) => [r.id, r.requirements.length]));
    expect(counts).toEqual({ 'gfi-languard': 26, escan: 19, 'groundlabs-er': 34, 'finjan-vsos': 36 });
  });

  it('every requirement cites a document and section; conditionals are decidable', () => {
    for (const r of loadBuiltinRulesets()) {
      const docs = new Set((r.documents ?? []).map((d) => d.file));
      for (const q of r.requirements) {
        expect(q.source.document, `${r.id}/${q.id}`).toMatch(/\.txt$/);
        expect(docs.has(q.source.document), `${r.id}/${q.id}`).toBe(true);
        expect(q.source.section.length, `${r.id}/${q.id}`).toBeGreaterThan(2);
        if (q.necessity === 'conditional') {
          expect(q.when, `${r.id}/${q.id}`).toBeDefined();
          expect(q.condition, `${r.id}/${q.id}`).toBeDefined();
        }
        if (q.hosts) expect(q.to, `${r.id}/${q.id}`).toBe('internet');
        expect(q.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      }
      for (const s of r.symptoms ?? []) for (const id of s.requirements) expect(r.requirements.some((q) => q.id === id)).toBe(true);
    }
  });

  it.skipIf(missingPath(VENDOR_DOCS))('quotes are the words of the vendor documents (when the shared docs are present)', () => {
    const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
    const missing: string[] = [];
    for (const r of loadBuiltinRulesets()) {
      const sources = [...r.requirements.map((q) => q.source), ...r.parameters.flatMap((p) => (p.source ? [p.source] : []))];
      for (const s of sources) {
        const text = norm(readFileSync(path.join(VENDOR_DOCS, s.document), 'utf8'));
        if (s.quote && !text.includes(norm(s.quote))) missing.push(`${r.id}: ${s.quote}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('GFI LanGuard: agent port 1072 (fallback 1072-1170), 1070 for version 11 and earlier, window, RPC', () => {
    const r = rs('gfi-languard');
    const agent = req(r, 'agent-to-server');
    expect(agent).toMatchObject({ from: 'agent', to: 'server', transport: 'tcp', ports: '${agent_port}', window: '10:00-17:00' });
    expect(ports(r, agent)).toEqual([[1072, 1072]]);
    expect(ports(r, agent, { agent_port: 1100 })).toEqual([[1100, 1100]]);
    expect(ports(r, req(r, 'agent-to-server-fallback'))).toEqual([[1072, 1170]]);
    const v11 = req(r, 'agent-to-server-v11');
    expect(ports(r, v11)).toEqual([[1070, 1070]]);
    expect(evaluateWhen(v11.when, paramValues(r))).toBe(false);
    expect(evaluateWhen(v11.when, paramValues(r, { version: 11 }))).toBe(true);
    expect(evaluateWhen(agent.when, paramValues(r, { version: '11.0' }))).toBe(false);
    expect(agent.symptom).toContain('Unable to contact server');
    const rpc = req(r, 'server-to-target-rpc-tcp');
    expect(rpc).toMatchObject({ from: 'server', to: 'target', transport: 'tcp', ports: 135, symptom: 'The RPC server is unavailable' });
    expect(ports(r, req(r, 'server-to-target-rpc-dynamic'))).toEqual([[49152, 65535]]);
    const legacy = req(r, 'server-to-target-rpc-dynamic-legacy');
    expect(ports(r, legacy)).toEqual([[1024, 65535]]);
    expect(legacy.when).toEqual({ param: 'legacy_targets', eq: true });
    expect(req(r, 'server-to-target-netbios-udp').ports).toBe('137-139');
    expect(req(r, 'server-to-target-snmp')).toMatchObject({ transport: 'udp', ports: 161 });
    expect(req(r, 'gfi-updates').hosts).toContain('gfi-downloader-137146314.us-east-1.elb.amazonaws.com');
    expect(req(r, 'microsoft-updates').hosts).toEqual(['*.download.microsoft.com', '*.windowsupdate.com', '*.update.microsoft.com']);
    expect(req(r, 'server-to-dns-tcp')).toMatchObject({ to: 'dns', ports: 53 });
    expect(req(r, 'server-to-ad-ldap')).toMatchObject({ to: 'ad', ports: 389 });
    const sym = r.symptoms!.find((s) => s.id === 'rpc-server-unavailable')!;
    expect(sym.text).toBe('The RPC server is unavailable');
    expect(sym.requirements).toContain('server-to-target-rpc-tcp');
  });

  it('eScan: 2226/2227 local-only, passive range 3023-4023, HTTP mode 2221, 2222 to clients', () => {
    const r = rs('escan');
    for (const id of ['server-system-mode', 'server-self-events', 'update-agent-self-events', 'client-self-events']) {
      expect(req(r, id).local_only, id).toBe(true);
    }
    expect(req(r, 'server-system-mode').ports).toBe(2226);
    expect(req(r, 'server-self-events').ports).toBe(2227);
    const passive = req(r, 'client-ftp-passive');
    expect(ports(r, passive)).toEqual([[3023, 4023]]);
    expect(evaluateWhen(passive.when, paramValues(r))).toBe(true);
    expect(evaluateWhen(passive.when, paramValues(r, { http_mode: true }))).toBe(false);
    const http = req(r, 'client-http-download');
    expect(ports(r, http)).toEqual([[2221, 2221]]);
    expect(evaluateWhen(http.when, paramValues(r))).toBe(false);
    expect(evaluateWhen(http.when, paramValues(r, { http_mode: true }))).toBe(true);
    expect(ports(r, req(r, 'client-ftp-download'))).toEqual([[2021, 2021]]);
    expect(req(r, 'server-to-client')).toMatchObject({ from: 'server', to: 'client', ports: 2222 });
    expect(req(r, 'server-to-client').symptom).toContain('not be able to send any requests/tasks');
    expect(req(r, 'console-to-server').ports).toBe(10443);
    expect(req(r, 'client-events').ports).toBe(2225);
    expect(req(r, 'client-update-check').ports).toBe(3333);
    expect(r.symptoms!.find((s) => s.id === 'signatures-not-downloading')!.requirements).toContain('client-ftp-passive');
  });

  it('Enterprise Recon: 11117, web console, 8843 updates, RPC dynamic range with the 9152 note', () => {
    const r = rs('groundlabs-er');
    expect(ports(r, req(r, 'node-agent-to-master'))).toEqual([[11117, 11117]]);
    expect(req(r, 'proxy-agent-to-master')).toMatchObject({ from: 'proxy-agent', to: 'master' });
    expect(ports(r, req(r, 'master-updates'))).toEqual([[8843, 8843]]);
    expect(req(r, 'master-updates')).toMatchObject({ to: 'internet', necessity: 'optional' });
    const dyn = req(r, 'agentless-windows-dynamic');
    expect(ports(r, dyn)).toEqual([[49152, 65535]]);
    expect(dyn.ambiguity).toContain('9152');
    expect(dyn.source.quote).toBe('Dynamic ports 9152 - 65535');
    const legacy = req(r, 'agentless-windows-legacy-dynamic');
    expect(ports(r, legacy)).toEqual([[1024, 65535]]);
    expect(evaluateWhen(legacy.when, paramValues(r))).toBe(false);
    expect(evaluateWhen(legacy.when, paramValues(r, { legacy_targets: true }))).toBe(true);
    expect(ports(r, req(r, 'agentless-windows-legacy-smb'))).toEqual([[139, 139], [445, 445]]);
    expect(evaluateWhen(req(r, 'console-http').when, paramValues(r, { https_only: true }))).toBe(false);
    expect(evaluateWhen(req(r, 'storage-nfs-rpcbind-tcp').when, paramValues(r, { nfs_version: 3 }))).toBe(true);
    expect(ports(r, req(r, 'scan-db2'))).toEqual([[50000, 50000]]);
    expect(ports(r, req(r, 'scan-tibero'))).toEqual([[8629, 8629]]);
  });

  it('Finjan VSOS: GRE for WCCP, configurable ports, update sites', () => {
    const r = rs('finjan-vsos');
    const gre = req(r, 'wccp-gre');
    expect(gre).toMatchObject({ from: 'wccp-router', to: 'scanning-server', transport: 'gre', ports: null });
    expect(resolvePorts(gre.ports)).toEqual([]);
    expect(evaluateWhen(gre.when, paramValues(r, { use_wccp: false }))).toBe(false);
    expect(req(r, 'wccp-router-to-scanning-udp')).toMatchObject({ transport: 'udp', ports: 2048 });
    expect(req(r, 'wccp-router-to-scanning-tcp')).toMatchObject({ transport: 'tcp', ports: 2048 });
    expect(ports(r, req(r, 'icap-client-to-scanning'))).toEqual([[1344, 1344]]);
    expect(ports(r, req(r, 'icap-client-to-scanning'), { icap_port: 11344 })).toEqual([[11344, 11344]]);
    expect(ports(r, req(r, 'client-to-scanning-http'))).toEqual([[8080, 8080]]);
    expect(ports(r, req(r, 'client-to-scanning-ftp'))).toEqual([[2121, 2121]]);
    expect(ports(r, req(r, 'client-to-scanning-https'))).toEqual([[8443, 8443]]);
    expect(req(r, 'policy-updates')).toMatchObject({ to: 'internet', hosts: ['updateng.finjan.com', 'mirror.updateng.finjan.com'], ports: 443 });
    expect(req(r, 'scanning-auth-netbios-udp')).toMatchObject({ to: 'auth-server', transport: 'udp', ports: [137, 138] });
    expect(req(r, 'standby-to-policy-rsync')).toMatchObject({ from: 'standby-policy-server', to: 'policy-server', ports: 5226 });
    expect(req(r, 'scanning-to-policy-snmp-traps')).toMatchObject({ transport: 'udp', ports: 162 });
    expect(req(r, 'policy-to-ad-ldap')).toMatchObject({ to: 'ad', ports: 389 });
  });
});

describe('resolveRulesets and the custom example', () => {
  const custom = path.join(ROOT, 'fixtures/rulesets/custom-app.yaml');

  it('empty spec list gives all built-ins; ids and files select', () => {
    expect(resolveRulesets([]).map((r) => r.id)).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er']);
    expect(resolveRulesets(['escan']).map((r) => r.id)).toEqual(['escan']);
    expect(resolveRulesets(['all', custom]).map((r) => r.id)).toEqual(['escan', 'finjan-vsos', 'gfi-languard', 'groundlabs-er', 'acme-backup']);
    expect(() => resolveRulesets(['no-such-product'])).toThrow(/no such ruleset/);
  });

  it('the custom application example loads', () => {
    const r = loadRuleset(custom);
    expect(r.id).toBe('acme-backup');
    expect(r.file).toBe(custom);
    const data = req(r, 'client-to-server-data');
    expect(ports(r, data)).toEqual([[9400, 9410]]);
    expect(req(r, 'server-updates').hosts).toEqual(['updates.acme-backup.example']);
  });
});
