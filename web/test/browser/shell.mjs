// The product's examples in Chromium (issue #6), on the served root image
// (`build/images/rootfs.ext2`, made by `cargo xtask build`): tests/seed/
// hello.c through the Pod API, and the demo terminal — the image's init
// starts a login shell on an xterm.js terminal and the test types into it
// with Playwright's keyboard, reading the screen. Every test waits for
// text on the screen (or a file, or a process in /proc), never for time;
// run.mjs's deadline turns a hang into a failure. When the served image has
// no shell, each test is skipped with the reason.
import { callInPage } from './lib.mjs';

/** What tests/seed/hello.c prints (the exact text). */
export const HELLO = 'Hello, world!\n648A6A6FFFFDAA0BADB23B8BAF90B6168DD16B3A  -\n';

const PROMPT = 'user@wasmpod:~$ ';

function indent(s) {
  return String(s)
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

const pause = () => new Promise((r) => setTimeout(r, 50));

/**
 * Boots the image's shell on a terminal in `page`; returns helpers:
 * `screen()`, `waitFor(pred|text)`, `type(line)` (types and presses Enter),
 * `count(text)`, `prompts()` (how many prompts are on screen).
 */
async function shell(page, Skip) {
  const start = await callInPage(page, 'shellStart');
  if (start.skip) throw new Skip(start.skip);
  const screen = () => callInPage(page, 'terminalScreen');
  page.describe = () => `screen:\n${indent(page.lastScreen ?? '(not read)')}`;
  const waitFor = async (want) => {
    const ok = typeof want === 'function' ? want : (s) => s.includes(want);
    for (;;) {
      const s = await screen();
      page.lastScreen = s;
      if (ok(s)) return s;
      await pause();
    }
  };
  const count = (s, what) => s.split(what).length - 1;
  const prompts = (s) => count(s, PROMPT.trimEnd());
  await waitFor(PROMPT.trimEnd());
  await page.click('#terminal');
  /** Types `line`, presses Enter and waits for the next prompt. */
  const run = async (line) => {
    const before = prompts(await screen());
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    return waitFor((s) => prompts(s) > before);
  };
  return { screen, waitFor, count, prompts, run };
}

export function shellTests(Skip) {
  return [
    [
      'image: tests/seed/hello.c through the Pod API',
      async (page) => {
        const r = await callInPage(page, 'seedHello');
        if (r.skip) throw new Skip(r.skip);
        if (r.code !== 0 || r.out !== HELLO) {
          throw new Error(`exit ${r.code}, stdout ${JSON.stringify(r.out)} (want ${JSON.stringify(HELLO)}), stderr ${JSON.stringify(r.err)}`);
        }
        return 'exact output';
      },
    ],
    [
      'image: shell prompt, line editing and history',
      async (page) => {
        const sh = await shell(page, Skip);
        // Line editing: Home, End, cursor keys and a deletion make `echo wasmpod`.
        await page.keyboard.type('cho wasmXpod');
        await page.keyboard.press('Home');
        await page.keyboard.type('e');
        await page.keyboard.press('End');
        for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
        await page.keyboard.press('Backspace');
        let before = sh.prompts(await sh.screen());
        await page.keyboard.press('Enter');
        let s = await sh.waitFor((t) => sh.prompts(t) > before);
        if (!s.split('\n').includes('wasmpod')) throw new Error('the edited line did not print "wasmpod"');
        await sh.run('echo second');
        // History: two steps up is the edited line again.
        before = sh.prompts(await sh.screen());
        await page.keyboard.press('ArrowUp');
        await page.keyboard.press('ArrowUp');
        await page.keyboard.press('Enter');
        s = await sh.waitFor((t) => sh.prompts(t) > before);
        const lines = s.split('\n').filter((l) => l === 'wasmpod').length;
        if (lines !== 2) throw new Error(`history: "wasmpod" printed ${lines} times, want 2`);
        return 'prompt, cursor keys, backspace, history';
      },
    ],
    [
      'image: ls --color',
      async (page) => {
        const sh = await shell(page, Skip);
        await sh.run('ls --color=always -d /bin /etc/passwd');
        const dir = await callInPage(page, 'shellCellStyle', '/bin');
        const file = await callInPage(page, 'shellCellStyle', '/etc/passwd');
        if (!dir || !file) throw new Error('ls output not on the screen');
        if (dir.fgDefault) throw new Error(`the directory is not coloured: ${JSON.stringify(dir)}`);
        if (!file.fgDefault) throw new Error(`the plain file is coloured: ${JSON.stringify(file)}`);
        return `directory colour ${dir.fg}${dir.bold ? ' bold' : ''}`;
      },
    ],
    [
      'image: Ctrl-C stops sleep 100, the shell lives on',
      async (page) => {
        const sh = await shell(page, Skip);
        const before = sh.prompts(await sh.screen());
        await page.keyboard.type('sleep 100');
        await page.keyboard.press('Enter');
        // The sleep is running when /proc shows it.
        while (!(await callInPage(page, 'shellPids', 'sleep')).length) await pause();
        await page.keyboard.press('Control+C');
        await sh.waitFor((t) => sh.prompts(t) > before);
        const left = await callInPage(page, 'shellPids', 'sleep');
        if (left.length) throw new Error(`sleep still running: pids ${left}`);
        const s = await sh.run('echo alive-$((6*7))');
        if (!s.includes('\nalive-42')) throw new Error('the shell did not run a command after Ctrl-C');
        return 'SIGINT ended sleep; the shell answered';
      },
    ],
    [
      'image: vi opens, edits, saves and quits',
      async (page) => {
        const sh = await shell(page, Skip);
        const before = sh.prompts(await sh.screen());
        await page.keyboard.type('vi notes.txt');
        await page.keyboard.press('Enter');
        await sh.waitFor((s) => s.includes('notes.txt') && s.split('\n').filter((l) => l === '~').length >= 3);
        // vi shows the mode at the start of the status line ("I" while
        // inserting); after Escape the test waits for it to go, so that
        // the next key is not read as part of an escape sequence.
        const status = (s) => s.split('\n').pop();
        const escape = async () => {
          await page.keyboard.press('Escape');
          await sh.waitFor((s) => !status(s).startsWith('I'));
        };
        await page.keyboard.type('ihello from vi');
        await page.keyboard.press('Enter');
        await page.keyboard.type('second line');
        await sh.waitFor('second line');
        await escape();
        await page.keyboard.type('ggA!');
        await sh.waitFor('hello from vi!');
        await escape();
        await page.keyboard.type(':wq');
        await page.keyboard.press('Enter');
        await sh.waitFor((t) => sh.prompts(t) > before);
        const body = await callInPage(page, 'shellReadFile', '/home/user/notes.txt');
        const want = 'hello from vi!\nsecond line\n';
        if (body !== want) throw new Error(`/home/user/notes.txt is ${JSON.stringify(body)}, want ${JSON.stringify(want)}`);
        return 'file written as edited';
      },
    ],
    [
      'image: the lua REPL',
      async (page) => {
        const sh = await shell(page, Skip);
        const before = sh.prompts(await sh.screen());
        await page.keyboard.type('lua');
        await page.keyboard.press('Enter');
        await sh.waitFor((s) => s.includes('Lua 5.4') && s.trimEnd().endsWith('>'));
        await page.keyboard.type('t = {} for i = 1, 10 do t[#t + 1] = i * i end print("sum=" .. #t, select(2, pcall(error, "oops")))');
        await page.keyboard.press('Enter');
        // The tab print puts between values is spaces on the screen.
        await sh.waitFor((t) => /sum=10 +oops/.test(t));
        await page.keyboard.type('os.exit(3)');
        await page.keyboard.press('Enter');
        await sh.waitFor((t) => sh.prompts(t) > before);
        const s = await sh.run('echo lua-status=$?');
        if (!s.includes('lua-status=3')) throw new Error('lua did not exit with 3');
        return 'expression, pcall, os.exit';
      },
    ],
    [
      'image: sqlite3 on a database under /home/user',
      async (page) => {
        const sh = await shell(page, Skip);
        const before = sh.prompts(await sh.screen());
        await page.keyboard.type('sqlite3 /home/user/demo.db');
        await page.keyboard.press('Enter');
        await sh.waitFor('SQLite version');
        for (const line of [
          'create table t(n integer, name text);',
          "insert into t values (40, 'a'), (2, 'b');",
          "select 'total=' || sum(n) from t;",
        ]) {
          await page.keyboard.type(line);
          await page.keyboard.press('Enter');
        }
        await sh.waitFor('total=42');
        await page.keyboard.type('.quit');
        await page.keyboard.press('Enter');
        await sh.waitFor((t) => sh.prompts(t) > before);
        const s = await sh.run('sqlite3 /home/user/demo.db "select count(*) || \' rows\' from t"');
        if (!s.includes('\n2 rows')) throw new Error('the database did not keep its rows');
        return 'created, queried, reopened';
      },
    ],
  ];
}
