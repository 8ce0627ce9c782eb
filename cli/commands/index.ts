// Registry of CLI verbs. A module exports `register(program)`; list it here.
import type { Command } from 'commander';
import { register as capture } from './capture.ts';
import { register as client } from './client.ts';
import { register as daemon } from './daemon.ts';
import { register as demo } from './demo.ts';
import { register as deploy } from './deploy.ts';
import { register as destroy } from './destroy.ts';
import { register as dns } from './dns.ts';
import { register as exec } from './exec.ts';
import { register as fault } from './fault.ts';
import { register as graph } from './graph.ts';
import { register as inspect } from './inspect.ts';
import { register as interop } from './interop.ts';
import { register as radius } from './radius.ts';
import { register as run } from './run.ts';
import { register as show } from './show.ts';
import { register as validate } from './validate.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [validate, deploy, destroy, inspect, exec, graph, fault, capture, demo, daemon, show, run, interop, radius, client, dns];
