/**
 * Main-thread handle of the benchmark client worker (`_client_worker.ts`).
 *
 * @module
 */
import type {
  BurstJob,
  BurstResult,
  ClosedLoopJob,
  Job,
  JobReply,
  JobRequest,
  JobResult,
  LibraryJob,
  LoopResult,
  PipelinedJob,
  PipelinedResult,
} from "./_jobs.ts";

/**
 * Runs client jobs on a dedicated worker thread, one at a time.
 *
 * @example
 * ```ts ignore
 * import { ClientWorker } from "./_client.ts";
 * await using client = new ClientWorker();
 * const result = await client.closed({ kind: "closed", url, count: 100, warmup: 10, target });
 * ```
 */
export class ClientWorker implements AsyncDisposable {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (reply: JobReply) => void>();
  #nextId = 1;

  /** Starts the worker. */
  constructor() {
    this.#worker = new Worker(new URL("./_client_worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<JobReply>) => {
      const resolve = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      resolve?.(event.data);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      for (const [id, resolve] of this.#pending) resolve({ id, error: event.message });
      this.#pending.clear();
    };
  }

  /** Runs any job. */
  run(job: Job): Promise<JobResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply) => {
        if ("error" in reply) reject(new Error(`client worker (${job.kind}): ${reply.error}`));
        else resolve(reply.result);
      });
      const request: JobRequest = { id, job };
      this.#worker.postMessage(request);
    });
  }

  /** Runs a closed-loop job. */
  closed(job: ClosedLoopJob): Promise<LoopResult> {
    return this.run(job) as Promise<LoopResult>;
  }

  /** Runs a pipelined job. */
  pipelined(job: PipelinedJob): Promise<PipelinedResult> {
    return this.run(job) as Promise<PipelinedResult>;
  }

  /** Runs a burst job. */
  burst(job: BurstJob): Promise<BurstResult> {
    return this.run(job) as Promise<BurstResult>;
  }

  /** Runs a client-library job. */
  library(job: LibraryJob): Promise<LoopResult> {
    return this.run(job) as Promise<LoopResult>;
  }

  /** Stops the worker. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#worker.terminate();
    for (const [id, resolve] of this.#pending) resolve({ id, error: "worker terminated" });
    this.#pending.clear();
    return Promise.resolve();
  }
}

/** Throws when a job saw error replies: a benchmark must never time the error path. */
export function assertNoErrors(
  what: string,
  result: { readonly errors: number; readonly firstError?: string },
): void {
  if (result.errors > 0) {
    throw new Error(`${what}: ${result.errors} error replies, first: ${result.firstError}`);
  }
}
