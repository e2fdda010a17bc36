// One SSH session channel of a logged-in user: collects pty/env, resolves the target (direct or menu), checks
// block and grant, connects with the vaulted credential and relays shell, exec or sftp as a recorded session (sftp
// with its file transfers logged as session events).

import type { ClientChannel, PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import type { CredentialRepo, DeviceRepo, GrantRepo } from '../../core/ports.js';
import type { Credential, Device, SessionType, User } from '../../core/types.js';
import type { SessionHub, SessionRequest } from '../../hub/session-hub.js';
import type { LiveSession } from '../../hub/live-session.js';
import { errMessage, type GatewayLogger } from './auth.js';
import { parseChoice, readLine, renderMenu, type MenuEntry } from './menu.js';
import { Relay } from './relay.js';
import { SftpWatch } from './sftp-watch.js';
import type { TargetConnection, TargetConnector } from './target.js';
import { formatTarget, type LoginTarget, type TargetRef } from './target-syntax.js';

/** What a session channel needs from the rest of Vigil. */
export interface SessionChannelDeps {
  hub: SessionHub;
  grants: GrantRepo;
  credentials: Pick<CredentialRepo, 'get' | 'find'>;
  devices: Pick<DeviceRepo, 'get'>;
  connector: TargetConnector;
  /** The permissions a user's roles give. */
  permissionsOf: (roles: readonly string[]) => Promise<string[]>;
  logger: GatewayLogger;
  /** How long the menu waits for a choice (default 5 minutes). */
  menuTimeoutMs?: number;
}

/** The logged-in connection a channel belongs to. */
export interface ConnectionInfo {
  user: User;
  login: LoginTarget;
  ip: string;
}

// Environment passed on to the target; TERM travels with the pty request.
const ENV_ALLOWED = /^(LANG|LANGUAGE|LC_[A-Z]+|TZ|COLORTERM)$/;

/** Exit status for a session Vigil refused (no grant, blocked, target down...). */
export const REFUSED_EXIT_STATUS = 1;

export class SessionChannel {
  private pty: PseudoTtyInfo | null = null;
  private readonly env: Record<string, string> = {};
  private target: ClientChannel | null = null;
  private live: LiveSession | null = null;
  private relay: Relay | null = null;
  private started = false;
  private gone = false;

  /** Resolves when this channel is over (closed, refused, or never started). */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    session: Session,
    private readonly conn: ConnectionInfo,
    private readonly d: SessionChannelDeps,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    session.once('close', () => this.markClosed());
    session.on('pty', (accept, _reject, info) => {
      this.pty = info;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      accept?.();
      if (this.pty) Object.assign(this.pty, { cols: info.cols, rows: info.rows, width: info.width, height: info.height });
      this.target?.setWindow(info.rows, info.cols, info.height, info.width);
      this.live?.resize(info.cols, info.rows);
    });
    session.on('env', (accept, reject, info) => {
      if (ENV_ALLOWED.test(info.key) && Object.keys(this.env).length < 32 && String(info.val).length < 1024) {
        this.env[info.key] = String(info.val);
        accept?.();
      } else reject?.();
    });
    session.on('signal', (accept, _reject, info) => {
      accept?.();
      try {
        this.target?.signal(info.name);
      } catch {
        // ssh2 refuses signal names it does not know; there is nothing to relay then.
      }
    });
    session.on('x11', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => reject?.());
    // Accept at once (FACTS: a client that half-closes before the accept is otherwise lost); input waits, paused.
    session.on('shell', (accept, reject) => this.begin('shell', null, accept, reject));
    session.on('exec', (accept, reject, info) => this.begin('exec', info.command, accept, reject));
    session.on('subsystem', (accept, reject, info) => {
      if (info.name === 'sftp') this.begin('sftp', null, accept, reject);
      else reject?.();
    });
  }

  /** The user's connection closed under us. */
  connectionClosed(): void {
    this.gone = true;
    this.relay?.abort();
    this.markClosed();
  }

  private begin(type: SessionType, command: string | null, accept: () => ServerChannel | undefined, reject?: () => void): void {
    if (this.started) {
      reject?.();
      return;
    }
    this.started = true;
    const channel = accept();
    if (!channel) {
      this.markClosed();
      return;
    }
    channel.once('close', () => this.markClosed());
    channel.pause();
    channel.on('error', (err: Error) => this.d.logger.debug({ err: errMessage(err) }, 'user channel error'));
    this.run(type, command, channel).catch((err) => {
      this.d.logger.error({ user: this.conn.user.username, err: errMessage(err) }, 'session failed unexpectedly');
      this.refuse(channel, 'Vigil: the session could not be opened because of an internal error.');
    });
  }

  /** Line end for messages: a pty's terminal is raw and needs CR too; a plain pipe gets a plain newline. */
  private nl(): string {
    return this.pty ? '\r\n' : '\n';
  }

  /** Tells the user why, then closes the channel with a non-zero status. */
  private refuse(channel: ServerChannel, message: string): void {
    try {
      channel.stderr.write(`${message}${this.nl()}`);
      channel.exit(REFUSED_EXIT_STATUS);
      channel.end();
    } catch {
      // The client is gone; there is nobody to tell.
    }
  }

  private async run(type: SessionType, command: string | null, channel: ServerChannel): Promise<void> {
    const { user } = this.conn;
    const perms = await this.d.permissionsOf(user.roles);
    if (!perms.includes('PAM.Access.Connect')) {
      this.refuse(channel, `Vigil: the account ${user.username} may not open sessions (it lacks the permission PAM.Access.Connect).`);
      return;
    }
    const blocked = await this.d.hub.blockMessage(user.id);
    if (blocked) {
      this.d.logger.warn({ user: user.username, ip: this.conn.ip }, 'blocked user refused');
      this.refuse(channel, blocked);
      return;
    }
    const ref = await this.chooseTarget(type, channel);
    if (!ref || this.gone) return;
    const label = formatTarget(ref);
    const credential = await this.d.credentials.find(ref.account, ref.device);
    const grant = credential ? await this.d.grants.find(user.id, credential.id) : null;
    const device = credential ? await this.d.devices.get(credential.deviceId) : null;
    const req = this.request(type, command, ref, credential, device);
    if (!credential || !grant || !device) {
      // Unknown credentials get the same answer as ungranted ones: the vault's contents are not disclosed.
      await this.d.hub.recordFailure(req, `no grant for ${label}`);
      this.refuse(channel, `Vigil: access denied: you have no grant for ${label}.`);
      return;
    }
    let conn: TargetConnection;
    try {
      conn = await this.d.connector.connect(device, credential);
    } catch (err) {
      const reason = errMessage(err);
      await this.d.hub.recordFailure(req, reason);
      this.refuse(channel, `Vigil: cannot open the session to ${label}: ${reason}.`);
      return;
    }
    if (this.gone) {
      // The user left while Vigil was connecting: there is no session to relay.
      conn.close();
      return;
    }
    try {
      await this.session(type, command, channel, conn, req, label);
    } finally {
      conn.close();
    }
  }

  private request(type: SessionType, command: string | null, ref: TargetRef, credential: Credential | null, device: Device | null): SessionRequest {
    return {
      user: { id: this.conn.user.id, username: this.conn.user.username },
      originIp: this.conn.ip,
      // Remote Sessions shows Credential (the account) and Device in separate columns.
      credential: { id: credential?.id ?? null, label: ref.account },
      device: { id: device?.id ?? null, name: ref.device },
      host: device ? `${device.host}:${device.port}` : '',
      type,
      command,
      ...(this.pty ? { cols: this.pty.cols || 80, rows: this.pty.rows || 24, term: this.pty.term } : {}),
    };
  }

  /** Recorded part: start the hub session, open the target channel, relay until both sides are done. */
  private async session(type: SessionType, command: string | null, channel: ServerChannel, conn: TargetConnection, req: SessionRequest, label: string): Promise<void> {
    let live: LiveSession;
    try {
      live = await this.d.hub.start(req);
    } catch (err) {
      // A session that cannot be recorded is not opened.
      await this.d.hub.recordFailure(req, 'the recording could not be started');
      this.d.logger.error({ err: errMessage(err) }, 'recording could not be started');
      this.refuse(channel, `Vigil: cannot open the session to ${label}: the recording could not be started.`);
      return;
    }
    this.live = live;
    // The command rules may refuse an exec command before it ever reaches the target.
    const refusal = await this.d.hub.admit(live);
    if (refusal) {
      if (!live.ended) await live.end({ status: 'failed', exitStatus: null, reason: refusal, errorMessage: refusal });
      this.refuse(channel, `Vigil: ${refusal}.`);
      return;
    }
    let target: ClientChannel;
    try {
      target = await this.openTargetChannel(type, command, conn);
    } catch (err) {
      const reason = `target refused the ${type === 'sftp' ? 'sftp subsystem' : type}: ${errMessage(err).slice(0, 200)}`;
      await live.end({ status: 'failed', exitStatus: null, reason, errorMessage: reason });
      this.refuse(channel, `Vigil: cannot open the session to ${label}: ${reason}.`);
      return;
    }
    this.target = target;
    // A resize that came while connecting is passed on now.
    if (this.pty && (this.pty.cols !== req.cols || this.pty.rows !== req.rows)) {
      target.setWindow(this.pty.rows, this.pty.cols, this.pty.height, this.pty.width);
      live.resize(this.pty.cols, this.pty.rows);
    }
    const watch = type === 'sftp' ? this.transferLog(live) : undefined;
    const relay = new Relay({ user: channel, target, live, logger: this.d.logger, recordData: type !== 'sftp', watch });
    this.relay = relay;
    live.attach(relay);
    relay.start();
    if (this.gone) relay.abort();
    const result = await relay.done;
    // The transfers' events are written before the session's end (Terminated), in the order they happened.
    await watch?.finish();
    await live.end({ status: 'completed', exitStatus: result.exitStatus, reason: result.reason });
  }

  /** SPEC 2: each sftp file transfer is a *File transfer* event of the session, by the session's user. */
  private transferLog(live: LiveSession): SftpWatch {
    const { record } = live;
    return new SftpWatch({
      record: (note) => this.d.hub.event(record.id, record.userId, record.user, 'File transfer', JSON.stringify(note)),
      logger: this.d.logger,
      sessionId: record.sessionId,
    });
  }

  private openTargetChannel(type: SessionType, command: string | null, conn: TargetConnection): Promise<ClientChannel> {
    const pty = this.pty ? { rows: this.pty.rows, cols: this.pty.cols, width: this.pty.width, height: this.pty.height, term: this.pty.term, modes: this.pty.modes } : null;
    const env = { ...this.env };
    return new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
      try {
        if (type === 'shell') conn.client.shell(pty ?? false, { env }, cb);
        else if (type === 'exec') conn.client.exec(command ?? '', { env, ...(pty ? { pty } : {}) }, cb);
        else conn.client.subsys('sftp', cb);
      } catch (err) {
        reject(err);
      }
    });
  }

  /** The target the login names, or the one picked from the menu; null when the user was refused or left. */
  private async chooseTarget(type: SessionType, channel: ServerChannel): Promise<TargetRef | null> {
    const { login, user } = this.conn;
    if (login.kind === 'direct') return login.target;
    if (login.kind === 'malformed') {
      this.refuse(channel, `Vigil: cannot read the target in the login name: ${login.problem}. Log in as '${user.username}[account@device]'.`);
      return null;
    }
    if (type !== 'shell') {
      this.refuse(channel, `Vigil: no target given. To run a command or transfer files, log in as '${user.username}[account@device]'.`);
      return null;
    }
    const entries = await this.menuEntries();
    if (entries.length === 0) {
      this.refuse(channel, `Vigil: ${user.username} has no grants; ask an administrator for access to a device.`);
      return null;
    }
    return this.menu(channel, entries);
  }

  private async menuEntries(): Promise<MenuEntry[]> {
    const grants = await this.d.grants.forUser(this.conn.user.id);
    return grants.map((g) => ({ credentialId: g.credentialId, label: g.credential }));
  }

  private async menu(channel: ServerChannel, entries: MenuEntry[]): Promise<TargetRef | null> {
    const echo = this.pty !== null;
    const timer = setTimeout(() => this.refuse(channel, `${this.nl()}Vigil: no target chosen in time.`), this.d.menuTimeoutMs ?? 5 * 60_000);
    try {
      channel.write(renderMenu(this.conn.user.username, entries));
      for (let attempt = 0; attempt < 5; attempt++) {
        const line = await readLine(channel, channel, { echo });
        if (line === null) break;
        const choice = parseChoice(line, entries);
        if (choice.kind === 'quit') break;
        if (choice.kind === 'entry') {
          const cred = await this.d.credentials.get(choice.entry.credentialId);
          if (cred) return { account: cred.account, device: cred.deviceName };
          channel.write(`That target no longer exists.${this.nl()}Choice: `);
          continue;
        }
        channel.write(`${choice.message}${this.nl()}Choice: `);
      }
      this.refuse(channel, 'Vigil: no target chosen; goodbye.');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
