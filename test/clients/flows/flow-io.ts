/**
 * What a client flow is given (environment variables, set by generated-clients.clients-spec.ts)
 * and what it reports (one JSON line on stdout), so the spec asserts on the flow's results.
 */
export interface FlowInput {
  baseUrl: string;
  rootToken: string;
  model: string;
  userName: string;
}

/** What each flow saw, step by step, through its generated client. */
export interface FlowResult {
  userId: number;
  tokenId: number;
  revealedKeyLength: number;
  listedTokenNames: string[];
  tokenUsageName: string;
  models: string[];
  chatContent: string | null;
  chatModel: string;
  chatTotalTokens: number | undefined;
  unknownModel: { status: number; code: string | null; type: string };
  usageLogs: { model: string; tokenId: number | null; totalTokens: number; statusCode: number }[];
  myUsageTotalUnit: number;
}

function read(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function flowInput(): FlowInput {
  return { baseUrl: read('TOLLGATE_URL'), rootToken: read('TOLLGATE_ROOT_TOKEN'), model: read('FLOW_MODEL'), userName: read('FLOW_USER') };
}

/** Polls `check` until it gives a value (settlements are written in batches, a moment after the answer). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no result within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Runs a flow and prints its result; a failed step exits non-zero with its message on stderr. */
export function runFlow(flow: (input: FlowInput) => Promise<FlowResult>): void {
  flow(flowInput()).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/** The value of a step, or an error naming the step and what the server answered. */
export function expectData<T>(step: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) throw new Error(`${step}: HTTP ${answer.response.status} ${JSON.stringify(answer.error)}`);
  return answer.data;
}
