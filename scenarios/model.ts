// What a scenario file means once loaded: the lab model to deploy, and a timeline of steps, each
// one action or one expectation, with its timing and where it was written (for error messages and
// reports). Plain data: the JSON report embeds it.

import type { LabModel } from '../labs/model.ts';

export interface Scenario {
  name: string;
  description?: string;
  features: string[];
  /** The scenario file (absolute). */
  file: string;
  /** The scenario file as shown to users (relative to the working directory when below it). */
  displayFile: string;
  /** Topology file (absolute), or the scenario file for an inline topology. */
  topologyFile: string;
  lab: LabModel;
  /** Links (ids) captured from deploy on. */
  capture: string[];
  timeoutMs: number;
  defaultWithinMs: number;
  continueOnFailure: boolean;
  steps: Step[];
  vars: Record<string, string | number | boolean>;
}

export interface StepTiming {
  /** Absolute start from the beginning of the timeline (ms), or relative to a named step's end. */
  at?: { ms: number; step?: string };
  /** Start this long after the previous step ended (ms). */
  afterMs?: number;
  /** Expectations: deadline (ms) for it to become true. */
  withinMs?: number;
  /** Expectations: it must stay true this long (ms). */
  forMs?: number;
}

export interface Step extends StepTiming {
  index: number;
  name?: string;
  description?: string;
  /** The step's kind: the action key, or `expect:<type>`. */
  kind: string;
  /** One line saying what the step does: "blackhole spoke1--wan (both directions)". */
  title: string;
  /** The action's or expectation's arguments, variables substituted. */
  args: Record<string, unknown>;
  continueOnFailure?: boolean;
  /** Where the step is written: "scenarios/dpd.yaml:31". */
  where: string;
  line: number;
}

export const ACTION_KINDS = [
  'deploy', 'destroy', 'link-down', 'link-up', 'blackhole', 'loss', 'rate', 'mtu', 'nat-rebind', 'restore',
  'daemon', 'clear', 'initiate', 'terminate', 'rekey', 'dpd', 'start-traffic', 'stop-traffic', 'exec',
  'capture-start', 'capture-stop', 'wait', 'snapshot', 'note', 'ike-init-burst', 'radius', 'track', 'client', 'dns', 'expect',
] as const;

export const EXPECT_KINDS = ['ike-sa', 'child-sa', 'tunnel', 'counter', 'events', 'traffic', 'reach', 'capture', 'accounting', 'resolver', 'show'] as const;

/**
 * Actions whose effect on SAs the report shows with SA tables before and after: faults, their
 * undoing, daemon failures, and what a peer, an attacker or the AAA server does to the SAs (clear,
 * delete, rekey, a spoofed IKE_SA_INIT burst, a RADIUS Disconnect or CoA).
 */
export const FAULT_KINDS = new Set(['link-down', 'link-up', 'blackhole', 'loss', 'rate', 'mtu', 'nat-rebind', 'restore', 'daemon',
  'clear', 'terminate', 'rekey', 'ike-init-burst', 'radius', 'track', 'client', 'dns']);

export const STEP_COMMON_KEYS = new Set(['name', 'description', 'at', 'after', 'within', 'for', 'continue-on-failure']);
