import type { Command } from 'commander';

/** Registers the `audit` command(s). Placeholder until its issue lands: adds nothing. */
export function register(_program: Command): void {}
