// Errors in a topology file, each located at file:line:col and named by its JSON path, so the user
// can jump to it: `topologies/bad.yaml:14:7: topology.links[2].endpoints[1]: node "spok1" is not defined`.

import { UserError } from '../../cli/errors.ts';

export type JsonPath = readonly (string | number)[];

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  path: JsonPath;
  message: string;
}

/** `topology.links[2].endpoints[1]`; keys that are not plain words are quoted: `nodes["a b"]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(top level)';
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path.length ? `${formatPath(d.path)}: ` : ''}${d.message}`;
}

/** Every error found in a topology file; nothing was created. */
export class TopologyError extends UserError {
  constructor(readonly diagnostics: Diagnostic[]) {
    const n = diagnostics.length;
    super(`${diagnostics.map(formatDiagnostic).join('\n')}\n${n} error${n === 1 ? '' : 's'} in topology; nothing was created`);
  }
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean "${c}"?)` : '';
}
