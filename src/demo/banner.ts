/** The lines `opsbot demo` prints before the prompt: where things are and what to type. */
import type { Demo } from './index.js';
import { DEMO_TARGET } from './config.js';

export function demoBanner(demo: Demo, botPort: number): string {
  const t = DEMO_TARGET;
  const restart = demo.app.kind === 'supervisor'
    ? [`  restart ${t}                   held for approval: then  approve <id> --as bob`,
      `  status ${t}  ·  logs ${t} --grep ERROR`]
    : ['  (restart, status and logs need supervisord: apt-get install supervisor; the app runs as a plain child)'];
  return [
    '',
    `opsbot demo — a local app "${t}" under ${demo.dir}`,
    `  app: http://127.0.0.1:${demo.appPort}/health (${demo.app.kind === 'supervisor' ? 'under supervisord' : 'a child process'}), database ${demo.database}`,
    `  log: ${demo.app.logFiles.join(', ')}`,
    `  config: ${demo.configFile}; bot HTTP on :${botPort}; you are alice (--as bob for bob)`,
    '',
    'Try:',
    `  health ${t}  ·  checklist ${t}`,
    `  backup run ${t}  ·  backup list ${t}  ·  backup verify ${t}  ·  restore ${t} <backup-id>`,
    `  user locked ${t}  ·  user unlock ${t} carol@shop.test`,
    ...restart,
    '  demo alert                    fires a real Alertmanager webhook at this bot: then  ack <id>',
    `  oncall  ·  jobs  ·  runbook list  ·  runbook shop-errors ${t}  ·  audit  ·  help`,
    'Ctrl-C stops the bot and the app.',
    '',
  ].join('\n');
}
