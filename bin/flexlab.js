#!/usr/bin/env node
// Entry point of the `flexlab` CLI. The project runs from its TypeScript sources through tsx's
// loader, registered here so that `npx flexlab` works from any working directory.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
