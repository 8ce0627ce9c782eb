// Values in scenario files: ${expressions} over the scenario's vars, durations ("500ms", "2s",
// "1.5m" or a number of seconds), percentages and rates. Errors are plain strings; the loader
// locates them in the file.

export type Vars = Record<string, string | number | boolean>;

/**
 * Evaluates an arithmetic expression over vars: numbers, names, + - * / % and parentheses. A
 * small recursive-descent parser rather than eval(), so a scenario file cannot run code.
 */
export function evalExpr(src: string, vars: Vars): number | string | boolean {
  const tokens = src.match(/\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*|\S)/g)?.map((t) => t.trim()) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const fail = (msg: string): never => { throw new Error(`in \${${src}}: ${msg}`); };
  const primary = (): number | string | boolean => {
    const t = tokens[i++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') fail('missing ")"');
      return v;
    }
    if (t === '-') return -num(primary());
    if (/^\d/.test(t)) return Number(t);
    if (/^[A-Za-z_]/.test(t)) {
      if (!(t in vars)) fail(`unknown variable "${t}" (vars: ${Object.keys(vars).join(', ') || 'none'})`);
      return vars[t]!;
    }
    return fail(`unexpected "${t}"`);
  };
  const num = (v: number | string | boolean): number => {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) fail(`${JSON.stringify(v)} is not a number`);
    return n;
  };
  const product = (): number | string | boolean => {
    let v = primary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = tokens[i++];
      const r = num(primary());
      v = op === '*' ? num(v) * r : op === '/' ? num(v) / r : num(v) % r;
    }
    return v;
  };
  const sum = (): number | string | boolean => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[i++];
      const r = num(product());
      v = op === '+' ? num(v) + r : num(v) - r;
    }
    return v;
  };
  const v = sum();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return v;
}

/** Substitutes ${...} in a string: the whole string as one expression keeps its type. */
export function substitute(text: string, vars: Vars): string | number | boolean {
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole) return evalExpr(whole[1]!, vars);
  return text.replace(/\$\{([^}]*)\}/g, (_, e: string) => {
    const v = evalExpr(e, vars);
    return typeof v === 'number' ? String(Number(v.toFixed(6))) : String(v);
  });
}

/** Milliseconds from a duration: seconds as a number, or "250ms", "2s", "1.5m", "3" (seconds). */
export function parseDuration(v: unknown): number | string {
  if (typeof v === 'number') return v >= 0 ? Math.round(v * 1000) : `a duration cannot be negative (${v})`;
  if (typeof v !== 'string') return `expected a duration (2s, 500ms, 1.5m or seconds), got ${JSON.stringify(v)}`;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(v);
  if (!m) return `"${v}" is not a duration (write 2s, 500ms, 1.5m or a number of seconds)`;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

/** A percentage from 2, "2%" or "0.5 %". */
export function parsePercent(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(v) : null;
  return m ? Number(m[1]) : `"${String(v)}" is not a percentage`;
}

/** Bits per second from "10 Mbit/s", "500kbit", "1.5G", "2000000". */
export function parseRate(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG])?\s*(bit|bps|b)?(\/s)?\s*$/.exec(v) : null;
  if (!m) return `"${String(v)}" is not a rate (write 10 Mbit/s, 500kbit or bits per second)`;
  const mult = { k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * mult;
}

export function formatMs(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatRate(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)} kbit/s`;
  return `${bps.toFixed(0)} bit/s`;
}
