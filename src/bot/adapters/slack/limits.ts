/**
 * Slack's message limits (PLATFORM-LIMITS.md) and a checker that lists every violation of a
 * message. The renderer is built to stay inside them; the surface checks again before sending,
 * and the tests check every rendered message.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  text: 40_000,
  sectionText: 3_000,
  fieldsPerSection: 10,
  fieldText: 2_000,
  blockId: 255,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  buttonUrl: 3_000,
  actionId: 255,
  contextElements: 10,
  contextText: 3_000,
  headerText: 150,
} as const;

export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface SlackButton {
  type: 'button';
  text: SlackText;
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
}

export type SlackBlock =
  | { type: 'section'; block_id?: string; text?: SlackText; fields?: SlackText[] }
  | { type: 'header'; block_id?: string; text: SlackText }
  | { type: 'context'; block_id?: string; elements: SlackText[] }
  | { type: 'actions'; block_id?: string; elements: SlackButton[] }
  | { type: 'divider'; block_id?: string };

export interface SlackMessage {
  /** Fallback text (notifications, screen readers); required alongside blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Every limit the message breaks, as readable strings; empty when Slack would accept it. */
export function slackLimitViolations(msg: { text?: string; blocks?: unknown[] }): string[] {
  const L = SLACK_LIMITS;
  const out: string[] = [];
  const blocks = (msg.blocks ?? []) as SlackBlock[];
  if ((msg.text ?? '').length > L.text) out.push(`text has ${msg.text?.length} characters (max ${L.text})`);
  if (blocks.length > L.blocks) out.push(`${blocks.length} blocks (max ${L.blocks})`);
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `blocks[${i}] (${b.type})`;
    if (b.block_id !== undefined) {
      if (b.block_id.length > L.blockId) out.push(`${at}: block_id longer than ${L.blockId}`);
      if (blockIds.has(b.block_id)) out.push(`${at}: duplicate block_id ${b.block_id}`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'section':
        if (!b.text && !b.fields?.length) out.push(`${at}: neither text nor fields`);
        if (b.text && (b.text.text.length > L.sectionText || b.text.text.length === 0)) out.push(`${at}: text has ${b.text.text.length} characters (1..${L.sectionText})`);
        if (b.fields) {
          if (b.fields.length > L.fieldsPerSection) out.push(`${at}: ${b.fields.length} fields (max ${L.fieldsPerSection})`);
          b.fields.forEach((f, j) => {
            if (f.text.length > L.fieldText || f.text.length === 0) out.push(`${at}: field ${j} has ${f.text.length} characters (1..${L.fieldText})`);
          });
        }
        break;
      case 'header':
        if (b.text.text.length > L.headerText || b.text.type !== 'plain_text') out.push(`${at}: header text must be plain_text of at most ${L.headerText}`);
        break;
      case 'context':
        if (b.elements.length === 0 || b.elements.length > L.contextElements) out.push(`${at}: ${b.elements.length} elements (1..${L.contextElements})`);
        b.elements.forEach((e, j) => {
          if (e.text.length > L.contextText || e.text.length === 0) out.push(`${at}: element ${j} has ${e.text.length} characters (1..${L.contextText})`);
        });
        break;
      case 'actions':
        if (b.elements.length === 0 || b.elements.length > L.actionsElements) out.push(`${at}: ${b.elements.length} elements (1..${L.actionsElements})`);
        b.elements.forEach((e, j) => {
          const where = `${at} button ${j}`;
          if (e.text.type !== 'plain_text' || e.text.text.length === 0 || e.text.text.length > L.buttonText) out.push(`${where}: text must be plain_text of 1..${L.buttonText}`);
          if (e.value !== undefined && e.value.length > L.buttonValue) out.push(`${where}: value has ${e.value.length} characters (max ${L.buttonValue})`);
          if (e.url !== undefined && e.url.length > L.buttonUrl) out.push(`${where}: url has ${e.url.length} characters (max ${L.buttonUrl})`);
          if (e.action_id.length === 0 || e.action_id.length > L.actionId) out.push(`${where}: action_id must have 1..${L.actionId} characters`);
          if (actionIds.has(e.action_id)) out.push(`${where}: duplicate action_id ${e.action_id}`);
          actionIds.add(e.action_id);
        });
        break;
      case 'divider':
        break;
    }
  });
  return out;
}
