/**
 * The demo's opsbot configuration, written to `<demo folder>/opsbot.yaml` at every start (the
 * app's port and the paths change with the folder). It exercises every command family on the
 * local app: health and checklist, backups with verification, the user directory, the service
 * manager, approvals, people, on-call, escalation, a scheduled job and a runbook.
 */
import type { DemoProcess } from './processes.js';

export const DEMO_TARGET = 'shop';
export const DEMO_ALERT = 'ShopErrors';

export interface DemoConfigInput {
  dir: string;
  database: string;
  port: number;
  app: DemoProcess;
}

/** A YAML scalar for a path or text: JSON strings are YAML strings. */
const q = (v: string) => JSON.stringify(v);

function managerYaml(app: DemoProcess): string {
  if (app.kind !== 'supervisor' || !app.configFile) {
    return '    # No supervisord on this machine (apt-get install supervisor): the app runs as a plain child\n'
      + '    # of the demo, so status, restart and logs answer "not configured".\n';
  }
  return `    # supervisord of the demo (supervisor/supervisord.conf): status, restart and logs go through supervisorctl.
    manager: { kind: supervisor, name: ${app.program}, configFile: ${q(app.configFile)}, restartTimeout: 20s, waitFor: [http] }
`;
}

export function demoConfigYaml(c: DemoConfigInput): string {
  return `# Written by \`opsbot demo\` at every start; edit a copy, not this file.
# A small local app "${DEMO_TARGET}": an HTTP service, its SQLite database of users and its log.
bot:
  name: opsbot-demo
  consoleUser: console:alice      # you type as alice; \`--as bob\` runs one line as bob

people:
  alice: { console: alice, tz: Europe/Berlin, roles: [operator] }
  bob:   { console: bob, tz: Europe/Berlin, roles: [sre-lead] }

targets:
  ${DEMO_TARGET}:
    description: the demo app (HTTP on 127.0.0.1:${c.port}, SQLite users, a log with errors)
    environment: production
    health:
      - name: http
        http: { url: "http://127.0.0.1:${c.port}/health", expectStatus: 200, json: { status: ok }, maxLatency: 1s }
      - name: database
        sqlite: { path: ${q(c.database)}, check: full }
      - name: locked users
        sql: { path: ${q(c.database)}, query: "SELECT COUNT(*) FROM users WHERE loginAttempts >= 5", label: locked accounts, warnAbove: 0 }
      - name: disk
        disk: { path: ${q(c.dir)}, maxUsedPercent: 95, warnUsedPercent: 90 }
      - name: memory
        memory: { maxUsedPercent: 95, warnUsedPercent: 90 }
      - name: backup fresh
        backup-fresh: { job: db, maxAge: 26h }
${managerYaml(c.app)}    backups:
      - name: db
        kind: sqlite
        source: ${q(c.database)}
        destination: ${q(`${c.dir}/backups`)}
        retention: { keepLast: 10 }
    users:
      sql: { path: ${q(c.database)}, table: users, key: id }
      lookup: [email]
      show: [name, role]
      locked:
        any:
          - { field: loginAttempts, op: gte, value: 5 }
      unlock: { set: { loginAttempts: 0 }, unset: [lockedAt] }
      disable: { set: { active: 0 } }
      enable: { set: { active: 1 } }

rbac:
  roles:
    operator: { allow: ["*"] }
    sre-lead: { allow: ["*"] }

approvals:
  rules:
    - commands: [restart]               # restarting production needs a second person
      environments: [production]
      approvers: [sre-lead]             # bob; alice cannot approve her own request
      count: 1
      expires: 30m

schedules:
  primary:
    timezone: Europe/Berlin
    layers:
      - { people: [alice, bob], shift: 1w, handoff: "Mon 09:00", start: 2026-01-05 }

escalationPolicies:
  shop:
    steps:
      - { notify: [ { schedule: primary } ], delay: 5m }
      - { notify: [ { schedule: primary, layer: next }, { channel: console:alerts } ] }

alerting:
  defaultChannel: console:alerts
  routes:
    - name: shop
      matchers: ['target="${DEMO_TARGET}"']
      channels: [console:alerts]
      escalation: shop
      runbook: shop-errors

jobs:
  morning-check:
    description: the morning checklist on weekdays
    cron: "0 8 * * 1-5"
    timezone: Europe/Berlin
    run: "checklist ${DEMO_TARGET}"
    channel: console:alerts
    notify: always
    role: operator
  nightly-backup:
    cron: "0 2 * * *"
    timezone: Europe/Berlin
    run: "backup run ${DEMO_TARGET}"
    channel: console:alerts
    notify: failure
    role: operator
    alert: true

runbooks:
  shop-errors:
    description: The shop logs errors — look, check, verify the backup
    params: [target]
    steps:
      - run: "logs {{target}} --lines 20 --grep ERROR"
        continue: true
      - run: "health {{target}}"
        continue: true
      - run: "user locked {{target}}"
      - run: "backup verify {{target}}"
        continue: true
`;
}
