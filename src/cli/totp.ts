// `vigil user totp enroll|reset NAME`: an administrator enrols a user's authenticator app, or removes it (lost phone).

import type { Command } from 'commander';
import { TotpCodes, TotpEnrolment } from '../core/totp-enrolment.js';
import { VigilError } from '../core/errors.js';
import { UsageError, withAdmin, type AdminServices, type CliIO } from './context.js';

/** TOTP enrolment over the data directory. A wrong code typed here does not count towards the user's lock: the administrator is typing it. */
function enrolmentOf(s: AdminServices): TotpEnrolment {
  const { store, secretBox, clock, totp } = s.admin;
  const codes = new TotpCodes({ users: store.users, box: secretBox, engine: totp, clock });
  return new TotpEnrolment({ users: store.users, box: secretBox, engine: totp, codes, failures: { recordFailure: async () => undefined }, audit: store.audit, clock });
}

async function userId(s: AdminServices, name: string): Promise<number> {
  const user = await s.admin.store.users.byName(name);
  if (!user) throw VigilError.notFound(`user ${name}`);
  return user.id;
}

export function registerTotp(program: Command, io: CliIO): void {
  const user = program.commands.find((c) => c.name() === 'user') ?? program.command('user').description('manage Vigil users');
  const totp = user.command('totp').description("enrol or reset a user's TOTP authenticator");

  totp
    .command('enroll')
    .alias('enrol')
    .description('print a new TOTP secret and its otpauth:// URI once, then read a current code from standard input to confirm it')
    .argument('<name>', 'user name')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, async (s) => {
        const enrolment = enrolmentOf(s);
        const id = await userId(s, name);
        const started = await enrolment.start(id);
        io.stdout(`Add this account to the authenticator app of ${name} (shown once):\n  secret: ${started.secret}\n  uri:    ${started.uri}\n`);
        io.stderr('Type the current 6-digit code from the app to confirm: ');
        const code = (await io.readStdin()).trim();
        if (!code) throw new UsageError('no code given; nothing was enrolled');
        await enrolment.confirm(id, code, s.actor);
        io.stdout(`TOTP enrolled for ${name}: logins now need a code\n`);
      });
    });

  totp
    .command('reset')
    .description("remove a user's TOTP (a lost authenticator); they log in without a code until they enrol again (with auth.requireTotp on, only to enrol)")
    .argument('<name>', 'user name')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, async (s) => enrolmentOf(s).reset(await userId(s, name), { userId: null, username: s.actor }));
      io.stdout(`TOTP of ${name} removed\n`);
    });
}
