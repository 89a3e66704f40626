/**
 * Each `@ts-expect-error` line of defineTool.types.ts is a real compile
 * error: compiled with the markers removed, the file reports an error on
 * the line after every marker, and nowhere else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const FILE = path.join(__dirname, 'defineTool.types.ts');
const MARKER = '// @ts-expect-error';

it('every marked line fails to compile without its marker, and no other line does', () => {
  const original = fs.readFileSync(FILE, 'utf8');
  const lines = original.split('\n');
  const expected = lines.flatMap((line, i) => (line.trim().startsWith(MARKER) ? [i + 1] : []));
  expect(expected.length).toBeGreaterThanOrEqual(5);
  // Blank the markers, keeping the line numbers.
  const unmarked = lines.map((line) => (line.trim().startsWith(MARKER) ? '' : line)).join('\n');

  const configPath = path.join(__dirname, '..', 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === FILE ? unmarked : readFile(name));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError) =>
    path.resolve(name) === FILE ? ts.createSourceFile(name, unmarked, version) : getSourceFile(name, version, onError);
  const program = ts.createProgram([FILE], { ...config.options, noEmit: true }, host);

  const errorLines = new Set<number>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    expect(diagnostic.file && path.resolve(diagnostic.file.fileName)).toBe(FILE);
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!);
    errorLines.add(line + 1);
  }
  // Each marker stands on the line before the error it expects.
  expect([...errorLines].sort((a, b) => a - b)).toEqual(expected.map((line) => line + 1));
}, 60000);
