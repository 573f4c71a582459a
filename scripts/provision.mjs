// Before `npm test`: makes sure redis-server and Chromium are there, installing them with apt as root, or stops naming the command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Debian package names of what is missing. */
function missing() {
  const packages = [];
  if (!onPath('redis-server')) packages.push('redis-server');
  if (!existsSync(chromium)) packages.push('chromium');
  return packages;
}

function apt(args) {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

const needed = missing();
if (needed.length > 0) {
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (canInstall) {
    console.log(`npm test: installing ${needed.join(' and ')} (apt-get)`);
    if (apt(['update', '-qq'])) apt(['install', '-y', '-qq', ...needed]);
  }
  const still = missing();
  if (still.length > 0) {
    // The one command, for every tool at once, and what the Chromium path means for other systems.
    console.error(
      `npm test needs ${still.join(' and ')}, which the Redis and browser tests run.\n` +
        `Run: sudo apt-get update && sudo apt-get install -y ${still.join(' ')}\n` +
        (still.includes('chromium') ? `(Chromium is looked for at ${chromium}; set CHROMIUM_PATH to use another.)\n` : ''),
    );
    process.exit(1);
  }
}
