/**
 * Loading the user's tools for the command line (`--tools PATH`): a module
 * (`.js`, `.cjs`, `.mjs`; CommonJS or ES) or a directory of them. A
 * module's default export may be a tool or an array of tools, and every
 * named export that is a tool is taken too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isModuleNamespaceObject } from 'node:util/types';
import { ToolSetError } from './schemaCompiler';
import { isTool, type Tool } from './tool';

const MODULE_EXTENSIONS = ['.js', '.cjs', '.mjs'];

/** The tools of every module at `paths` (files, or directories whose modules are loaded in name order). */
export async function loadToolModules(paths: readonly string[]): Promise<Tool[]> {
  const tools: Tool[] = [];
  for (const given of paths) {
    for (const file of moduleFiles(path.resolve(given), given)) {
      tools.push(...(await toolsOf(file)));
    }
  }
  return tools;
}

function moduleFiles(file: string, given: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new ToolSetError(`--tools ${given}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (stat.isDirectory()) {
    const files = fs
      .readdirSync(file)
      .filter((name) => MODULE_EXTENSIONS.includes(path.extname(name)))
      .sort()
      .map((name) => path.join(file, name));
    if (files.length === 0) throw new ToolSetError(`--tools ${given}: the directory has no .js, .cjs or .mjs module`);
    return files;
  }
  if (!MODULE_EXTENSIONS.includes(path.extname(file))) {
    throw new ToolSetError(`--tools ${given}: not a .js, .cjs or .mjs module (compile TypeScript tools first)`);
  }
  return [file];
}

/** What `require` throws for an ES module it cannot load: one with top-level await, or any on a Node without require(esm). */
const IMPORT_ONLY = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

/**
 * A module's namespace as `import()` gives it (a CommonJS module's exports
 * as its default export). Loaded with `require` where it can be: that does
 * not start Node's ES module loader, several ms at every start.
 */
async function namespaceOf(file: string): Promise<Record<string, unknown>> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded: unknown = require(file);
    return isModuleNamespaceObject(loaded) ? (loaded as Record<string, unknown>) : { default: loaded };
  } catch (err) {
    if (!IMPORT_ONLY.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) throw err;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

async function toolsOf(file: string): Promise<Tool[]> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await namespaceOf(file);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ToolSetError(`tool module ${file} failed to load: ${message.split('\n', 1)[0]}`);
  }
  const found = new Set<Tool>();
  const take = (value: unknown, where: string): void => {
    if (isTool(value)) found.add(value);
    else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (!isTool(item)) throw new ToolSetError(`tool module ${file}: ${where}[${i}] is not a tool (make it with defineTool)`);
        found.add(item);
      });
    }
  };
  const defaultExport = namespace.default;
  take(defaultExport, 'the default export');
  // A CommonJS module's exports object arrives as the default export: its tools count as named exports.
  if (typeof defaultExport === 'object' && defaultExport !== null && !Array.isArray(defaultExport) && !isTool(defaultExport)) {
    for (const value of Object.values(defaultExport)) if (isTool(value)) found.add(value);
  }
  for (const [name, value] of Object.entries(namespace)) if (name !== 'default' && isTool(value)) found.add(value);
  if (found.size === 0) throw new ToolSetError(`tool module ${file} exports no tool (export what defineTool returns)`);
  return [...found];
}
