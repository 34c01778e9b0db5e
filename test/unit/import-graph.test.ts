/**
 * No file of `functions/` or `infra/` imports itself through others: a cycle (e.g. the API
 * handler importing the operations that import its types) makes the load order matter and
 * the layers blur. Relative imports only, type-only ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const IMPORT = /(?:\bfrom|\bimport\()\s*'(\.{1,2}\/[^']+)'/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every cycle met by a depth-first walk, as `a → b → a` paths relative to the project. */
function cyclesOf(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(ROOT, f)).join(' → '));
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('import graph', () => {
  it.each(['functions', 'infra'])('%s/ has no import cycle', (folder) => {
    const files = tsFiles(join(ROOT, folder));
    const known = new Set(files);
    const graph = new Map(
      files.map((file) => [
        file,
        [...readFileSync(file, 'utf8').matchAll(IMPORT)]
          .map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))
          .filter((target) => known.has(target)),
      ]),
    );
    expect(cyclesOf(graph)).toEqual([]);
  });
});
