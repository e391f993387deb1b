#!/usr/bin/env node
// Command-provider fixture: `node echo-model.mjs` answers one JSON request on stdin;
// `node echo-model.mjs --line` serves line-delimited requests until stdin closes.
// A last user message of "FAIL" makes it report an error.
import { createInterface } from 'node:readline';

function answer(req) {
  const users = (req.messages ?? []).filter((m) => m.role === 'user');
  const last = users[users.length - 1]?.content ?? '';
  if (last === 'FAIL') return { id: req.id, error: 'model failure requested' };
  return { id: req.id, text: `echo: ${last}` };
}

if (process.argv.includes('--line')) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim()) process.stdout.write(`${JSON.stringify(answer(JSON.parse(line)))}\n`);
  });
} else {
  let input = '';
  process.stdin.on('data', (d) => {
    input += d;
  });
  process.stdin.on('end', () => {
    const reply = answer(JSON.parse(input));
    process.stdout.write(JSON.stringify(reply));
    process.exitCode = reply.error ? 3 : 0;
  });
}
