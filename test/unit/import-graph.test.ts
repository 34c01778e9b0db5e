/**
 * The layering rules of `functions/`, checked on the real import graph: adapters depend on
 * the domain only (every port is declared there), every Lambda entry is made the same way,
 * and no file of `functions/` or `infra/` imports itself through others, even for types only
 * (a cycle makes the load order matter and the layers blur). TypeScript's own pre-processor
 * reads the imports (static, type-only, re-exports and dynamic `import()`), so comments and
 * strings never count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');

/** Every `.ts` file under `dir` (`functions/` by default), relative to the repository root. */
function sourceFiles(dir = FUNCTIONS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** The project files a file imports (relative specifiers only; `x.js` is the source `x.ts`). */
function localImports(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

const graph = new Map(sourceFiles().map((file) => [file, localImports(file)]));
/** `functions/` and `infra/` together: the local cloud and CDK import the functions. */
const wholeGraph = new Map(
  [...sourceFiles(), ...sourceFiles(join(ROOT, 'infra'))].map((file) => [file, localImports(file)]),
);

/** Each cycle once, as the files along it (first file repeated at the end). */
function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    const at = path.indexOf(file);
    if (at >= 0) {
      found.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const next of edges.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of edges.keys()) visit(file);
  return found;
}

describe('the import graph of functions/', () => {
  it('reads the imports of every file (type-only imports and re-exports too)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('functions/use-cases/relay-outbox.ts')).toContain('functions/domain/ports/outbox.ts');
  });

  it('has adapters that depend on the domain (and the storage layout CDK shares) only, never on a use case', () => {
    const outside = [...graph]
      .filter(([file]) => file.startsWith('functions/adapters/'))
      .flatMap(([file, imports]) =>
        imports
          .filter((target) => !/^functions\/(domain|adapters|storage-layout)\//.test(target))
          .map((target) => `${file} -> ${target}`),
      );
    expect(outside).toEqual([]);
  });

  it('keeps the domain pure: it imports nothing outside the domain', () => {
    const outside = [...graph]
      .filter(([file]) => file.startsWith('functions/domain/'))
      .flatMap(([file, imports]) =>
        imports
          .filter((target) => !target.startsWith('functions/domain/'))
          .map((target) => `${file} -> ${target}`),
      );
    expect(outside).toEqual([]);
  });

  it.each(['api', 'consent', 'expire-deadline', 'outbox-relay', 'verify-upload'])(
    'builds the Lambda entry %s the same way: settings, composition root, handler, one helper',
    (entry) => {
      const imports = graph.get(`functions/${entry}.ts`) ?? [];
      expect(imports).toEqual(
        expect.arrayContaining(['functions/config.ts', 'functions/wiring.ts', 'functions/lambda-entry.ts']),
      );
      expect(imports).toHaveLength(4); // and its handler builder
    },
  );

  it('has no cycle between files of functions/ or infra/', () => {
    expect(wholeGraph.size).toBeGreaterThan(graph.size);
    expect(cycles(wholeGraph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});
