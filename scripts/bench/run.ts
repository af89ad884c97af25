/**
 * `npm run bench -- [NAME ...]`: runs the named benchmarks (all when none is
 * named). Each prints one JSON object per line on standard output.
 */
import path from 'node:path';
import fs from 'node:fs';

async function main(): Promise<void> {
  const available = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => file.replace(/\.bench\.ts$/, ''))
    .sort();
  const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const unknown = requested.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
    process.exit(2);
  }
  for (const name of requested.length > 0 ? requested : available) {
    const module = (await import(path.join(__dirname, `${name}.bench.ts`))) as { run: () => Promise<void> };
    await module.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
