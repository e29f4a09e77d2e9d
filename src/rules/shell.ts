/**
 * Just enough of POSIX shell to read RUN instructions: line continuations, quotes, comments,
 * and the operators that separate commands (&&, ||, ;, |, newlines). Each command is its
 * words; `env=1 cmd` assignments are kept apart.
 */

export interface ShellCommand {
  /** Leading VAR=value assignments. */
  assignments: Array<[string, string]>;
  /** The command and its arguments, quotes removed. */
  words: string[];
}

export function splitShell(script: string): ShellCommand[] {
  const text = script.replace(/\\\r?\n/g, ' ');
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) {
      const assignments: Array<[string, string]> = [];
      while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
        const [name, ...rest] = words.shift()!.split('=');
        assignments.push([name!, rest.join('=')]);
      }
      commands.push({ assignments, words });
    }
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end === -1 ? text.length : end);
      inWord = true;
      i = end === -1 ? text.length : end;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        word += text[j];
        j++;
      }
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (c === '#' && !inWord) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
    } else if (c === '&' && text[i + 1] === '&') {
      endCommand();
      i++;
    } else if (c === '|') {
      endCommand();
      if (text[i + 1] === '|') i++;
    } else if (c === ';' || c === '\n' || c === '(' || c === ')' || c === '{' || c === '}') {
      if ((c === '{' || c === '}') && inWord) {
        word += c;
        continue;
      }
      endCommand();
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** The command's program, through sudo/env/exec/python -m wrappers: ["pip", ...rest]. */
export function program(command: ShellCommand): { name: string; args: string[] } | undefined {
  const words = [...command.words];
  while (words.length > 0 && ['sudo', 'exec', 'time', 'nice', 'env'].includes(words[0]!)) {
    words.shift();
    while (words.length > 0 && (words[0]!.startsWith('-') || /^[A-Za-z_]+=/.test(words[0]!))) words.shift();
  }
  if (words.length === 0) return undefined;
  let name = words[0]!.split('/').pop()!;
  let args = words.slice(1);
  if (/^python(\d(\.\d+)?)?$/.test(name) && args[0] === '-m' && args[1]) {
    name = args[1];
    args = args.slice(2);
  }
  return { name, args };
}
