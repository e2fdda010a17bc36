// Local port forwarding (`ssh -L`, `ssh -W`: direct-tcpip channels) for grants that allow it. Each forwarded
// connection is opened from the device, through one SSH connection to it per user connection, and recorded as a
// session of its own; every other forwarding request is refused.

import type { EventEmitter } from 'node:events';
import type { ClientChannel, RejectConnection, AcceptConnection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import type { Credential, Device } from '../../core/types.js';
import type { SessionRequest } from '../../hub/session-hub.js';
import type { LiveSession } from '../../hub/live-session.js';
import { errMessage } from './auth.js';
import { Relay } from './relay.js';
import type { ConnectionInfo, SessionChannelDeps } from './session-channel.js';
import type { TargetConnection } from './target.js';
import { formatTarget } from './target-syntax.js';

/** Forwarded connections one SSH connection may hold at once (a browser opens about six per site). */
export const MAX_FORWARDS_PER_CONNECTION = 32;

/** The session command of a forwarded connection, as Remote Sessions and the command rules see it. */
export function forwardCommand(info: Pick<TcpipRequestInfo, 'destIP' | 'destPort'>): string {
  return `direct-tcpip ${info.destIP}:${info.destPort}`;
}

/**
 * The forwarding of one logged-in user connection. Invariants: a request is accepted only after the grant allowed
 * it, the session started and the device opened the connection, so a refusal is an ordinary "open failed" for the
 * client; the connection to the device is shared by the forwards of this user connection and closed with the last
 * of them.
 */
export class PortForwarder {
  private target: Promise<TargetConnection> | null = null;
  private active = 0;
  private gone = false;

  constructor(
    userConnection: EventEmitter,
    private readonly conn: ConnectionInfo,
    private readonly d: SessionChannelDeps,
  ) {
    userConnection.once('close', () => (this.gone = true));
  }

  /** The listener for the user connection's 'tcpip' requests. */
  readonly onRequest = (accept: AcceptConnection<ServerChannel>, reject: RejectConnection, info: TcpipRequestInfo): void => {
    const refuse = (reason: string) => {
      this.d.logger.warn({ user: this.conn.user.username, ip: this.conn.ip, dest: `${info.destIP}:${info.destPort}`, reason }, 'port forwarding refused');
      reject();
    };
    if (this.active >= MAX_FORWARDS_PER_CONNECTION) return refuse('too many forwarded connections at once');
    this.active++;
    this.forward(accept, refuse, info)
      .catch((err) => {
        this.d.logger.error({ user: this.conn.user.username, err: errMessage(err) }, 'port forwarding failed unexpectedly');
        refuse('internal error');
      })
      .finally(() => {
        if (--this.active === 0) this.closeTarget();
      });
  };

  private async forward(accept: AcceptConnection<ServerChannel>, refuse: (reason: string) => void, info: TcpipRequestInfo): Promise<void> {
    const { user, login } = this.conn;
    const { hub } = this.d;
    if (login.kind !== 'direct') return refuse('no target in the login name');
    if (!(await this.d.permissionsOf(user.roles)).includes('PAM.Access.Connect')) return refuse('no PAM.Access.Connect permission');
    if (await hub.blockMessage(user.id)) return refuse('the user is blocked');
    const ref = login.target;
    const label = formatTarget(ref);
    const credential = await this.d.credentials.find(ref.account, ref.device);
    const grant = credential ? await this.d.grants.find(user.id, credential.id) : null;
    const device = credential ? await this.d.devices.get(credential.deviceId) : null;
    const req = this.request(info, ref.account, ref.device, credential, device);
    if (!credential || !grant || !device) return this.fail(req, refuse, `no grant for ${label}`);
    // SPEC 2: port forwarding is refused unless a grant allows it.
    if (!grant.allowPortForwarding) return this.fail(req, refuse, `port forwarding is not allowed by the grant for ${label}`);
    let conn: TargetConnection;
    try {
      conn = await this.connection(device, credential);
    } catch (err) {
      return this.fail(req, refuse, errMessage(err));
    }
    let live: LiveSession;
    try {
      live = await hub.start(req);
    } catch (err) {
      this.d.logger.error({ err: errMessage(err) }, 'recording could not be started');
      return this.fail(req, refuse, 'the recording could not be started');
    }
    await this.relay(live, conn, accept, refuse, info);
  }

  /** Started session: admission (command rules), the device's side of the connection, then the relay. */
  private async relay(live: LiveSession, conn: TargetConnection, accept: AcceptConnection<ServerChannel>, refuse: (reason: string) => void, info: TcpipRequestInfo): Promise<void> {
    const failed = async (reason: string) => {
      if (!live.ended) await live.end({ status: 'failed', exitStatus: null, reason, errorMessage: reason });
      refuse(reason);
    };
    const refusal = await this.d.hub.admit(live);
    if (refusal) return failed(refusal);
    let target: ClientChannel;
    try {
      target = await forwardOut(conn, info);
    } catch (err) {
      return failed(`the device could not open ${info.destIP}:${info.destPort}: ${errMessage(err).slice(0, 200)}`);
    }
    if (this.gone) {
      target.close();
      return failed('client disconnected');
    }
    const channel = accept();
    // A forwarded connection has no terminal: block and drop cannot be announced on it, and a blocked user's tunnel
    // is closed rather than fed a stream with holes in it.
    const relay = new Relay({ user: channel, target, live, logger: this.d.logger, recordData: false, messages: false });
    live.attach({ notify: () => (live.blocked ? relay.disconnect('') : undefined), disconnect: (m) => relay.disconnect(m) });
    relay.start();
    if (this.gone) relay.abort();
    const result = await relay.done;
    await live.end({ status: 'completed', exitStatus: null, reason: result.endedBy === 'target' ? 'the device closed the forwarded connection' : result.reason });
  }

  private async fail(req: SessionRequest, refuse: (reason: string) => void, reason: string): Promise<void> {
    await this.d.hub.recordFailure(req, reason);
    refuse(reason);
  }

  private request(info: TcpipRequestInfo, account: string, deviceName: string, credential: Credential | null, device: Device | null): SessionRequest {
    return {
      user: { id: this.conn.user.id, username: this.conn.user.username },
      originIp: this.conn.ip,
      credential: { id: credential?.id ?? null, label: account },
      device: { id: device?.id ?? null, name: deviceName },
      host: device ? `${device.host}:${device.port}` : '',
      type: 'exec',
      command: forwardCommand(info),
    };
  }

  /** The user connection's one connection to the device (the login names one credential for all its channels). */
  private connection(device: Device, credential: Credential): Promise<TargetConnection> {
    if (!this.target) {
      const p = this.d.connector.connect(device, credential);
      this.target = p;
      // A failed or dropped connection is not kept: the next forward connects again.
      const forget = () => {
        if (this.target === p) this.target = null;
      };
      p.then((c) => c.client.once('close', forget), forget);
    }
    return this.target;
  }

  private closeTarget(): void {
    const t = this.target;
    this.target = null;
    void t?.then(
      (c) => c.close(),
      () => undefined,
    );
  }
}

function forwardOut(conn: TargetConnection, info: TcpipRequestInfo): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      conn.client.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, ch) => (err ? reject(err) : resolve(ch)));
    } catch (err) {
      reject(err);
    }
  });
}
