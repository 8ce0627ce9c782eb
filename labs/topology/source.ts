// A topology file parsed with its positions kept: JSON paths map back to line and column, and
// duplicate keys (which the plain JS value would silently merge) are found here. YAML merge keys
// (`<<: *anchor`) are honoured, so nodes can share a config block.

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { Diagnostic, JsonPath } from './diagnostics.ts';

export class TopologySource {
  readonly lineCounter = new LineCounter();
  readonly doc: Document;
  /** YAML syntax errors and duplicate keys. */
  readonly syntaxErrors: Diagnostic[] = [];

  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, uniqueKeys: false, prettyErrors: false, merge: true });
    for (const e of this.doc.errors) {
      const { line, col } = this.lineCounter.linePos(e.pos[0]);
      this.syntaxErrors.push({ file, line, col, path: [], message: `YAML syntax: ${e.message.split('\n')[0]}` });
    }
    if (this.doc.errors.length === 0) this.findDuplicateKeys(this.doc.contents as YamlNode | null, []);
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  private findDuplicateKeys(node: YamlNode | null, path: (string | number)[]): void {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as YamlNode | null;
        const first = seen.get(key);
        if (first !== undefined) {
          const here = this.pos(keyNode?.range?.[0] ?? 0);
          const what = path.length === 2 && path[0] === 'topology' && path[1] === 'nodes' ? `duplicate node name "${key}"` : `duplicate key "${key}"`;
          this.syntaxErrors.push({ file: this.file, ...here, path: [...path, key], message: `${what} (first defined on line ${first})` });
        } else {
          seen.set(key, this.pos(keyNode?.range?.[0] ?? 0).line);
        }
        this.findDuplicateKeys(pair.value as YamlNode | null, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.findDuplicateKeys(item as YamlNode | null, [...path, i]));
    }
  }

  private pos(offset: number): { line: number; col: number } {
    return this.lineCounter.linePos(offset);
  }

  /**
   * Line and column of the thing at `path`: the key itself when `at` is 'key' (unknown or duplicate
   * keys), else its value. A path that does not exist in the file (a missing key) resolves to the
   * deepest part that does.
   */
  locate(path: JsonPath, at: 'key' | 'value' = 'value'): { line: number; col: number } {
    let node = this.doc.contents as YamlNode | null;
    let offset = node?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        const keyNode = pair.key as YamlNode | null;
        const valueNode = pair.value as YamlNode | null;
        offset = (last && at === 'key') || !valueNode?.range ? keyNode?.range?.[0] ?? offset : valueNode.range[0];
        node = valueNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | undefined;
        if (!item?.range) break;
        offset = item.range[0];
        node = item;
      } else {
        break;
      }
    }
    return this.pos(offset);
  }

  diagnostic(path: JsonPath, message: string, at: 'key' | 'value' = 'value'): Diagnostic {
    return { file: this.file, ...this.locate(path, at), path, message };
  }
}
