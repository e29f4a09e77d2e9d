import { describe, expect, test } from 'vitest';
import { notRandomReason } from './check.js';
import { findDynamicReads, findReads, maskShell } from './reads.js';

const names = (path: string, text: string) =>
  [...new Set(findReads(path, text).map((r) => r.variable))].sort();

describe('env-file: what counts as reading the environment', () => {
  test.each([
    [
      'python: os.environ forms',
      'app.py',
      'import os\na = os.environ["A"]\nb = os.environ.get("B", "x")\nos.environ.setdefault("C", "1")\nd = os.getenv("D")\n',
      ['A', 'B', 'C', 'D'],
    ],
    [
      'python: from os import environ, getenv',
      'app.py',
      'from os import environ, getenv as ge\nx = environ.get("X")\ny = environ["Y"]\nz = ge("Z")\nenviron.setdefault("W", "0")\n',
      ['W', 'X', 'Y', 'Z'],
    ],
    [
      'python: a WSGI environ is not the process environment',
      'wsgi.py',
      'def app(environ, start):\n    host = environ["HTTP_HOST"]\n',
      [],
    ],
    [
      'python: notebook JSON with escaped quotes',
      'eda.ipynb',
      '{"cells": [{"source": ["import os\\n", "key = os.environ[\\"WANDB_API_KEY\\"]\\n"]}]}',
      ['WANDB_API_KEY'],
    ],
    [
      'shell: braces and bare $VAR',
      'run.sh',
      '#!/bin/sh\nexec uvicorn app:app --port "${PORT:-8080}" --workers $WORKERS\n',
      ['PORT', 'WORKERS'],
    ],
    [
      'shell: loop variables and script locals are not the environment',
      'warm.sh',
      '#!/usr/bin/env bash\nset -euo pipefail\nMODEL_DIR=${MODEL_DIR:-/models}\nfor i in $(seq 1 "${WARMUP_REQUESTS}"); do\n  curl -s "http://localhost:8080/predict?i=${i}" > /dev/null\ndone\nout="${MODEL_DIR}/warm.log"\necho done > "$out"\nwhile read -r line; do echo "$line"; done < list.txt\n',
      ['MODEL_DIR', 'WARMUP_REQUESTS'],
    ],
    [
      'shell: variables the shell sets',
      'lib.sh',
      'cd "$(dirname "${BASH_SOURCE[0]}")"\nretry=$((RANDOM % 5))\necho "$OLDPWD $RANDOM $MODEL_NAME"\n',
      ['MODEL_NAME'],
    ],
    [
      'shell: single quotes and comments are not expanded',
      'stats.sh',
      '#!/bin/sh\n# uses $NOT_READ in a comment\nawk \'{ total += $NF } END { print total }\' "$LOG_FILE"\n',
      ['LOG_FILE'],
    ],
    ['shell: quoted heredoc', 'gen.sh', "cat > run.sh <<'EOF'\necho $LATER\nEOF\necho $NOW\n", ['NOW']],
    [
      'dockerfile: build ARGs, ENV and RUN locals are not service variables',
      'Dockerfile',
      'ARG PYTHON_VERSION=3.11\nFROM python:${PYTHON_VERSION}-slim\nARG TORCH_VERSION\nENV MODEL_DIR=/models \\\n    PIP_NO_CACHE_DIR=1\nRUN pip install torch==${TORCH_VERSION} --index-url https://download.pytorch.org/whl/${TARGETARCH}\nRUN for f in a b; do echo ${f}; done\nCOPY model ${MODEL_DIR}\nCMD uvicorn app:app --port ${PORT}\n',
      ['PORT'],
    ],
    [
      'dockerfile: a build secret mounted as a variable',
      'Dockerfile.sdk',
      'FROM python:3.12-slim\nRUN --mount=type=secret,id=pip_extra,env=PIP_EXTRA_INDEX_URL \\\n    pip install --extra-index-url "${PIP_EXTRA_INDEX_URL}" tritonclient\n',
      [],
    ],
    [
      'mlgate spec: its own substitutions',
      'mlgate.yaml',
      'service:\n  start:\n    env: { API_TOKEN: "${random}" }\n',
      [],
    ],
    [
      'compose: $$VAR is a literal for the container shell',
      'compose.yaml',
      "services:\n  job:\n    command: sh -c 'for f in /data/*; do echo $$f $${HOME}; done'\n    environment:\n      TOKEN: ${API_TOKEN:?}\n      LEVEL: $LOG_LEVEL\n",
      ['API_TOKEN', 'LOG_LEVEL'],
    ],
    [
      'yaml: a loop in a command block',
      'job.yaml',
      'args: ["for s in 1 2 3; do echo ${s}; sleep ${DELAY}; done"]\n',
      ['DELAY'],
    ],
    [
      'javascript',
      'server.ts',
      'const port = process.env.PORT;\nconst { HOST } = process.env;\n',
      ['HOST', 'PORT'],
    ],
  ])('%s', (_title, path, text, expected) => {
    expect(names(path, text)).toEqual(expected);
  });

  test('masking keeps every offset and newline', () => {
    const text = "echo 'a\nb' # c\nx";
    const masked = maskShell(text);
    expect(masked.length).toBe(text.length);
    expect(masked.split('\n').length).toBe(text.split('\n').length);
    expect(masked.endsWith('\nx')).toBe(true);
  });
});

describe('env-file: reads found since the attacker pass', () => {
  test.each([
    [
      'python: import os as o',
      'jobs.py',
      'import sys, os as o\nq = o.getenv("QUEUE_URL")\nt = o.environ["TIMEOUT"]\n',
      ['QUEUE_URL', 'TIMEOUT'],
    ],
    [
      'python: pydantic settings, prefix inherited, aliases, not ClassVar or methods',
      'settings.py',
      'from pydantic_settings import BaseSettings\n\nclass Base(BaseSettings):\n    class Config:\n        env_prefix = "APP_"\n    database_url: str\n    token: str = Field("", env="HF_TOKEN")\n    VERSION: ClassVar[str] = "1"\n\n    def f(self):\n        x: int = 1\n\nclass Worker(Base):\n    batch_size: int = 8\n\nclass Plain(BaseModel):\n    name: str\n',
      ['APP_BATCH_SIZE', 'APP_DATABASE_URL', 'HF_TOKEN'],
    ],
    [
      'python: case_sensitive settings keep the field name',
      'settings.py',
      'class S(pydantic_settings.BaseSettings):\n    model_config = SettingsConfigDict(case_sensitive=True)\n    Model_Path: str\n',
      ['Model_Path'],
    ],
    [
      'javascript: const { env } = process, and renamed',
      'server.js',
      'const { env } = process;\nconst a = env.API_TOKEN;\nconst { env: e, argv } = process;\nconst b = e["PORT"];\n',
      ['API_TOKEN', 'PORT'],
    ],
  ])('%s', (_name, path, text, expected) => {
    expect(names(path, text)).toEqual(expected);
  });

  test('dynamic reads are listed, literal ones are not', () => {
    const python =
      'import os as o\na = o.environ["A"]\nb = o.environ[k]\nc = os.getenv("P_" + x)\nd = {**os.environ}\ne = getattr(os, "environ")\nf = os.environ.get("F", "1")\n';
    expect(findDynamicReads('app.py', python).map((r) => r.line)).toEqual([3, 4, 5, 6]);
    const js =
      'const a = process.env["A"];\nconst b = process.env[name];\nspawn(cmd, { env: { ...process.env } });\n';
    expect(findDynamicReads('app.js', js).map((r) => r.line)).toEqual([2, 3]);
  });
});

describe('env-file: values that are long enough but not generated', () => {
  test.each([
    ['a'.repeat(36), 'one character repeated'],
    ['0123456789abcdef0123456789abcdef', '16-character pattern repeated'],
    ['0123456789abcdefghijklmnopqrstuv', 'consecutive characters'],
    ['aaaaaaaabbbbbbbbccccccccdddddddd', 'bits of entropy'],
  ])('%s', (value, reason) => {
    expect(notRandomReason(value)).toContain(reason);
  });

  test.each([
    '9f86d081884c7d659a2feaa0c55ad015',
    'Jq8vXk2mZr5Lp9Tb1Vw4Yc7Nf3Hs6Da0Ge8Ui2Kw5',
    'kX3v_pQ9-ZrT2mLw8sYb4NcJ7hFd1GaE6uRi0oWe5t',
  ])('%s is accepted', (value) => {
    expect(notRandomReason(value)).toBeUndefined();
  });
});
