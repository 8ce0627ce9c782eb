// Scenario file -> Scenario. Like topologies, every problem is reported at once, each located at
// file:line:col with its JSON path: YAML syntax and duplicate keys, ${...} variables, the JSON
// Schema (schemas/scenario.schema.json), the topology (a file, or inline: its errors point into the
// scenario file), then what a schema cannot say (one action per step, nodes and links exist, named
// steps and flows are defined before they are used, durations parse).

import { SHOW_VIEWS } from './show-check.ts';
import { projectPath } from '../engine/util/paths.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UserError } from '../cli/errors.ts';
import { getNode, resolveLink } from '../labs/model.ts';
import type { LabModel } from '../labs/model.ts';
import { netnsName, MAX_NETNS_NAME } from '../labs/names.ts';
import { didYouMean, formatDiagnostic, TopologyError } from '../labs/topology/diagnostics.ts';
import type { Diagnostic, JsonPath } from '../labs/topology/diagnostics.ts';
import { displayPath, loadTopologyFile, parseTopology } from '../labs/topology/load.ts';
import { validateKindConfig } from '../labs/topology/schema.ts';
import { TopologySource } from '../labs/topology/source.ts';
import { ACTION_KINDS, EXPECT_KINDS, STEP_COMMON_KEYS } from './model.ts';
import { checkClientStep } from './client.ts';
import { authorizationKey, AUTHORIZATION_KEYS } from './aaa.ts';
import { attrByName } from '../engine/radius/dictionary.ts';
import { radiusCodeName } from '../engine/radius/constants.ts';

const RADIUS_CODE_NAMES = [1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45].map(radiusCodeName);
import type { Scenario, Step } from './model.ts';
import { parseDuration, parsePercent, parseRate, substitute } from './values.ts';
import type { Vars } from './values.ts';

export const scenarioSchemaPath = projectPath('schemas', 'scenario.schema.json');

let schema: object | undefined;
function scenarioSchema(): object {
  schema ??= JSON.parse(readFileSync(scenarioSchemaPath, 'utf8')) as object;
  return schema;
}

/** Every error found in a scenario file (and its topology); nothing was run. */
export class ScenarioError extends UserError {
  constructor(readonly diagnostics: Diagnostic[]) {
    const n = diagnostics.length;
    super(`${diagnostics.map(formatDiagnostic).join('\n')}\n${n} error${n === 1 ? '' : 's'} in scenario; nothing was run`, 2);
  }
}

type Raw = Record<string, unknown>;
const isObj = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read scenario file ${file}: ${(e as Error).message}`, 2);
  }
  return parseScenario(text, path.resolve(file));
}

export function parseScenario(text: string, file: string): Scenario {
  const shown = displayPath(file);
  const src = new TopologySource(shown, text);
  if (src.doc.errors.length) throw new ScenarioError(src.syntaxErrors);
  const diags: Diagnostic[] = [...src.syntaxErrors];
  const err = (p: JsonPath, message: string, at: 'key' | 'value' = 'value') => diags.push(src.diagnostic(p, message, at));

  const raw = src.toJS();
  if (!isObj(raw)) throw new ScenarioError([src.diagnostic([], 'a scenario file is a map with name, topology and steps')]);

  // Variables first: the schema then sees numbers where ${interval * retries} stood.
  const vars: Vars = {};
  if (isObj(raw['vars'])) {
    for (const [k, v] of Object.entries(raw['vars'])) {
      if (!/^[A-Za-z_]\w*$/.test(k)) err(['vars', k], `variable names are letters, digits and _ (got "${k}")`, 'key');
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') vars[k] = v;
    }
  }
  const data = substituteAll(raw, vars, [], (p, m) => err(p, m)) as Raw;
  if (diags.length) throw new ScenarioError(sortDiagnostics(diags));

  for (const issue of validateKindConfig('scenario-file', scenarioSchema(), data)) err(issue.path, issue.message, issue.at);
  if (diags.length) throw new ScenarioError(sortDiagnostics(diags));

  const name = data['name'] as string;
  let lab: LabModel | undefined;
  let topologyFile = file;
  const topo = data['topology'];
  if (typeof topo === 'string') {
    topologyFile = path.resolve(path.dirname(file), topo);
    try {
      lab = loadTopologyFile(topologyFile).lab;
    } catch (e) {
      if (e instanceof TopologyError) diags.push(...e.diagnostics);
      else err(['topology'], (e as Error).message);
    }
  } else if (isObj(topo)) {
    // An inline topology is validated as a file of its own; its diagnostics are moved back to
    // where each path is in the scenario file.
    const doc = { name: typeof topo['name'] === 'string' ? topo['name'] : name, ...topo };
    try {
      lab = parseTopology(YAML.stringify(doc), shown, { sourceFile: file }).lab;
      lab.file = file;
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      for (const d of e.diagnostics) diags.push({ ...src.diagnostic(['topology', ...d.path], d.message), path: ['topology', ...d.path] });
    }
  }
  if (!lab) throw new ScenarioError(sortDiagnostics(diags));

  const scenario: Scenario = {
    name,
    ...(typeof data['description'] === 'string' ? { description: data['description'] } : {}),
    features: (data['features'] as string[] | undefined) ?? [],
    file,
    displayFile: shown,
    topologyFile,
    lab,
    capture: [],
    timeoutMs: 300_000,
    defaultWithinMs: 0,
    continueOnFailure: data['continue-on-failure'] === true,
    steps: [],
    vars,
  };
  const duration = (p: JsonPath, v: unknown): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (typeof ms === 'string') { err(p, ms); return undefined; }
    return ms;
  };
  scenario.timeoutMs = duration(['timeout'], data['timeout']) ?? scenario.timeoutMs;
  scenario.defaultWithinMs = duration(['defaults', 'within'], (data['defaults'] as Raw | undefined)?.['within']) ?? 0;

  const capture = data['capture'];
  if (capture === 'all') scenario.capture = lab.links.map((l) => l.id);
  else if (Array.isArray(capture)) {
    capture.forEach((ref, i) => {
      try { scenario.capture.push(resolveLink(lab!, ref as string).id); } catch (e) { err(['capture', i], (e as Error).message); }
    });
  }

  const checker = new StepChecker(lab, err, duration);
  (data['steps'] as Raw[]).forEach((s, i) => {
    const step = checker.step(s, i, `${shown}:${src.locate(['steps', i]).line}`, src.locate(['steps', i]).line);
    if (step) scenario.steps.push(step);
  });
  if (diags.length) throw new ScenarioError(sortDiagnostics(diags));
  return scenario;
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return d
    .filter((x) => { const k = `${x.file}:${x.line}:${x.col}:${x.message}`; return !seen.has(k) && !!seen.add(k); })
    .sort((a, b) => (a.file === b.file ? 0 : a.file < b.file ? -1 : 1) || a.line - b.line || a.col - b.col);
}

function substituteAll(v: unknown, vars: Vars, p: JsonPath, err: (p: JsonPath, m: string) => void): unknown {
  if (p.length === 1 && p[0] === 'vars') return v;
  if (typeof v === 'string' && v.includes('${')) {
    try {
      return substitute(v, vars);
    } catch (e) {
      err(p, (e as Error).message);
      return v;
    }
  }
  if (Array.isArray(v)) return v.map((x, i) => substituteAll(x, vars, [...p, i], err));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteAll(x, vars, [...p, k], err)]));
  return v;
}

/** A copy of the scenario's lab model under another lab name (namespaces renamed with it). */
export function labModelFor(scenario: Scenario, labName: string): LabModel {
  const lab = structuredClone(scenario.lab);
  lab.name = labName;
  for (const n of lab.nodes) n.netns = netnsName(labName, n.name);
  const longest = Math.max(...lab.nodes.map((n) => n.netns.length));
  if (longest > MAX_NETNS_NAME) throw new UserError(`lab name "${labName}" makes namespace names ${longest} characters long (at most ${MAX_NETNS_NAME}); use shorter node names`);
  for (const l of lab.links) if (scenario.capture.includes(l.id)) l.capture = true;
  return lab;
}

/** Checks one step against the lab and the steps before it, and says in one line what it does. */
class StepChecker {
  private readonly names = new Set<string>();
  private readonly faults = new Set<string>();
  private readonly flows = new Map<string, string>();
  /** Named radius steps: `from:STEP` takes the session ids they used. */
  private readonly radiusSteps = new Set<string>();

  constructor(
    private readonly lab: LabModel,
    private readonly err: (p: JsonPath, m: string, at?: 'key' | 'value') => void,
    private readonly duration: (p: JsonPath, v: unknown) => number | undefined,
  ) {}

  private node(p: JsonPath, name: unknown): string {
    try { getNode(this.lab, String(name)); } catch (e) { this.err(p, (e as Error).message); }
    return String(name);
  }

  /** A node name, or an address (anything with a '.' or ':' in it). */
  private target(p: JsonPath, v: unknown): string {
    const s = String(v);
    if (/[.:]/.test(s)) return s;
    return this.node(p, s);
  }

  private link(p: JsonPath, ref: unknown): string {
    try { return resolveLink(this.lab, String(ref)).id; } catch (e) { this.err(p, (e as Error).message); return String(ref); }
  }

  /** `from:NODE` (a node running our daemon) or `from:STEP` (a named radius step before this one); else a literal. */
  private sessionRef(p: JsonPath, v: unknown): void {
    const m = typeof v === 'string' ? /^from:(.+)$/.exec(v) : null;
    if (!m) return;
    const ref = m[1]!;
    if (this.radiusSteps.has(ref)) return;
    const n = this.lab.nodes.find((x) => x.name === ref);
    if (!n) this.err(p, `"${String(v)}": ${ref} is neither a node nor a named radius step before this one${didYouMean(ref, [...this.radiusSteps, ...this.lab.nodes.map((x) => x.name)])}`);
    else if (!/^flexvpn-/.test(n.kind)) this.err(p, `"${String(v)}": ${ref} is a ${n.kind}; sessions are read from a node running our daemon (a flexvpn hub)`);
  }

  private stepRef(p: JsonPath, name: unknown, what: string): string {
    const s = String(name);
    if (!this.names.has(s)) this.err(p, `no step named "${s}" before this one${didYouMean(s, this.names)} (${what} names a step written earlier)`);
    return s;
  }

  step(s: Raw, index: number, where: string, line: number): Step | undefined {
    const base: JsonPath = ['steps', index];
    const keys = Object.keys(s).filter((k) => !STEP_COMMON_KEYS.has(k));
    if (keys.length !== 1) {
      this.err(base, keys.length
        ? `a step does one thing; this one has ${keys.map((k) => `"${k}"`).join(' and ')} (split it into ${keys.length} steps)`
        : `a step needs an action or an expectation: one of ${ACTION_KINDS.join(', ')}`);
      return undefined;
    }
    const kind = keys[0]!;
    const p: JsonPath = [...base, kind];
    const v = s[kind];
    const step: Step = { index, kind, title: kind, args: {}, where, line };
    if (typeof s['name'] === 'string') {
      if (this.names.has(s['name'])) this.err([...base, 'name'], `step name "${s['name']}" is used twice`);
      step.name = s['name'];
    }
    if (typeof s['description'] === 'string') step.description = s['description'];
    if (typeof s['continue-on-failure'] === 'boolean') step.continueOnFailure = s['continue-on-failure'];
    if (s['at'] !== undefined) {
      const at = s['at'];
      const ms = parseDuration(at);
      if (typeof ms === 'number') step.at = { ms };
      else {
        const m = typeof at === 'string' ? /^\s*([A-Za-z0-9][\w.-]*?)\s*(?:\+\s*(.+))?$/.exec(at) : null;
        if (!m) this.err([...base, 'at'], `"${String(at)}" is neither a duration nor STEP+DURATION`);
        else {
          const ref = this.stepRef([...base, 'at'], m[1], 'at:');
          const off = m[2] ? this.duration([...base, 'at'], m[2]) : 0;
          step.at = { ms: off ?? 0, step: ref };
        }
      }
    }
    const after = this.duration([...base, 'after'], s['after']);
    if (after !== undefined) step.afterMs = after;
    const within = this.duration([...base, 'within'], s['within']);
    if (within !== undefined) step.withinMs = within;
    const forMs = this.duration([...base, 'for'], s['for']);
    if (forMs !== undefined) step.forMs = forMs;
    if ((within !== undefined || forMs !== undefined) && kind !== 'expect') {
      this.err([...base, within !== undefined ? 'within' : 'for'], `"${within !== undefined ? 'within' : 'for'}" applies to expectations; this step is an action (${kind})`, 'key');
    }

    const o = (isObj(v) ? v : {}) as Raw;
    const str = (x: unknown) => (isObj(x) ? String((x as Raw)['node'] ?? (x as Raw)['link']) : String(x));
    switch (kind) {
      case 'deploy': step.title = 'deploy the lab'; break;
      case 'destroy': step.title = 'destroy the lab'; break;
      case 'link-down':
      case 'link-up': {
        const link = this.link(p, str(v));
        step.args = { link };
        step.title = `${kind} ${link}`;
        if (kind === 'link-down') this.faults.add(step.name ?? '');
        break;
      }
      case 'blackhole':
      case 'loss':
      case 'rate':
      case 'mtu': {
        const link = this.link([...p, 'link'], o['link']);
        step.args = { ...o, link };
        if (o['from'] !== undefined) this.node([...p, 'from'], o['from']);
        if (o['node'] !== undefined) this.node([...p, 'node'], o['node']);
        if (kind === 'loss') {
          const pc = parsePercent(o['percent']);
          if (typeof pc === 'string' || pc <= 0 || pc > 100) this.err([...p, 'percent'], typeof pc === 'string' ? pc : `loss must be above 0 and at most 100 %, got ${pc}`);
          else step.args['percent'] = pc;
        }
        const dir = o['from'] ? ` from ${String(o['from'])}` : ' (both directions)';
        step.title = kind === 'blackhole' ? `blackhole ${link}${dir}` : kind === 'loss' ? `${String(step.args['percent'])}% loss on ${link}${dir}`
          : kind === 'rate' ? `rate ${String(o['kbit'])} kbit/s on ${link}${dir}` : `MTU ${String(o['mtu'])} on ${link}${o['node'] ? ` (${String(o['node'])} side)` : ''}`;
        break;
      }
      case 'nat-rebind': {
        const node = this.node(p, str(v));
        const n = this.lab.nodes.find((x) => x.name === node);
        if (n && n.kind !== 'nat') this.err(p, `node "${node}" is a ${n.kind}, not a nat node`);
        step.args = { node, ...(o['method'] ? { method: o['method'] } : {}) };
        step.title = `NAT rebinding on ${node}`;
        break;
      }
      case 'restore': {
        const ref = String(v);
        if (ref !== 'all') this.stepRef(p, ref, 'restore:');
        step.args = { step: ref };
        step.title = ref === 'all' ? 'restore: clear every fault' : `restore: undo "${ref}"`;
        break;
      }
      case 'daemon': {
        const node = this.node([...p, 'node'], o['node']);
        step.args = { node, do: o['do'] };
        step.title = `${String(o['do'])} the daemon of ${node}`;
        break;
      }
      case 'clear':
      case 'terminate':
      case 'dpd':
      case 'initiate':
      case 'rekey': {
        const node = this.node(isObj(v) ? [...p, 'node'] : p, isObj(v) ? o['node'] : v);
        const peer = isObj(v) && o['peer'] !== undefined ? this.target([...p, 'peer'], o['peer']) : undefined;
        step.args = { node, ...(peer ? { peer } : {}), ...(kind === 'rekey' ? { sa: o['sa'] ?? 'child' } : {}) };
        const towards = peer ? ` towards ${peer}` : '';
        step.title = kind === 'clear' ? `clear crypto session on ${node}${towards}` : kind === 'terminate' ? `${node} deletes its IKE SA${towards}`
          : kind === 'dpd' ? `${node} sends a liveness check${towards}` : kind === 'initiate' ? `${node} initiates` : `${node} rekeys its ${String(step.args['sa']).toUpperCase()} SA${towards}`;
        break;
      }
      case 'start-traffic': {
        const flow = String(o['name']);
        if (this.flows.has(flow)) this.err([...p, 'name'], `traffic flow "${flow}" is started twice`);
        const type = (o['type'] as string | undefined) ?? 'ping';
        this.flows.set(flow, type);
        const from = this.node([...p, 'from'], o['from']);
        const to = this.target([...p, 'to'], o['to']);
        step.args = { ...o, type, from, to };
        for (const k of ['interval', 'duration'] as const) {
          const ms = this.duration([...p, k], o[k]);
          if (ms !== undefined) step.args[`${k}Ms`] = ms;
        }
        step.title = type === 'tcp' ? `TCP flow "${flow}" ${from} -> ${to} (iperf3${o['reverse'] ? ', reverse' : ''})` : `ping stream "${flow}" ${from} -> ${to}`;
        break;
      }
      case 'stop-traffic': {
        const flow = String(v);
        if (!this.flows.has(flow)) this.err(p, `no traffic flow "${flow}" is started before this step${didYouMean(flow, this.flows.keys())}`);
        step.args = { flow };
        step.title = `stop traffic "${flow}"`;
        break;
      }
      case 'exec': {
        const node = this.node([...p, 'node'], o['node']);
        step.args = { ...o, node };
        if (o['timeout'] !== undefined) step.args['timeoutMs'] = this.duration([...p, 'timeout'], o['timeout']);
        if (typeof o['stdout'] === 'string') {
          try { new RegExp(o['stdout']); } catch (e) { this.err([...p, 'stdout'], `not a regular expression: ${(e as Error).message}`); }
        }
        const cmd = Array.isArray(o['cmd']) ? (o['cmd'] as string[]).join(' ') : String(o['cmd']);
        step.title = `${node}$ ${cmd}`;
        break;
      }
      case 'capture-start':
      case 'capture-stop': {
        const link = this.link(p, str(v));
        step.args = { link };
        step.title = `${kind === 'capture-start' ? 'start' : 'stop'} capturing ${link}`;
        break;
      }
      case 'wait': {
        const ms = this.duration(p, v);
        step.args = { ms: ms ?? 0 };
        step.title = `wait ${String(v)}${typeof v === 'number' ? 's' : ''}`;
        break;
      }
      case 'snapshot': step.args = { label: String(v) }; step.title = `snapshot "${String(v)}"`; break;
      case 'note': step.args = { text: String(v) }; step.title = String(v); break;
      case 'ike-init-burst': {
        const from = this.node([...p, 'from'], o['from']);
        const to = this.target([...p, 'to'], o['to']);
        step.args = { ...o, from, to };
        step.title = `${String(o['count'])} spoofed IKE_SA_INIT requests from ${from} to ${to}${o['sources'] ? ` (${String(o['sources'])} source addresses)` : ''}`;
        break;
      }
      case 'radius': this.radius(step, p, o); break;
      case 'track':
      case 'client':
      case 'dns': {
        const r = checkClientStep(kind, o, p, { lab: this.lab, node: (q, v) => this.node(q, v), err: (q, m) => this.err(q, m) });
        step.args = r.args;
        step.title = r.title;
        break;
      }
      case 'expect': this.expect(step, p, o); break;
      default:
        this.err([...base, kind], `unknown step "${kind}"${didYouMean(kind, ACTION_KINDS)}`, 'key');
    }
    if (step.name) this.names.add(step.name);
    if (step.name && kind === 'radius') this.radiusSteps.add(step.name);
    return step;
  }

  /** `radius: {node, do, nas, ...}`: an RFC 5176 Disconnect-Request or CoA-Request from a lab node. */
  private radius(step: Step, p: JsonPath, o: Raw): void {
    const node = this.node([...p, 'node'], o['node']);
    const n = this.lab.nodes.find((x) => x.name === node);
    const dae = n?.kind === 'radius' ? (n.config as { dae?: { secret?: string } } | undefined)?.dae : undefined;
    if (n && o['secret'] === undefined && !dae?.secret) {
      this.err([...p, 'node'], `${node} is a ${n.kind}${n.kind === 'radius' ? ' without dae.secret' : ''}: give the DAE "secret" shared with the hub`);
    }
    const nas = this.target([...p, 'nas'], o['nas']);
    this.sessionRef([...p, 'audit-session-id'], o['audit-session-id']);
    this.sessionRef([...p, 'session-id'], o['session-id']);
    if (o['peer'] !== undefined) this.target([...p, 'peer'], o['peer']);
    if (!['user', 'audit-session-id', 'session-id', 'framed-ip'].some((k) => o[k] !== undefined)) {
      this.err(p, 'name the session: user, audit-session-id, session-id or framed-ip (RFC 5176 section 3)');
    }
    const attrs = (isObj(o['attributes']) ? o['attributes'] : {}) as Raw;
    for (const k of Object.keys(attrs)) {
      if (!attrByName(k.split(':')[0]!)) this.err([...p, 'attributes', k], `unknown RADIUS attribute "${k}"`, 'key');
    }
    if (o['do'] === 'coa' && !Object.keys(attrs).length) this.err(p, 'a CoA-Request carries the new authorization: give attributes, e.g. {Cisco-AVPair: "ip:interface-config=ip mtu 1200"}');
    if (typeof o['reply-message'] === 'string') {
      try { new RegExp(o['reply-message']); } catch (e) { this.err([...p, 'reply-message'], `not a regular expression: ${(e as Error).message}`); }
    }
    const timeoutMs = this.duration([...p, 'timeout'], o['timeout']);
    step.args = { ...o, node, nas, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
    const expect = (o['expect'] as string | undefined) ?? 'ack';
    const sel = [o['user'] !== undefined ? `user ${String(o['user'])}` : '', o['audit-session-id'] !== undefined ? `audit-session-id ${String(o['audit-session-id'])}` : '',
      o['session-id'] !== undefined ? `session-id ${String(o['session-id'])}` : '', o['framed-ip'] !== undefined ? `framed-ip ${String(o['framed-ip'])}` : ''].filter(Boolean).join(', ');
    step.title = `${node} sends a ${o['do'] === 'coa' ? 'CoA' : 'Disconnect'}-Request to ${nas} (${sel})${Object.keys(attrs).length ? ` with ${Object.keys(attrs).join(', ')}` : ''}: expects ${expect === 'no-answer' ? 'no answer' : expect.toUpperCase()}`;
  }

  private expect(step: Step, p: JsonPath, o: Raw): void {
    const types = Object.keys(o);
    if (types.length !== 1) {
      this.err(p, types.length ? `one expectation per step; this one has ${types.join(' and ')}` : `say what to expect: one of ${EXPECT_KINDS.join(', ')}`);
      return;
    }
    const type = types[0]!;
    const e = o[type] as Raw;
    const q: JsonPath = [...p, type];
    step.kind = `expect:${type}`;
    step.args = { ...e };
    const node = e['node'] !== undefined && e['node'] !== 'any' ? this.node([...q, 'node'], e['node']) : undefined;
    const peer = e['peer'] !== undefined ? this.target([...q, 'peer'], e['peer']) : undefined;
    const towards = peer ? ` towards ${peer}` : '';
    const count = (c: unknown, dflt: string) => (c === undefined ? dflt : typeof c === 'number' ? `${c}` : [isObj(c) && c['min'] !== undefined ? `at least ${String(c['min'])}` : '', isObj(c) && c['max'] !== undefined ? `at most ${String(c['max'])}` : ''].filter(Boolean).join(' and '));
    switch (type) {
      case 'ike-sa': {
        const authz = isObj(e['authorization']) ? e['authorization'] : {};
        for (const [k, v] of Object.entries(authz)) {
          if (!authorizationKey(k)) this.err([...q, 'authorization', k], `unknown authorization attribute "${k}"${didYouMean(k, AUTHORIZATION_KEYS)}`, 'key');
          const src = isObj(v) ? v['source'] : undefined;
          if (typeof src === 'string') {
            try { new RegExp(src); } catch (x) { this.err([...q, 'authorization', k, 'source'], `not a regular expression: ${(x as Error).message}`); }
          }
        }
        const props = Object.keys(e).filter((k) => !['node', 'peer', 'count', 'status'].includes(k));
        step.title = `${node} has ${count(e['count'], 'an')} ${e['status'] && e['status'] !== 'READY' ? `${String(e['status'])} ` : ''}IKE SA${e['count'] === 1 || e['count'] === undefined ? '' : 's'}${towards}${props.length ? ` (${props.map((k) => `${k} ${JSON.stringify(e[k])}`).join(', ')})` : ''}`;
        break;
      }
      case 'child-sa': {
        if (e['new-spis-since'] !== undefined) this.stepRef([...q, 'new-spis-since'], e['new-spis-since'], 'new-spis-since:');
        const props = Object.keys(e).filter((k) => !['node', 'peer', 'count'].includes(k));
        step.title = `${node} has ${count(e['count'], 'a')} CHILD SA${e['count'] === 1 || e['count'] === undefined ? '' : 's'}${towards}${props.length ? ` (${props.map((k) => `${k} ${JSON.stringify(e[k])}`).join(', ')})` : ''}`;
        break;
      }
      case 'tunnel': {
        const extra = [e['mtu'] !== undefined ? `MTU ${String(e['mtu'])}` : '', Array.isArray(e['derived-config']) ? `derived config [${(e['derived-config'] as string[]).join('; ')}]` : '',
          Array.isArray(e['acls']) ? `ACLs ${(e['acls'] as string[]).join(', ')}` : '',
          isObj(e['service-policy']) ? `service-policy ${Object.entries(e['service-policy']).map(([d, v]) => `${d} ${v === null ? 'none' : String(v)}`).join(', ')}` : '',
          isObj(e['access-group']) ? `access-group ${Object.entries(e['access-group']).map(([d, v]) => `${d} ${v === null ? 'none' : String(v)}`).join(', ')}` : ''].filter(Boolean);
        step.title = `${node} tunnel${e['interface'] ? ` ${String(e['interface'])}` : ''}${towards} is ${e['up'] === false ? 'down' : 'up'}${e['address'] ? ` with an address in ${String(e['address'])}` : ''}${Array.isArray(e['routes']) ? ` routing ${(e['routes'] as string[]).join(', ')}` : ''}${extra.length ? `, ${extra.join(', ')}` : ''}`;
        break;
      }
      case 'accounting': {
        const n = node ? this.lab.nodes.find((x) => x.name === node) : undefined;
        if (n && n.kind !== 'radius' && n.kind !== 'freeradius') this.err([...q, 'node'], `node "${node}" is a ${n.kind}; accounting is read from a radius or freeradius node`);
        if (e['since'] !== undefined) this.stepRef([...q, 'since'], e['since'], 'since:');
        this.sessionRef([...q, 'audit-session-id'], e['audit-session-id']);
        const attrs = (isObj(e['attributes']) ? e['attributes'] : {}) as Raw;
        for (const [k, v] of Object.entries(attrs)) {
          try { new RegExp(String(v)); } catch (x) { this.err([...q, 'attributes', k], `not a regular expression: ${(x as Error).message}`); }
        }
        const status = (e['status'] as string | undefined) ?? 'any';
        const parts = [e['user'] !== undefined ? `for "${String(e['user'])}"` : '', e['min-octets'] !== undefined ? `at least ${String(e['min-octets'])} octets each way` : '',
          e['min-packets'] !== undefined ? `at least ${String(e['min-packets'])} packets each way` : '', e['terminate-cause'] !== undefined ? `cause ${String(e['terminate-cause'])}` : ''].filter(Boolean);
        step.title = `${node} recorded ${count(e['count'], 'an')} accounting ${status === 'any' ? 'record' : status.charAt(0).toUpperCase() + status.slice(1)}${parts.length ? ` ${parts.join(', ')}` : ''}${e['since'] ? ` since "${String(e['since'])}"` : ''}`;
        break;
      }
      case 'show': {
        if (!(SHOW_VIEWS as readonly string[]).includes(String(e['view']))) this.err([...q, 'view'], `view must be one of: ${SHOW_VIEWS.join(', ')}; got "${String(e['view'])}"`);
        for (const k of ['match', 'absent']) {
          for (const [i, re] of ((e[k] as unknown[] | undefined) ?? []).entries()) {
            try { new RegExp(String(re), 'm'); } catch (x) { this.err([...q, k, String(i)], `not a regular expression: ${(x as Error).message}`); }
          }
        }
        step.title = `show ${String(e['view'])} on ${node}: ${((e['match'] as unknown[] | undefined) ?? []).length} golden line(s)${e['absent'] ? `, ${(e['absent'] as unknown[]).length} absent` : ''}`;
        break;
      }
      case 'resolver': {
        const parts = [Array.isArray(e['servers']) ? `DNS ${(e['servers'] as string[]).join(', ')}` : '', Array.isArray(e['split-dns']) ? `split DNS ${(e['split-dns'] as string[]).join(', ')}` : '',
          e['default-domain'] !== undefined ? `domain ${String(e['default-domain'])}` : ''].filter(Boolean);
        step.title = e['present'] === false ? `${node} has no resolver state from a configuration reply` : `${node} resolver${parts.length ? `: ${parts.join(', ')}` : ' state recorded'}`;
        break;
      }
      case 'counter': {
        if (!/^(ike|esp|child|udp4500)\.[\w.-]+$/.test(String(e['name']))) this.err([...q, 'name'], `counter names are ike.<name>, esp.<reason>, child.<packetsIn|packetsOut|bytesIn|bytesOut|dropsIn|dropsOut> or udp4500.<stat>; got "${String(e['name'])}"`);
        if (e['since'] !== undefined) this.stepRef([...q, 'since'], e['since'], 'since:');
        const rel = ['rising', 'equal', 'at-least', 'at-most'].filter((k) => e[k] !== undefined);
        if (!rel.length) this.err(q, 'say what the counter must do: rising, equal, at-least or at-most');
        for (const k of ['equal', 'at-least', 'at-most']) if (e[k] !== undefined && typeof e[k] !== 'number') this.err([...q, k], `expected a number, got ${JSON.stringify(e[k])}`);
        const what = rel.map((k) => (k === 'rising' ? (e[k] ? 'rises' : 'does not change') : `${k} ${String(e[k])}`)).join(', ');
        step.title = `${node} counter ${String(e['name'])}${e['since'] ? ` (increase since "${String(e['since'])}")` : ''} ${what}`;
        break;
      }
      case 'events': {
        if (e['since'] !== undefined) this.stepRef([...q, 'since'], e['since'], 'since:');
        if (!e['sequence'] && !e['absent']) this.err(q, 'give a sequence of events to see, or events that must be absent');
        for (const list of ['sequence', 'absent'] as const) {
          ((e[list] as Raw[] | undefined) ?? []).forEach((m, i) => {
            const r: JsonPath = [...q, list, i];
            const n = m['node'] ?? e['node'];
            if (n === undefined) this.err(r, 'which node logs this event? set node here or for the whole expectation');
            else if (n !== 'any') this.node(m['node'] !== undefined ? [...r, 'node'] : [...q, 'node'], n);
            if (m['peer'] !== undefined) this.target([...r, 'peer'], m['peer']);
            if (typeof m['text'] === 'string') {
              try { new RegExp(m['text']); } catch (x) { this.err([...r, 'text'], `not a regular expression: ${(x as Error).message}`); }
            }
            for (const k of ['not-before', 'not-after'] as const) {
              const ms = this.duration([...r, k], m[k]);
              if (ms !== undefined) m[`${k}Ms`] = ms;
            }
            const ap = m['after-previous'] as Raw | undefined;
            if (ap) {
              if (i === 0 || list === 'absent') this.err([...r, 'after-previous'], 'after-previous applies to the second and later events of a sequence', 'key');
              for (const k of ['min', 'max'] as const) {
                const ms = this.duration([...r, 'after-previous', k], ap[k]);
                if (ms !== undefined) m[`after-previous-${k}Ms`] = ms;
              }
            }
          });
        }
        const seq = ((e['sequence'] as Raw[] | undefined) ?? []).map((m) => `${String(m['type'])}${m['node'] && m['node'] !== e['node'] ? `@${String(m['node'])}` : ''}`);
        const absent = ((e['absent'] as Raw[] | undefined) ?? []).map((m) => String(m['type']));
        step.title = `${node ?? 'nodes'}: ${seq.length ? `events ${seq.join(' -> ')}` : ''}${seq.length && absent.length ? '; ' : ''}${absent.length ? `no ${absent.join(', ')}` : ''}${e['since'] ? ` since "${String(e['since'])}"` : ''}`;
        step.args = { ...e };
        break;
      }
      case 'traffic': {
        const flow = String(e['flow']);
        if (!this.flows.has(flow)) this.err([...q, 'flow'], `no traffic flow "${flow}" is started before this step${didYouMean(flow, this.flows.keys())}`);
        if (e['since'] !== undefined) this.stepRef([...q, 'since'], e['since'], 'since:');
        if (e['max-loss'] !== undefined) {
          const pc = parsePercent(e['max-loss']);
          if (typeof pc === 'string') this.err([...q, 'max-loss'], pc);
          else step.args['maxLossPct'] = pc;
        }
        if (e['max-gap'] !== undefined) step.args['maxGapMs'] = this.duration([...q, 'max-gap'], e['max-gap']);
        for (const [key, arg] of [['min-throughput', 'minBps'], ['max-throughput', 'maxBps']] as const) {
          if (e[key] === undefined) continue;
          const r = parseRate(e[key]);
          if (typeof r === 'string') this.err([...q, key], r);
          else step.args[arg] = r;
          if (this.flows.get(flow) !== 'tcp') this.err([...q, key], `throughput is measured on tcp flows; "${flow}" is a ${this.flows.get(flow) ?? 'ping'} flow`);
        }
        const parts = [e['max-loss'] !== undefined ? `loss at most ${String(e['max-loss'])}${/%/.test(String(e['max-loss'])) ? '' : '%'}` : '', e['max-lost'] !== undefined ? `at most ${String(e['max-lost'])} lost` : '',
          e['max-gap'] !== undefined ? `longest gap at most ${String(e['max-gap'])}` : '', e['min-received'] !== undefined ? `at least ${String(e['min-received'])} replies` : '',
          e['min-throughput'] !== undefined ? `throughput at least ${String(e['min-throughput'])}` : '', e['max-throughput'] !== undefined ? `throughput at most ${String(e['max-throughput'])}` : ''].filter(Boolean);
        if (!parts.length) this.err(q, 'say what to check: max-loss, max-lost, max-gap, min-received, min-throughput or max-throughput');
        step.title = `traffic "${flow}": ${parts.join(', ')}${e['since'] ? ` since "${String(e['since'])}"` : ''}`;
        break;
      }
      case 'reach': {
        const from = this.node([...q, 'from'], e['from']);
        const to = this.target([...q, 'to'], e['to']);
        step.title = `${from} ${e['reachable'] === false ? 'cannot reach' : 'reaches'} ${to}`;
        break;
      }
      case 'capture': {
        const link = this.link([...q, 'link'], e['link']);
        step.args['link'] = link;
        const parts = [e['ike-fragments'] !== undefined && e['ike-fragments'] !== false ? 'IKE fragments' : '', e['ike-fragments'] === false ? 'no IKE fragments' : '', e['decrypts'] ? 'everything decrypts' : '',
          e['esp'] !== undefined ? `${count(e['esp'], '')} ESP packets` : '', e['ike'] !== undefined ? `${count(e['ike'], '')} ${String(e['exchange'] ?? 'IKE')} messages` : '', e['nat-t'] ? 'NAT-T (UDP 4500)' : '',
          isObj(e['radius']) ? `RADIUS decodes${Array.isArray(e['radius']['codes']) ? ` (${(e['radius']['codes'] as string[]).join(', ')})` : ''}` : '',
          Array.isArray(e['frames']) ? `frames matching ${(e['frames'] as Raw[]).map((f) => `"${String(f['filter'])}"`).join(', ')}` : ''].filter(Boolean);
        if (!parts.length) this.err(q, 'say what the capture must show: ike-fragments, decrypts, esp, ike, nat-t, radius or frames');
        if (isObj(e['radius'])) {
          ((e['radius']['attributes'] as unknown[] | undefined) ?? []).forEach((x, i) => {
            if (!attrByName(String(x))) this.err([...q, 'radius', 'attributes', i], `unknown RADIUS attribute "${String(x)}"`);
          });
          ((e['radius']['codes'] as unknown[] | undefined) ?? []).forEach((x, i) => {
            if (!RADIUS_CODE_NAMES.includes(String(x))) this.err([...q, 'radius', 'codes', i], `unknown RADIUS code "${String(x)}"${didYouMean(String(x), RADIUS_CODE_NAMES)}`);
          });
        }
        step.title = `capture of ${link}: ${parts.join(', ')}`;
        break;
      }
      default:
        this.err([...p, type], `unknown expectation "${type}"${didYouMean(type, EXPECT_KINDS)}`, 'key');
    }
  }
}
