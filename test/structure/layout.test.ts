/**
 * The shape of src/ that keeps it easy to change: imports flow one way
 * (no cycles, as madge sees them), and no source file grows into several
 * jobs (a file past MAX_LINES is split by concern).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import madge from 'madge';

const SRC = path.resolve(__dirname, '..', '..', 'src');
const MAX_LINES = 400;

it('has no import cycle in src/', async () => {
  const graph = await madge(SRC, { fileExtensions: ['ts'], excludeRegExp: [/^generated\//], tsConfig: path.join(SRC, '..', 'tsconfig.json') });
  expect(graph.circular()).toEqual([]);
}, 60_000);

it(`has no source file over ${MAX_LINES} lines (generated code aside)`, () => {
  const files = (fs.readdirSync(SRC, { recursive: true }) as string[]).filter((file) => file.endsWith('.ts') && !file.startsWith('generated'));
  const long = files.map((file) => [file, fs.readFileSync(path.join(SRC, file), 'utf8').split('\n').length] as const).filter(([, lines]) => lines > MAX_LINES);
  expect(long).toEqual([]);
});
