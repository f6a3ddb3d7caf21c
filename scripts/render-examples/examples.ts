/**
 * Which golden files the README shows as images: each one is rendered to docs/images/<name>.html
 * and screenshotted to docs/images/<name>.png by `npm run render-examples`.
 */
export type ExampleSurface = 'slack' | 'discord';

export interface Example {
  /** File name (without extension) under docs/images. */
  name: string;
  /** Golden file under test/golden. */
  golden: string;
  surface: ExampleSurface;
  /** Where the message appears (channel or DM), shown above it like the client does. */
  where: string;
  /** Alt text in the README. */
  caption: string;
}

export const EXAMPLES: readonly Example[] = [
  { name: 'slack-alert', golden: 'slack-alert.json', surface: 'slack', where: '#ops-alerts', caption: 'An alert on Slack' },
  { name: 'discord-alert', golden: 'discord-alert.json', surface: 'discord', where: '#ops-alerts', caption: 'An alert on Discord' },
  { name: 'slack-approval', golden: 'slack-approval-pending.json', surface: 'slack', where: '#ops-approvals', caption: 'An approval request on Slack' },
  { name: 'discord-approval', golden: 'discord-approval-pending.json', surface: 'discord', where: '#ops-approvals', caption: 'An approval request on Discord' },
  { name: 'slack-oncall-page', golden: 'slack-escalation-dm.json', surface: 'slack', where: 'Direct message', caption: 'An on-call page (escalation DM) on Slack' },
  { name: 'discord-oncall-page', golden: 'discord-escalation-dm.json', surface: 'discord', where: 'Direct message', caption: 'An on-call page (escalation DM) on Discord' },
];
