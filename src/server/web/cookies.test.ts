/** Another app's cookie on the same host (cookies are shared across ports) never breaks the page. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Store } from '../../store/db.js';
import { freshDatabase, type TestDatabase } from '../../store/test-dialects.js';
import { buildServer } from '../app.js';

let database: TestDatabase;
let store: Store;
let app: Awaited<ReturnType<typeof buildServer>>;
beforeAll(async () => {
  database = freshDatabase('sqlite');
  store = await database.open();
  app = await buildServer({ store });
});
afterAll(async () => {
  await app.close();
  await store.close();
  await database.drop();
});

test('a cookie that does not decode is skipped, not a 500', async () => {
  const response = await app.inject({
    method: 'GET',
    url: '/',
    headers: { cookie: 'other_app=%E0%A4%A; x=1' },
  });
  expect(response.statusCode).toBeLessThan(500);
});
