import { describe, expect, test } from 'vitest';
import { inWorkspace, satisfies } from './npm.js';
import { isDevRequirements, REQUIREMENTS_FILE, unpinnedReason } from './requirements.js';

describe('dependencies: what a pin is', () => {
  test.each([
    ['torch==2.4.1', true],
    ['fastapi[standard]==0.115.0 ; python_version >= "3.10"', true],
    ['numpy==2.1.3 --hash=sha256:abc', true],
    ['torch>=2.0', false],
    ['numpy', false],
    ['transformers~=4.44', false],
    ['git+https://github.com/huggingface/peft.git@main#egg=peft', false],
    ['git+https://github.com/huggingface/peft.git@v0.12.0', false],
    ['git+https://github.com/huggingface/peft.git', false],
    ['git+https://github.com/huggingface/peft.git@4e32679f37c2e2d9a1b16b3bd3b4b4b3c83c4b2a#egg=peft', true],
    ['peft @ git+https://github.com/huggingface/peft.git@4e32679f37c2e2d9a1b16b3bd3b4b4b3c83c4b2a', true],
    ['peft @ git+https://github.com/huggingface/peft.git@main', false],
    ['git+ssh://git@github.com/org/private-lib.git', false],
    ['git+ssh://git@github.com/org/private-lib.git@0123456789abcdef0123456789abcdef01234567', true],
    ['https://download.pytorch.org/whl/cpu/torch-2.4.1%2Bcpu-cp311-cp311-linux_x86_64.whl', true],
    ['https://github.com/org/lib/archive/refs/heads/main.zip', false],
    ['https://github.com/org/lib/archive/0123456789abcdef0123456789abcdef01234567.zip', true],
    ['https://github.com/org/lib/archive/refs/tags/v1.0.zip#sha256=0a1b2c', true],
    ['./libs/tokenizers-extra', true],
  ])('%s → pinned: %s', (line, pinned) => {
    expect(unpinnedReason(line) === undefined).toBe(pinned);
  });

  test.each([
    ['requirements.txt', false],
    ['requirements-gpu.txt', false],
    ['requirements/core-requirements.txt', false],
    ['requirements/base.txt', false],
    ['requirements-dev.txt', true],
    ['requirements_dev.txt', true],
    ['dev-requirements.txt', true],
    ['requirements/dev.txt', true],
    ['requirements/test-requirements.txt', true],
    ['requirements/skinny-test-requirements.txt', true],
    ['docs/requirements.txt', true],
    ['requirements-lint.txt', true],
  ])('%s is development-only: %s', (path, dev) => {
    expect(REQUIREMENTS_FILE.test(path)).toBe(true);
    expect(isDevRequirements(path)).toBe(dev);
  });

  test.each([
    ['4.19.2', '^4.18.0', true],
    ['5.0.0', '^4.18.0', false],
    ['0.3.5', '^0.3.1', true],
    ['0.4.0', '^0.3.1', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['2.1.0', '>=2 <3', true],
    ['3.0.0', '>=2 <3', false],
    ['1.5.0', '1.x || 3.x', true],
    ['2.0.0', '1.x || 3.x', false],
    ['4.17.21', '4.17.21', true],
    ['1.2.3', '1.2.0 - 1.3', true],
    ['1.0.0-rc.1', '^1.0.0', false],
    ['5.0.0', 'latest', undefined],
    ['5.0.0', 'github:org/repo', undefined],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  test('workspace globs', () => {
    expect(inWorkspace(['packages/*'], 'packages/api')).toBe(true);
    expect(inWorkspace(['packages/*'], 'packages/api/sub')).toBe(false);
    expect(inWorkspace(['./services/gateway'], 'services/gateway')).toBe(true);
    expect(inWorkspace(['apps/**'], 'apps/web/admin')).toBe(true);
  });
});
