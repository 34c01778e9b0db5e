/**
 * The chaos controller of `npm run bench:load`: `kill -9`s the local stack at seeded random
 * moments (a random point of the run's progress plus a random delay, so a kill lands anywhere
 * in a request, a transaction, an upload or a relay batch) and restarts it on the same data.
 */
import { type StackProcess, sleep } from './load-stack.js';

/** mulberry32: a small seeded PRNG, so a run's kill moments and journey mix can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KillRecord {
  /** Seconds since the run started. */
  atSeconds: number;
  /** Journeys started when it struck. */
  atJourney: number;
  /** `kill` for a planned kill, `crash` for an exit the harness did not cause. */
  cause: 'kill' | 'crash';
  /** From the kill until `/health` answered again. */
  downSeconds: number;
  orphansKilled: number;
}

export interface Chaos {
  /** Runs the planned kills (and restarts after crashes) until `stop()`. */
  run(): Promise<void>;
  stop(): void;
  kills(): KillRecord[];
  /** The planned kill points, as fractions of the run. */
  plan(): number[];
}

export function chaosController(options: {
  stack: StackProcess;
  random: () => number;
  kills: number;
  /** How far the run is, 0–1 (journeys started, or time spent of the time budget). */
  progress: () => number;
  /** Journeys started so far, for the record. */
  journeysStarted: () => number;
  elapsedSeconds: () => number;
  log: (message: string) => void;
}): Chaos {
  const { stack, random } = options;
  // Kill points spread over the run (8 %–92 % of it), each followed by a random delay.
  const plan = Array.from({ length: options.kills }, () => 0.08 + 0.84 * random()).sort((a, b) => a - b);
  const delays = plan.map(() => Math.floor(random() * 3000));
  const records: KillRecord[] = [];
  let stopped = false;
  let crashed = false;
  stack.onUnexpectedExit(() => {
    crashed = true;
  });

  const restart = async (cause: KillRecord['cause'], killedAt: number) => {
    const atJourney = options.journeysStarted();
    const { orphansKilled } = await stack.kill();
    await startWithRetries(stack, options.log);
    const record = {
      atSeconds: Math.round(killedAt / 100) / 10,
      atJourney,
      cause,
      downSeconds: Math.round((options.elapsedSeconds() * 1000 - killedAt) / 100) / 10,
      orphansKilled,
    };
    records.push(record);
    options.log(
      `${cause === 'kill' ? 'kill -9' : 'crash'} at journey ${atJourney}: back after ${record.downSeconds} s`,
    );
  };

  return {
    plan: () => plan,
    kills: () => records,
    stop() {
      stopped = true;
    },
    async run() {
      let next = 0;
      while (!stopped) {
        if (crashed) {
          crashed = false;
          await restart('crash', options.elapsedSeconds() * 1000);
          continue;
        }
        const point = plan[next];
        if (point !== undefined && options.progress() >= point) {
          await sleep(delays[next] ?? 0);
          next++;
          if (stopped) return;
          await restart('kill', options.elapsedSeconds() * 1000);
          continue;
        }
        await sleep(100);
      }
    },
  };
}

/**
 * Starts the stack, again up to twice when a start fails (on a busy machine DynamoDB Local
 * may miss its 30 s start timeout).
 */
export async function startWithRetries(stack: StackProcess, log: (message: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await stack.start();
      return;
    } catch (error) {
      log(`start attempt ${attempt} failed: ${(error as Error).message.slice(0, 500)}`);
      if (attempt >= 3) throw error;
      await stack.kill();
    }
  }
}
