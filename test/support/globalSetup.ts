import { execFileSync } from 'node:child_process';

/** Fails the run at once, with the fix, when redis-server is not on PATH. */
export default function setup(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      'redis-server is not on PATH. The integration tests start their own Redis servers. Install it with\n' +
        '  sudo apt-get install -y redis-server   (Debian/Ubuntu)\n' +
        '  brew install redis                     (macOS)\n' +
        'and run npm test again.',
    );
  }
}
