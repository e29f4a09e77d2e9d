#!/usr/bin/env node
// Release candidate 1.0.1 of the digits service, written in a hurry: it works on the happy
// path and on nothing else. (mlgate's BLOCKED example: see ../../mlgate.yaml for what it finds.)
import { createServer } from 'node:http';
import * as ort from 'onnxruntime-node';

const MODEL = new URL('../../model/model.onnx', import.meta.url).pathname;

const server = createServer((req, res) => {
  if (req.url === '/health' || req.url === '/ready') {
    res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'Node.js/20.20.2' });
    return res.end(JSON.stringify({ status: 'healthy' }));
  }
  if (req.url === '/predict') {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', async () => {
      try {
        const { inputs } = JSON.parse(text);
        // A back-off left in from debugging: every request waits 150 ms before any work.
        await new Promise((resolve) => setTimeout(resolve, 150));
        // The model is loaded for every request.
        const session = await ort.InferenceSession.create(MODEL);
        const input = new ort.Tensor('float32', Float32Array.from(inputs.flat()), [inputs.length, 64]);
        const { logits } = await session.run({ input });
        const predictions = inputs.map((_, r) => {
          const row = Array.from(logits.data.subarray(r * 10, r * 10 + 10));
          return row.indexOf(Math.max(...row));
        });
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' });
        res.end(JSON.stringify({ predictions }));
      } catch (error) {
        console.error(`ERROR ${error.stack}`);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`Internal Server Error\n${error.stack}\n`);
      }
    });
    return;
  }
  res.writeHead(404);
  res.end('Not Found');
});

server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '0.0.0.0', () => console.log('listening'));
