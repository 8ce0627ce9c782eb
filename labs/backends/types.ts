// The seam between the lab runtime and the thing that makes nodes and links. `netns` (namespaces
// and veth pairs on this machine) is the default; a `docker` backend can implement the same.

import type { RunOptions, RunResult } from '../command.ts';
import type { LabModel, NodeModel } from '../model.ts';
import type { JournalView, LabState } from '../state.ts';
import type { SpawnOptions, SupervisedProcess } from '../supervisor.ts';

export interface BackendDeployOptions {
  signal: AbortSignal;
  /** One line per step, for the user. */
  progress: (msg: string) => void;
}

export interface DestroyReport {
  processes: number;
  links: number;
  namespaces: number;
  /** Things that could not be removed (the lab state is kept when this is not empty). */
  failures: string[];
}

export interface InterfaceStatus {
  name: string;
  state: string;
  mtu: number;
  addresses: string[];
}

export interface NodeStatus {
  exists: boolean;
  interfaces: InterfaceStatus[];
}

export interface Backend {
  readonly name: string;
  /**
   * Makes the lab's nodes and links: namespaces, veth pairs, loopback, addresses, MTU, routes and
   * sysctls (the node's and its kind's). Journals each thing before creating it.
   */
  deploy(lab: LabModel, state: LabState, opts: BackendDeployOptions): Promise<void>;
  /** Removes what the journal says may exist, processes first; things already gone are fine. */
  destroy(view: JournalView, state: LabState | undefined): Promise<DestroyReport>;
  /** Runs a command inside a node; throws a readable error when it fails. Returns stdout. */
  exec(node: NodeModel, argv: string[], opts?: RunOptions): Promise<string>;
  /** Runs a command inside a node and returns its result whatever the exit code. */
  run(node: NodeModel, argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** The host command line that runs argv inside a node (for interactive use with inherited stdio). */
  execArgv(node: NodeModel, argv: string[]): string[];
  /** Starts a supervised long-running process inside a node (see labs/supervisor.ts). */
  spawn(state: LabState, node: NodeModel, name: string, argv: string[], log: string, opts?: SpawnOptions): Promise<SupervisedProcess>;
  /** Brings an interface back to its model settings: up, MTU, addresses, routes through it. */
  restoreInterface(node: NodeModel, ifname: string): Promise<void>;
  /** What the nodes look like now (for inspect). */
  status(lab: LabModel): Promise<Map<string, NodeStatus>>;
}
