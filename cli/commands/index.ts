// Registry of CLI verbs. A module exports `register(program)`; list it here.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
