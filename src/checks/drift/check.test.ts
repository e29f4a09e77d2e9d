import { describeFixtures } from '../../testing/fixtures.js';

describeFixtures(import.meta.url);
