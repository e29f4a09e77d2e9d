import { describe, expect, test } from 'vitest';
import { commandLine, downloadsRunAsCode, parseShell, program, splitShell } from './shell.js';

const programs = (script: string) =>
  splitShell(script).map((command) => {
    const cmd = program(command);
    return cmd ? [cmd.name, ...cmd.args].join(' ') : '';
  });

describe('shell: reading RUN and command: strings', () => {
  test('the first command after then/else/elif/do/while is a command', () => {
    expect(
      programs(
        'if [ -f x ]; then apt-get install -y curl; elif true; then pip install a; else pip install b; fi',
      ),
    ).toEqual(['[ -f x ]', 'apt-get install -y curl', 'true', 'pip install a', 'pip install b']);
    expect(programs('for p in a b; do pip install $p; done')).toEqual(['pip install $p']);
    expect(programs('while read l; do echo $l; done < list.txt')).toEqual(['read l', 'echo $l']);
    expect(programs('until false\ndo sudo make\ndone')).toEqual(['false', 'make']);
    expect(programs('! grep -q x f && { pip install y; }')).toEqual(['grep -q x f', 'pip install y']);
  });

  test('case patterns are not commands; branch bodies are', () => {
    expect(
      programs(
        'case "$ARCH" in\n  amd64|x86_64) pip install a ;;\n  (arm64) pip install b;;\n  *) exit 1 ;;\nesac && echo done',
      ),
    ).toEqual(['pip install a', 'pip install b', 'exit 1', 'echo done']);
  });

  test('redirections are not arguments; here-documents are read', () => {
    expect(programs('apt-get install -y curl=1 2>&1 > /tmp/log')).toEqual(['apt-get install -y curl=1']);
    expect(splitShell('echo x > /etc/a')[0]!.redirects).toEqual([{ op: '>', target: '/etc/a' }]);
    expect(programs('<<EOF\napt-get update\npip install x\nEOF')).toEqual([
      'apt-get update',
      'pip install x',
    ]);
    expect(programs('cat <<EOF > /etc/conf\nsudo rm -rf /\nEOF\necho next')).toEqual(['cat', 'echo next']);
    expect(programs('bash <<-EOF\n\tpip install z\n\tEOF')).toEqual(['bash', 'pip install z']);
  });

  test('substitutions and sh -c are read into their commands', () => {
    expect(programs('echo "$(pip install a)" `pip install b`')).toEqual([
      'pip install a',
      'pip install b',
      'echo $(pip install a) `pip install b`',
    ]);
    expect(programs("bash -c 'apt-get update && apt-get install -y x'")).toEqual([
      'bash -c apt-get update && apt-get install -y x',
      'apt-get update',
      'apt-get install -y x',
    ]);
    expect(commandLine(['sh', '-c', 'pip install a && serve']).commands.map((c) => c.words[0])).toEqual([
      'sh',
      'pip',
      'serve',
    ]);
    expect(commandLine('python -m pip install torch').commands.map((c) => program(c)!.name)).toEqual(['pip']);
  });

  test('quotes, continuations, comments, assignments', () => {
    const [first] = splitShell('PIP_NO_CACHE_DIR=1 pip \\\n  install "a b" \'c\' # a comment');
    expect(first).toMatchObject({
      assignments: [['PIP_NO_CACHE_DIR', '1']],
      words: ['pip', 'install', 'a b', 'c'],
    });
    expect(parseShell('echo "unterminated').problems).toEqual(['unterminated double quote']);
    expect(parseShell("echo 'x").problems).toEqual(['unterminated single quote']);
  });

  test('wrappers: sudo -u USER, env, gosu, python -m', () => {
    expect(programs('sudo -u app pip install x')).toEqual(['pip install x']);
    expect(programs('env -u X A=1 pip install x')).toEqual(['pip install x']);
    expect(programs('gosu app python3 -m pip install y')).toEqual(['pip install y']);
  });

  test('downloads run as code', () => {
    const found = (s: string) => downloadsRunAsCode(splitShell(s)).map((f) => program(f.runner)!.name);
    expect(found('curl -fsSL https://x.sh | sh')).toEqual(['sh']);
    expect(found('wget -qO- https://x | sudo bash -s -- --yes')).toEqual(['bash']);
    expect(found('curl -s https://x | tee /tmp/i.sh | bash')).toEqual(['bash']);
    expect(found('sh -c "$(curl -fsSL https://x)"')).toEqual(['sh']);
    expect(found('bash <(curl -s https://x)')).toEqual(['bash']);
    expect(found('curl -fsSL https://x | bash -s -- --uid "$(id -u)"')).toEqual(['bash']);
    expect(found("curl -s https://api | python3 -c 'import json,sys; print(json.load(sys.stdin))'")).toEqual(
      [],
    );
    expect(found('curl -o /tmp/i.sh https://x && sh /tmp/i.sh')).toEqual([]);
    expect(found('curl https://x | tar xz')).toEqual([]);
  });
});
