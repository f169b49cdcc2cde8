/**
 * The admin re-check. The authorizer is stateless: it trusts the role in
 * the access token, which was true when the token was issued. For up to the
 * token's lifetime (15 minutes) a demoted admin would keep admin power, and
 * could re-promote himself so that the next refresh carries `admin` again; a
 * deleted admin could promote an accomplice. So every admin route that
 * changes or reveals *other* accounts calls `confirm` first: one strongly
 * consistent read of the caller's account by `sub`. Routes that only show
 * the caller (`GET /api/admin`) need not; they reveal nothing the token does
 * not already say.
 *
 * New admin routes that act on other accounts call this too: it is the one
 * place the rule lives (docs/security.md, "Admin routes re-read the caller").
 */
import { ForbiddenError, InvalidTokenError } from '../contract/errors';
import { mayManageUsers, type Role } from '../contract/roles';
import type { Users } from './users';

export class AdminAccess {
  constructor(private readonly users: Users) {}

  /**
   * Confirms that the caller is an admin now, not only when their token was
   * issued.
   *
   * @param caller the verified caller (`sub` and `role` from the authorizer context).
   * @throws ForbiddenError (403) when the token's role or the account's current role may not manage users (`userManagerRoles`, default `admin`).
   * @throws InvalidTokenError (401) when no account has this id any more (deleted): the token names nobody.
   */
  async confirm(caller: { readonly sub: string; readonly role: Role }): Promise<void> {
    // A token that does not even claim a user-manager role needs no read.
    if (!mayManageUsers(caller.role)) throw new ForbiddenError();
    const role = await this.users.currentRole(caller.sub);
    if (role === undefined) throw new InvalidTokenError('caller_account_gone');
    if (!mayManageUsers(role)) throw new ForbiddenError();
  }
}
