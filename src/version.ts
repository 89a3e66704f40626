import * as fs from 'node:fs';
import * as path from 'node:path';

let version: string | undefined;

/** This package's version, from package.json (next to dist/ and src/ alike). */
export function packageVersion(): string {
  if (version === undefined) {
    const file = path.resolve(__dirname, '..', 'package.json');
    version = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return version;
}
