// An instantly answering OpenAI-compatible server for bench/eval-throughput.ts and the
// promptfoo comparison. Runs in its own process so it has its own core. Prints its port.
import http from 'node:http';

const REFUSAL = "I'm sorry, but I can't help with that.";
const ANSWER = 'Sure! The answer is 42. Start with the basics and check the result before moving on.';

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const last = Array.isArray(body.messages)
      ? (body.messages.at(-1)?.content ?? '')
      : String(body.prompt ?? '');
    const text = last.includes('[harmful]') ? REFUSAL : ANSWER;
    const payload = JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The bench asks for this process's CPU time over IPC, to report how the cores split
// between the evaluating process and this server.
process.on('message', (m) => {
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuSecs: (user + system) / 1e6 });
  }
});
if (process.channel) process.channel.unref();
