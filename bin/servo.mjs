#!/usr/bin/env node
// The `servo` command (`npx servo <command>`): Servo runs from its TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../workers/cli.ts');
