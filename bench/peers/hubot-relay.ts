/**
 * The peer a Node user would pick: Hubot 14 with a relay script. Its express router receives the
 * Alertmanager webhook (`robot.router.post`), checks the bearer token, and relays one line per
 * notification to a room through a null adapter (no chat network, so only Hubot itself is measured).
 * Env: EXPRESS_PORT, EXPRESS_BIND_ADDRESS (Hubot's own), WEBHOOK_TOKEN.
 */
import hubot from 'hubot';

interface Req { headers: Record<string, string | undefined>; body: unknown }
interface Res { status(n: number): Res; send(b: unknown): void }
interface HubotRobot { router: { post(path: string, h: (req: Req, res: Res) => void): void }; messageRoom(room: string, ...s: string[]): Promise<unknown>; loadAdapter(): Promise<void>; run(): Promise<void>; logger: { info(s: string): void } }
interface HubotModule { Robot: new (adapter: unknown, httpd: boolean, name: string) => HubotRobot; Adapter: new (robot: HubotRobot) => object }

const { Robot, Adapter } = hubot as unknown as HubotModule;
let relayed = 0;

/** Sends nowhere; counts what it was asked to send. */
class NullAdapter extends Adapter {
  async send(_envelope: unknown, ...strings: string[]): Promise<void> {
    relayed += strings.length;
  }
  async reply(envelope: unknown, ...strings: string[]): Promise<void> {
    await this.send(envelope, ...strings);
  }
  async run(): Promise<void> {
    (this as unknown as { emit(e: string): void }).emit('connected');
  }
  close(): void {}
}

const robot = new Robot({ use: (r: HubotRobot) => new NullAdapter(r) }, true, 'relay');
await robot.loadAdapter();
// run() sets up express (robot.router); the relay's routes are added to it right after.
await robot.run();
const token = process.env.WEBHOOK_TOKEN ?? '';

robot.router.post('/webhooks/alertmanager', (req, res) => {
  if (token && req.headers.authorization !== `Bearer ${token}`) return res.status(401).send({ error: 'unauthorized' });
  const p = req.body as { status?: unknown; groupLabels?: Record<string, unknown>; alerts?: unknown[] } | undefined;
  if (!p || typeof p !== 'object' || !Array.isArray(p.alerts)) return res.status(400).send({ error: 'invalid_payload' });
  const name = String(p.groupLabels?.alertname ?? 'alert');
  void robot.messageRoom('alerts', `[${String(p.status).toUpperCase()}] ${name}: ${p.alerts.length} alert(s)`);
  res.send({ status: 'accepted' });
});
robot.router.post('/relayed', (_req, res) => res.send({ relayed }));
