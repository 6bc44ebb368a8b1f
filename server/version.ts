import { readFileSync } from 'node:fs';

/** Servo's version, from its package.json. */
export const SERVO_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
