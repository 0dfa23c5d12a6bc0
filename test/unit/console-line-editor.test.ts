import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editLine, emptyEditor, type EditorKey, type EditorState } from '../../src/console/line-editor.js';

function type(state: EditorState, keys: EditorKey[]) {
  const actions = [];
  for (const key of keys) {
    const r = editLine(state, key);
    state = r.state;
    actions.push(r.action);
  }
  return { state, actions };
}
const ch = (input: string): EditorKey => ({ input });

test('typing, cursor movement, deleting and submitting', () => {
  const { state, actions } = type(emptyEditor(), [
    ch('h'),
    ch('llo'),
    { input: '', leftArrow: true },
    { input: '', leftArrow: true },
    { input: '', leftArrow: true },
    ch('e'),
    { input: '', end: true },
    { input: '', backspace: true },
    ch('o!'),
  ]);
  assert.equal(state.text, 'hello!');
  assert.equal(state.cursor, 6);
  assert.ok(actions.every((a) => a.type === 'none'));
  const done = editLine(state, { input: '', return: true });
  assert.deepEqual(done.action, { type: 'submit', line: 'hello!' });
  assert.equal(done.state.text, '');
  assert.deepEqual(done.state.history, ['hello!']);
});

test('history recall with up and down keeps the draft', () => {
  let s = emptyEditor(['one', 'two']);
  s = type(s, [ch('dr')]).state;
  s = editLine(s, { input: '', upArrow: true }).state;
  assert.equal(s.text, 'two');
  s = editLine(s, { input: '', upArrow: true }).state;
  assert.equal(s.text, 'one');
  s = editLine(s, { input: '', upArrow: true }).state;
  assert.equal(s.text, 'one');
  s = editLine(s, { input: '', downArrow: true }).state;
  assert.equal(s.text, 'two');
  s = editLine(s, { input: '', downArrow: true }).state;
  assert.equal(s.text, 'dr');
  assert.equal(s.historyIndex, null);
});

test('tab completes slash commands and lists candidates', () => {
  let s = type(emptyEditor(), [ch('/su')]).state;
  s = editLine(s, { input: '', tab: true }).state;
  assert.equal(s.text, '/subscribe ');
  s = type(emptyEditor(), [ch('/p')]).state;
  s = editLine(s, { input: '', tab: true }).state;
  assert.equal(s.text, '/p');
  assert.equal(s.hint, '/ping  /pong  /publish  /psubscribe');
});

test('Ctrl-D on an empty line is EOF, Ctrl-C interrupts, Ctrl-U clears', () => {
  assert.deepEqual(editLine(emptyEditor(), { input: 'd', ctrl: true }).action, { type: 'eof' });
  assert.deepEqual(editLine(type(emptyEditor(), [ch('x')]).state, { input: 'd', ctrl: true }).action, { type: 'none' });
  assert.deepEqual(editLine(emptyEditor(), { input: 'c', ctrl: true }).action, { type: 'interrupt' });
  assert.equal(editLine(type(emptyEditor(), [ch('abc')]).state, { input: 'u', ctrl: true }).state.text, '');
});
