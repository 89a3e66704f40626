/**
 * The error table's traits, as the client and the MCP front end read them:
 * which codes carry a signed response and which are tool-execution errors.
 */
import { codesWith, ERROR_TRAITS, ErrorCode, ErrorMessage } from '../../src/protocol/errors';

it('every code has its traits, and a signed code is one answered after authentication', () => {
  expect(Object.keys(ERROR_TRAITS).map(Number).sort()).toEqual(Object.values(ErrorCode).sort());
  for (const code of codesWith('alwaysSigned')) expect(codesWith('afterAuthentication').has(code)).toBe(true);
  for (const code of codesWith('toolExecution')) expect(codesWith('afterAuthentication').has(code)).toBe(true);
  expect(ErrorMessage[ErrorCode.InvalidArguments]).toBe('invalid arguments');
});

