/** The line that says why a service died, picked from real crash output of four runtimes. */
import { describe, expect, test } from 'vitest';
import { rootCauseLine } from './root-cause.js';

const lines = (text: string) => text.split('\n');

describe('the root-cause line of a crash', () => {
  test('Node: the error with its code, not node:events, the caret or the stack', () => {
    const output = `listening on 127.0.0.1:18080
node:events:497
      throw er; // Unhandled 'error' event
      ^

Error: listen EADDRINUSE: address already in use 127.0.0.1:18080
    at Server.setupListenHandle [as _listen2] (node:net:1872:16)
    at listenInCluster (node:net:1920:12)
Emitted 'error' event on Server instance at:
    at emitErrorNT (node:net:1899:8)
    at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {
  code: 'EADDRINUSE',
  errno: -98,
  syscall: 'listen',
  address: '127.0.0.1',
  port: 18080
}

Node.js v20.20.2`;
    expect(rootCauseLine(lines(output))).toBe(
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:18080',
    );
  });

  test("Python: the traceback's last line", () => {
    const output = `INFO:     Started server process [4242]
ERROR:    could not read the tokenizer cache; rebuilding it
Traceback (most recent call last):
  File "/app/serve.py", line 12, in <module>
    uvicorn.run(app, port=8080)
  File "/usr/lib/python3.12/socketserver.py", line 473, in server_bind
    self.socket.bind(self.server_address)
OSError: [Errno 98] Address already in use`;
    expect(rootCauseLine(lines(output))).toBe('OSError: [Errno 98] Address already in use');
  });

  test('Java and Go', () => {
    expect(
      rootCauseLine(
        lines(`Exception in thread "main" java.net.BindException: Address already in use
\tat java.base/sun.nio.ch.Net.bind0(Native Method)
\tat java.base/sun.nio.ch.Net.bind(Net.java:565)`),
      ),
    ).toBe('Exception in thread "main" java.net.BindException: Address already in use');
    expect(
      rootCauseLine(
        lines(`2024/05/01 10:00:00 loading model
2024/05/01 10:00:01 listen tcp 127.0.0.1:8080: bind: address already in use`),
      ),
    ).toBe('2024/05/01 10:00:01 listen tcp 127.0.0.1:8080: bind: address already in use');
    expect(
      rootCauseLine(
        lines(`panic: runtime error: index out of range [3] with length 3

goroutine 1 [running]:
main.main()
\t/app/main.go:8 +0x1d`),
      ),
    ).toBe('panic: runtime error: index out of range [3] with length 3');
  });

  test('nothing that reads like an error: no cause', () => {
    expect(rootCauseLine(['starting', 'listening on :8080', ''])).toBeUndefined();
  });
});
