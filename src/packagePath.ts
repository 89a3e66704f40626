/**
 * Where this package's own files are (package.json, schemas/, the CLI
 * script), in each layout the runtime can run from: the built package,
 * one file per module as tsc emits it (this module is dist/packagePath.js)
 * or the one bundle scripts/bundle.js makes of them (dist/toolseal.js,
 * beside it); and the sources (src/packagePath.ts). The three sit one
 * level below the package's root, so the root is found without reading
 * the disk.
 */
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** A path inside this package: `packagePath('schemas')`, `packagePath('dist', 'cli', 'main.js')`. */
export function packagePath(...segments: string[]): string {
  return path.join(ROOT, ...segments);
}
