// What a node kind is, and what it gets to work with. A kind is one file under labs/kinds/ and one
// line in labs/kinds/index.ts: the loader validates `config` with its configSchema, the backend
// applies its sysctls with the rest of the node's set-up, and deploy calls start() once the node's
// interfaces, addresses and routes are in place.

import type { JsonPath } from '../topology/diagnostics.ts';
import type { LabModel, NodeModel } from '../model.ts';
import type { SpawnOptions, SupervisedProcess } from '../supervisor.ts';

/** A problem a kind finds in a node (beyond what its configSchema can say), located in the node. */
export interface KindIssue {
  /** Path relative to the node entry, e.g. ['config', 'outside']. */
  path: JsonPath;
  message: string;
}

export interface NodeKind {
  name: string;
  /** One line for `flexlab inspect` and the docs. */
  description: string;
  /** JSON Schema (draft-07) of the node's `config` block; errors come out line-numbered like the rest. */
  configSchema?: object;
  /** Fills unset config values in place, after validation. */
  defaults?(node: NodeModel): void;
  /** Checks that need the whole lab, e.g. that a named interface exists. */
  validate?(node: NodeModel, lab: LabModel): KindIssue[];
  /** sysctls the kind needs (e.g. forwarding), applied before start() with the node's addresses. */
  sysctls?(node: NodeModel): Record<string, string>;
  /** Nodes start in increasing startOrder (default 50); nodes with the same order start together. */
  startOrder?: number;
  start(ctx: NodeContext): Promise<void>;
  /** Called by destroy before the node's processes are killed and its namespace removed. */
  stop?(ctx: NodeContext): Promise<void>;
}

export interface NodeContext {
  lab: LabModel;
  node: NodeModel;
  netns: string;
  /** The lab's state directory (journal, model); small files only. */
  stateDir: string;
  /** The lab's output directory (logs, captures, reports). */
  outDir: string;
  /** Aborted when deploy is interrupted (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
  /** Runs a command inside the node's namespace and returns its stdout; throws a readable error. */
  exec(argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /**
   * Starts a long-running process inside the namespace: own process group (setsid), stdout and
   * stderr to `<outDir>/logs/<node>.<name>.log`, recorded in the lab journal before it starts so
   * destroy kills it whatever happens to the deploying process.
   */
  spawn(name: string, argv: string[], opts?: SpawnOptions): Promise<SupervisedProcess>;
  log(msg: string): void;
}
