// abortSignal(id) with a child process: `spawn(..., { signal })` kills the child when the task is aborted.
// Node sends the child `killSignal` (SIGTERM by default) and the child's 'error' event carries an AbortError
// whose `cause` is our Abort.
//
//   npx tsx examples/childProcessWithAbortSignal.ts
import { spawn } from 'node:child_process';
import { Abort, Abortable, MemoryBackend } from '../src/index.js';

const abortable = new Abortable({ backend: new MemoryBackend() });

async function transcode(jobId: string, onFrames: (frames: number) => void): Promise<string> {
  using signal = abortable.abortSignal(jobId);
  // A stand-in for ffmpeg & co: a Node.js child that prints progress until it is killed.
  const child = spawn(
    process.execPath,
    ['-e', 'let n = 0; setInterval(() => console.log("frame " + ++n), 20);'],
    { signal, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let frames = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    frames += chunk.toString().split('\n').filter(Boolean).length;
    onFrames(frames);
  });
  // 'error' fires with an AbortError when the signal aborts (and for a failed spawn); 'exit' once the
  // child is gone.
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.on('exit', (code, killedBy) => resolve([code, killedBy]));
  });
  const [code, killedBy] = await exited;
  if (signal.reason instanceof Abort) {
    return `${jobId}: child stopped by ${killedBy} after ${frames} frames (${signal.reason.reason})`;
  }
  return `${jobId}: child exited with ${code}`;
}

// Once a few frames are out, someone cancels the job by its id (from any process, with a Redis backend).
let cancelled = false;
const result = await transcode('transcode-3', (frames) => {
  if (frames < 3 || cancelled) return;
  cancelled = true;
  void abortable.abort('transcode-3', { reason: 'cancelled from the dashboard' });
});
console.log(result);
if (!result.includes('stopped by SIGTERM')) throw new Error('expected the child to be stopped');
await abortable.close();
