/**
 * Reads shell the way the rules need it: RUN instructions, and compose/Kubernetes `command:`
 * strings. Not a full shell, but it follows the grammar where the rules depend on it: quotes,
 * line continuations, comments, the operators that separate commands (&&, ||, ;, |, &, newlines),
 * the reserved words of if/while/for/case (the first command after `then`/`else`/`do` is a
 * command like any other), redirections (their targets are not arguments), here-documents
 * (a bare `<<EOF` body is script), and command/process substitutions ($(...), `...`, <(...)),
 * whose commands run too. `sh -c 'script'` is read into its commands.
 *
 * mvdan/sh's WebAssembly build (`sh-syntax` 0.7.0, 860 kB) was evaluated for this and not used:
 * its `parse` returns statements whose `Cmd` is only a position (no words, no node type), it is
 * async only, and every call starts a new Go runtime (about 17 ms a call, 45 ms the first).
 * `mvdan-sh` (the GopherJS build: sync, full tree, 1.5 MB) is deprecated upstream in its favour.
 */

export interface ShellCommand {
  /** Leading VAR=value assignments. */
  assignments: Array<[string, string]>;
  /** The command and its arguments, quotes removed, redirections left out. */
  words: string[];
  /** The operator that joined this command to the one before it ('|' inside a pipeline). */
  joinedBy?: '|' | '&&' | '||' | ';' | '&' | '\n';
  /** Redirections: `> /tmp/x` is {op: '>', target: '/tmp/x'}. */
  redirects?: Array<{ op: string; target: string }>;
  /** The body of a here-document fed to the command. */
  heredoc?: string;
  /** For commands inside $(...), `...`, <(...) or `sh -c '...'`: the command that holds them. */
  within?: ShellCommand;
}

export interface ShellParse {
  commands: ShellCommand[];
  /** What could not be read ("unterminated single quote"): the rules cannot judge such a script. */
  problems: string[];
}

/** Commands of a script, in order (substitutions before the command that holds them). */
export function splitShell(script: string): ShellCommand[] {
  return parseShell(script).commands;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);
/** Words that open or continue a compound command: what follows them is a command. */
const LEADING = new Set([
  'if',
  'then',
  'else',
  'elif',
  'do',
  'while',
  'until',
  '!',
  '{',
  '}',
  'fi',
  'done',
  'esac',
]);

export function parseShell(script: string, depth = 0): ShellParse {
  const problems: string[] = [];
  const commands: ShellCommand[] = [];
  if (depth > 8) return { commands, problems: ['substitutions nested too deeply'] };
  const text = script.replace(/\\\r?\n/g, '');
  let current: ShellCommand = { assignments: [], words: [] };
  let inner: ShellCommand[] = []; // commands of substitutions in the current command
  let word = '';
  let inWord = false;
  let quoted = false;
  let join: ShellCommand['joinedBy'];
  let redirect: string | undefined; // the operator waiting for its target word
  const heredocs: Array<{ delimiter: string; strip: boolean; command: ShellCommand }> = [];
  let caseDepth = 0;
  let expectPattern = false;
  let skipCommand = false; // `for x in ...`: a loop header, not a command

  const substitution = (body: string) => {
    const parsed = parseShell(body, depth + 1);
    problems.push(...parsed.problems);
    inner.push(...parsed.commands);
  };
  const endWord = () => {
    if (!inWord) return;
    if (redirect !== undefined) {
      if (redirect === '<<' || redirect === '<<-')
        heredocs.push({ delimiter: word, strip: redirect === '<<-', command: current });
      else (current.redirects ??= []).push({ op: redirect, target: word });
      redirect = undefined;
    } else if (current.words.length === 0 && !quoted && LEADING.has(word)) {
      // a reserved word in command position: the command starts after it
    } else if (current.words.length === 0 && !quoted && /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(word)) {
      const eq = word.indexOf('=');
      current.assignments.push([word.slice(0, eq).replace(/\+$/, ''), word.slice(eq + 1)]);
    } else {
      if (current.words.length === 0 && !quoted && (word === 'for' || word === 'select')) skipCommand = true;
      current.words.push(word);
      if (current.words.length === 3 && current.words[0] === 'case' && word === 'in') {
        // `case WORD in`: patterns follow; the case line itself runs nothing
        current = { assignments: [], words: [] };
        caseDepth++;
        expectPattern = true;
      }
    }
    word = '';
    inWord = false;
    quoted = false;
  };
  const endCommand = (next?: ShellCommand['joinedBy']) => {
    endWord();
    if (redirect !== undefined) {
      problems.push(`redirection ${redirect} without a target`);
      redirect = undefined;
    }
    for (const command of inner) command.within ??= current;
    commands.push(...inner);
    inner = [];
    if (!skipCommand && (current.words.length > 0 || current.assignments.length > 0 || current.heredoc)) {
      if (join) current.joinedBy = join;
      commands.push(current);
    }
    skipCommand = false;
    current = { assignments: [], words: [] };
    join = next;
  };
  /** The index of the `)` closing the `(` before `from`, skipping quotes and nesting. */
  const closing = (from: number, open: string, close: string): number => {
    let level = 1;
    for (let j = from; j < text.length; j++) {
      const c = text[j]!;
      if (c === '\\') j++;
      else if (c === "'") {
        const end = text.indexOf("'", j + 1);
        if (end === -1) return -1;
        j = end;
      } else if (c === '"') {
        j++;
        while (j < text.length && text[j] !== '"') {
          if (text[j] === '\\') j++;
          j++;
        }
      } else if (c === open) level++;
      else if (c === close && --level === 0) return j;
    }
    return -1;
  };
  /** $(...), $((...)), ${...} and `...` starting at i; returns the index of their last char. */
  const dollarOrBacktick = (i: number): number => {
    const c = text[i]!;
    if (c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== '`') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) {
        problems.push('unterminated `...`');
        return text.length;
      }
      substitution(text.slice(i + 1, j).replace(/\\([`$\\])/g, '$1'));
      word += text.slice(i, j + 1);
      return j;
    }
    const next = text[i + 1];
    if (next === '(' && text[i + 2] === '(') {
      const end = text.indexOf('))', i + 3);
      const stop = end === -1 ? text.length : end + 1;
      word += text.slice(i, stop + 1);
      return stop;
    }
    if (next === '(' || next === '{') {
      const end = closing(i + 2, next, next === '(' ? ')' : '}');
      if (end === -1) {
        problems.push(`unterminated ${next === '(' ? '$(' : '${'}`);
        return text.length;
      }
      if (next === '(') substitution(text.slice(i + 2, end));
      word += text.slice(i, end + 1);
      return end;
    }
    word += c;
    return i;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (expectPattern && !inWord && current.words.length === 0) {
      // a case pattern (`a|b)`), or the esac that ends the case
      if (c === ' ' || c === '\t' || c === '\n' || c === ';') continue;
      if (/^esac(?![^\s;&|)])/.test(text.slice(i))) {
        i += 3;
        caseDepth--;
        expectPattern = false;
        continue;
      }
      const end = closing(c === '(' ? i + 1 : i, '\0', ')');
      if (end === -1) {
        problems.push('unterminated case pattern');
        break;
      }
      i = end;
      expectPattern = false;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) {
        problems.push('unterminated single quote');
        word += text.slice(i + 1);
        i = text.length;
      } else {
        word += text.slice(i + 1, end);
        i = end;
      }
      inWord = true;
      quoted = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === '\\' && j + 1 < text.length) {
          const e = text[j + 1]!;
          word += '$`"\\\n'.includes(e) ? e : `\\${e}`;
          j++;
        } else if (d === '$' || d === '`') j = dollarOrBacktick(j);
        else word += d;
      }
      if (j >= text.length) problems.push('unterminated double quote');
      inWord = true;
      quoted = true;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
      quoted = true;
    } else if (c === '$' || c === '`') {
      i = dollarOrBacktick(i);
      inWord = true;
    } else if (c === '#' && !inWord) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
    } else if ((c === '<' || c === '>') && text[i + 1] === '(') {
      // process substitution: a file name whose contents are the commands' output
      const end = closing(i + 2, '(', ')');
      if (end === -1) {
        problems.push(`unterminated ${c}(`);
        break;
      }
      substitution(text.slice(i + 2, end));
      word += text.slice(i, end + 1);
      inWord = true;
      i = end;
    } else if (c === '<' || c === '>' || (c === '&' && text[i + 1] === '>')) {
      // a redirection; a word of digits just before it is the file descriptor
      if (inWord && !quoted && /^\d+$/.test(word)) {
        word = '';
        inWord = false;
      }
      endWord();
      const op = /^(<<<|<<-|<<|<>|<&|>>|>&|>\||&>>|&>|<|>)/.exec(text.slice(i))![0];
      i += op.length - 1;
      const dup = /^[0-9]+-?|^-/.exec(text.slice(i + 1));
      if ((op === '>&' || op === '<&') && dup) i += dup[0].length;
      else redirect = op;
    } else if (c === '&' && text[i + 1] === '&') {
      endCommand('&&');
      i++;
    } else if (c === '|') {
      if (text[i + 1] === '|') {
        endCommand('||');
        i++;
      } else {
        endCommand('|');
        if (text[i + 1] === '&') i++;
      }
    } else if (c === ';' || c === '&') {
      endCommand(c === '&' ? '&' : ';');
      if (c === ';' && text[i + 1] === ';') {
        // `;;` ends a case branch: a pattern follows
        i++;
        if (text[i + 1] === '&') i++;
        if (caseDepth > 0) expectPattern = true;
      } else if (c === ';' && text[i + 1] === '&' && caseDepth > 0) {
        i++;
        expectPattern = true;
      }
    } else if (c === '\n') {
      // here-document bodies start on the next line; they belong to commands of this line
      endWord();
      let at = i + 1;
      for (const { delimiter, strip, command } of heredocs.splice(0)) {
        const lines: string[] = [];
        let found = false;
        while (at <= text.length) {
          const eol = text.indexOf('\n', at);
          const line = text.slice(at, eol === -1 ? text.length : eol);
          at = eol === -1 ? text.length + 1 : eol + 1;
          if ((strip ? line.replace(/^\t+/, '') : line) === delimiter) {
            found = true;
            break;
          }
          lines.push(strip ? line.replace(/^\t+/, '') : line);
        }
        if (!found) problems.push(`here-document without its ${delimiter} line`);
        command.heredoc = lines.join('\n');
      }
      endCommand('\n');
      i = Math.min(at, text.length + 1) - 1;
    } else if (c === '(' || c === ')') {
      if (c === '(' && !inWord && current.words.length === 0 && text[i + 1] === '(') {
        // (( arithmetic ))
        const end = text.indexOf('))', i + 2);
        i = end === -1 ? text.length : end + 1;
        continue;
      }
      endCommand(';');
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      word += c;
      inWord = true;
    }
  }
  if (heredocs.length > 0) {
    // a here-document on the last line has no body
    for (const { delimiter } of heredocs) problems.push(`here-document without its ${delimiter} line`);
  }
  endCommand();

  // A here-document fed to a shell, or a bare `<<EOF` (Dockerfile RUN), is script; so is sh -c.
  const out: ShellCommand[] = [];
  for (const command of commands) {
    const run = scriptOf(command);
    if (command.words.length > 0 || command.assignments.length > 0) out.push(command);
    if (run !== undefined) {
      const parsed = parseShell(run, depth + 1);
      problems.push(...parsed.problems);
      for (const sub of parsed.commands) {
        sub.within ??= command.words.length > 0 ? command : command.within;
        if (command.words.length === 0 && sub === parsed.commands[0] && command.joinedBy)
          sub.joinedBy ??= command.joinedBy;
        out.push(sub);
      }
    }
  }
  return { commands: out, problems };
}

/** The script a command runs as shell: a bare here-document, `sh <<EOF`, `sh -c 'script'`. */
function scriptOf(command: ShellCommand): string | undefined {
  if (command.words.length === 0) return command.heredoc;
  const cmd = program(command);
  if (!cmd || !SHELLS.has(cmd.name)) return undefined;
  const c = cmd.args.findIndex((arg) => /^-[a-z]*c[a-z]*$/i.test(arg) && !arg.startsWith('--'));
  if (c !== -1) return cmd.args[c + 1];
  if (cmd.args.every((arg) => arg.startsWith('-'))) return command.heredoc;
  return undefined;
}

/**
 * The commands a compose/Kubernetes `command:` (or `entrypoint:`, `args:`) runs: an exec-form
 * list (`["sh", "-c", "pip install x && serve"]`) or a string (read as a shell command line).
 */
export function commandLine(command: string | readonly string[]): ShellParse {
  if (typeof command === 'string') return parseShell(command);
  const words = command.map(String);
  const head: ShellCommand = { assignments: [], words };
  const run = scriptOf(head);
  if (run === undefined) return { commands: words.length ? [head] : [], problems: [] };
  const parsed = parseShell(run);
  for (const sub of parsed.commands) sub.within ??= head;
  return { commands: [head, ...parsed.commands], problems: parsed.problems };
}

/** Wrappers that run the command after their own options, and their options that take a value. */
const WRAPPERS: Record<string, Set<string>> = {
  sudo: new Set(['-u', '-g', '-h', '-p', '-C', '-D', '-R', '-T', '-U', '--user', '--group']),
  doas: new Set(['-u', '-C']),
  gosu: new Set(),
  'su-exec': new Set(),
  exec: new Set(['-a']),
  time: new Set(['-f', '-o']),
  nice: new Set(['-n']),
  nohup: new Set(),
  env: new Set(['-u', '-C', '-S', '--unset', '--chdir']),
  command: new Set(),
  stdbuf: new Set(['-i', '-o', '-e']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  xargs: new Set(['-I', '-L', '-n', '-P', '-d', '-E', '-s', '-a']),
};

/** The command's program, through sudo/env/exec/python -m wrappers: ["pip", ...rest]. */
export function program(command: ShellCommand): { name: string; args: string[] } | undefined {
  const words = [...command.words];
  while (words.length > 0 && WRAPPERS[words[0]!.split('/').pop()!]) {
    const wrapper = words.shift()!.split('/').pop()!;
    const withValue = WRAPPERS[wrapper]!;
    while (words.length > 0) {
      const word = words[0]!;
      if (withValue.has(word)) words.splice(0, 2);
      else if (word.startsWith('-') || (wrapper === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)))
        words.shift();
      else break;
    }
    // gosu/su-exec USER COMMAND; timeout DURATION COMMAND
    if ((wrapper === 'gosu' || wrapper === 'su-exec' || wrapper === 'timeout') && words.length > 0)
      words.shift();
  }
  if (words.length === 0) return undefined;
  let name = words[0]!.split('/').pop()!;
  let args = words.slice(1);
  if (/^python(\d(\.\d+)?)?$/.test(name)) {
    const m = args.findIndex((arg) => arg === '-m' || (arg.startsWith('-m') && arg.length > 2));
    const before = m === -1 ? [] : args.slice(0, m);
    if (m !== -1 && before.every((arg) => /^-[A-Za-z]+$/.test(arg) && !arg.includes('c'))) {
      name = args[m] === '-m' ? (args[m + 1] ?? '') : args[m]!.slice(2);
      args = args.slice(args[m] === '-m' ? m + 2 : m + 1);
      if (!name) return undefined;
    }
  }
  return { name, args };
}

/** Programs that fetch from the network and can write what they fetched to stdout. */
export const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c']);
/** Programs that run a script they read from stdin or a file argument. */
export const INTERPRETERS =
  /^(sh|bash|dash|ash|zsh|ksh|mksh|python(\d(\.\d+)?)?|perl|ruby|node|php|eval|source|\.)$/;

/**
 * Downloads run as code: `curl URL | sh`, `wget -O- URL | sudo bash -s --`, `sh -c "$(curl URL)"`,
 * `bash <(curl URL)`, `python3 <(wget -qO- URL)`. Returns the downloading command of each.
 */
export function downloadsRunAsCode(
  commands: readonly ShellCommand[],
): Array<{ download: ShellCommand; runner: ShellCommand }> {
  const out: Array<{ download: ShellCommand; runner: ShellCommand }> = [];
  commands.forEach((command) => {
    const cmd = program(command);
    if (!cmd || !DOWNLOADERS.has(cmd.name)) return;
    // Later commands of the same pipeline (substitutions in them are listed between: skip those).
    const peers = commands.filter((other) => other.within === command.within);
    for (let j = peers.indexOf(command) + 1; j < peers.length && peers[j]!.joinedBy === '|'; j++) {
      const next = peers[j]!;
      const runner = program(next);
      if (runner && INTERPRETERS.test(runner.name) && readsScriptFromStdin(runner.name, runner.args)) {
        out.push({ download: command, runner: next });
        break;
      }
    }
    // Inside $(...) or <(...) of an interpreter's command.
    const holder = command.within && program(command.within);
    if (holder && INTERPRETERS.test(holder.name)) out.push({ download: command, runner: command.within! });
  });
  return out;
}

function readsScriptFromStdin(name: string, args: string[]): boolean {
  if (name === 'eval' || name === 'source' || name === '.') return false;
  if (args.some((arg) => /^-[a-z]*c$/i.test(arg) || arg === '-e' || arg === '-E')) {
    // `sh -c 'cat > x'`, `python -c '...json.load(sys.stdin)'`: the download is data
    return false;
  }
  if (args.includes('-s') || args.includes('-')) return true;
  const operands = args.filter((arg) => !arg.startsWith('-'));
  return operands.length === 0;
}
