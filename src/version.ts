import * as fs from 'node:fs';
import { packagePath } from './packagePath';

let version: string | undefined;

/** This package's version, from its package.json. */
export function packageVersion(): string {
  if (version === undefined) {
    version = (JSON.parse(fs.readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  }
  return version;
}
