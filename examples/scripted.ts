/**
 * The choices a model makes in these examples, scripted so that they run
 * with no network and no API key. Each example adapts them to its SDK's
 * shapes; the loops around them are what a host with a real model runs.
 *
 * The script asks for a sum with a mistake in its arguments, reads the
 * error toolseal sends back, fixes the arguments, runs a long job beside
 * the sum, and answers with both results.
 */
export const PROMPT = 'Add 1, 2 and 3.5, and run the long task with the report "ready".';

export interface ScriptedCall {
  name: string;
  input: Record<string, unknown>;
}

export type ScriptedStep = { kind: 'tools'; calls: ScriptedCall[] } | { kind: 'answer'; text: string };

/** The next step, given the names of the tools offered and the text of each tool result so far. */
export function nextStep(offered: readonly string[], results: readonly string[]): ScriptedStep {
  const needed = ['batch_sum', 'start_long_task'];
  const missing = needed.filter((name) => !offered.includes(name));
  if (missing.length > 0) return { kind: 'answer', text: `I was not given ${missing.join(' and ')}.` };
  if (results.length === 0) {
    // The mistake: the numbers as one string.
    return { kind: 'tools', calls: [{ name: 'batch_sum', input: { numbers: '1, 2, 3.5' } }] };
  }
  if (results.length === 1) {
    if (!results[0].includes('- /numbers: must be array')) return { kind: 'answer', text: `The sum failed in a way I cannot fix: ${results[0]}` };
    return {
      kind: 'tools',
      calls: [
        { name: 'batch_sum', input: { numbers: [1, 2, 3.5] } },
        { name: 'start_long_task', input: { seconds: 1, payload: { report: 'ready' } } },
      ],
    };
  }
  const [sum, job] = results.slice(1).map((text) => JSON.parse(text) as Record<string, unknown>);
  return { kind: 'answer', text: `The sum is ${String(sum.total)}; the long task returned ${JSON.stringify(job)}.` };
}
