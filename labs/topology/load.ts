// Topology file -> validated LabModel. Three passes, each reporting every problem it finds before
// anything is created: YAML syntax and duplicate keys, the JSON Schema, then the checks a schema
// cannot express (names resolve, interfaces are used once, addresses parse, gateways are reachable).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../cli/errors.ts';
import { cidrContains, ipFamily, parseCidr } from '../../engine/util/ip.ts';
import type { Cidr } from '../../engine/util/ip.ts';
import { kinds } from '../kinds/index.ts';
import type { NodeKind } from '../kinds/index.ts';
import { linkId } from '../model.ts';
import type { Endpoint, InterfaceAddress, InterfaceModel, LabModel, LinkModel, NodeModel, RouteModel } from '../model.ts';
import { checkIfname, MAX_NETNS_NAME, NAME_PATTERN, netnsName } from '../names.ts';
import { didYouMean, formatPath, TopologyError } from './diagnostics.ts';
import type { Diagnostic, JsonPath } from './diagnostics.ts';
import { validateKindConfig, validateTopologyShape } from './schema.ts';
import { TopologySource } from './source.ts';

export interface LoadOptions {
  /** Lab name to use instead of the file's `name` (deploy the same file twice side by side). */
  name?: string;
  /** Absolute path of the file, so kinds can resolve files named relative to it while validating. */
  sourceFile?: string;
}

export interface LoadedTopology {
  lab: LabModel;
  /** Things accepted but not used (containerlab container settings), one line each. */
  warnings: string[];
}

/** How a file is named in diagnostics: relative to the working directory when below it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function loadTopologyFile(file: string, opts: LoadOptions = {}): LoadedTopology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read topology file ${file}: ${(e as Error).message}`);
  }
  const loaded = parseTopology(text, displayPath(file), { ...opts, sourceFile: path.resolve(file) });
  loaded.lab.file = path.resolve(file);
  return loaded;
}

/** The lab name a topology file declares, read leniently (destroy -t must work on a broken file). */
export function topologyName(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read topology file ${file}: ${(e as Error).message}`);
  }
  const src = new TopologySource(displayPath(file), text);
  const data = src.toJS() as { name?: unknown } | null;
  if (typeof data?.name !== 'string') throw new UserError(`${displayPath(file)}: no lab name (top-level "name" key)`);
  return data.name;
}

export function parseTopology(text: string, file: string, opts: LoadOptions = {}): LoadedTopology {
  const src = new TopologySource(file, text);
  if (src.doc.errors.length) throw new TopologyError(src.syntaxErrors);
  const b = new ModelBuilder(src, opts);
  const lab = b.build();
  const diags = [...src.syntaxErrors, ...b.diags];
  if (diags.length || !lab) throw new TopologyError(sortDiagnostics(diags));
  return { lab, warnings: b.warnings() };
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return d
    .filter((x) => { const k = `${x.line}:${x.col}:${x.message}`; return !seen.has(k) && !!seen.add(k); })
    .sort((a, b) => a.line - b.line || a.col - b.col);
}

type Raw = Record<string, unknown>;
const isObj = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);

/** containerlab node settings that only mean something for containers: accepted, reported, unused. */
const CONTAINER_ONLY = new Set([
  'image', 'image-pull-policy', 'restart-policy', 'license', 'type', 'startup-config', 'startup-delay',
  'enforce-startup-config', 'suppress-startup-config', 'auto-remove', 'binds', 'volumes', 'ports',
  'env-files', 'credentials', 'user', 'hostname', 'entrypoint', 'cmd', 'runtime', 'mgmt-ipv4', 'mgmt-ipv6',
  'link-apply-mode', 'cpu', 'memory', 'cpu-set', 'extras', 'stages', 'dns', 'certificate', 'healthcheck',
  'components', 'aliases', 'shm-size', 'cap-add', 'privileged', 'cgroupns-mode', 'cgroup-parent', 'pid-mode',
  'tmpfs', 'security-opts', 'devices',
]);

/** One place a node's settings come from: the node itself, its group, kinds.<kind>, defaults. */
interface Source {
  path: JsonPath;
  data: Raw;
}

interface IfaceDraft {
  iface: InterfaceModel;
  /** Where the interface was declared under the node's `interfaces`, if it was. */
  declaredAt?: JsonPath;
  declaredType?: 'veth' | 'dummy';
  /** Index in topology.links of the link it is an endpoint of. */
  linkIndex?: number;
}

interface NodeDraft {
  name: string;
  path: JsonPath;
  sources: Source[];
  kind?: NodeKind;
  model: NodeModel;
  ifaces: Map<string, IfaceDraft>;
}

class ModelBuilder {
  readonly diags: Diagnostic[] = [];
  private readonly ignored = new Map<string, Set<string>>();
  private readonly notes: string[] = [];
  private readonly data: Raw;

  constructor(private readonly src: TopologySource, private readonly opts: LoadOptions) {
    const data = src.toJS();
    this.data = isObj(data) ? data : {};
    if (!isObj(data)) this.err([], `expected a map with "name" and "topology", got ${data === null ? 'an empty file' : typeof data}`);
  }

  private err(p: JsonPath, message: string, at: 'key' | 'value' = 'value'): void {
    this.diags.push(this.src.diagnostic(p, message, at));
  }

  warnings(): string[] {
    const out = [...this.notes];
    for (const [key, nodes] of this.ignored) {
      out.push(`"${key}" is a container setting, ignored by the netns backend (nodes: ${[...nodes].join(', ')})`);
    }
    return out;
  }

  build(): LabModel | undefined {
    for (const issue of validateTopologyShape(this.data)) this.err(issue.path, issue.message, issue.at);

    const name = this.opts.name ?? this.data['name'];
    if (this.opts.name !== undefined && !NAME_PATTERN.test(this.opts.name)) {
      throw new UserError(`lab name "${this.opts.name}" is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit`);
    }
    const labName = typeof name === 'string' && NAME_PATTERN.test(name) ? name : undefined;
    for (const k of ['prefix', 'mgmt', 'settings']) {
      if (k in this.data) this.notes.push(`"${k}" is a containerlab setting, ignored: namespaces are always flx-<lab>-<node> and never linked to the host`);
    }

    const topo = isObj(this.data['topology']) ? this.data['topology'] : {};
    const nodesRaw = isObj(topo['nodes']) ? topo['nodes'] : {};
    if (Object.keys(nodesRaw).length === 0 && isObj(this.data['topology'])) this.err(['topology'], 'the topology has no nodes (topology.nodes)');

    const drafts = new Map<string, NodeDraft>();
    for (const [nodeName, raw] of Object.entries(nodesRaw)) {
      const d = this.node(nodeName, raw, topo, labName ?? 'lab');
      drafts.set(nodeName, d);
      if (labName) {
        const ns = netnsName(labName, nodeName);
        if (ns.length > MAX_NETNS_NAME) {
          this.err(['topology', 'nodes', nodeName], `namespace name "${ns}" is ${ns.length} characters long; at most ${MAX_NETNS_NAME} (shorten the lab or node name)`, 'key');
        }
      }
    }
    const links = this.links(topo, drafts);
    for (const d of drafts.values()) this.unlinkedInterfaces(d);
    this.duplicateAddresses(drafts);
    for (const d of drafts.values()) this.routes(d);
    if (this.diags.length === 0) {
      for (const d of drafts.values()) this.kindChecks(d, drafts);
    }
    if (this.diags.length || !labName) return undefined;

    return { name: labName, nodes: [...drafts.values()].map((d) => d.model), links };
  }

  // ---- nodes ----

  private node(name: string, raw: unknown, topo: Raw, labName: string): NodeDraft {
    const nodePath = ['topology', 'nodes', name];
    if (!NAME_PATTERN.test(name)) {
      this.err(nodePath, `node name "${name}" is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit`, 'key');
    }
    const own = isObj(raw) ? raw : {};
    const defaults = isObj(topo['defaults']) ? topo['defaults'] : {};
    const sources: Source[] = [{ path: nodePath, data: own }];

    const groupName = own['group'] ?? defaults['group'];
    if (typeof groupName === 'string') {
      const groups = isObj(topo['groups']) ? topo['groups'] : {};
      const g = groups[groupName];
      if (isObj(g)) sources.push({ path: ['topology', 'groups', groupName], data: g });
      else {
        const at = 'group' in own ? [...nodePath, 'group'] : ['topology', 'defaults', 'group'];
        this.err(at, `group "${groupName}" is not defined in topology.groups${didYouMean(groupName, Object.keys(groups))}`);
      }
    }
    const defaultsSource: Source = { path: ['topology', 'defaults'], data: defaults };
    const kindFrom = [...sources, defaultsSource].find((s) => typeof s.data['kind'] === 'string');
    const kindName = kindFrom?.data['kind'] as string | undefined;
    if (kindName !== undefined) {
      const kindsRaw = isObj(topo['kinds']) ? topo['kinds'] : {};
      if (isObj(kindsRaw[kindName])) sources.push({ path: ['topology', 'kinds', kindName], data: kindsRaw[kindName] as Raw });
    }
    sources.push(defaultsSource);

    let kind: NodeKind | undefined;
    if (kindName === undefined) {
      if (!('kind' in own)) this.err(nodePath, `node "${name}" has no kind (set kind here or in topology.defaults)`, 'key');
    } else {
      kind = kinds.get(kindName);
      if (!kind) {
        this.err([...kindFrom!.path, 'kind'], `unknown kind "${kindName}"${didYouMean(kindName, kinds.keys())}; known kinds: ${[...kinds.keys()].join(', ')}`);
      }
    }

    for (const s of sources) {
      for (const key of Object.keys(s.data)) if (CONTAINER_ONLY.has(key)) {
        if (!this.ignored.has(key)) this.ignored.set(key, new Set());
        this.ignored.get(key)!.add(s.path === nodePath ? name : formatPath(s.path));
      }
    }
    const pick = (field: string) => sources.find((s) => field in s.data && s.data[field] !== undefined);
    const merged = (field: string): Raw => {
      let out: Raw = {};
      for (const s of [...sources].reverse()) if (isObj(s.data[field])) out = deepMerge(out, s.data[field] as Raw);
      return out;
    };

    const mode = pick('network-mode');
    if (mode && mode.data['network-mode'] === 'host') {
      this.err([...mode.path, 'network-mode'], 'network-mode "host" would put the node in the host namespace; lab nodes always get their own namespace');
    }
    const strings = (r: Raw) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]));
    const execSrc = pick('exec');
    const image = pick('image')?.data['image'];
    const model: NodeModel = {
      name,
      kind: kindName ?? '',
      netns: netnsName(labName, name),
      ...(typeof groupName === 'string' ? { group: groupName } : {}),
      interfaces: [],
      routes: [],
      config: merged('config'),
      sysctls: strings(merged('sysctls')),
      exec: Array.isArray(execSrc?.data['exec']) ? (execSrc!.data['exec'] as unknown[]).map(String) : [],
      env: strings(merged('env')),
      labels: strings(merged('labels')),
      ...(typeof image === 'string' ? { image } : {}),
    };
    const draft: NodeDraft = { name, path: nodePath, sources, model, ifaces: new Map(), ...(kind ? { kind } : {}) };

    if (kind?.configSchema) {
      for (const issue of validateKindConfig(kind.name, kind.configSchema, model.config)) {
        const forKind = issue.message.startsWith('missing') ? ` (kind ${kind.name})` : '';
        this.err(this.originOf(draft, ['config', ...issue.path]), `${issue.message}${forKind}`, issue.at);
      }
    }
    const ifSrc = pick('interfaces');
    if (ifSrc && isObj(ifSrc.data['interfaces'])) {
      for (const [ifname, ifRaw] of Object.entries(ifSrc.data['interfaces'] as Raw)) {
        this.declaredInterface(draft, ifname, isObj(ifRaw) ? ifRaw : {}, [...ifSrc.path, 'interfaces', ifname]);
      }
    }
    return draft;
  }

  /** The path, among the node's sources, that holds `rel` (a path relative to a node entry). */
  private originOf(d: NodeDraft, rel: JsonPath): JsonPath {
    for (let len = rel.length; len > 0; len--) {
      for (const s of d.sources) {
        if (hasPath(s.data, rel.slice(0, len))) return [...s.path, ...rel];
      }
    }
    return [...d.path, ...rel];
  }

  private declaredInterface(d: NodeDraft, ifname: string, raw: Raw, p: JsonPath): void {
    const bad = checkIfname(ifname);
    if (bad) this.err(p, bad, 'key');
    const type = raw['type'] === 'dummy' || raw['type'] === 'veth' ? raw['type'] : undefined;
    const iface: InterfaceModel = {
      name: ifname,
      type: ifname === 'lo' ? 'loopback' : type ?? 'veth',
      addresses: [],
      ...(typeof raw['mtu'] === 'number' ? { mtu: raw['mtu'] } : {}),
      ...(typeof raw['mac'] === 'string' ? { mac: raw['mac'] } : {}),
    };
    for (const fam of [4, 6] as const) {
      const key = `ipv${fam}`;
      const v = raw[key];
      const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : [];
      list.forEach((text, i) => {
        if (typeof text !== 'string') return;
        const ap = Array.isArray(v) ? [...p, key, i] : [...p, key];
        const a = this.address(text, fam, ap);
        if (a) iface.addresses.push(a);
      });
    }
    d.ifaces.set(ifname, { iface, declaredAt: p, ...(type ? { declaredType: type } : {}) });
  }

  private readonly addressPaths = new WeakMap<InterfaceAddress, JsonPath>();

  private address(text: string, family: 4 | 6, p: JsonPath): InterfaceAddress | undefined {
    const c = parseCidr(text);
    if (typeof c === 'string') {
      this.err(p, `invalid address: ${c}`);
      return undefined;
    }
    if (c.family !== family) {
      this.err(p, `"${text}" is an IPv${c.family} address; put it under ipv${c.family}`);
      return undefined;
    }
    const subnet = `${c.network}/${c.prefix}`;
    if ((c.family === 4 && c.prefix < 31 && (c.address === c.network || c.address === c.last))) {
      this.err(p, `"${text}" is the ${c.address === c.network ? 'network' : 'broadcast'} address of ${subnet}, not a host address`);
      return undefined;
    }
    const a: InterfaceAddress = { family, address: c.address, prefix: c.prefix, cidr: `${c.address}/${c.prefix}`, subnet };
    this.addressPaths.set(a, p);
    return a;
  }

  // ---- links ----

  private links(topo: Raw, drafts: Map<string, NodeDraft>): LinkModel[] {
    const out: LinkModel[] = [];
    const usedBy = new Map<string, number>();
    const rawLinks = Array.isArray(topo['links']) ? topo['links'] : [];
    rawLinks.forEach((raw, i) => {
      if (!isObj(raw)) return;
      const lp: JsonPath = ['topology', 'links', i];
      const type = raw['type'];
      if (type !== undefined && type !== 'veth') {
        const toHost = ['host', 'macvlan', 'mgmt-net'].includes(String(type));
        this.err([...lp, 'type'], toHost
          ? `link type "${String(type)}" would connect the lab to the host's network; lab namespaces are never linked to the host namespace`
          : `link type "${String(type)}" is not supported by the netns backend (only veth links)`);
        return;
      }
      const eps = Array.isArray(raw['endpoints']) ? raw['endpoints'] : [];
      if (eps.length !== 2) return; // the schema has said so
      const ends: (Endpoint | undefined)[] = eps.map((ep, j) => {
        const ep_p: JsonPath = [...lp, 'endpoints', j];
        let node: unknown, ifname: unknown;
        if (typeof ep === 'string') {
          const m = /^([^:\s]+):(\S+)$/.exec(ep);
          if (!m) { this.err(ep_p, `"${ep}" is not in node:interface form (for example "hub:eth1")`); return undefined; }
          [node, ifname] = [m[1], m[2]];
        } else if (isObj(ep)) {
          [node, ifname] = [ep['node'], ep['interface']];
        } else return undefined;
        if (typeof node !== 'string' || typeof ifname !== 'string') return undefined;
        const at = typeof ep === 'string' ? ep_p : [...ep_p, 'node'];
        if (!drafts.has(node)) {
          this.err(at, `node "${node}" is not defined${didYouMean(node, drafts.keys())}`);
          return undefined;
        }
        const bad = checkIfname(ifname);
        if (bad) { this.err(typeof ep === 'string' ? ep_p : [...ep_p, 'interface'], bad); return undefined; }
        const key = `${node}:${ifname}`;
        const prev = usedBy.get(key);
        if (prev !== undefined) {
          this.err(ep_p, `interface ${key} is already used by ${prev === i ? 'the other end of this link' : formatPath(['topology', 'links', prev])}; an interface can be the endpoint of one link only`);
          return undefined;
        }
        usedBy.set(key, i);
        return { node, interface: ifname };
      });
      if (!ends[0] || !ends[1]) return;
      const [a, b] = ends as [Endpoint, Endpoint];
      const mtu = typeof raw['mtu'] === 'number' ? raw['mtu'] : undefined;
      const link: LinkModel = { id: linkId(a, b), a, b, capture: raw['capture'] === true, ...(mtu ? { mtu } : {}) };
      out.push(link);
      [a, b].forEach((end, j) => {
        const peer = j === 0 ? b : a;
        const d = drafts.get(end.node)!;
        let draft = d.ifaces.get(end.interface);
        if (draft?.declaredType === 'dummy') {
          this.err([...lp, 'endpoints', j], `interface ${end.node}:${end.interface} is declared "type: dummy" but is a link endpoint`);
        }
        if (!draft) {
          draft = { iface: { name: end.interface, type: 'veth', addresses: [] } };
          d.ifaces.set(end.interface, draft);
        }
        draft.linkIndex = i;
        const iface = draft.iface;
        iface.link = link.id;
        iface.peer = peer;
        if (iface.mtu === undefined && mtu !== undefined) iface.mtu = mtu;
        const ep = eps[j];
        for (const fam of [4, 6] as const) {
          const key = `ipv${fam}`;
          if (isObj(ep) && typeof ep[key] === 'string') {
            const addr = this.address(ep[key] as string, fam, [...lp, 'endpoints', j, key]);
            if (addr) iface.addresses.push(addr);
          }
          const brief = raw[key];
          if (Array.isArray(brief) && typeof brief[j] === 'string' && brief[j] !== '') {
            const addr = this.address(brief[j] as string, fam, [...lp, key, j]);
            if (addr) iface.addresses.push(addr);
          }
        }
      });
    });
    return out;
  }

  private unlinkedInterfaces(d: NodeDraft): void {
    const linked = [...d.ifaces.values()].filter((x) => x.iface.link).map((x) => x.iface.name);
    for (const x of d.ifaces.values()) {
      if (x.iface.link || x.iface.type !== 'veth' || !x.declaredAt || checkIfname(x.iface.name)) continue;
      this.err(x.declaredAt, `interface "${x.iface.name}" of node "${d.name}" is not an endpoint of any link${didYouMean(x.iface.name, linked)}; add a link, or set "type: dummy" for a standalone interface`, 'key');
    }
    // lo first, then link endpoints in link order, then standalone interfaces.
    const order = (x: IfaceDraft) => (x.iface.type === 'loopback' ? -1 : x.iface.type === 'veth' ? x.linkIndex ?? 1e9 : 2e9);
    d.model.interfaces = [...d.ifaces.values()].sort((a, b) => order(a) - order(b)).map((x) => x.iface);
  }

  private duplicateAddresses(drafts: Map<string, NodeDraft>): void {
    const seen = new Map<string, string>();
    for (const d of drafts.values()) {
      for (const iface of d.model.interfaces) {
        for (const a of iface.addresses) {
          const where = `${d.name}:${iface.name}`;
          const prev = seen.get(a.address);
          if (prev !== undefined) {
            this.err(this.addressPaths.get(a) ?? d.path, `address ${a.address} is already assigned to ${prev}`);
          } else seen.set(a.address, where);
        }
      }
    }
  }

  // ---- routes ----

  private routes(d: NodeDraft): void {
    const src = d.sources.find((s) => Array.isArray(s.data['routes']));
    if (!src) return;
    const seen = new Set<string>();
    (src.data['routes'] as unknown[]).forEach((raw, k) => {
      if (!isObj(raw)) return;
      const rp: JsonPath = [...src.path, 'routes', k];
      const via = typeof raw['via'] === 'string' ? raw['via'] : undefined;
      const dev = typeof raw['dev'] === 'string' ? raw['dev'] : undefined;
      const metric = typeof raw['metric'] === 'number' ? raw['metric'] : undefined;
      const dstText = raw['dst'];
      if (typeof dstText !== 'string') return;
      if (via === undefined && dev === undefined) {
        this.err(rp, 'a route needs "via" (a gateway) or "dev" (an interface), or both');
        return;
      }
      const viaFamily = via !== undefined ? ipFamily(via) : 0;
      if (via !== undefined && !viaFamily) {
        this.err([...rp, 'via'], `"${via}" is not an IPv4 or IPv6 address`);
        return;
      }
      let dst: Cidr;
      if (dstText === 'default' || dstText === 'default6') {
        const fam = dstText === 'default6' ? 6 : viaFamily || 4;
        dst = parseCidr(fam === 4 ? '0.0.0.0/0' : '::/0') as Cidr;
      } else {
        const c = parseCidr(dstText);
        if (typeof c === 'string') { this.err([...rp, 'dst'], `invalid destination: ${c}`); return; }
        if (c.address !== c.network) {
          this.err([...rp, 'dst'], `destination "${dstText}" has host bits set (did you mean "${c.network}/${c.prefix}"?)`);
          return;
        }
        dst = c;
      }
      if (viaFamily && viaFamily !== dst.family) {
        this.err([...rp, 'via'], `gateway ${via} is IPv${viaFamily} but the destination ${dst.network}/${dst.prefix} is IPv${dst.family}`);
        return;
      }
      const ifaces = d.model.interfaces;
      if (dev !== undefined && !ifaces.some((i) => i.name === dev)) {
        this.err([...rp, 'dev'], `node "${d.name}" has no interface "${dev}"${didYouMean(dev, ifaces.map((i) => i.name))}`);
        return;
      }
      if (via !== undefined) {
        const candidates = ifaces.filter((i) => dev === undefined || i.name === dev);
        const linkLocal = viaFamily === 6 && /^fe[89ab]/i.test(via);
        const onSubnet = candidates.some((i) => i.addresses.some((a) => {
          const c = parseCidr(a.cidr) as Cidr;
          return cidrContains(c, via);
        }));
        const isOwn = ifaces.some((i) => i.addresses.some((a) => a.address === (parseCidr(`${via}/${viaFamily === 4 ? 32 : 128}`) as Cidr).address));
        if (isOwn) {
          this.err([...rp, 'via'], `gateway ${via} is an address of node "${d.name}" itself`);
          return;
        }
        if (!onSubnet && !(linkLocal && dev !== undefined)) {
          const have = candidates.flatMap((i) => i.addresses.filter((a) => a.family === viaFamily).map((a) => `${i.name} ${a.cidr}`));
          this.err([...rp, 'via'], `gateway ${via} is not reachable: it is on no subnet of node "${d.name}"${dev ? ` interface ${dev}` : ''} (${have.length ? have.join(', ') : `no IPv${viaFamily} addresses`})`);
          return;
        }
      }
      const route: RouteModel = {
        family: dst.family, dst: `${dst.network}/${dst.prefix}`,
        ...(via !== undefined ? { via: (parseCidr(`${via}/${viaFamily === 4 ? 32 : 128}`) as Cidr).address } : {}),
        ...(dev !== undefined ? { dev } : {}),
        ...(metric !== undefined ? { metric } : {}),
      };
      const key = `${route.dst} ${route.metric ?? 0}`;
      if (seen.has(key)) {
        this.err(rp, `a route to ${route.dst}${route.metric !== undefined ? ` with metric ${route.metric}` : ''} is already defined for node "${d.name}"`);
        return;
      }
      seen.add(key);
      d.model.routes.push(route);
    });
  }

  // ---- kind-specific checks (after everything else is known to be sound) ----

  private kindChecks(d: NodeDraft, drafts: Map<string, NodeDraft>): void {
    if (!d.kind) return;
    d.kind.defaults?.(d.model);
    const lab: LabModel = { name: '', file: this.opts.sourceFile, nodes: [...drafts.values()].map((x) => x.model), links: [] };
    for (const issue of d.kind.validate?.(d.model, lab) ?? []) {
      this.err(this.originOf(d, issue.path), issue.message);
    }
  }
}

function hasPath(data: unknown, p: JsonPath): boolean {
  let cur: unknown = data;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object' || !(String(seg) in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return true;
}

function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Raw, v) : v;
  return out;
}
