import { describe, expect, it } from '@jest/globals';
import { renderConsole } from '../../src/bot/adapters/console/render.js';
import { fields, table, type Reply } from '../../src/core/reply.js';

const r: Reply = {
  title: 'Health: all',
  status: 'fail',
  blocks: [
    { type: 'text', text: '1 ok, 1 failed' },
    table(['Target', 'Status', 'Detail'], [['web', 'ok', 'HTTP 200'], ['database-primary', 'FAIL', 'refused']]),
    fields({ Checked: 2, Skipped: undefined }),
    { type: 'code', title: 'Last lines', text: 'a\nb' },
  ],
  buttons: [{ label: 'Acknowledge', command: 'ack a1b2' }],
  footer: 'ref 123',
};

describe('console renderer', () => {
  it('given no terminal, then it prints plain aligned text without colour codes', () => {
    const out = renderConsole(r, { colour: false });
    expect(out).not.toContain("\x1b[");
    expect(out.split('\n')).toEqual([
      '[FAIL] Health: all',
      '1 ok, 1 failed',
      'Target            Status  Detail',
      '----------------  ------  --------',
      'web               ok      HTTP 200',
      'database-primary  FAIL    refused',
      'Checked: 2',
      'Last lines',
      '  a',
      '  b',
      'Actions: Acknowledge → `ack a1b2`',
      'ref 123',
    ]);
  });

  it('given a terminal, then status words are coloured', () => {
    const out = renderConsole(r, { colour: true });
    expect(out).toContain('\x1b[31m[FAIL]\x1b[0m');
    expect(out).toContain("\x1b[32mok");
  });

  it('cuts long cells and flattens newlines in tables', () => {
    const out = renderConsole({ title: 't', status: 'ok', blocks: [table(['A'], [['x'.repeat(200)], ['line1\nline2']])] }, { colour: false, maxCell: 20 });
    expect(out).toContain(`${'x'.repeat(19)}…`);
    expect(out).toContain('line1 line2');
  });
});
